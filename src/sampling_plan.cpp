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

void build_sampling_plan(const ConvParams& p, const OffsetView& v, int64_t n, int64_t first_pixel, int64_t count,
                         const float* image, const float* zero_row, BilinearSample* plan) {
  const int64_t H = p.in_height, W = p.in_width, C = p.in_channels;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t g = 0; g < p.offset_groups; ++g) {
    for (int64_t i = 0; i < p.kernel_h; ++i) {
      for (int64_t j = 0; j < p.kernel_w; ++j) {
        const int64_t tap = i * p.kernel_w + j;
        const OffsetChannels ch = offset_channels_of(p, g, tap);
        const float* dy_ptr = v.offset + n * v.offset_batch_stride + ch.dy * v.offset_channel_stride;
        const float* dx_ptr = v.offset + n * v.offset_batch_stride + ch.dx * v.offset_channel_stride;
        const float* m_ptr = v.mask ? v.mask + n * v.mask_batch_stride + ch.mask * v.mask_channel_stride : nullptr;
        BilinearSample* out = plan + (g * p.taps() + tap) * count;
        int64_t ho = first_pixel / p.out_width, wo = first_pixel % p.out_width;
        for (int64_t q = 0; q < count; ++q) {
          const int64_t pixel = first_pixel + q;
          const float dy = dy_ptr[pixel * v.offset_pixel_stride];
          const float dx = dx_ptr[pixel * v.offset_pixel_stride];
          const float m = m_ptr ? m_ptr[pixel * v.mask_pixel_stride] : 1.0f;
          // As torchvision: the integer part of the position is exact, the offset is added in float.
          const float y = static_cast<float>(ho * p.stride_h - p.pad_top + i * p.dilation_h) + dy;
          const float x = static_cast<float>(wo * p.stride_w - p.pad_left + j * p.dilation_w) + dx;
          const SamplePoint s = locate_sample(y, x, H, W);
          BilinearSample& e = out[q];
          e.corner[0] = e.corner[1] = e.corner[2] = e.corner[3] = zero_row;
          if (!s.inside) {
            // Value 0 times the mask: stays NaN for a NaN mask or offset, as in torchvision.
            const float w = s.is_nan ? nan : 0.0f * m;
            e.weight[0] = e.weight[1] = e.weight[2] = e.weight[3] = w;
          } else {
            const float hy = 1.0f - s.ly, hx = 1.0f - s.lx;
            e.weight[0] = hy * hx * m;
            e.weight[1] = hy * s.lx * m;
            e.weight[2] = s.ly * hx * m;
            e.weight[3] = s.ly * s.lx * m;
            const bool top = s.y0 >= 0, bottom = s.y0 + 1 <= H - 1;
            const bool left = s.x0 >= 0, right = s.x0 + 1 <= W - 1;
            const int64_t top_left = (s.y0 * W + s.x0) * C;  // may be negative: used only for valid corners
            if (top && left) e.corner[0] = image + top_left;
            if (top && right) e.corner[1] = image + (top_left + C);
            if (bottom && left) e.corner[2] = image + (top_left + W * C);
            if (bottom && right) e.corner[3] = image + (top_left + W * C + C);
          }
          if (++wo == p.out_width) {
            wo = 0;
            ++ho;
          }
        }
      }
    }
  }
}

}  // namespace dcn
