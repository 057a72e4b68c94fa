// The bilinear sampling plan: for one image n and a tile of output pixels, every (offset group g, tap k,
// pixel q) sample is resolved once into four corner pointers and four weights (bilinear weight times mask).
// Every input channel of offset group g reuses that entry, so the per-channel work is four loads and four
// multiply-adds of contiguous channel vectors (the input is channels-last, see deform_conv_forward.cpp).
// The backward pass uses a richer entry (BilinearGradSample) built by the same loop: the same corners plus
// where grad_input goes and the coefficients of the offset and mask gradients.
//
// Corners outside the input point at a row of zeros instead of carrying a flag, so the gather kernel has no
// branch. The bilinear rule is exactly torchvision's (docs/semantics.md):
//   a sample with y <= -1, y >= H, x <= -1 or x >= W is 0; otherwise the four corners around (y, x), each
//   counted as 0 when it lies outside [0, H-1] x [0, W-1].
// torchvision's coordinate gradient (d value / d offset) has no such window: it is formed from the four
// corners around (y, x) whenever one of them is inside, which adds the samples with y == -1 or x == -1
// (docs/semantics.md, "The backward pass").
#pragma once

#include <cstdint>

#include "conv_params.h"

namespace dcn {

// One resolved sample.
struct BilinearSample {
  const float* corner[4];  // (y0, x0), (y0, x0+1), (y0+1, x0), (y0+1, x0+1): pixel rows of C_in floats
  float weight[4];         // bilinear weights, mask included
};

// Where a sample falls, before any pointer is formed; shared by the forward plan and the gradients.
struct SamplePoint {
  bool inside;        // inside the value window: the sample is a bilinear interpolation (never for NaN)
  bool coord_inside;  // inside torchvision's coordinate-gradient window -1 <= y < H, -1 <= x < W (implied by inside)
  bool is_nan;        // a coordinate is NaN and the other does not put the sample outside: the sample is NaN
  int64_t y0, x0;     // top-left corner (valid when coord_inside)
  float ly, lx;       // fractional parts: y = y0 + ly, x = x0 + lx
};

// The rule of torchvision's CPU kernel, NaN included: it tests
//   y <= -1 || y >= H || x <= -1 || x >= W   -> the sample is 0 (times the mask)
// and every comparison with NaN is false, so (NaN, 1e30) is outside (0) while (NaN, 2) goes on to the
// interpolation, whose weights are NaN (x86 turns floor(NaN) into INT_MIN; NaN times any corner is NaN).
// Here a NaN coordinate never reaches a float-to-int conversion: is_nan carries it instead. Infinities and
// huge offsets fail the window test, so the conversions only ever see values in (-1, H) and (-1, W).
inline SamplePoint locate_sample(float y, float x, int64_t height, int64_t width) {
  SamplePoint s{};
  const float h = static_cast<float>(height), w = static_cast<float>(width);
  const bool outside = y <= -1.0f || y >= h || x <= -1.0f || x >= w;
  s.is_nan = !outside && (y != y || x != x);
  s.inside = !outside && !s.is_nan;
  s.coord_inside = y >= -1.0f && y < h && x >= -1.0f && x < w;  // false for NaN
  if (s.coord_inside) {
    const float fy = __builtin_floorf(y), fx = __builtin_floorf(x);
    s.y0 = static_cast<int64_t>(fy);
    s.x0 = static_cast<int64_t>(fx);
    s.ly = y - fy;
    s.lx = x - fx;
  }
  return s;
}

// Strided view of the offset and mask tensors, so one plan builder serves both conventions and both data
// formats. Element (n, channel, pixel) of a tensor lives at base[n*batch_stride + channel*channel_stride +
// pixel*pixel_stride].
struct OffsetView {
  const float* offset = nullptr;
  int64_t offset_batch_stride = 0, offset_channel_stride = 0, offset_pixel_stride = 0;
  const float* mask = nullptr;  // null: no mask (DCNv1)
  int64_t mask_batch_stride = 0, mask_channel_stride = 0, mask_pixel_stride = 0;
};

// Builds the view for a validated call (mask may be null; for MindSpore the mask is read from offset).
OffsetView make_offset_view(const ConvParams& params, const float* offset, const float* mask);

// Fills plan[(g * taps + k) * count + q] for pixels [first_pixel, first_pixel + count) of image n and offset
// groups g in [first_group, end_group) (a work item that computes some weight groups only needs the offset
// groups of their input channels). image: image n in NHWC (H*W rows of C_in floats); zero_row: C_in zeros.
void build_sampling_plan(const ConvParams& params, const OffsetView& offsets, int64_t n, int64_t first_pixel,
                         int64_t count, int64_t first_group, int64_t end_group, const float* image,
                         const float* zero_row, BilinearSample* plan);

// One sample resolved for the backward pass. With d = the column gradient of the sample (one float per
// channel of its offset group) and dot[k] = sum over those channels of d * corner[k]:
//   grad_input rows grad_corner[k] receive weight[k] * d;
//   grad_dy = sum_k coef_dy[k] * dot[k], grad_dx = sum_k coef_dx[k] * dot[k], grad_mask = sum_k coef_mask[k] * dot[k];
//   the column value (for grad_weight) is the forward's: sum_k weight[k] * corner[k] when value_inside,
//   else weight[0] (0 times the mask, or NaN).
struct BilinearGradSample {
  const float* corner[4];  // corners of the coordinate window, as in BilinearSample (zero_row outside the input)
  float* grad_corner[4];   // grad_input rows; a sink row when the corner gets nothing (outside, or weight 0)
  float weight[4];         // bilinear weight times mask inside the value window; 0 * mask outside; NaN for NaN offsets
  float coef_dy[4];        // mask * d(bilinear weight k)/dy, 0 * mask outside the coordinate window
  float coef_dx[4];        // mask * d(bilinear weight k)/dx
  float coef_mask[4];      // bilinear weight k (no mask) inside the value window, else 0 (NaN for NaN offsets)
  bool value_inside;       // the sample is inside the value window (y > -1, x > -1, y < H, x < W)
};

// Fills plan[(g * taps + k) * count + q] as build_sampling_plan does. grad_image: the grad_input accumulator
// of image n (H*W rows of C_in floats, NHWC); sink: a row of C_in floats that absorbs writes nobody reads.
void build_gradient_plan(const ConvParams& params, const OffsetView& offsets, int64_t n, int64_t first_pixel,
                         int64_t count, const float* image, const float* zero_row, float* grad_image, float* sink,
                         BilinearGradSample* plan);

}  // namespace dcn
