// A literal, double-precision transcription of docs/semantics.md (torchvision layout, NCHW), used by
// the tests as an independent reference: no plan, no tiling, no SIMD. The forward pass and the backward
// pass (with torchvision's coordinate gradient, see "The backward pass" there). The tensors may be float (the
// inputs of a call) or double (finite differences).
#pragma once

#include <cmath>
#include <vector>

#include "conv_params.h"

namespace dcn::testing {

// Bilinear value of one channel plane at (y, x), torchvision's rule. Its window test is false for NaN, so
// a NaN coordinate gives 0 when the other one lies outside and NaN otherwise (torchvision's CPU kernel goes
// on to interpolate with NaN weights); the NaN is returned before floor() could reach a float-to-int
// conversion, which would be undefined behaviour.
template <typename T>
double bilinear(const T* plane, int64_t H, int64_t W, double y, double x) {
  if (y <= -1 || y >= H || x <= -1 || x >= W) return 0.0;
  if (std::isnan(y) || std::isnan(x)) return std::nan("");
  const int64_t y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
  const double ly = y - y0, lx = x - x0;
  auto at = [&](int64_t yy, int64_t xx) -> double {
    return (yy >= 0 && yy < H && xx >= 0 && xx < W) ? plane[yy * W + xx] : 0.0;
  };
  return (1 - ly) * (1 - lx) * at(y0, x0) + (1 - ly) * lx * at(y0, x0 + 1) + ly * (1 - lx) * at(y0 + 1, x0) +
         ly * lx * at(y0 + 1, x0 + 1);
}

// params must describe a torchvision-convention NCHW call. mask and bias may be empty.
// float_positions: form the sample position in float, as torchvision's float32 kernel (and this core) do,
// instead of in double; the fuzzer compares at positions rounded the same way.
template <typename T>
std::vector<double> reference_forward(const ConvParams& p, const std::vector<T>& input, const std::vector<T>& weight,
                                      const std::vector<T>& offset, const std::vector<T>& mask,
                                      const std::vector<T>& bias, bool float_positions = false) {
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
                double y = ho * p.stride_h - p.pad_top + i * p.dilation_h + dy;
                double x = wo * p.stride_w - p.pad_left + j * p.dilation_w + dx;
                if (float_positions) {
                  y = static_cast<float>(ho * p.stride_h - p.pad_top + i * p.dilation_h) + static_cast<float>(dy);
                  x = static_cast<float>(wo * p.stride_w - p.pad_left + j * p.dilation_w) + static_cast<float>(dx);
                }
                const double v = bilinear(&input[(n * C + c) * H * W], H, W, y, x);
                acc += weight[((co * cg_in + cl) * kh + i) * kw + j] * m * v;
              }
          }
          out[((n * Co + co) * Ho + ho) * Wo + wo] = acc;
        }
  return out;
}

// The derivatives of the bilinear value at (y, x) with respect to y and x, as torchvision computes them:
// from the four corners around (floor(y), floor(x)), each 0 outside the plane, with no zero window (so a
// sample exactly on y = -1 or x = -1 gets a one-sided gradient although its value is 0).
template <typename T>
void bilinear_coordinate_gradient(const T* plane, int64_t H, int64_t W, double y, double x, double* d_dy,
                                  double* d_dx) {
  *d_dy = *d_dx = 0.0;
  if (!(y > -2 && y < H + 1 && x > -2 && x < W + 1)) return;  // every corner is outside (and no NaN reaches floor)
  const int64_t y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
  const double ly = y - y0, lx = x - x0;
  auto at = [&](int64_t yy, int64_t xx) -> double {
    return (yy >= 0 && yy < H && xx >= 0 && xx < W) ? plane[yy * W + xx] : 0.0;
  };
  *d_dy = (1 - lx) * (at(y0 + 1, x0) - at(y0, x0)) + lx * (at(y0 + 1, x0 + 1) - at(y0, x0 + 1));
  *d_dx = (1 - ly) * (at(y0, x0 + 1) - at(y0, x0)) + ly * (at(y0 + 1, x0 + 1) - at(y0 + 1, x0));
}

// Adds value * (bilinear weight of each corner) to the corners of (y, x) inside the plane: the transpose of
// bilinear(), with the same zero window.
inline void bilinear_scatter(double* plane, int64_t H, int64_t W, double y, double x, double value) {
  if (y <= -1 || y >= H || x <= -1 || x >= W) return;
  if (std::isnan(y) || std::isnan(x)) return;  // torchvision's col2im skips it too (its distance tests fail)
  const int64_t y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
  const double ly = y - y0, lx = x - x0;
  auto add = [&](int64_t yy, int64_t xx, double w) {
    if (yy >= 0 && yy < H && xx >= 0 && xx < W) plane[yy * W + xx] += w * value;
  };
  add(y0, x0, (1 - ly) * (1 - lx));
  add(y0, x0 + 1, (1 - ly) * lx);
  add(y0 + 1, x0, ly * (1 - lx));
  add(y0 + 1, x0 + 1, ly * lx);
}

struct ReferenceGradients {
  std::vector<double> grad_input, grad_weight, grad_offset, grad_mask, grad_bias;  // torchvision layout, NCHW
};

// The gradients of sum(grad_output * forward(...)). params must describe a torchvision-convention NCHW call;
// mask may be empty (no grad_mask then); grad_bias is filled when has_bias.
template <typename T>
ReferenceGradients reference_backward(const ConvParams& p, const std::vector<T>& input, const std::vector<T>& weight,
                                      const std::vector<T>& offset, const std::vector<T>& mask, bool has_bias,
                                      const std::vector<T>& grad_output) {
  const int64_t N = p.batch, C = p.in_channels, H = p.in_height, W = p.in_width, Co = p.out_channels;
  const int64_t kh = p.kernel_h, kw = p.kernel_w, Ho = p.out_height, Wo = p.out_width, K = kh * kw;
  const int64_t cg_in = C / p.groups, cg_out = Co / p.groups, c_per_g = C / p.offset_groups;
  ReferenceGradients r;
  r.grad_input.assign(input.size(), 0.0);
  r.grad_weight.assign(weight.size(), 0.0);
  r.grad_offset.assign(offset.size(), 0.0);
  r.grad_mask.assign(mask.size(), 0.0);
  if (has_bias) r.grad_bias.assign(static_cast<size_t>(Co), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t co = 0; co < Co; ++co)
      for (int64_t ho = 0; ho < Ho; ++ho)
        for (int64_t wo = 0; wo < Wo; ++wo) {
          const int64_t pix = ho * Wo + wo;
          const double go = grad_output[(n * Co + co) * Ho * Wo + pix];
          if (has_bias) r.grad_bias[co] += go;
          for (int64_t cl = 0; cl < cg_in; ++cl) {
            const int64_t c = (co / cg_out) * cg_in + cl, g = c / c_per_g;
            const T* plane = &input[(n * C + c) * H * W];
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t k = g * K + i * kw + j;
                const size_t dy_at = ((n * 2 * p.offset_groups * K) + 2 * k) * Ho * Wo + pix;
                const size_t dx_at = dy_at + Ho * Wo;
                const size_t m_at = (n * p.offset_groups * K + k) * Ho * Wo + pix;
                const double m = mask.empty() ? 1.0 : mask[m_at];
                const double y = ho * p.stride_h - p.pad_top + i * p.dilation_h + static_cast<double>(offset[dy_at]);
                const double x = wo * p.stride_w - p.pad_left + j * p.dilation_w + static_cast<double>(offset[dx_at]);
                const size_t w_at = ((co * cg_in + cl) * kh + i) * kw + j;
                const double wgt = weight[w_at];
                const double v = bilinear(plane, H, W, y, x);
                r.grad_weight[w_at] += go * m * v;
                if (!mask.empty()) r.grad_mask[m_at] += go * wgt * v;
                bilinear_scatter(&r.grad_input[(n * C + c) * H * W], H, W, y, x, go * wgt * m);
                double d_dy, d_dx;
                bilinear_coordinate_gradient(plane, H, W, y, x, &d_dy, &d_dx);
                r.grad_offset[dy_at] += go * wgt * m * d_dy;
                r.grad_offset[dx_at] += go * wgt * m * d_dx;
              }
          }
        }
  return r;
}

}  // namespace dcn::testing
