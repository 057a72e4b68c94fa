// deformconv-wasm C++ core: the public header. Include this and nothing else.
//
//   dcn::ConvRequest request;          // shapes and attributes, as the caller wrote them
//   dcn::ConvParams params;
//   dcn::Status status = dcn::validate(request, &params);
//   dcn::ThreadPool pool(2);
//   if (status.ok()) status = dcn::deform_conv2d_forward(params, tensors, pool);
//   // backward: set request.grad_output_shape before validate(), then
//   //   dcn::deform_conv2d_backward(params, backward_tensors, pool);
//
// No exceptions, no JavaScript, no Emscripten: the same code builds natively and for WebAssembly.
#pragma once

#include "conv_params.h"
#include "validate.h"
#include "deform_conv_backward.h"
#include "deform_conv_forward.h"
#include "memory_limit.h"
#include "status.h"
#include "thread_pool.h"

namespace dcn {

// The version of the package this core belongs to (kept equal to package.json's by a test).
constexpr const char* kVersion = "0.1.0";

// Name of the SIMD instruction set this build's kernels use ("sse4.1" is WebAssembly SIMD under Emscripten).
const char* simd_name();

}  // namespace dcn
