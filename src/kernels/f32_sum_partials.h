// f32 partial-sum reduction micro-kernel: the sum of per-thread partial results, which are cleared on the way,
//   dst[i] = partials[0][first + i] + partials[1][first + i] + ... + partials[parts - 1][first + i],  i < count,
// added in that order, after which every partials[t][first + i] is 0. dst may be partials[0] + first itself
// (then it holds the sum and that partial is not cleared); it must not overlap any other partial.
// The backward pass sums the threads' grad_input accumulators of an image with it, leaving them zero for the
// next image in the same pass over memory, and the threads' grad_bias. Pure: no allocation, no threads.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch>
inline void f32_sum_partials(size_t count, size_t parts, float* const* partials, size_t first, float* dst) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  const Batch zero(0.0f);
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    float* part = partials[0] + first + i;
    Batch acc = Batch::load_unaligned(part);
    zero.store_unaligned(part);
    for (size_t t = 1; t < parts; ++t) {
      part = partials[t] + first + i;
      acc += Batch::load_unaligned(part);
      zero.store_unaligned(part);
    }
    acc.store_unaligned(dst + i);
  }
  for (; i < count; ++i) {
    float acc = partials[0][first + i];
    partials[0][first + i] = 0.0f;
    for (size_t t = 1; t < parts; ++t) {
      acc += partials[t][first + i];
      partials[t][first + i] = 0.0f;
    }
    dst[i] = acc;
  }
}

}  // namespace dcn::kernels
