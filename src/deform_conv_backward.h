// Backward pass of deformable convolution (DCNv1 without a mask, DCNv2 with one), float32: the gradients of
// a loss with respect to every input of the forward pass, given the gradient of its output.
#pragma once

#include <cstdint>

#include "conv_params.h"
#include "status.h"
#include "thread_pool.h"

namespace dcn {

// The tensors of one backward call, laid out as the validated params say (data format and convention).
// Every gradient has the shape and layout of the tensor it belongs to and is overwritten, not added to.
struct BackwardTensors {
  const float* grad_output = nullptr;  // like the output: (N, C_out, Ho, Wo) or NHWC
  const float* input = nullptr;        // (N, C_in, H, W) or NHWC
  const float* weight = nullptr;       // (C_out, C_in/groups, kh, kw)
  const float* offset = nullptr;       // torchvision offset, or MindSpore offsets (mask block included)
  const float* mask = nullptr;         // torchvision mask, or null
  const float* bias = nullptr;         // not read: the gradients do not depend on it (params.has_bias decides grad_bias)
  float* grad_input = nullptr;         // like input
  float* grad_offset = nullptr;        // like offset. MindSpore: [grad dx | grad dy | grad mask] blocks, the mask
                                       // block 0 when modulated is false
  float* grad_mask = nullptr;          // like mask: torchvision with a mask only, else null
  float* grad_weight = nullptr;        // like weight
  float* grad_bias = nullptr;          // (C_out) when params.has_bias, else null
};

// Computes every gradient. params must come from validate() (with grad_output_shape set, so that the shape
// of grad_output is checked). Fails when a needed pointer is null or workspace memory is not available.
Status deform_conv2d_backward(const ConvParams& params, const BackwardTensors& tensors, ThreadPool& pool);

// Bytes of workspace the backward pass allocates for these params and thread count (beyond inputs and
// gradients), or -1 if it would not fit in memory at all.
int64_t backward_workspace_bytes(const ConvParams& params, int threads);

}  // namespace dcn
