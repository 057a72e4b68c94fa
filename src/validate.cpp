// Validation of a deformable convolution call: ranks and dimensions, then attributes, then the weight and
// groups, then the output size, then offset, mask, bias and grad_output against them, then every element
// count. Empty tensors are valid where torchvision takes them (a batch of 0 images, 0 output channels, an
// input of height or width 0 that padding makes room for): their calls give empty results. The first
// failed rule is reported, in one sentence that names the argument (in the caller's convention), what must
// hold and what was given.
#include "validate.h"

#include <sstream>

#include "checked_math.h"

namespace dcn {
namespace {

template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

// Index of the channel, height and width dimensions of a 4-D activation tensor in the data format.
struct Dims {
  int channel, height, width;
};
Dims dims_of(DataFormat format) { return format == DataFormat::kNHWC ? Dims{3, 1, 2} : Dims{1, 2, 3}; }
const char* layout_name(DataFormat format) { return format == DataFormat::kNHWC ? "NHWC" : "NCHW"; }

// One dimension of a 4-D tensor: its name in messages and its smallest value. A dimension may be 0 where
// torchvision accepts it: the batch, the input's height and width (padding can still make room for the
// kernel), the output channels; the others must be at least 1, as torchvision's kernels divide by them.
struct Dim {
  const char* name;
  int64_t min;
};

// The dimensions of a 4-D activation tensor with `channels` channels (NCHW or NHWC); spatial_min: the smallest
// height and width.
std::vector<Dim> activation_dims(DataFormat format, const char* height, const char* width, const char* channels,
                                 int64_t spatial_min) {
  if (format == DataFormat::kNHWC) return {{"N", 0}, {height, spatial_min}, {width, spatial_min}, {channels, 1}};
  return {{"N", 0}, {channels, 1}, {height, spatial_min}, {width, spatial_min}};
}

Status check_rank4(const std::vector<int64_t>& shape, const char* name, const char* meaning, const std::vector<Dim>& dims) {
  if (shape.size() != 4) {
    return Status::RangeError(cat(name, " must be a 4-D tensor ", meaning, ", got shape ", shape_string(shape),
                                  " (", shape.size(), "-D)"));
  }
  for (size_t i = 0; i < 4; ++i) {
    if (shape[i] < dims[i].min || shape[i] > kMaxElements) {
      return Status::RangeError(cat(name, ": ", dims[i].name, " (shape[", i, "]) must be between ", dims[i].min,
                                    " and 2147483647, got shape ", shape_string(shape)));
    }
  }
  return Status::Ok();
}

// Reads a pair (h, w) from a torchvision-style attribute with 1 or 2 entries, or a MindSpore-style 4-tuple
// (1, 1, h, w).
Status read_pair(const std::vector<int64_t>& values, Convention convention, const char* name, int64_t min_value,
                 int64_t* h, int64_t* w) {
  if (convention == Convention::kMindSpore) {
    if (values.size() != 4) {
      return Status::RangeError(cat(name, " must have 4 entries (1, 1, ", name[0] == 's' ? "sh, sw" : "dh, dw",
                                    "), got ", shape_string(values)));
    }
    if (values[0] != 1 || values[1] != 1) {
      return Status::RangeError(cat(name, ": the N and C entries must be 1, got ", shape_string(values)));
    }
    *h = values[2];
    *w = values[3];
  } else {
    if (values.size() != 1 && values.size() != 2) {
      return Status::RangeError(cat(name, " must be a number or 2 entries (h, w), got ", shape_string(values)));
    }
    *h = values[0];
    *w = values.size() == 2 ? values[1] : values[0];
  }
  if (*h < min_value || *w < min_value || *h > kMaxElements || *w > kMaxElements) {
    return Status::RangeError(cat(name, " must be ", min_value == 1 ? "positive" : "non-negative",
                                  " (at most 2147483647), got ", shape_string(values)));
  }
  return Status::Ok();
}

Status read_padding(const std::vector<int64_t>& values, Convention convention, const char* name, ConvParams* p) {
  const bool mindspore = convention == Convention::kMindSpore;
  if (values.size() == 4) {
    p->pad_top = values[0];
    p->pad_bottom = values[1];
    p->pad_left = values[2];
    p->pad_right = values[3];
  } else if (!mindspore && values.size() == 2) {
    p->pad_top = p->pad_bottom = values[0];
    p->pad_left = p->pad_right = values[1];
  } else if (!mindspore && values.size() == 1) {
    p->pad_top = p->pad_bottom = p->pad_left = p->pad_right = values[0];
  } else {
    return Status::RangeError(cat(name, mindspore ? " must have 4 entries (top, bottom, left, right)"
                                                  : " must be a number, 2 entries (ph, pw) or 4 entries (top, bottom, left, right)",
                                  ", got ", shape_string(values)));
  }
  for (int64_t v : values) {
    if (v < 0 || v > kMaxElements) {
      return Status::RangeError(cat(name, " must be non-negative (at most 2147483647), got ", shape_string(values)));
    }
  }
  return Status::Ok();
}

// Decimal digits of an unsigned 128-bit integer (std::to_string has no overload for it).
std::string decimal(unsigned __int128 v) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return digits;
}

// One tensor's element count, or a RangeError saying how much memory it would need. The exact count is
// kept in 128 bits: four dimensions below 2^33 (an output side can reach 3 * 2^31) multiply to less than
// 2^128, while a double would round and converting it back to an integer would overflow (undefined behaviour).
Status count_elements(const std::vector<int64_t>& shape, const char* name, int64_t* count) {
  int64_t n = 1;
  unsigned __int128 exact = 1;
  bool exact_overflow = false;
  for (int64_t d : shape) {
    exact_overflow = exact_overflow || __builtin_mul_overflow(exact, static_cast<unsigned __int128>(d), &exact);
    n = n < 0 ? -1 : checked_mul(n, d);
  }
  if (n < 0) {
    const std::string elements = exact_overflow ? std::string("more than 2^128") : decimal(exact);
    const std::string bytes = exact_overflow || exact >> 126 ? std::string("more than 2^128") : decimal(exact * 4);
    return Status::RangeError(cat(name, " of shape ", shape_string(shape), " has ", elements, " elements (", bytes,
                                  " bytes as float32), more than the limit of 2147483647 elements"));
  }
  *count = n;
  return Status::Ok();
}

// Checks that an activation-like tensor (offset, mask, grad_output) matches (N, channels, Ho, Wo).
// channels < 0: the rule's product is beyond the element limit, so no shape can match.
Status check_activation(const std::vector<int64_t>& shape, const char* name, const ConvParams& p, const ArgNames& names,
                        int64_t channels, const std::string& channels_rule) {
  const Dims d = dims_of(p.data_format);
  if (shape[0] != p.batch) {
    return Status::RangeError(cat(name, ": the batch size (shape[0]) must equal the ", names.input, "'s, ", p.batch,
                                  ", got ", shape[0]));
  }
  if (shape[d.channel] != channels) {
    return Status::RangeError(cat(name, ": shape[", d.channel, "] must be ", channels_rule, " = ",
                                  channels < 0 ? std::string("more than 2147483647") : std::to_string(channels),
                                  ", got ", shape[d.channel]));
  }
  if (shape[d.height] != p.out_height || shape[d.width] != p.out_width) {
    return Status::RangeError(cat(name, ": the spatial size must equal the output size (Ho, Wo) = (", p.out_height,
                                  ", ", p.out_width, "), got (", shape[d.height], ", ", shape[d.width], "); (Ho, Wo) ",
                                  "follows from ", names.input, ", ", names.weight, ", ", names.stride, ", ",
                                  names.padding, " and ", names.dilation));
  }
  return Status::Ok();
}

}  // namespace

Status validate(const ConvRequest& r, ConvParams* out) {
  const bool mindspore = r.convention == Convention::kMindSpore;
  const ArgNames& names = arg_names(r.convention);
  const bool nhwc = r.data_format == DataFormat::kNHWC;
  const Dims d = dims_of(r.data_format);
  ConvParams p;
  p.convention = r.convention;
  p.data_format = r.data_format;

  // 1. Ranks and dimensions.
  Status s = check_rank4(r.input_shape, names.input, nhwc ? "(N, H, W, C_in)" : "(N, C_in, H, W)",
                         activation_dims(r.data_format, "H", "W", "C_in", 0));
  if (!s.ok()) return s;
  s = check_rank4(r.weight_shape, names.weight, "(C_out, C_in / groups, kh, kw)",
                  {{"C_out", 0}, {"C_in / groups", 1}, {"kh", 1}, {"kw", 1}});
  if (!s.ok()) return s;
  const char* offset_channels = mindspore ? "3 * deformableGroups * kh * kw" : "2 * offset_groups * kh * kw";
  s = check_rank4(r.offset_shape, names.offset,
                  mindspore ? (nhwc ? "(N, Ho, Wo, 3 * deformableGroups * kh * kw)" : "(N, 3 * deformableGroups * kh * kw, Ho, Wo)")
                            : (nhwc ? "(N, Ho, Wo, 2 * offset_groups * kh * kw)" : "(N, 2 * offset_groups * kh * kw, Ho, Wo)"),
                  activation_dims(r.data_format, "Ho", "Wo", offset_channels, 1));
  if (!s.ok()) return s;
  if (r.has_mask) {
    if (mindspore) return Status::RangeError("mask: MindSpore's layout has no separate mask; it is the third block of offsets");
    s = check_rank4(r.mask_shape, names.mask, nhwc ? "(N, Ho, Wo, offset_groups * kh * kw)" : "(N, offset_groups * kh * kw, Ho, Wo)",
                    activation_dims(r.data_format, "Ho", "Wo", "offset_groups * kh * kw", 1));
    if (!s.ok()) return s;
  }
  if (r.has_bias && r.bias_shape.size() != 1) {
    return Status::RangeError(cat(names.bias, " must be a 1-D tensor (C_out), got shape ", shape_string(r.bias_shape)));
  }
  p.batch = r.input_shape[0];
  p.in_channels = r.input_shape[d.channel];
  p.in_height = r.input_shape[d.height];
  p.in_width = r.input_shape[d.width];
  p.out_channels = r.weight_shape[0];
  const int64_t weight_in_channels = r.weight_shape[1];
  p.kernel_h = r.weight_shape[2];
  p.kernel_w = r.weight_shape[3];

  // 2. Stride, padding, dilation.
  s = read_pair(r.stride, r.convention, names.stride, 1, &p.stride_h, &p.stride_w);
  if (!s.ok()) return s;
  s = read_padding(r.padding, r.convention, names.padding, &p);
  if (!s.ok()) return s;
  s = read_pair(r.dilation, r.convention, names.dilation, 1, &p.dilation_h, &p.dilation_w);
  if (!s.ok()) return s;

  // 3. Kernel size and weight groups.
  if (mindspore) {
    if (r.kernel_size.size() != 2) {
      return Status::RangeError(cat(names.kernel_size, " must have 2 entries (kh, kw), got ", shape_string(r.kernel_size)));
    }
    if (r.kernel_size[0] != p.kernel_h || r.kernel_size[1] != p.kernel_w) {
      return Status::RangeError(cat(names.kernel_size, " must equal the weight's kernel (kh, kw) = (", p.kernel_h, ", ",
                                    p.kernel_w, "), got ", shape_string(r.kernel_size), " (weight shape ",
                                    shape_string(r.weight_shape), ")"));
    }
    if (r.groups < 1 || r.groups > kMaxElements) {
      return Status::RangeError(cat(names.groups, " must be a positive integer, got ", r.groups));
    }
    if (p.in_channels % r.groups != 0) {
      return Status::RangeError(cat(names.groups, " = ", r.groups, " must divide the input channels C_in = ", p.in_channels));
    }
    if (weight_in_channels != p.in_channels / r.groups) {
      return Status::RangeError(cat(names.weight, ": shape[1] must be C_in / groups = ", p.in_channels / r.groups,
                                    ", got ", weight_in_channels));
    }
    p.groups = r.groups;
  } else {
    if (p.in_channels % weight_in_channels != 0) {
      return Status::RangeError(cat(names.weight, ": shape[1] = ", weight_in_channels,
                                    " must divide the input channels C_in = ", p.in_channels,
                                    " (groups = C_in / weight.shape[1])"));
    }
    p.groups = p.in_channels / weight_in_channels;
  }
  if (p.out_channels % p.groups != 0) {
    return Status::RangeError(cat(names.weight, ": shape[0] (C_out = ", p.out_channels,
                                  ") must be divisible by groups = ", p.groups));
  }

  // 4. Output size. Every term is below 2^33, so int64 arithmetic cannot overflow here.
  const int64_t reach_h = p.dilation_h * (p.kernel_h - 1) + 1;  // rows one kernel window spans
  const int64_t reach_w = p.dilation_w * (p.kernel_w - 1) + 1;
  const int64_t span_h = p.in_height + p.pad_top + p.pad_bottom;
  const int64_t span_w = p.in_width + p.pad_left + p.pad_right;
  if (span_h < reach_h || span_w < reach_w) {
    return Status::RangeError(cat("output size too small: the padded input is ", span_h, "x", span_w,
                                  " but the dilated kernel spans ", reach_h, "x", reach_w, " (", names.input, " ",
                                  p.in_height, "x", p.in_width, " with ", names.padding, ", ", names.weight, " kernel ",
                                  p.kernel_h, "x", p.kernel_w, " at ", names.dilation, " ", p.dilation_h, "x",
                                  p.dilation_w, "; Ho = floor((H + pad_top + pad_bottom - (dilation_h * (kh - 1) + 1)) ",
                                  "/ stride_h) + 1)"));
  }
  p.out_height = (span_h - reach_h) / p.stride_h + 1;
  p.out_width = (span_w - reach_w) / p.stride_w + 1;

  // 5. Offset groups and the offset tensor.
  const int64_t taps = p.kernel_h * p.kernel_w;
  if (taps > kMaxElements) return Status::RangeError(cat(names.weight, ": kh * kw is too large, got shape ", shape_string(r.weight_shape)));
  const int64_t offset_ch = r.offset_shape[d.channel];
  if (mindspore) {
    if (r.offset_groups < 1 || r.offset_groups > kMaxElements) {
      return Status::RangeError(cat(names.offset_groups, " must be a positive integer, got ", r.offset_groups));
    }
    p.offset_groups = r.offset_groups;
  } else {
    if (offset_ch % (2 * taps) != 0) {
      return Status::RangeError(cat(names.offset, ": shape[", d.channel, "] = ", offset_ch,
                                    " must be a multiple of 2 * kh * kw = ", 2 * taps,
                                    " (2 * offset_groups * kh * kw)"));
    }
    p.offset_groups = offset_ch / (2 * taps);
  }
  if (p.in_channels % p.offset_groups != 0) {
    return Status::RangeError(cat(names.offset_groups, " = ", p.offset_groups, mindspore ? "" : " (offset.shape[1] / (2 * kh * kw))",
                                  " must divide the input channels C_in = ", p.in_channels));
  }
  const int64_t want_offset_ch = checked_product({mindspore ? 3 : 2, p.offset_groups, taps});
  s = check_activation(r.offset_shape, names.offset, p, names, want_offset_ch,
                       mindspore ? "3 * deformableGroups * kh * kw" : "2 * offset_groups * kh * kw");
  if (!s.ok()) return s;

  // 6. Mask, bias, grad_output.
  p.use_mask = mindspore ? r.modulated : r.has_mask;
  if (r.has_mask) {
    s = check_activation(r.mask_shape, names.mask, p, names, p.offset_groups * taps, "offset_groups * kh * kw");
    if (!s.ok()) return s;
  }
  p.has_bias = r.has_bias;
  if (r.has_bias && r.bias_shape[0] != p.out_channels) {
    return Status::RangeError(cat(names.bias, " must have shape [C_out] = [", p.out_channels, "], got ",
                                  shape_string(r.bias_shape)));
  }
  if (r.has_grad_output || !r.grad_output_shape.empty()) {
    if (r.grad_output_shape != p.output_shape()) {
      return Status::RangeError(cat("gradOutput must have the output's shape ", shape_string(p.output_shape()),
                                    " (", layout_name(p.data_format), "), got ", shape_string(r.grad_output_shape)));
    }
  }

  // 7. Element counts, before anything is allocated.
  s = count_elements(r.input_shape, names.input, &p.input_elements);
  if (s.ok()) s = count_elements(r.weight_shape, names.weight, &p.weight_elements);
  if (s.ok()) s = count_elements(r.offset_shape, names.offset, &p.offset_elements);
  if (s.ok() && r.has_mask) s = count_elements(r.mask_shape, names.mask, &p.mask_elements);
  if (s.ok() && r.has_bias) p.bias_elements = p.out_channels;
  if (s.ok()) s = count_elements(p.output_shape(), "the output", &p.output_elements);
  if (!s.ok()) return s;
  *out = p;
  return Status::Ok();
}

}  // namespace dcn
