// The types of one call: ConvRequest (its shapes and attributes as the caller wrote them, in either
// convention) and ConvParams (every size the kernels need, made by validate() in validate.h), and where each
// offset and mask value lives in the two layouts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace dcn {

// Which public API the arguments follow. It decides the offset/mask layout, how stride, padding and
// dilation are written, whether groups are inferred or explicit, and the argument names in messages.
enum class Convention {
  kTorchvision,  // torchvision.ops.deform_conv2d and ONNX DeformConv: offset (dy, dx pairs) + separate mask
  kMindSpore,    // mindspore.ops.deformable_conv2d: offsets = [dx block | dy block | mask block]
};

// Memory order of input, offset, mask and output (the weight is always (C_out, C_in/groups, kh, kw)).
enum class DataFormat { kNCHW, kNHWC };

// The arguments of one call, as the caller wrote them (shapes in the call's data format).
struct ConvRequest {
  Convention convention = Convention::kTorchvision;
  DataFormat data_format = DataFormat::kNCHW;
  std::vector<int64_t> input_shape;   // (N, C_in, H, W), or (N, H, W, C_in) for NHWC
  std::vector<int64_t> weight_shape;  // (C_out, C_in / groups, kh, kw)
  std::vector<int64_t> offset_shape;  // torchvision (N, 2*G*kh*kw, Ho, Wo); MindSpore (N, 3*G*kh*kw, Ho, Wo)
  bool has_mask = false;              // torchvision only: a separate mask tensor is given
  std::vector<int64_t> mask_shape;    // (N, G*kh*kw, Ho, Wo)
  bool has_bias = false;
  std::vector<int64_t> bias_shape;    // (C_out)
  // torchvision: stride and dilation have 1 or 2 entries, padding 1, 2 or 4 (top, bottom, left, right).
  // MindSpore: strides and dilations have 4 entries (1, 1, h, w), padding 4 (top, bottom, left, right).
  std::vector<int64_t> stride = {1, 1};
  std::vector<int64_t> padding = {0, 0};
  std::vector<int64_t> dilation = {1, 1};
  // MindSpore only (torchvision infers them from the shapes):
  std::vector<int64_t> kernel_size;  // (kh, kw), must equal the weight's
  int64_t groups = 1;                // weight groups
  int64_t offset_groups = 1;         // deformable_groups
  bool modulated = true;             // false: DCNv1, the mask block of offsets is ignored
  // Backward only: the shape of grad_output, checked against the output shape when has_grad_output is set
  // or the shape is non-empty (so an empty shape given for grad_output is rejected, not skipped).
  bool has_grad_output = false;
  std::vector<int64_t> grad_output_shape;
};

// Every size of a validated call. Field names follow docs/semantics.md.
struct ConvParams {
  Convention convention = Convention::kTorchvision;
  DataFormat data_format = DataFormat::kNCHW;
  int64_t batch = 0;          // N
  int64_t in_channels = 0;    // C_in
  int64_t in_height = 0;      // H
  int64_t in_width = 0;       // W
  int64_t out_channels = 0;   // C_out
  int64_t kernel_h = 0;       // kh
  int64_t kernel_w = 0;       // kw
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;         // weight groups: input channels c' of output channel co come from group co / (C_out/groups)
  int64_t offset_groups = 1;  // G: input channel c uses the offsets of group c / (C_in/G)
  int64_t out_height = 0;     // Ho
  int64_t out_width = 0;      // Wo
  bool use_mask = false;      // a mask multiplies every sample (torchvision mask, or MindSpore modulated=true)
  bool has_bias = false;

  // Element counts of every tensor of the call, each checked to fit kMaxElements.
  int64_t input_elements = 0;
  int64_t weight_elements = 0;
  int64_t offset_elements = 0;  // MindSpore: the whole offsets tensor, mask block included
  int64_t mask_elements = 0;    // torchvision mask; 0 without one (and for MindSpore)
  int64_t bias_elements = 0;
  int64_t output_elements = 0;

  int64_t taps() const { return kernel_h * kernel_w; }                  // kh * kw
  int64_t out_pixels() const { return out_height * out_width; }         // Ho * Wo
  int64_t in_pixels() const { return in_height * in_width; }            // H * W
  int64_t in_channels_per_group() const { return in_channels / groups; }
  int64_t out_channels_per_group() const { return out_channels / groups; }
  int64_t channels_per_offset_group() const { return in_channels / offset_groups; }
  // Channels of the offset tensor: 2*G*taps (torchvision) or 3*G*taps (MindSpore).
  int64_t offset_channels() const { return (convention == Convention::kMindSpore ? 3 : 2) * offset_groups * taps(); }
  // The output shape in the call's data format.
  std::vector<int64_t> output_shape() const;
  // FLOPs of the forward pass as usually counted: 2 * N * C_out * (C_in/groups) * kh * kw * Ho * Wo.
  double forward_flops() const;
};

// Where the offset pair and mask value of (offset group g, tap k) live: channel indices into the offset
// tensor (dy, dx, and the mask for MindSpore) or into the mask tensor (torchvision).
struct OffsetChannels {
  int64_t dy;
  int64_t dx;
  int64_t mask;        // channel in the mask tensor (torchvision) or in the offsets tensor (MindSpore)
  bool mask_in_offset; // true for MindSpore
};
OffsetChannels offset_channels_of(const ConvParams& params, int64_t group, int64_t tap);

// Argument names as the caller wrote them, so a message points at the caller's own code.
struct ArgNames {
  const char* input;
  const char* offset;
  const char* mask;
  const char* weight;
  const char* bias;
  const char* stride;
  const char* padding;
  const char* dilation;
  const char* groups;
  const char* offset_groups;
  const char* kernel_size;
};
const ArgNames& arg_names(Convention convention);

// Human-readable shape, "[1, 2, 3, 4]", for messages.
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace dcn
