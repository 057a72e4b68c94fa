// Calls whose output is empty: a batch of 0 images, or 0 output channels. torchvision accepts both and
// returns empty tensors of the right shapes; there is nothing to compute, so both passes return before they
// plan any work, and such a call needs no workspace.
#pragma once

#include "conv_params.h"
#include "deform_conv_backward.h"
#include "status.h"

namespace dcn {

inline bool has_empty_output(const ConvParams& params) { return params.output_elements == 0; }

// The backward pass of a call with an empty output: every gradient is zero. Those of an empty batch's input,
// offset and mask have no elements, and those of 0 output channels' weight and bias neither; the others
// (grad_weight and grad_bias of an empty batch; grad_input, grad_offset and grad_mask of 0 output channels)
// are zeros of their shapes, as torchvision gives. A pointer may be null where its tensor is empty.
Status zero_gradients(const ConvParams& params, const BackwardTensors& tensors);

}  // namespace dcn
