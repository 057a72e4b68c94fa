// f32 row-sum micro-kernel: adds rows of a row-major block into one row,
//   dst[c] += src[0 * src_stride + c] + src[1 * src_stride + c] + ... ,   c < columns, rows rows,
// each row added in turn (so a column sums in the same order as a scalar loop over the rows). The backward
// pass sums the grad_output tile (pixels x C_out) into the thread's grad_bias with it: dst stays in
// registers across the rows, one vector of columns at a time. Pure: no allocation, no threads.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch>
inline void f32_add_rows(size_t rows, size_t columns, const float* src, size_t src_stride, float* dst) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  size_t c = 0;
  for (; c + kLanes <= columns; c += kLanes) {
    Batch acc = Batch::load_unaligned(dst + c);
    const float* row = src + c;
    for (size_t r = 0; r < rows; ++r, row += src_stride) acc += Batch::load_unaligned(row);
    acc.store_unaligned(dst + c);
  }
  for (; c < columns; ++c) {
    float acc = dst[c];
    const float* row = src + c;
    for (size_t r = 0; r < rows; ++r, row += src_stride) acc += *row;
    dst[c] = acc;
  }
}

}  // namespace dcn::kernels
