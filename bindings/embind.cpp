// The embind glue: the only file that knows about JavaScript. It converts a plain JS arguments object into
// a dcn::ConvRequest, calls the core, and answers with a plain object { ok, errorKind, message, ... }.
// Tensors are passed as byte addresses in the module's heap; the JS layer (bindings/js/) copies them in and
// out. No exceptions cross this boundary: a rejected call is an answer, not a throw.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>

#include <malloc.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deformconv.h"

using emscripten::val;

namespace {

// ---------------------------------------------------------------- arguments in
// The JS layer sends integers of at most 2^31 - 1 in magnitude. Anything else is clamped to a value the
// validator rejects, so that no NaN or huge double ever reaches a float-to-int conversion (which would
// be undefined behaviour, and can trap in WebAssembly).
int64_t to_int(double d) {
  if (!(d > -1e15 && d < 1e15)) return INT64_MIN;  // NaN, infinities and absurd values
  return static_cast<int64_t>(d);
}

std::vector<int64_t> int_list(const val& v) {
  std::vector<int64_t> out;
  if (v.isUndefined() || v.isNull()) return out;
  for (double d : emscripten::convertJSArrayToNumberVector<double>(v)) out.push_back(to_int(d));
  return out;
}

// args: { convention: 'torchvision'|'mindspore', dataFormat: 'NCHW'|'NHWC', inputShape, weightShape,
//         offsetShape, maskShape (null: none), biasShape (null: none), stride, padding, dilation,
//         kernelSize, groups, offsetGroups, modulated, gradOutputShape (backward only) }
// The JS layer has already checked types and that every number is an integer in range.
dcn::ConvRequest request_from(const val& args) {
  dcn::ConvRequest r;
  r.convention = args["convention"].as<std::string>() == "mindspore" ? dcn::Convention::kMindSpore
                                                                     : dcn::Convention::kTorchvision;
  r.data_format = args["dataFormat"].as<std::string>() == "NHWC" ? dcn::DataFormat::kNHWC : dcn::DataFormat::kNCHW;
  r.input_shape = int_list(args["inputShape"]);
  r.weight_shape = int_list(args["weightShape"]);
  r.offset_shape = int_list(args["offsetShape"]);
  r.has_mask = !(args["maskShape"].isNull() || args["maskShape"].isUndefined());
  r.mask_shape = int_list(args["maskShape"]);
  r.has_bias = !(args["biasShape"].isNull() || args["biasShape"].isUndefined());
  r.bias_shape = int_list(args["biasShape"]);
  r.stride = int_list(args["stride"]);
  r.padding = int_list(args["padding"]);
  r.dilation = int_list(args["dilation"]);
  r.kernel_size = int_list(args["kernelSize"]);
  if (!args["groups"].isUndefined()) r.groups = to_int(args["groups"].as<double>());
  if (!args["offsetGroups"].isUndefined()) r.offset_groups = to_int(args["offsetGroups"].as<double>());
  if (!args["modulated"].isUndefined()) r.modulated = args["modulated"].as<bool>();
  r.has_grad_output = !(args["gradOutputShape"].isNull() || args["gradOutputShape"].isUndefined());
  r.grad_output_shape = int_list(args["gradOutputShape"]);
  return r;
}

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
val shape_array(const std::vector<int64_t>& shape) {
  val out = val::array();
  for (int64_t d : shape) out.call<void>("push", static_cast<double>(d));
  return out;
}

val answer(const dcn::Status& status) {
  val out = val::object();
  out.set("ok", status.ok());
  out.set("errorKind", std::string(status.kind_name()));
  out.set("message", status.message());
  return out;
}

// The channel of (offset group, tap) index i = g*kh*kw + tap is a + b*i for each of dy, dx and the mask in both
// conventions (offset_channels_of); the WebGPU shaders index with these two numbers instead of knowing the layouts.
val channel_rule(int64_t first, int64_t second) {
  val out = val::array();
  out.call<void>("push", static_cast<double>(first));
  out.call<void>("push", static_cast<double>(second - first));
  return out;
}

// Every size of a validated call, for backends that run outside the core (WebGPU).
val params_object(const dcn::ConvParams& p) {
  val out = val::object();
  const auto set = [&](const char* name, int64_t v) { out.set(name, static_cast<double>(v)); };
  out.set("convention", std::string(p.convention == dcn::Convention::kMindSpore ? "mindspore" : "torchvision"));
  out.set("dataFormat", std::string(p.data_format == dcn::DataFormat::kNHWC ? "NHWC" : "NCHW"));
  set("batch", p.batch);
  set("inChannels", p.in_channels);
  set("inHeight", p.in_height);
  set("inWidth", p.in_width);
  set("outChannels", p.out_channels);
  set("kernelH", p.kernel_h);
  set("kernelW", p.kernel_w);
  set("strideH", p.stride_h);
  set("strideW", p.stride_w);
  set("padTop", p.pad_top);
  set("padBottom", p.pad_bottom);
  set("padLeft", p.pad_left);
  set("padRight", p.pad_right);
  set("dilationH", p.dilation_h);
  set("dilationW", p.dilation_w);
  set("groups", p.groups);
  set("offsetGroups", p.offset_groups);
  set("outHeight", p.out_height);
  set("outWidth", p.out_width);
  out.set("useMask", p.use_mask);
  out.set("hasBias", p.has_bias);
  set("offsetChannels", p.offset_channels());
  const dcn::OffsetChannels first = dcn::offset_channels_of(p, 0, 0), second = dcn::offset_channels_of(p, 0, 1);
  out.set("dyChannel", channel_rule(first.dy, second.dy));
  out.set("dxChannel", channel_rule(first.dx, second.dx));
  out.set("maskChannel", channel_rule(first.mask, second.mask));
  out.set("maskInOffset", first.mask_in_offset);
  return out;
}

// backward: the call is a backward one (workspaceBytes is then the backward pass's).
val answer(const dcn::Status& status, const dcn::ConvParams& p, int threads, bool backward) {
  val out = answer(status);
  if (!status.ok()) return out;
  out.set("params", params_object(p));
  out.set("outputShape", shape_array(p.output_shape()));
  out.set("outputElements", static_cast<double>(p.output_elements));
  out.set("offsetGroups", static_cast<double>(p.offset_groups));
  out.set("groups", static_cast<double>(p.groups));
  out.set("flops", p.forward_flops());
  const int64_t workspace = backward ? dcn::backward_workspace_bytes(p, threads) : dcn::forward_workspace_bytes(p, threads);
  out.set("workspaceBytes", static_cast<double>(workspace));
  return out;
}

// ---------------------------------------------------------------- the engine
// One per createDeformConv() instance: owns the thread pool.
class Engine {
 public:
  explicit Engine(int threads) : pool_(clamp_threads(threads)) {}

  int threads() const { return pool_.threads(); }

  // Validates a call and reports the output shape, so the JS layer can allocate before running. A call
  // whose tensors, results and workspace cannot all fit in the 4 GiB heap is a RangeError here, before
  // anything is allocated.
  val validate(const val& args) const {
    const dcn::ConvRequest request = request_from(args);
    dcn::ConvParams p;
    dcn::Status s = dcn::validate(request, &p);
    if (s.ok()) {
      s = request.has_grad_output ? dcn::check_backward_memory(p, threads()) : dcn::check_forward_memory(p, threads());
    }
    return answer(s, p, threads(), request.has_grad_output);
  }

  // pointers: { input, weight, offset, mask, bias, output } heap byte addresses (mask, bias may be 0/null).
  val forward(const val& args, const val& pointers) {
    dcn::ConvParams p;
    dcn::Status s = dcn::validate(request_from(args), &p);
    if (!s.ok()) return answer(s);
    dcn::ForwardTensors t;
    t.input = pointer<float>(pointers, "input");
    t.weight = pointer<float>(pointers, "weight");
    t.offset = pointer<float>(pointers, "offset");
    t.mask = p.convention == dcn::Convention::kTorchvision && p.use_mask ? pointer<float>(pointers, "mask") : nullptr;
    t.bias = p.has_bias ? pointer<float>(pointers, "bias") : nullptr;
    t.output = mutable_pointer(pointers, "output");
    s = dcn::deform_conv2d_forward(p, t, pool_);
    return answer(s, p, threads(), false);
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
    return answer(s, p, threads(), true);
  }

 private:
  static int clamp_threads(int threads) {
#ifdef DCN_WASM_THREADS
    return threads < 1 ? 1 : threads;
#else
    (void)threads;
    return 1;  // the SIMD-only build has no pthreads
#endif
  }
  dcn::ThreadPool pool_;
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
std::string version() { return dcn::kVersion; }

}  // namespace

EMSCRIPTEN_BINDINGS(deformconv) {
  emscripten::class_<Engine>("Engine")
      .constructor<int>()
      .function("threads", &Engine::threads)
      .function("validate", &Engine::validate)
      .function("forward", &Engine::forward)
      .function("backward", &Engine::backward);
  emscripten::function("hasThreads", &has_threads);
  emscripten::function("heapStats", &heap_stats);
  emscripten::function("simdName", &simd_name);
  emscripten::function("version", &version);
}
