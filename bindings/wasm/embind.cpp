// The embind glue: the only file that knows about JavaScript. It converts a plain JS arguments object into
// a dcn::ConvRequest, calls the core, and answers with a plain object { ok, errorKind, message, ... }.
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
using dcn_embind::request_from;
using dcn_embind::validation_answer;

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
// backward: the call is a backward one (workspaceBytes is then the backward pass's).
val answer(const dcn::Status& status, const dcn::ConvParams& p, int threads, bool backward) {
  val out = validation_answer(status, p);
  if (!status.ok()) return out;
  // The JS layer hands the core every NCHW input already channels-last (backend.js), so the forward
  // pass needs no NHWC copy of it.
  const int64_t workspace =
      backward ? dcn::backward_workspace_bytes(p, threads) : dcn::forward_workspace_bytes(p, threads, true);
  out.set("workspaceBytes", static_cast<double>(workspace));
  if (!backward) out.set("packedWeightBytes", static_cast<double>(dcn::forward_packed_weight_bytes(p)));
  return out;
}

// ---------------------------------------------------------------- the engine
// One per createDeformConv() instance: owns the thread pool.
class Engine {
 public:
  explicit Engine(int threads) : pool_(clamp_threads(threads)) {}

  int threads() const { return pool_.threads(); }

  // false: the pool's workers sleep as soon as a call ends, instead of spinning for the next one
  // (createDeformConv's allowSpinning: other threads, onnxruntime's, need the cores between our calls).
  void set_allow_spinning(bool allow) { allow_spinning_ = allow; }

  // Validates a call and reports the output shape, so the JS layer can allocate before running. A call
  // whose tensors, results and workspace cannot all fit in the 4 GiB heap is a RangeError here, before
  // anything is allocated. A valid call's params are kept for the forward() or packWeights() that follows
  // (the JS layer validates every call right before running it, synchronously): reading the arguments
  // object through embind costs tens of microseconds, so the call is not parsed twice.
  val validate(const val& args) {
    const dcn::ConvRequest request = request_from(args);
    dcn::ConvParams p;
    dcn::Status s = dcn::validate(request, &p);
    if (s.ok()) {
      s = request.has_grad_output ? dcn::check_backward_memory(p, threads())
                                  : dcn::check_forward_memory(p, threads(), dcn::kAddressSpaceBytes, true);
    }
    has_validated_ = s.ok() && !request.has_grad_output;
    if (has_validated_) validated_ = p;
    return answer(s, p, threads(), request.has_grad_output);
  }

  // Runs the forward call validate() accepted last. pointers: { input, weight, offset, mask, bias, output }
  // heap byte addresses (mask, bias may be 0/null), or packedWeights (from packWeights) instead of weight
  // and bias; input_channels_last: the JS layer wrote an NCHW input channels-last (toChannelsLast).
  val forward(const val& pointers, bool input_channels_last) {
    if (!has_validated_) return answer(dcn::Status::Internal("forward: no validated call to run (validate it first)"));
    const dcn::ConvParams& p = validated_;
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
    return answer(s, p, threads(), false);
  }

  // Packs the weights of the forward call validate() accepted last into packedWeights (packedWeightBytes
  // of validate's answer). pointers: { weight, bias, packedWeights }. Used by prepared layers, which pack once
  // and run many calls.
  val pack_weights(const val& pointers) {
    if (!has_validated_) return answer(dcn::Status::Internal("packWeights: no validated call (validate it first)"));
    const dcn::ConvParams& p = validated_;
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
    constexpr int kPixelsPerItem = 2048;
    const int items = (pixels + kPixelsPerItem - 1) / kPixelsPerItem;
    pool_.parallel_for(items, [&](int64_t item, int) {
      const int64_t p0 = item * kPixelsPerItem, count = std::min<int64_t>(kPixelsPerItem, pixels - p0);
      dcn::transpose_plane(from + p0, pixels, channels, count, to + p0 * dst_stride, dst_stride);
    });
  }

  // pointers: { gradOutput, input, weight, offset, mask, gradInput, gradOffset, gradMask, gradWeight,
  // gradBias } heap byte addresses; args must carry gradOutputShape. Gradients are overwritten.
  val backward(const val& args, const val& pointers) {
    const dcn::ConvRequest request = request_from(args);
    if (!request.has_grad_output) return answer(dcn::Status::TypeError("gradOutput must be a tensor"));
    dcn::ConvParams p;
    dcn::Status s = dcn::validate(request, &p);
    if (!s.ok()) return answer(s);
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
    s = dcn::deform_conv2d_backward(p, t, pool_);
    end_of_call();
    return answer(s, p, threads(), true);
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
  dcn::ConvParams validated_;  // the last forward call validate() accepted
  bool has_validated_ = false;
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
  emscripten::class_<Engine>("Engine")
      .constructor<int>()
      .function("threads", &Engine::threads)
      .function("setAllowSpinning", &Engine::set_allow_spinning)
      .function("validate", &Engine::validate)
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
