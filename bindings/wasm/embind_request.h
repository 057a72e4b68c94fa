// The validation half of the embind glue, shared by the full WebAssembly modules (embind.cpp) and the
// validation-only module (validator_module.cpp), so that both validate with the same code: a plain JS
// arguments object in, a dcn::ConvRequest out; a Status and ConvParams in, a plain answer object
// { ok, errorKind, message, outputShape, params, ..., call } out.
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <string>
#include <vector>

#include "validate.h"
#include "status.h"

namespace dcn_embind {

using emscripten::val;

// ---------------------------------------------------------------- arguments in
// The JS layer sends integers of at most 2^31 - 1 in magnitude. Anything else is clamped to a value the
// validator rejects, so that no NaN or huge double ever reaches a float-to-int conversion (which would
// be undefined behaviour, and can trap in WebAssembly).
inline int64_t to_int(double d) {
  if (!(d > -1e15 && d < 1e15)) return INT64_MIN;  // NaN, infinities and absurd values
  return static_cast<int64_t>(d);
}

inline std::vector<int64_t> int_list(const val& v) {
  std::vector<int64_t> out;
  if (v.isUndefined() || v.isNull()) return out;
  for (double d : emscripten::convertJSArrayToNumberVector<double>(v)) out.push_back(to_int(d));
  return out;
}

// args: { convention: 'torchvision'|'mindspore', dataFormat: 'NCHW'|'NHWC', inputShape, weightShape,
//         offsetShape, maskShape (null: none), biasShape (null: none), stride, padding, dilation,
//         kernelSize, groups, offsetGroups, modulated, gradOutputShape (backward only) }
// The JS layer has already checked types and that every number is an integer in range.
inline dcn::ConvRequest request_from(const val& args) {
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

// ---------------------------------------------------------------- answers out
inline val shape_array(const std::vector<int64_t>& shape) {
  val out = val::array();
  for (int64_t d : shape) out.call<void>("push", static_cast<double>(d));
  return out;
}

inline val answer(const dcn::Status& status) {
  val out = val::object();
  out.set("ok", status.ok());
  out.set("errorKind", std::string(status.kind_name()));
  out.set("message", status.message());
  return out;
}

// The channel of (offset group, tap) index i = g*kh*kw + tap is a + b*i for each of dy, dx and the mask in both
// conventions (offset_channels_of); the WebGPU shaders index with these two numbers instead of knowing the layouts.
inline val channel_rule(int64_t first, int64_t second) {
  val out = val::array();
  out.call<void>("push", static_cast<double>(first));
  out.call<void>("push", static_cast<double>(second - first));
  return out;
}

// Every size of a validated call, for backends that run outside the core (WebGPU).
inline val params_object(const dcn::ConvParams& p) {
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

// A call the validator accepted, kept on the C++ side: validate() hands it to JS in its answer (`call`), and
// JS passes it back to run that call (Engine.forward, packWeights, backward, checkMemory), then deletes it.
// So a call's arguments are read through embind once, and the module keeps nothing between a validation and
// the run it is for: calls validated one after another each run with their own parameters.
struct ValidatedCall {
  dcn::ConvParams params;
  bool backward = false;  // validated with a gradOutput: only backward() runs it
};

// The answer to a validation: the status, and for a valid call the output's shape and size and every size
// of the call (params), which the WebGPU backend runs on.
inline val validation_answer(const dcn::Status& status, const dcn::ConvParams& p) {
  val out = answer(status);
  if (!status.ok()) return out;
  out.set("params", params_object(p));
  out.set("outputShape", shape_array(p.output_shape()));
  out.set("outputElements", static_cast<double>(p.output_elements));
  out.set("offsetGroups", static_cast<double>(p.offset_groups));
  out.set("groups", static_cast<double>(p.groups));
  out.set("flops", p.forward_flops());
  return out;
}

// Validates a call's arguments into `call`. Shapes, parameters and element counts only: whether the call
// fits in WebAssembly memory is Engine.checkMemory's question, asked only of calls that run there.
inline dcn::Status validate_call(const val& args, ValidatedCall* call) {
  const dcn::ConvRequest request = request_from(args);
  call->backward = request.has_grad_output;
  return dcn::validate(request, &call->params);
}

// validation_answer, with the accepted call (`call`, a ValidatedCall JS must delete) when it is valid.
inline val call_answer(const dcn::Status& status, const ValidatedCall& call) {
  val out = validation_answer(status, call.params);
  if (status.ok()) out.set("call", call);
  return out;
}

}  // namespace dcn_embind
