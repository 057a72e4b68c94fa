// Weight packing for the GEMM micro-kernel: per weight group, panels of NR output channels, each panel
// NR bias values followed by one row of NR weights per reduction index kk = tap * (C_in/groups) + c'
// (the order of the column tile, see deform_conv_forward.cpp). The last panel of a group is zero-padded.
#pragma once

#include <cstddef>
#include <cstdint>

#include "conv_params.h"

namespace dcn {

// Floats of one packed panel and of all packed weights (-1 on overflow).
int64_t packed_panel_floats(const ConvParams& params, size_t nr);
int64_t packed_weight_floats(const ConvParams& params, size_t nr);
int64_t panels_per_group(const ConvParams& params, size_t nr);

// weight: (C_out, C_in/groups, kh, kw); bias may be null.
void pack_weights(const ConvParams& params, size_t nr, const float* weight, const float* bias, float* packed);
// One panel of pack_weights: panel_index = weight group * panels_per_group + panel; writes only that panel of
// packed, so threads can pack different panels at once.
void pack_weight_panel(const ConvParams& params, size_t nr, int64_t panel_index, const float* weight,
                       const float* bias, float* packed);

// Depthwise layers: one input and one output channel per weight group. Both passes run them with fused
// per-channel kernels instead of the GEMM, whose matrices would be 1 x 1.
inline bool is_depthwise(const ConvParams& p) { return p.in_channels_per_group() == 1 && p.out_channels_per_group() == 1; }

// Their weights: a (kh*kw + 1, C_out) table, packed[tap * C_out + c] =
// weight[c][0][tap], so the depthwise kernel reads one vector of channels per tap, and a last row holding
// the bias (zeros without one), so that packed weights carry everything a forward pass reads of the layer.
// -1 on overflow.
int64_t packed_depthwise_weight_floats(const ConvParams& params);
void pack_depthwise_weights(const ConvParams& params, const float* weight, const float* bias, float* packed);

// The transposed packing, for the backward pass's column gradient d_col = grad_output x W (per weight group,
// see deform_conv_backward.cpp): panels of NR reduction indices kk = tap * (C_in/groups) + c', each NR zeros
// (the GEMM kernel's bias) followed by one row of NR weights W[co][c'][tap] per output channel co of the
// group. The last panel of a group is zero-padded. Sizes in floats, -1 on overflow.
int64_t transposed_panels_per_group(const ConvParams& params, size_t nr);
int64_t transposed_panel_floats(const ConvParams& params, size_t nr);
int64_t packed_transposed_weight_floats(const ConvParams& params, size_t nr);
void pack_weights_transposed(const ConvParams& params, size_t nr, const float* weight, float* packed);

}  // namespace dcn
