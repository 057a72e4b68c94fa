// f32 GEMM micro-kernel over one K block, MR x NR register tile, NR = 2 SIMD vectors (8 floats on
// SSE4.1 / WebAssembly SIMD, 16 on AVX2, 32 on AVX-512):
//   kInit = kFromBias:    C[r][n] = bias[n] + sum_k A[r][k] * B[k][n]
//   kInit = kAccumulate:  C[r][n] = C[r][n] + sum_k A[r][k] * B[k][n]          r < mr <= MR, n < nc <= NR
// The forward pass splits the reduction into blocks of a few hundred k so that one block of B (kc x NR
// floats, a slice of a packed weight panel) stays in L1 while every row tile of the pixel tile streams past
// it; the first block starts from the bias, the others add to what the earlier blocks stored.
// A is packed MR rows wide, A(r, k) = a[k * MR + r] (kernels/f32_interleave_rows.h), so one pointer and
// constant offsets address it; B is kc rows of NR floats, the columns past nc zero. Rows past mr hold
// copies of a valid row (their results are not stored), so the inner loop has no branch. Pure: no
// allocation, no threads.
//
// Why MR x 2 vectors and not more: plain WebAssembly SIMD has no fused multiply-add, so every k costs MR
// loads and splats of A, 2 loads of B, 2*MR multiplies and 2*MR adds, and x86 engines give WebAssembly 15
// allocatable xmm registers. V8 loads all MR splats of a k before their arithmetic when this loop shares its
// function with the initialisation and the partial store, so 4 x 8 (8 accumulators, 4 splats, 2 B vectors, a
// product) is the largest tile without spills; it runs at about 95% of the measured WASM SIMD peak inside
// the forward pass (bench/NOTES.md, where a 5 x 8 tile in a function of its own is also measured). The
// relaxed-SIMD builds multiply-add in place (kernels/f32_madd.h), which frees the products' registers: they
// run 6 x 8 (arch.h says why).
// Used by both passes: the forward's columns x weights, and the backward's d_col and grad_weight.
#pragma once

#include <algorithm>
#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "kernels/f32_madd.h"
#include "kernels/f32_store_tile.h"

namespace dcn::kernels {

enum class GemmInit { kFromBias, kAccumulate };

template <class Arch>
constexpr size_t gemm_kblock_nr() {
  return 2 * xsimd::batch<float, Arch>::size;
}

template <class Arch, size_t MR, GemmInit kInit>
inline void f32_gemm_kblock(size_t mr, size_t nc, size_t kc, const float* a, const float* b, const float* bias,
                            float* c, size_t c_stride) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  constexpr size_t NR = 2 * kLanes;
  // vacc[r][0] holds columns 0..kLanes-1 of row r, vacc[r][1] the next kLanes.
  Batch vacc[MR][2];
  if constexpr (kInit == GemmInit::kFromBias) {
    const Batch vbias0 = Batch::load_unaligned(bias), vbias1 = Batch::load_unaligned(bias + kLanes);
    for (size_t r = 0; r < MR; ++r) {
      vacc[r][0] = vbias0;
      vacc[r][1] = vbias1;
    }
  } else {
    for (size_t r = 0; r < MR; ++r) {
      const float* c_row = c + std::min(r, mr - 1) * c_stride;
      if (nc == NR) {
        vacc[r][0] = Batch::load_unaligned(c_row);
        vacc[r][1] = Batch::load_unaligned(c_row + kLanes);
      } else {
        alignas(64) float tail[NR] = {};
        std::copy(c_row, c_row + nc, tail);
        vacc[r][0] = Batch::load_aligned(tail);
        vacc[r][1] = Batch::load_aligned(tail + kLanes);
      }
    }
  }

  // Ends on a pointer comparison: no separate counter in the loop.
  for (const float* b_end = b + kc * NR; b != b_end; b += NR, a += MR) {
    const Batch vb0 = Batch::load_unaligned(b);
    const Batch vb1 = Batch::load_unaligned(b + kLanes);
    for (size_t r = 0; r < MR; ++r) {
      const Batch va(a[r]);
      vacc[r][0] = f32_madd<Arch>(va, vb0, vacc[r][0]);
      vacc[r][1] = f32_madd<Arch>(va, vb1, vacc[r][1]);
    }
  }

  f32_store_tile<Arch, MR>(vacc, mr, nc, c, c_stride);
}

}  // namespace dcn::kernels
