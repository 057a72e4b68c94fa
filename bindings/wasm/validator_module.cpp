// The validation-only WebAssembly module (dist/wasm/deformconv-validate-*): the core's validator without the
// kernels, compiled without SIMD. An engine without WebAssembly SIMD cannot load the full modules; there the
// WebGPU backend still validates every call with this, so it rejects the same inputs with the same messages.
// Same interface as the full modules' Engine, minus forward and backward.
#include <emscripten/bind.h>

#include <string>

#include "deformconv.h"
#include "embind_request.h"

namespace {

class Validator {
 public:
  explicit Validator(int /*threads*/) {}
  int threads() const { return 1; }
  emscripten::val validate(const emscripten::val& args) const {
    dcn::ConvParams p;
    const dcn::Status s = dcn::validate(dcn_embind::request_from(args), &p);
    return dcn_embind::validation_answer(s, p);
  }
};

bool has_threads() { return false; }
std::string simd_name() { return "none"; }
std::string version() { return dcn::kVersion; }

}  // namespace

EMSCRIPTEN_BINDINGS(deformconv_validate) {
  emscripten::class_<Validator>("Engine")
      .constructor<int>()
      .function("threads", &Validator::threads)
      .function("validate", &Validator::validate);
  emscripten::function("hasThreads", &has_threads);
  emscripten::function("simdName", &simd_name);
  emscripten::function("version", &version);
}
