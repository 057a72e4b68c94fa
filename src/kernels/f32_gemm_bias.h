// f32 GEMM micro-kernel with bias, MR x NR tile, NR = 2 SIMD vectors (8 floats on SSE/WASM SIMD,
// 16 on AVX2, 32 on AVX-512):
//   C[r][n] = bias[n] + sum_k A[r][k] * B[k][n],   r < mr <= MR, n < nc <= NR
// A is row-major with a row stride (the im2col-like column tile); B is one packed weight panel:
// NR bias values, then kc rows of NR weights (see weight_packing.h). Rows past mr read the last valid row
// (their results are not stored) and columns past nc are zero in the panel, so the inner loop has no
// branch. Pure: no allocation, no threads.
#pragma once

#include <algorithm>
#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "kernels/f32_store_tile.h"

namespace dcn::kernels {

template <class Arch>
constexpr size_t gemm_nr() {
  return 2 * xsimd::batch<float, Arch>::size;
}

template <class Arch, size_t MR>
inline void f32_gemm_bias(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* packed,
                          float* c, size_t c_stride) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  constexpr size_t NR = 2 * kLanes;
  const float* a_row[MR];
  for (size_t r = 0; r < MR; ++r) a_row[r] = a + std::min(r, mr - 1) * a_stride;

  // vacc[r][0] holds columns 0..kLanes-1 of row r, vacc[r][1] the next kLanes.
  Batch vacc[MR][2];
  const Batch vbias0 = Batch::load_unaligned(packed);
  const Batch vbias1 = Batch::load_unaligned(packed + kLanes);
  for (size_t r = 0; r < MR; ++r) {
    vacc[r][0] = vbias0;
    vacc[r][1] = vbias1;
  }
  const float* w = packed + NR;
  for (size_t k = 0; k < kc; ++k) {
    const Batch vb0 = Batch::load_unaligned(w);
    const Batch vb1 = Batch::load_unaligned(w + kLanes);
    w += NR;
    for (size_t r = 0; r < MR; ++r) {
      const Batch va(a_row[r][k]);
      vacc[r][0] = xsimd::fma(va, vb0, vacc[r][0]);
      vacc[r][1] = xsimd::fma(va, vb1, vacc[r][1]);
    }
  }

  f32_store_tile<Arch, MR>(vacc, mr, nc, c, c_stride);
}

}  // namespace dcn::kernels
