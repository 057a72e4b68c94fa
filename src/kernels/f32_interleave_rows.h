// f32 row interleaving micro-kernel: packs MR rows of a row-major block into the GEMM kernel's A layout,
//   dst[k * MR + r] = src[min(r, rows - 1) * src_stride + k],   k < depth, r < MR,
// so that the GEMM reads the MR values of one k from one pointer at constant offsets (no per-row address
// arithmetic in its inner loop). Rows past `rows` repeat the last row: the GEMM computes them but does not
// store them. With 4 rows of 4-lane vectors (WebAssembly SIMD, SSE) the block moves as 4x4 transposes;
// otherwise element by element. Pure: no allocation, no threads.
#pragma once

#include <algorithm>
#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch, size_t MR>
inline void f32_interleave_rows(size_t rows, size_t depth, const float* src, size_t src_stride, float* dst) {
  using Batch = xsimd::batch<float, Arch>;
  const float* row[MR];
  for (size_t r = 0; r < MR; ++r) row[r] = src + std::min(r, rows - 1) * src_stride;
  size_t k = 0;
  if constexpr (MR == 4 && Batch::size == 4) {
    for (; k + 4 <= depth; k += 4) {
      // Rows a, b, c, d at k..k+3 -> columns (a_j, b_j, c_j, d_j) for j = k..k+3.
      const Batch a = Batch::load_unaligned(row[0] + k), b = Batch::load_unaligned(row[1] + k);
      const Batch c = Batch::load_unaligned(row[2] + k), d = Batch::load_unaligned(row[3] + k);
      const Batch ac_lo = xsimd::zip_lo(a, c), bd_lo = xsimd::zip_lo(b, d);  // a0 c0 a1 c1, b0 d0 b1 d1
      const Batch ac_hi = xsimd::zip_hi(a, c), bd_hi = xsimd::zip_hi(b, d);  // a2 c2 a3 c3, b2 d2 b3 d3
      xsimd::zip_lo(ac_lo, bd_lo).store_unaligned(dst + 4 * k);
      xsimd::zip_hi(ac_lo, bd_lo).store_unaligned(dst + 4 * k + 4);
      xsimd::zip_lo(ac_hi, bd_hi).store_unaligned(dst + 4 * k + 8);
      xsimd::zip_hi(ac_hi, bd_hi).store_unaligned(dst + 4 * k + 12);
    }
  }
  for (; k < depth; ++k) {
    for (size_t r = 0; r < MR; ++r) dst[k * MR + r] = row[r][k];
  }
}

}  // namespace dcn::kernels
