// The validation-only WebAssembly module (dist/wasm/deformconv-validate-*): the core's validator without the
// kernels, compiled without SIMD. An engine without WebAssembly SIMD cannot load the full modules; there the
// WebGPU backend still validates every call with this, so it rejects the same inputs with the same messages.
// Its validate() is the full modules' (embind_request.h) without what needs the kernels (workspace sizes);
// there is no checkMemory(): no call runs in this module's memory, so the 4 GiB limit of WebAssembly memory
// does not apply to the calls it validates (README, "Largest sizes").
#include <emscripten/bind.h>

#include <string>

#include "deformconv.h"
#include "embind_request.h"

namespace {

using dcn_embind::ValidatedCall;

class Validator {
 public:
  explicit Validator(int /*threads*/) {}
  int threads() const { return 1; }
  emscripten::val validate(const emscripten::val& args) const {
    ValidatedCall call;
    const dcn::Status status = dcn_embind::validate_call(args, &call);
    return dcn_embind::call_answer(status, call);
  }
};

bool has_threads() { return false; }
std::string simd_name() { return "none"; }
std::string version() { return dcn::kVersion; }

}  // namespace

EMSCRIPTEN_BINDINGS(deformconv_validate) {
  emscripten::class_<ValidatedCall>("ValidatedCall");
  emscripten::class_<Validator>("Engine")
      .constructor<int>()
      .function("threads", &Validator::threads)
      .function("validate", &Validator::validate);
  emscripten::function("hasThreads", &has_threads);
  emscripten::function("simdName", &simd_name);
  emscripten::function("version", &version);
}
