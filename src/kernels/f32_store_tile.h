// Stores an MR x NR register tile (two SIMD vectors per row) to rows of C: the first mr rows, the first nc
// columns. Shared by the GEMM micro-kernels, so the partial-tile rule lives in one place.
#pragma once

#include <algorithm>
#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch, size_t MR>
inline void f32_store_tile(const xsimd::batch<float, Arch> (&vacc)[MR][2], size_t mr, size_t nc, float* c,
                           size_t c_stride) {
  constexpr size_t kLanes = xsimd::batch<float, Arch>::size;
  constexpr size_t NR = 2 * kLanes;
  for (size_t r = 0; r < mr; ++r) {
    float* c_row = c + r * c_stride;
    if (nc == NR) {
      vacc[r][0].store_unaligned(c_row);
      vacc[r][1].store_unaligned(c_row + kLanes);
    } else {
      alignas(64) float tail[NR];  // columns past nc are computed but not stored
      vacc[r][0].store_aligned(tail);
      vacc[r][1].store_aligned(tail + kLanes);
      std::copy(tail, tail + nc, c_row);
    }
  }
}

}  // namespace dcn::kernels
