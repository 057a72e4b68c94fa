// f32 depthwise deformable backward micro-kernel (one input and one output channel per weight group): for
// one output pixel, one tap and a run of channels of one offset group, everything the backward pass needs
// from that sample, fused, with g = grad_output of the pixel (one float per channel) and W = the tap's
// weights (one per channel):
//   value[c]        = w0 * corner0[c] + w1 * corner1[c] + w2 * corner2[c] + w3 * corner3[c]   (the forward's
//                     sample; weight[0], i.e. 0 or NaN, when the sample is outside the value window)
//   grad_weight[c] += g[c] * value[c]                                   (this tap's weight gradient)
//   d[c]            = g[c] * W[c]                                       (the sample's column gradient)
//   grad_k[c]      += weight[k] * d[c],   dot[k] += sum_c d[c] * corner_k[c]   (as f32_bilinear_scatter_dot)
// The GEMM path of a depthwise layer would multiply 1 x 1 matrices (C_in/groups = C_out/groups = 1) and cut
// the channels at every weight group, i.e. into runs of one channel; here every term is a contiguous vector
// across the channels of the offset group (channels-last corners, grad_output rows, and the weights and
// their gradient as (taps, C) tables).
// The grad rows may alias each other (several corners may share the sink row), so each row is loaded after
// the previous one is stored. Pure: no allocation, no threads.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "../sampling_plan.h"

namespace dcn::kernels {

template <class Arch>
inline void f32_bilinear_depthwise_backward(size_t channels, const BilinearGradSample& e, size_t first_channel,
                                            const float* grad_out, const float* weight, float* grad_weight,
                                            float* dot) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  const float* c0 = e.corner[0] + first_channel;
  const float* c1 = e.corner[1] + first_channel;
  const float* c2 = e.corner[2] + first_channel;
  const float* c3 = e.corner[3] + first_channel;
  float* g0 = e.grad_corner[0] + first_channel;
  float* g1 = e.grad_corner[1] + first_channel;
  float* g2 = e.grad_corner[2] + first_channel;
  float* g3 = e.grad_corner[3] + first_channel;
  const bool inside = e.value_inside;
  const Batch vw0(e.weight[0]), vw1(e.weight[1]), vw2(e.weight[2]), vw3(e.weight[3]);
  Batch vdot0(0.0f), vdot1(0.0f), vdot2(0.0f), vdot3(0.0f);
  size_t c = 0;
  for (; c + kLanes <= channels; c += kLanes) {
    const Batch vc0 = Batch::load_unaligned(c0 + c), vc1 = Batch::load_unaligned(c1 + c);
    const Batch vc2 = Batch::load_unaligned(c2 + c), vc3 = Batch::load_unaligned(c3 + c);
    Batch value = vw0;
    if (inside) {
      value = vc0 * vw0;
      value = xsimd::fma(vc1, vw1, value);
      value = xsimd::fma(vc2, vw2, value);
      value = xsimd::fma(vc3, vw3, value);
    }
    const Batch vg = Batch::load_unaligned(grad_out + c);
    xsimd::fma(vg, value, Batch::load_unaligned(grad_weight + c)).store_unaligned(grad_weight + c);
    const Batch vd = vg * Batch::load_unaligned(weight + c);
    vdot0 = xsimd::fma(vd, vc0, vdot0);
    vdot1 = xsimd::fma(vd, vc1, vdot1);
    vdot2 = xsimd::fma(vd, vc2, vdot2);
    vdot3 = xsimd::fma(vd, vc3, vdot3);
    xsimd::fma(vd, vw0, Batch::load_unaligned(g0 + c)).store_unaligned(g0 + c);
    xsimd::fma(vd, vw1, Batch::load_unaligned(g1 + c)).store_unaligned(g1 + c);
    xsimd::fma(vd, vw2, Batch::load_unaligned(g2 + c)).store_unaligned(g2 + c);
    xsimd::fma(vd, vw3, Batch::load_unaligned(g3 + c)).store_unaligned(g3 + c);
  }
  float dot0 = xsimd::hadd(vdot0), dot1 = xsimd::hadd(vdot1), dot2 = xsimd::hadd(vdot2), dot3 = xsimd::hadd(vdot3);
  for (; c < channels; ++c) {
    const float value = inside ? c0[c] * e.weight[0] + c1[c] * e.weight[1] + c2[c] * e.weight[2] + c3[c] * e.weight[3]
                               : e.weight[0];
    grad_weight[c] += grad_out[c] * value;
    const float dc = grad_out[c] * weight[c];
    dot0 += dc * c0[c];
    dot1 += dc * c1[c];
    dot2 += dc * c2[c];
    dot3 += dc * c3[c];
    g0[c] += e.weight[0] * dc;
    g1[c] += e.weight[1] * dc;
    g2[c] += e.weight[2] * dc;
    g3[c] += e.weight[3] * dc;
  }
  dot[0] += dot0;
  dot[1] += dot1;
  dot[2] += dot2;
  dot[3] += dot3;
}

}  // namespace dcn::kernels
