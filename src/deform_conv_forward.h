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
  // The memory order of input alone: true when it is (N, H, W, C_in) although the data format is NCHW. The
  // forward pass works channels-last; a caller that copies the input anyway (the JS layer copies every
  // tensor into WebAssembly memory) writes it channels-last and sets this, so the core needs no NHWC copy of
  // the whole input. Ignored for NHWC calls, whose input is channels-last already.
  bool input_channels_last = false;
  // Weights (and bias) already packed by pack_forward_weights() for params with the same weight shape,
  // groups and bias: the pass then reads neither weight nor bias and packs nothing. A caller that runs one
  // layer many times (the JS API's prepared layers) packs once; null packs them for this call.
  const float* packed_weights = nullptr;
};

// Computes the output. params must come from validate(). Fails when a needed pointer is null or workspace
// memory is not available.
Status deform_conv2d_forward(const ConvParams& params, const ForwardTensors& tensors, ThreadPool& pool);

// Bytes of workspace the forward pass allocates for these params and thread count (beyond inputs and
// outputs; the packed weights included), or -1 if it would not fit in memory at all. Reported by the
// benchmark and checked in tests. input_channels_last as in ForwardTensors: false counts the NHWC copy an
// NCHW input needs.
int64_t forward_workspace_bytes(const ConvParams& params, int threads, bool input_channels_last = false);

// Bytes of the packed weights alone (part of forward_workspace_bytes), -1 on overflow.
int64_t forward_packed_weight_bytes(const ConvParams& params);

// Packs weight and bias (bias may be null when params has none) into `packed`, which holds
// forward_packed_weight_bytes(params) bytes, for ForwardTensors::packed_weights. The packed form depends
// on the weight shape, groups and whether there is a bias, not on the input's size or the offsets.
Status pack_forward_weights(const ConvParams& params, const float* weight, const float* bias, float* packed,
                            ThreadPool& pool);

}  // namespace dcn
