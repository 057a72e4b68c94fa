// f32 bilinear scatter-dot micro-kernel: the backward of one sample of the sampling plan over a run of channels.
// With d the column gradient of the sample (one float per channel):
//   grad_k[c] += weight[k] * d[c]               (grad_input, four corner rows)
//   dot[k]    += sum_c d[c] * corner_k[c]       (for the offset and mask gradients)
// for k = 0..3 and c in [0, channels). The rows are channels-last, so every access is a contiguous vector;
// d is read once for all eight products. The grad rows may alias each other (several corners of a sample
// may share the sink row), so each row is loaded after the previous one is stored. Pure: no allocation, no
// threads.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch>
inline void f32_bilinear_scatter_dot(size_t channels, const float* d, const float* c0, const float* c1,
                                     const float* c2, const float* c3, float* g0, float* g1, float* g2, float* g3,
                                     const float* weight, float* dot) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  const Batch vw0(weight[0]), vw1(weight[1]), vw2(weight[2]), vw3(weight[3]);
  Batch vdot0(0.0f), vdot1(0.0f), vdot2(0.0f), vdot3(0.0f);
  size_t c = 0;
  for (; c + kLanes <= channels; c += kLanes) {
    const Batch vd = Batch::load_unaligned(d + c);
    vdot0 = xsimd::fma(vd, Batch::load_unaligned(c0 + c), vdot0);
    vdot1 = xsimd::fma(vd, Batch::load_unaligned(c1 + c), vdot1);
    vdot2 = xsimd::fma(vd, Batch::load_unaligned(c2 + c), vdot2);
    vdot3 = xsimd::fma(vd, Batch::load_unaligned(c3 + c), vdot3);
    xsimd::fma(vd, vw0, Batch::load_unaligned(g0 + c)).store_unaligned(g0 + c);
    xsimd::fma(vd, vw1, Batch::load_unaligned(g1 + c)).store_unaligned(g1 + c);
    xsimd::fma(vd, vw2, Batch::load_unaligned(g2 + c)).store_unaligned(g2 + c);
    xsimd::fma(vd, vw3, Batch::load_unaligned(g3 + c)).store_unaligned(g3 + c);
  }
  float dot0 = xsimd::hadd(vdot0), dot1 = xsimd::hadd(vdot1), dot2 = xsimd::hadd(vdot2), dot3 = xsimd::hadd(vdot3);
  for (; c < channels; ++c) {
    const float dc = d[c];
    dot0 += dc * c0[c];
    dot1 += dc * c1[c];
    dot2 += dc * c2[c];
    dot3 += dc * c3[c];
    g0[c] += weight[0] * dc;
    g1[c] += weight[1] * dc;
    g2[c] += weight[2] * dc;
    g3[c] += weight[3] * dc;
  }
  dot[0] += dot0;
  dot[1] += dot1;
  dot[2] += dot2;
  dot[3] += dot3;
}

}  // namespace dcn::kernels
