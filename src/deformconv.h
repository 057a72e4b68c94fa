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

// The version of the package this core belongs to: package.json's, which CMake reads and passes as DCN_VERSION
// (tests/native/version_test.cpp and tests/js/version.test.js check that the builds agree with it).
#ifndef DCN_VERSION
#error "DCN_VERSION is package.json's version; build with CMake, which defines it"
#endif
constexpr const char* kVersion = DCN_VERSION;

// Name of the SIMD instruction set this build's kernels use: "wasm-simd128" in the WebAssembly builds (whose
// kernels are written for SSE4.1 and translated by Emscripten), xsimd's name of the architecture natively.
const char* simd_name();

}  // namespace dcn
