// f32 bilinear gather micro-kernel: one sample of the sampling plan applied to a run of channels.
//   dst[c] = w0 * corner0[c] + w1 * corner1[c] + w2 * corner2[c] + w3 * corner3[c],  c in [0, channels)
// The corners are channels-last pixel rows, so the loads are contiguous vectors. Pure: no allocation, no
// threads; the plan entry carries pointers already offset to the first channel of the run.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch>
inline void f32_bilinear_gather(size_t channels, const float* c0, const float* c1, const float* c2,
                                const float* c3, const float* weight, float* dst) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  const Batch vw0(weight[0]), vw1(weight[1]), vw2(weight[2]), vw3(weight[3]);
  size_t c = 0;
  for (; c + kLanes <= channels; c += kLanes) {
    Batch acc = Batch::load_unaligned(c0 + c) * vw0;
    acc = xsimd::fma(Batch::load_unaligned(c1 + c), vw1, acc);
    acc = xsimd::fma(Batch::load_unaligned(c2 + c), vw2, acc);
    acc = xsimd::fma(Batch::load_unaligned(c3 + c), vw3, acc);
    acc.store_unaligned(dst + c);
  }
  for (; c < channels; ++c) {
    dst[c] = c0[c] * weight[0] + c1[c] * weight[1] + c2[c] * weight[2] + c3[c] * weight[3];
  }
}

}  // namespace dcn::kernels
