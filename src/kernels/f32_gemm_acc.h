// f32 GEMM micro-kernel that accumulates, MR x NR tile, NR = 2 SIMD vectors:
//   C[r][n] += sum_k A(r, k) * B[k][n],   r < mr <= MR, n < nc <= NR
// A is read through two strides, A(r, k) = a[r * a_row_stride + k * a_k_stride], so a transposed operand
// (grad_output^T, for grad_weight) needs no copy; B is row-major with a row stride, unpacked (a tile of
// sampled columns). Every B row is read NR floats wide: the caller keeps the NR - nc floats past the last
// row readable (their products land in columns that are not stored). Rows past mr read the last valid row
// of A and are not stored. Pure: no allocation, no threads.
#pragma once

#include <algorithm>
#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch, size_t MR>
inline void f32_gemm_acc(size_t mr, size_t nc, size_t kc, const float* a, size_t a_row_stride, size_t a_k_stride,
                         const float* b, size_t b_stride, float* c, size_t c_stride) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  constexpr size_t NR = 2 * kLanes;
  const float* a_row[MR];
  for (size_t r = 0; r < MR; ++r) a_row[r] = a + std::min(r, mr - 1) * a_row_stride;

  // vacc[r][0] holds columns 0..kLanes-1 of row r, vacc[r][1] the next kLanes.
  Batch vacc[MR][2];
  for (size_t r = 0; r < MR; ++r) vacc[r][0] = vacc[r][1] = Batch(0.0f);
  for (size_t k = 0; k < kc; ++k) {
    const Batch vb0 = Batch::load_unaligned(b);
    const Batch vb1 = Batch::load_unaligned(b + kLanes);
    b += b_stride;
    for (size_t r = 0; r < MR; ++r) {
      const Batch va(*a_row[r]);
      a_row[r] += a_k_stride;
      vacc[r][0] = xsimd::fma(va, vb0, vacc[r][0]);
      vacc[r][1] = xsimd::fma(va, vb1, vacc[r][1]);
    }
  }

  for (size_t r = 0; r < mr; ++r) {
    float* c_row = c + r * c_stride;
    if (nc == NR) {
      (Batch::load_unaligned(c_row) + vacc[r][0]).store_unaligned(c_row);
      (Batch::load_unaligned(c_row + kLanes) + vacc[r][1]).store_unaligned(c_row + kLanes);
    } else {
      alignas(64) float tail[NR];
      vacc[r][0].store_unaligned(tail);
      vacc[r][1].store_unaligned(tail + kLanes);
      for (size_t n = 0; n < nc; ++n) c_row[n] += tail[n];
    }
  }
}

}  // namespace dcn::kernels
