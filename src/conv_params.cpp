// The small helpers of the call's types (conv_params.h): argument names, shapes, sizes and where each offset
// and mask value lives. The rules that accept or reject a call are in validate.cpp.
#include "conv_params.h"

#include <string>
#include <vector>

namespace dcn {

const ArgNames& arg_names(Convention convention) {
  static constexpr ArgNames kTorchvision = {"input", "offset", "mask", "weight", "bias", "stride",
                                            "padding", "dilation", "groups", "offset groups", "kernel size"};
  static constexpr ArgNames kMindSpore = {"x", "offsets", "mask", "weight", "bias", "strides",
                                          "padding", "dilations", "groups", "deformableGroups", "kernelSize"};
  return convention == Convention::kMindSpore ? kMindSpore : kTorchvision;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::vector<int64_t> ConvParams::output_shape() const {
  if (data_format == DataFormat::kNHWC) return {batch, out_height, out_width, out_channels};
  return {batch, out_channels, out_height, out_width};
}

double ConvParams::forward_flops() const {
  return 2.0 * batch * out_channels * in_channels_per_group() * taps() * out_pixels();
}

OffsetChannels offset_channels_of(const ConvParams& p, int64_t group, int64_t tap) {
  const int64_t index = group * p.taps() + tap;  // g*kh*kw + i*kw + j
  if (p.convention == Convention::kMindSpore) {
    const int64_t block = p.offset_groups * p.taps();  // G*kh*kw channels per [dx | dy | mask] block
    return {block + index, index, 2 * block + index, true};
  }
  return {2 * index, 2 * index + 1, index, false};
}

}  // namespace dcn
