// Forward pass of deformable convolution (DCNv1 without a mask, DCNv2 with one), float32.
#pragma once

#include "conv_params.h"
#include "status.h"
#include "thread_pool.h"

namespace dcn {

// The tensors of one call, laid out as the validated params say (data format and convention).
struct ForwardTensors {
  const float* input = nullptr;   // (N, C_in, H, W) or NHWC
  const float* weight = nullptr;  // (C_out, C_in/groups, kh, kw)
  const float* offset = nullptr;  // torchvision offset, or MindSpore offsets (mask block included)
  const float* mask = nullptr;    // torchvision mask, or null
  const float* bias = nullptr;    // (C_out), or null
  float* output = nullptr;        // (N, C_out, Ho, Wo) or NHWC
};

// Computes the output. params must come from validate(). Fails when a needed pointer is null or workspace
// memory is not available.
Status deform_conv2d_forward(const ConvParams& params, const ForwardTensors& tensors, ThreadPool& pool);

// Bytes of workspace the forward pass allocates for these params and thread count (beyond inputs and
// outputs), or -1 if it would not fit in memory at all. Reported by the benchmark and checked in tests.
int64_t forward_workspace_bytes(const ConvParams& params, int threads);

}  // namespace dcn
