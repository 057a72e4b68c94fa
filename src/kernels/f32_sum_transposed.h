// f32 transposing reduction micro-kernel: the sum of per-thread partial results, written transposed,
//   dst[c * rows + r] = partials[0][first + r * columns + c] + ... + partials[parts - 1][first + r * columns + c],
// for r < rows, c < columns, added in that order. The backward pass accumulates grad_weight in the GEMM's
// order, [C_out][tap][C_in/groups] (the reduction index kk = tap * C_in/groups + c'), and hands it back in
// the weight's own (C_out, C_in/groups, kh, kw): per output channel, rows = taps and columns = C_in/groups.
// The sums run a vector of columns at a time; the transposed store is scalar (taps apart).
// Pure: no allocation, no threads.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch>
inline void f32_sum_transposed(size_t rows, size_t columns, size_t parts, const float* const* partials,
                               size_t first, float* dst) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  for (size_t r = 0; r < rows; ++r) {
    const size_t at = first + r * columns;
    size_t c = 0;
    for (; c + kLanes <= columns; c += kLanes) {
      Batch acc = Batch::load_unaligned(partials[0] + at + c);
      for (size_t t = 1; t < parts; ++t) acc += Batch::load_unaligned(partials[t] + at + c);
      alignas(64) float sum[kLanes];
      acc.store_aligned(sum);
      for (size_t l = 0; l < kLanes; ++l) dst[(c + l) * rows + r] = sum[l];
    }
    for (; c < columns; ++c) {
      float acc = partials[0][at + c];
      for (size_t t = 1; t < parts; ++t) acc += partials[t][at + c];
      dst[c * rows + r] = acc;
    }
  }
}

}  // namespace dcn::kernels
