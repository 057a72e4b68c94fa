// The embind glue: the only file that knows about JavaScript. It converts a plain JS arguments object into
// a dcn::ConvRequest once (validate, which hands back the call it accepted), runs accepted calls on the core,
// and answers with a plain object { ok, errorKind, message, ... }. The Engine holds its thread pool and no
// state of any call.
// Tensors are passed as byte addresses in the module's heap; the JS layer (bindings/api/, bindings/wasm/backend.js) copies them in and
// out. No exceptions cross this boundary: a rejected call is an answer, not a throw.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "buffer.h"
#include "deformconv.h"
#include "embind_request.h"
#include "layout_transpose.h"

using emscripten::val;

namespace {

using dcn_embind::answer;
using dcn_embind::call_answer;
using dcn_embind::validate_call;
using dcn_embind::ValidatedCall;

// A heap byte address from JS, as an unsigned number (the JS layer sends pointer >>> 0: _malloc returns
// addresses above 2 GiB as negative numbers). Anything that is not an address is null, which the passes
// reject.
template <typename T>
const T* pointer(const val& pointers, const char* name) {
  const val v = pointers[name];
  if (!v.isNumber()) return nullptr;
  const double address = v.as<double>();
  if (!(address >= 1 && address < 4294967296.0)) return nullptr;
  return reinterpret_cast<const T*>(static_cast<uintptr_t>(address));
}

float* mutable_pointer(const val& pointers, const char* name) { return const_cast<float*>(pointer<float>(pointers, name)); }

// ---------------------------------------------------------------- answers out
// The answer to a full module's validation: validate_arguments' (with the ValidatedCall), plus what only the
// full modules can say, for the threads of this engine: the workspace of the pass and the packed weights' size.
val full_answer(const val& args, int threads) {
  ValidatedCall call;
  const dcn::Status status = validate_call(args, &call);
  val out = call_answer(status, call);
  if (!status.ok()) return out;
  const dcn::ConvParams& p = call.params;
  // The JS layer hands the core every NCHW input already channels-last (backend.js), so the forward
  // pass needs no NHWC copy of it.
  const int64_t workspace =
      call.backward ? dcn::backward_workspace_bytes(p, threads) : dcn::forward_workspace_bytes(p, threads, true);
  out.set("workspaceBytes", static_cast<double>(workspace));
  if (!call.backward) out.set("packedWeightBytes", static_cast<double>(dcn::forward_packed_weight_bytes(p)));
  return out;
}

// ---------------------------------------------------------------- the engine
// One per createDeformConv() instance: owns the thread pool, and nothing of any call. Every call runs a
// ValidatedCall that validate() made and JS passes back.
class Engine {
 public:
  explicit Engine(int threads) : pool_(clamp_threads(threads)) {}

  int threads() const { return pool_.threads(); }

  // false: the pool's workers sleep as soon as a call ends, instead of spinning for the next one
  // (createDeformConv's allowSpinning: other threads, onnxruntime's, need the cores between our calls).
  // A setting of the instance, like its thread count, not state of a call.
  void set_allow_spinning(bool allow) { allow_spinning_ = allow; }

  // Validates a call's arguments (args: see request_from in embind_request.h) and answers with its output
  // shape and sizes, so the JS layer can allocate before running it, and the ValidatedCall to run it with.
  val validate(const val& args) { return full_answer(args, threads()); }

  // A RangeError unless the call's tensors, results and workspace all fit in the 4 GiB heap of this module,
  // checked before anything is allocated. Asked of every call that runs on WebAssembly.
  val check_memory(const ValidatedCall& call) {
    const dcn::Status s = call.backward ? dcn::check_backward_memory(call.params, threads())
                                        : dcn::check_forward_memory(call.params, threads(), dcn::kAddressSpaceBytes, true);
    return answer(s);
  }

  // Runs a validated forward call. pointers: { input, weight, offset, mask, bias, output } heap byte addresses
  // (mask, bias may be absent), or packedWeights (from packWeights) instead of weight and bias;
  // input_channels_last: the JS layer wrote an NCHW input channels-last (toChannelsLast).
  val forward(const ValidatedCall& call, const val& pointers, bool input_channels_last) {
    if (call.backward) return answer(dcn::Status::Internal("forward: the call was validated as a backward call"));
    const dcn::ConvParams& p = call.params;
    dcn::ForwardTensors t;
    t.input = pointer<float>(pointers, "input");
    t.packed_weights = pointer<float>(pointers, "packedWeights");
    t.weight = pointer<float>(pointers, "weight");
    t.offset = pointer<float>(pointers, "offset");
    t.mask = p.convention == dcn::Convention::kTorchvision && p.use_mask ? pointer<float>(pointers, "mask") : nullptr;
    t.bias = p.has_bias ? pointer<float>(pointers, "bias") : nullptr;
    t.output = mutable_pointer(pointers, "output");
    t.input_channels_last = input_channels_last;
    const dcn::Status s = dcn::deform_conv2d_forward(p, t, pool_);
    end_of_call();
    return answer(s);
  }

  // Packs the weights of a validated forward call into packedWeights (packedWeightBytes of validate's
  // answer). pointers: { weight, bias, packedWeights }. Used by prepared layers, which pack once and run many
  // calls.
  val pack_weights(const ValidatedCall& call, const val& pointers) {
    if (call.backward) return answer(dcn::Status::Internal("packWeights: the call was validated as a backward call"));
    const dcn::ConvParams& p = call.params;
    const dcn::Status s = dcn::pack_forward_weights(p, pointer<float>(pointers, "weight"),
                                                    p.has_bias ? pointer<float>(pointers, "bias") : nullptr,
                                                    mutable_pointer(pointers, "packedWeights"), pool_);
    return answer(s);
  }

  // dst[p * dst_stride + c] = src[c * pixels + p] for c < channels, p < pixels (unsigned byte addresses):
  // the JS layer's copy-in of an NCHW input, one staged block of channels and pixels at a time, spread over
  // the pool's threads. Allocates nothing.
  void to_channels_last(double src, double dst, int channels, int pixels, int dst_stride) {
    const float* from = reinterpret_cast<const float*>(static_cast<uintptr_t>(src));
    float* to = reinterpret_cast<float*>(static_cast<uintptr_t>(dst));
    dcn::transpose_plane_parallel(from, pixels, channels, pixels, to, dst_stride, pool_);
  }

  // Runs a validated backward call. pointers: { gradOutput, input, weight, offset, mask, gradInput,
  // gradOffset, gradMask, gradWeight, gradBias } heap byte addresses. Gradients are overwritten.
  val backward(const ValidatedCall& call, const val& pointers) {
    if (!call.backward) return answer(dcn::Status::Internal("backward: the call was validated without a gradOutput"));
    const dcn::ConvParams& p = call.params;
    const bool separate_mask = p.convention == dcn::Convention::kTorchvision && p.use_mask;
    dcn::BackwardTensors t;
    t.grad_output = pointer<float>(pointers, "gradOutput");
    t.input = pointer<float>(pointers, "input");
    t.weight = pointer<float>(pointers, "weight");
    t.offset = pointer<float>(pointers, "offset");
    t.mask = separate_mask ? pointer<float>(pointers, "mask") : nullptr;
    t.grad_input = mutable_pointer(pointers, "gradInput");
    t.grad_offset = mutable_pointer(pointers, "gradOffset");
    t.grad_mask = separate_mask ? mutable_pointer(pointers, "gradMask") : nullptr;
    t.grad_weight = mutable_pointer(pointers, "gradWeight");
    t.grad_bias = p.has_bias ? mutable_pointer(pointers, "gradBias") : nullptr;
    const dcn::Status s = dcn::deform_conv2d_backward(p, t, pool_);
    end_of_call();
    return answer(s);
  }

 private:
  void end_of_call() {
    if (!allow_spinning_) pool_.stop_spinning();
  }

  static int clamp_threads(int threads) {
#ifdef DCN_WASM_THREADS
    return threads < 1 ? 1 : threads;
#else
    (void)threads;
    return 1;  // the SIMD-only build has no pthreads
#endif
  }
  dcn::ThreadPool pool_;
  bool allow_spinning_ = true;
};

bool has_threads() {
#ifdef DCN_WASM_THREADS
  return true;
#else
  return false;
#endif
}

// Bytes of the heap and bytes malloc has handed out and not taken back: the tests check that many calls
// leave both flat (no leak, no growth).
val heap_stats() {
  const struct mallinfo info = mallinfo();
  val out = val::object();
  out.set("heapBytes", static_cast<double>(emscripten_get_heap_size()));
  // mallinfo's fields are int in Emscripten's header: read them as the unsigned 32-bit sizes they are.
  out.set("allocatedBytes", static_cast<double>(static_cast<uint32_t>(info.uordblks)));
  return out;
}

std::string simd_name() { return dcn::simd_name(); }
double workspace_peak_bytes() { return static_cast<double>(dcn::buffer_peak_bytes()); }
double workspace_live_bytes() { return static_cast<double>(dcn::buffer_live_bytes()); }
void reset_workspace_peak() { dcn::reset_buffer_peak(); }
std::string version() { return dcn::kVersion; }

}  // namespace

EMSCRIPTEN_BINDINGS(deformconv) {
  emscripten::class_<ValidatedCall>("ValidatedCall");
  emscripten::class_<Engine>("Engine")
      .constructor<int>()
      .function("threads", &Engine::threads)
      .function("setAllowSpinning", &Engine::set_allow_spinning)
      .function("validate", &Engine::validate)
      .function("checkMemory", &Engine::check_memory)
      .function("forward", &Engine::forward)
      .function("packWeights", &Engine::pack_weights)
      .function("toChannelsLast", &Engine::to_channels_last)
      .function("backward", &Engine::backward);
  emscripten::function("hasThreads", &has_threads);
  emscripten::function("heapStats", &heap_stats);
  // The core's workspace (Buffer) bytes: the most held at once since the last reset, and now. The benchmark
  // reads them around a call to report its peak extra memory as measured.
  emscripten::function("workspacePeakBytes", &workspace_peak_bytes);
  emscripten::function("workspaceLiveBytes", &workspace_live_bytes);
  emscripten::function("resetWorkspacePeak", &reset_workspace_peak);
  emscripten::function("simdName", &simd_name);
  emscripten::function("version", &version);
}
