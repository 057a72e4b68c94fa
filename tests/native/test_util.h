// Helpers shared by the native tests: tolerance checks, NCHW <-> NHWC, seeded random tensors.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "deformconv.h"

namespace dcn::testing {

// Golden files, sorted; DCN_GOLDEN_DIR is set by CMake to tests/golden.
inline std::vector<std::string> golden_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(DCN_GOLDEN_DIR)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Elementwise |ours - ref| <= tol * (1 + |ref|); reports the first few mismatches.
template <typename A, typename B>
::testing::AssertionResult all_close(const std::vector<A>& ours, const std::vector<B>& ref, double tol) {
  if (ours.size() != ref.size()) {
    return ::testing::AssertionFailure() << "size " << ours.size() << " != " << ref.size();
  }
  int bad = 0;
  std::string report;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double o = ours[i], r = ref[i];
    const bool both_nan = std::isnan(o) && std::isnan(r);
    if (!both_nan && !(std::fabs(o - r) <= tol * (1 + std::fabs(r)))) {
      if (++bad <= 5) report += " [" + std::to_string(i) + "] ours " + std::to_string(o) + " ref " + std::to_string(r);
    }
  }
  if (bad) return ::testing::AssertionFailure() << bad << " of " << ref.size() << " elements differ:" << report;
  return ::testing::AssertionSuccess();
}

// (N, C, H, W) -> (N, H, W, C) and back.
template <typename T>
std::vector<T> to_nhwc(const std::vector<T>& x, const std::vector<int64_t>& nchw) {
  const int64_t N = nchw[0], C = nchw[1], HW = nchw[2] * nchw[3];
  std::vector<T> y(x.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < HW; ++p) y[(n * HW + p) * C + c] = x[(n * C + c) * HW + p];
  return y;
}
template <typename T>
std::vector<T> to_nchw(const std::vector<T>& y, const std::vector<int64_t>& nchw) {
  const int64_t N = nchw[0], C = nchw[1], HW = nchw[2] * nchw[3];
  std::vector<T> x(y.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < HW; ++p) x[(n * C + c) * HW + p] = y[(n * HW + p) * C + c];
  return x;
}
inline std::vector<int64_t> nhwc_shape(const std::vector<int64_t>& s) { return {s[0], s[2], s[3], s[1]}; }

// Offsets in MindSpore's layout: [dx | dy | mask] blocks of G*kh*kw channels (a mask of ones without one).
inline std::vector<float> mindspore_offsets(const ConvParams& p, const std::vector<float>& offset,
                                            const std::vector<float>& mask) {
  const int64_t block = p.offset_groups * p.taps(), pixels = p.out_pixels();
  std::vector<float> ms(static_cast<size_t>(p.batch * 3 * block * pixels));
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t k = 0; k < block; ++k)
      for (int64_t q = 0; q < pixels; ++q) {
        const float dy = offset[((n * block + k) * 2) * pixels + q], dx = offset[((n * block + k) * 2 + 1) * pixels + q];
        const float m = mask.empty() ? 1.0f : mask[(n * block + k) * pixels + q];
        ms[((n * 3 + 0) * block + k) * pixels + q] = dx;
        ms[((n * 3 + 1) * block + k) * pixels + q] = dy;
        ms[((n * 3 + 2) * block + k) * pixels + q] = m;
      }
  return ms;
}

// The request of a validated torchvision call (params tv) in MindSpore's convention, the other fields of *r
// kept: offsets of mindspore_offsets' shape and no separate mask, 4-element strides and dilations, padding
// [top, bottom, left, right], explicit kernel size and groups.
inline void to_mindspore_request(const ConvParams& tv, bool modulated, ConvRequest* r) {
  r->convention = Convention::kMindSpore;
  r->offset_shape = {tv.batch, 3 * tv.offset_groups * tv.taps(), tv.out_height, tv.out_width};
  r->has_mask = false;
  r->mask_shape.clear();
  r->stride = {1, 1, tv.stride_h, tv.stride_w};
  r->dilation = {1, 1, tv.dilation_h, tv.dilation_w};
  r->padding = {tv.pad_top, tv.pad_bottom, tv.pad_left, tv.pad_right};
  r->kernel_size = {tv.kernel_h, tv.kernel_w};
  r->groups = tv.groups;
  r->offset_groups = tv.offset_groups;
  r->modulated = modulated;
}

inline std::vector<float> random_vector(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace dcn::testing
