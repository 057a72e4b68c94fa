// Helpers shared by the native tests: tolerance checks, NCHW <-> NHWC, seeded random tensors.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace dcn::testing {

// Golden files, sorted; DCN_GOLDEN_DIR is set by CMake to ../shared/golden.
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

inline std::vector<float> random_vector(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace dcn::testing
