// The backward pass's data-movement and reduction micro-kernels against plain loops, at widths that take
// every path of each: whole vectors, tails, fewer columns than the register tile, the allowed aliasing.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "arch.h"
#include "kernels/f32_add_rows.h"
#include "kernels/f32_interleave_columns.h"
#include "kernels/f32_sum_partials.h"
#include "kernels/f32_sum_transposed.h"
#include "test_util.h"

namespace dcn::testing {
namespace {

constexpr size_t kLanes = xsimd::batch<float, Arch>::size;

TEST(BackwardKernels, AddRowsSumsEachColumnInRowOrder) {
  std::mt19937 rng(11);
  for (size_t columns : {size_t{1}, kLanes - 1, kLanes, 3 * kLanes + 2}) {
    for (size_t rows : {0, 1, 5}) {
      const size_t stride = columns + 3;
      const auto src = random_vector(rng, rows * stride + 1, -1, 1);
      auto dst = random_vector(rng, columns, -1, 1);
      std::vector<float> expected = dst;
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < columns; ++c) expected[c] += src[r * stride + c];
      kernels::f32_add_rows<Arch>(rows, columns, src.data(), stride, dst.data());
      EXPECT_EQ(dst, expected) << rows << " rows, " << columns << " columns";  // same order: bit-identical
    }
  }
}

TEST(BackwardKernels, InterleaveColumnsRepeatsTheLastColumn) {
  std::mt19937 rng(12);
  for (size_t columns = 1; columns <= kGemmMR; ++columns) {
    for (size_t depth : {1, 7}) {
      const size_t stride = kGemmMR + 5;
      const auto src = random_vector(rng, depth * stride, -1, 1);
      std::vector<float> dst(depth * kGemmMR, -99.0f);
      kernels::f32_interleave_columns<Arch, kGemmMR>(columns, depth, src.data(), stride, dst.data());
      for (size_t k = 0; k < depth; ++k)
        for (size_t r = 0; r < kGemmMR; ++r)
          ASSERT_EQ(dst[k * kGemmMR + r], src[k * stride + std::min(r, columns - 1)])
              << columns << " columns, k " << k << ", r " << r;
    }
  }
}

TEST(BackwardKernels, SumPartialsSumsInOrderAndClears) {
  std::mt19937 rng(13);
  for (size_t count : {size_t{1}, kLanes, 2 * kLanes + 3}) {
    for (size_t parts : {1, 2, 3}) {
      for (bool into_first : {false, true}) {
        const size_t first = 5, floats = first + count + 4;
        std::vector<std::vector<float>> partial(parts);
        std::vector<float*> pointers;
        for (auto& v : partial) {
          v = random_vector(rng, floats, -1, 1);
          pointers.push_back(v.data());
        }
        std::vector<float> expected(count);
        for (size_t i = 0; i < count; ++i) {
          float sum = partial[0][first + i];
          for (size_t t = 1; t < parts; ++t) sum += partial[t][first + i];
          expected[i] = sum;
        }
        const std::vector<std::vector<float>> before = partial;
        std::vector<float> separate(count, -99.0f);
        float* dst = into_first ? partial[0].data() + first : separate.data();
        kernels::f32_sum_partials<Arch>(count, parts, pointers.data(), first, dst);
        EXPECT_EQ(std::vector<float>(dst, dst + count), expected) << count << " floats, " << parts << " parts";
        for (size_t t = 0; t < parts; ++t) {
          for (size_t i = 0; i < floats; ++i) {
            const bool in_range = i >= first && i < first + count;
            if (t == 0 && into_first && in_range) continue;  // holds the sum
            ASSERT_EQ(partial[t][i], in_range ? 0.0f : before[t][i]) << "part " << t << ", float " << i;
          }
        }
      }
    }
  }
}

TEST(BackwardKernels, SumTransposedPutsTheSumsInWeightOrder) {
  std::mt19937 rng(14);
  for (size_t columns : {size_t{1}, kLanes + 1, 2 * kLanes}) {
    for (size_t rows : {1, 9}) {
      for (size_t parts : {1, 3}) {
        const size_t first = 7, floats = first + rows * columns + 2;
        std::vector<std::vector<float>> partial(parts);
        std::vector<const float*> pointers;
        for (auto& v : partial) {
          v = random_vector(rng, floats, -1, 1);
          pointers.push_back(v.data());
        }
        std::vector<float> dst(rows * columns, -99.0f), expected(rows * columns);
        for (size_t r = 0; r < rows; ++r)
          for (size_t c = 0; c < columns; ++c) {
            float sum = partial[0][first + r * columns + c];
            for (size_t t = 1; t < parts; ++t) sum += partial[t][first + r * columns + c];
            expected[c * rows + r] = sum;
          }
        kernels::f32_sum_transposed<Arch>(rows, columns, parts, pointers.data(), first, dst.data());
        EXPECT_EQ(dst, expected) << rows << " rows, " << columns << " columns, " << parts << " parts";
      }
    }
  }
}

}  // namespace
}  // namespace dcn::testing
