// transpose_plane (4x4 register transposes plus scalar edges) against the element-by-element definition, on
// sizes around the 4x4 tiles and the 32x32 cache blocks, with row strides wider than the block; and
// transpose_plane_parallel, in pieces of 32 channels by 2048 pixels over 1 to 3 threads, the same.
#include <gtest/gtest.h>

#include <vector>

#include "layout_transpose.h"

namespace dcn::testing {
namespace {

TEST(TransposePlane, EqualsTheDefinitionOnRaggedSizes) {
  for (int64_t channels : {1, 3, 4, 5, 31, 32, 33, 70}) {
    for (int64_t pixels : {1, 2, 4, 7, 32, 37, 100}) {
      const int64_t src_stride = pixels + 3, dst_stride = channels + 5;
      std::vector<float> src(static_cast<size_t>(channels * src_stride));
      for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i);
      std::vector<float> dst(static_cast<size_t>(pixels * dst_stride), -1.0f);
      transpose_plane(src.data(), src_stride, channels, pixels, dst.data(), dst_stride);
      for (int64_t p = 0; p < pixels; ++p) {
        for (int64_t c = 0; c < dst_stride; ++c) {
          const float want = c < channels ? src[static_cast<size_t>(c * src_stride + p)] : -1.0f;  // padding untouched
          ASSERT_EQ(dst[static_cast<size_t>(p * dst_stride + c)], want) << channels << "x" << pixels << " at p " << p << " c " << c;
        }
      }
    }
  }
}

TEST(TransposePlaneParallel, EqualsTheDefinitionAcrossPieces) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t channels : {1, 31, 32, 33, 100}) {
      for (int64_t pixels : {1, 5, 2047, 2048, 2049, 4500}) {
        const int64_t src_stride = pixels + 1, dst_stride = channels + 3;
        std::vector<float> src(static_cast<size_t>(channels * src_stride));
        for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i);
        std::vector<float> dst(static_cast<size_t>(pixels * dst_stride), -1.0f);
        transpose_plane_parallel(src.data(), src_stride, channels, pixels, dst.data(), dst_stride, pool);
        for (int64_t p = 0; p < pixels; ++p) {
          for (int64_t c = 0; c < dst_stride; ++c) {
            const float want = c < channels ? src[static_cast<size_t>(c * src_stride + p)] : -1.0f;
            ASSERT_EQ(dst[static_cast<size_t>(p * dst_stride + c)], want)
                << threads << " threads, " << channels << "x" << pixels << " at p " << p << " c " << c;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace dcn::testing
