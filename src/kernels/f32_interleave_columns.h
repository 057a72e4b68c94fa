// f32 column interleaving micro-kernel: packs MR adjacent columns of a row-major block into the GEMM kernel's
// A layout,
//   dst[k * MR + r] = src[k * src_stride + min(r, columns - 1)],   k < depth, r < MR,
// i.e. the block's transpose (A's rows are the block's columns) interleaved MR wide. The backward pass uses it
// for grad_weight = go^T x col, whose A rows are output channels of the grad_output tile go (pixels x C_out):
// every pixel k contributes the MR channel values that already lie side by side in its row, so a whole
// group of MR columns is a contiguous copy per k. Columns past `columns` (the last tile of a weight group)
// repeat the last one: the GEMM computes those rows but does not store them (kernels/f32_gemm_kblock.h).
// Pure: no allocation, no threads.
#pragma once

#include <algorithm>
#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch, size_t MR>
inline void f32_interleave_columns(size_t columns, size_t depth, const float* src, size_t src_stride, float* dst) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  if (columns == MR) {
    for (size_t k = 0; k < depth; ++k, src += src_stride, dst += MR) {
      size_t r = 0;
      for (; r + kLanes <= MR; r += kLanes) Batch::load_unaligned(src + r).store_unaligned(dst + r);
      for (; r < MR; ++r) dst[r] = src[r];  // MR is a constant: the compiler unrolls this into vector moves
    }
    return;
  }
  for (size_t k = 0; k < depth; ++k, src += src_stride, dst += MR) {
    for (size_t r = 0; r < MR; ++r) dst[r] = src[std::min(r, columns - 1)];
  }
}

}  // namespace dcn::kernels
