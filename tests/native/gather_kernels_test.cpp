// The forward pass's gather micro-kernels against the plain sum w0*c0 + w1*c1 + w2*c2 + w3*c3: one run of
// channels (f32_bilinear_gather) and adjacent runs written to separate places (f32_bilinear_gather_chunks),
// at run lengths that take each of its paths (shorter than a vector and dividing it, whole vectors, tails) and
// run counts around the runs per vector.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "arch.h"
#include "kernels/f32_bilinear_gather.h"
#include "kernels/f32_bilinear_gather_chunks.h"
#include "test_util.h"

namespace dcn::testing {
namespace {

constexpr size_t kLanes = xsimd::batch<float, Arch>::size;

// The kernels may fuse the multiply-adds (native FMA builds), so the comparison allows a rounding step.
void expect_near_sum(float got, const float* c[4], size_t i, const float* w, const char* what) {
  const double want = static_cast<double>(c[0][i]) * w[0] + static_cast<double>(c[1][i]) * w[1] +
                      static_cast<double>(c[2][i]) * w[2] + static_cast<double>(c[3][i]) * w[3];
  EXPECT_NEAR(got, want, 1e-5) << what << " at channel " << i;
}

TEST(GatherKernels, RunsOfEveryLengthToSeparatePlaces) {
  std::mt19937 rng(21);
  const float weight[4] = {0.25f, -0.5f, 0.75f, 0.125f};
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, kLanes - 1, kLanes, kLanes + 1, 2 * kLanes + 3}) {
    if (chunk == 0) continue;
    for (size_t chunks = 1; chunks <= kLanes + 3; ++chunks) {
      const size_t channels = chunk * chunks, stride = chunk + 5;
      std::vector<float> corner[4];
      const float* c[4];
      for (int k = 0; k < 4; ++k) {
        corner[k] = random_vector(rng, channels, -1, 1);
        c[k] = corner[k].data();
      }
      std::vector<float> dst(chunks * stride, -99.0f);
      kernels::f32_bilinear_gather_chunks<Arch>(chunks, chunk, c[0], c[1], c[2], c[3], weight, dst.data(), stride);
      for (size_t q = 0; q < chunks; ++q) {
        for (size_t j = 0; j < stride; ++j) {
          SCOPED_TRACE(::testing::Message() << chunks << " runs of " << chunk << ", run " << q << ", place " << j);
          if (j < chunk) {
            expect_near_sum(dst[q * stride + j], c, q * chunk + j, weight, "chunks");
          } else {
            ASSERT_EQ(dst[q * stride + j], -99.0f);  // between the runs: untouched
          }
        }
      }
      // One run of all the channels: the plain gather.
      std::vector<float> run(channels + 1, -99.0f);
      kernels::f32_bilinear_gather<Arch>(channels, c[0], c[1], c[2], c[3], weight, run.data());
      for (size_t i = 0; i < channels; ++i) expect_near_sum(run[i], c, i, weight, "gather");
      EXPECT_EQ(run[channels], -99.0f);
    }
  }
}

}  // namespace
}  // namespace dcn::testing
