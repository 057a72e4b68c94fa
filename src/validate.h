// The one validator of the project: it turns a call's shapes and attributes, written in either convention
// (torchvision's deform_conv2d or MindSpore's deformable_conv2d), into one ConvParams with every size the
// kernels need, or into a Status naming the bad argument. The native API, the WebAssembly builds and the
// WebGPU backend (through the WASM module) all validate here, so they reject the same inputs with the same
// messages.
#pragma once

#include "conv_params.h"
#include "status.h"

namespace dcn {

// Validates a forward call (and, when grad_output_shape is set, a backward call).
Status validate(const ConvRequest& request, ConvParams* params);

}  // namespace dcn
