#include "sampling_plan.h"

#include <limits>

namespace dcn {

OffsetView make_offset_view(const ConvParams& p, const float* offset, const float* mask) {
  OffsetView v;
  const int64_t pixels = p.out_pixels();
  const int64_t offset_ch = p.offset_channels();
  const int64_t mask_ch = p.offset_groups * p.taps();
  const bool nhwc = p.data_format == DataFormat::kNHWC;
  v.offset = offset;
  v.offset_batch_stride = offset_ch * pixels;
  v.offset_channel_stride = nhwc ? 1 : pixels;
  v.offset_pixel_stride = nhwc ? offset_ch : 1;
  if (!p.use_mask) return v;
  if (p.convention == Convention::kMindSpore) {
    // The mask is the third block of the offsets tensor: same strides, channels 2*G*taps onwards.
    v.mask = offset;
    v.mask_batch_stride = v.offset_batch_stride;
    v.mask_channel_stride = v.offset_channel_stride;
    v.mask_pixel_stride = v.offset_pixel_stride;
  } else {
    v.mask = mask;
    v.mask_batch_stride = mask_ch * pixels;
    v.mask_channel_stride = nhwc ? 1 : pixels;
    v.mask_pixel_stride = nhwc ? mask_ch : 1;
  }
  return v;
}

namespace {

// The loop both plans share: visits every (offset group g in [first_group, end_group), tap, pixel q) of the
// tile with the sample position (y, x) and mask value m, and the index of its plan entry.
template <typename Visit>
void for_each_sample(const ConvParams& p, const OffsetView& v, int64_t n, int64_t first_pixel, int64_t count,
                     int64_t first_group, int64_t end_group, Visit visit) {
  for (int64_t g = first_group; g < end_group; ++g) {
    for (int64_t i = 0; i < p.kernel_h; ++i) {
      for (int64_t j = 0; j < p.kernel_w; ++j) {
        const int64_t tap = i * p.kernel_w + j;
        const OffsetChannels ch = offset_channels_of(p, g, tap);
        const float* dy_ptr = v.offset + n * v.offset_batch_stride + ch.dy * v.offset_channel_stride;
        const float* dx_ptr = v.offset + n * v.offset_batch_stride + ch.dx * v.offset_channel_stride;
        const float* m_ptr = v.mask ? v.mask + n * v.mask_batch_stride + ch.mask * v.mask_channel_stride : nullptr;
        const int64_t entry = (g * p.taps() + tap) * count;
        int64_t ho = first_pixel / p.out_width, wo = first_pixel % p.out_width;
        for (int64_t q = 0; q < count; ++q) {
          const int64_t pixel = first_pixel + q;
          const float dy = dy_ptr[pixel * v.offset_pixel_stride];
          const float dx = dx_ptr[pixel * v.offset_pixel_stride];
          const float m = m_ptr ? m_ptr[pixel * v.mask_pixel_stride] : 1.0f;
          // As torchvision: the integer part of the position is exact, the offset is added in float.
          const float y = static_cast<float>(ho * p.stride_h - p.pad_top + i * p.dilation_h) + dy;
          const float x = static_cast<float>(wo * p.stride_w - p.pad_left + j * p.dilation_w) + dx;
          visit(entry + q, y, x, m);
          if (++wo == p.out_width) {
            wo = 0;
            ++ho;
          }
        }
      }
    }
  }
}

// Offsets of the four corner rows from the image start, and which corners lie inside the input.
struct Corners {
  int64_t offset[4];
  bool valid[4];
};
Corners corners_of(const SamplePoint& s, int64_t H, int64_t W, int64_t C) {
  const bool top = s.y0 >= 0, bottom = s.y0 + 1 <= H - 1;
  const bool left = s.x0 >= 0, right = s.x0 + 1 <= W - 1;
  const int64_t top_left = (s.y0 * W + s.x0) * C;  // may be negative: used only for valid corners
  return {{top_left, top_left + C, top_left + W * C, top_left + W * C + C},
          {top && left, top && right, bottom && left, bottom && right}};
}

}  // namespace

void build_sampling_plan(const ConvParams& p, const OffsetView& v, int64_t n, int64_t first_pixel, int64_t count,
                         int64_t first_group, int64_t end_group, const float* image, const float* zero_row,
                         BilinearSample* plan) {
  const int64_t H = p.in_height, W = p.in_width, C = p.in_channels;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for_each_sample(p, v, n, first_pixel, count, first_group, end_group, [&](int64_t index, float y, float x, float m) {
    const SamplePoint s = locate_sample(y, x, H, W);
    BilinearSample& e = plan[index];
    e.corner[0] = e.corner[1] = e.corner[2] = e.corner[3] = zero_row;
    if (!s.inside) {
      // Value 0 times the mask: stays NaN for a NaN mask or offset, as in torchvision.
      const float w = s.is_nan ? nan : 0.0f * m;
      e.weight[0] = e.weight[1] = e.weight[2] = e.weight[3] = w;
      return;
    }
    const float hy = 1.0f - s.ly, hx = 1.0f - s.lx;
    e.weight[0] = hy * hx * m;
    e.weight[1] = hy * s.lx * m;
    e.weight[2] = s.ly * hx * m;
    e.weight[3] = s.ly * s.lx * m;
    const Corners c = corners_of(s, H, W, C);
    for (int k = 0; k < 4; ++k) {
      if (c.valid[k]) e.corner[k] = image + c.offset[k];
    }
  });
}

void build_gradient_plan(const ConvParams& p, const OffsetView& v, int64_t n, int64_t first_pixel, int64_t count,
                         const float* image, const float* zero_row, float* grad_image, float* sink,
                         BilinearGradSample* plan) {
  const int64_t H = p.in_height, W = p.in_width, C = p.in_channels;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for_each_sample(p, v, n, first_pixel, count, 0, p.offset_groups, [&](int64_t index, float y, float x, float m) {
    const SamplePoint s = locate_sample(y, x, H, W);
    BilinearGradSample& e = plan[index];
    e.value_inside = s.inside;
    for (int k = 0; k < 4; ++k) {
      e.corner[k] = zero_row;
      e.grad_corner[k] = sink;
    }
    if (!s.coord_inside) {
      // Nothing is sampled: value 0 * mask and a coordinate gradient of 0 * mask (NaN for a NaN mask), and
      // NaN everywhere for a NaN offset. No corner receives a gradient.
      const float zero = s.is_nan ? nan : 0.0f * m;
      for (int k = 0; k < 4; ++k) {
        e.weight[k] = e.coef_dy[k] = e.coef_dx[k] = zero;
        e.coef_mask[k] = s.is_nan ? nan : 0.0f;
      }
      return;
    }
    const float ly = s.ly, lx = s.lx, hy = 1.0f - ly, hx = 1.0f - lx;
    // Corners (y0, x0), (y0, x0+1), (y0+1, x0), (y0+1, x0+1): d/dy of their bilinear weights is
    // -(1-lx), -lx, (1-lx), lx and d/dx is -(1-ly), (1-ly), -ly, ly.
    e.coef_dy[0] = -hx * m;
    e.coef_dy[1] = -lx * m;
    e.coef_dy[2] = hx * m;
    e.coef_dy[3] = lx * m;
    e.coef_dx[0] = -hy * m;
    e.coef_dx[1] = hy * m;
    e.coef_dx[2] = -ly * m;
    e.coef_dx[3] = ly * m;
    const Corners c = corners_of(s, H, W, C);
    for (int k = 0; k < 4; ++k) {
      if (c.valid[k]) e.corner[k] = image + c.offset[k];
    }
    if (!s.inside) {
      // On y == -1 or x == -1: torchvision's one-sided coordinate gradient, but value, mask gradient and
      // grad_input are those of a sample outside the input.
      for (int k = 0; k < 4; ++k) {
        e.weight[k] = 0.0f * m;
        e.coef_mask[k] = 0.0f;
      }
      return;
    }
    e.coef_mask[0] = hy * hx;
    e.coef_mask[1] = hy * lx;
    e.coef_mask[2] = ly * hx;
    e.coef_mask[3] = ly * lx;
    for (int k = 0; k < 4; ++k) {
      e.weight[k] = e.coef_mask[k] * m;
      // As torchvision's col2im: a corner receives a gradient only when its bilinear weight is positive.
      if (c.valid[k] && e.coef_mask[k] > 0.0f) e.grad_corner[k] = grad_image + c.offset[k];
    }
  });
}

}  // namespace dcn
