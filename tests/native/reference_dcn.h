// A literal, double-precision transcription of ../shared/SEMANTICS.md (torchvision layout, NCHW), used by
// the tests as an independent reference: no plan, no tiling, no SIMD.
#pragma once

#include <cmath>
#include <vector>

#include "conv_params.h"

namespace dcn::testing {

// Bilinear value of one channel plane at (y, x), torchvision's rule.
inline double bilinear(const float* plane, int64_t H, int64_t W, double y, double x) {
  if (y <= -1 || y >= H || x <= -1 || x >= W) return 0.0;
  const int64_t y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
  const double ly = y - y0, lx = x - x0;
  auto at = [&](int64_t yy, int64_t xx) -> double {
    return (yy >= 0 && yy < H && xx >= 0 && xx < W) ? plane[yy * W + xx] : 0.0;
  };
  return (1 - ly) * (1 - lx) * at(y0, x0) + (1 - ly) * lx * at(y0, x0 + 1) + ly * (1 - lx) * at(y0 + 1, x0) +
         ly * lx * at(y0 + 1, x0 + 1);
}

// params must describe a torchvision-convention NCHW call. mask and bias may be empty.
inline std::vector<double> reference_forward(const ConvParams& p, const std::vector<float>& input,
                                             const std::vector<float>& weight, const std::vector<float>& offset,
                                             const std::vector<float>& mask, const std::vector<float>& bias) {
  const int64_t N = p.batch, C = p.in_channels, H = p.in_height, W = p.in_width, Co = p.out_channels;
  const int64_t kh = p.kernel_h, kw = p.kernel_w, Ho = p.out_height, Wo = p.out_width, K = kh * kw;
  const int64_t cg_in = C / p.groups, cg_out = Co / p.groups, c_per_g = C / p.offset_groups;
  std::vector<double> out(static_cast<size_t>(N * Co * Ho * Wo));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t co = 0; co < Co; ++co)
      for (int64_t ho = 0; ho < Ho; ++ho)
        for (int64_t wo = 0; wo < Wo; ++wo) {
          double acc = bias.empty() ? 0.0 : bias[co];
          for (int64_t cl = 0; cl < cg_in; ++cl) {
            const int64_t c = (co / cg_out) * cg_in + cl, g = c / c_per_g;
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t k = g * K + i * kw + j;
                const int64_t pix = ho * Wo + wo;
                const double dy = offset[((n * 2 * p.offset_groups * K) + 2 * k) * Ho * Wo + pix];
                const double dx = offset[((n * 2 * p.offset_groups * K) + 2 * k + 1) * Ho * Wo + pix];
                const double m = mask.empty() ? 1.0 : mask[(n * p.offset_groups * K + k) * Ho * Wo + pix];
                const double y = ho * p.stride_h - p.pad_top + i * p.dilation_h + dy;
                const double x = wo * p.stride_w - p.pad_left + j * p.dilation_w + dx;
                const double v = bilinear(&input[(n * C + c) * H * W], H, W, y, x);
                acc += weight[((co * cg_in + cl) * kh + i) * kw + j] * m * v;
              }
          }
          out[((n * Co + co) * Ho + ho) * Wo + wo] = acc;
        }
  return out;
}

}  // namespace dcn::testing
