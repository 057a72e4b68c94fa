// f32 depthwise deformable micro-kernel (one input channel per weight group, one output channel per group):
// the bilinear sample and the 1-deep "GEMM" fused, for one output pixel and a run of channels that share an
// offset group:
//   dst[c] = bias[c] + sum_tap weight[tap][c] * (w0 * corner0[c] + w1 * corner1[c] + w2 * corner2[c] + w3 * corner3[c])
// where (corner_k, w_k) is the plan entry of that tap. With a reduction of kh*kw per output channel a GEMM
// would waste its whole register tile, so the depthwise layer runs this instead: channels-last corners make
// every term a contiguous vector across channels.
// samples[tap * sample_stride] is the plan entry of tap; its corner pointers are pixel rows of the image and
// first_channel is added to them. weight is (taps, channels) with a row stride; bias may be null.
// Pure: no allocation, no threads.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "../sampling_plan.h"

namespace dcn::kernels {

template <class Arch>
inline void f32_bilinear_depthwise(size_t channels, size_t taps, const BilinearSample* samples, size_t sample_stride,
                                   size_t first_channel, const float* weight, size_t weight_stride,
                                   const float* bias, float* dst) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  for (size_t c = 0; c < channels; ++c) dst[c] = bias ? bias[c] : 0.0f;
  for (size_t tap = 0; tap < taps; ++tap) {
    const BilinearSample& e = samples[tap * sample_stride];
    const float* c0 = e.corner[0] + first_channel;
    const float* c1 = e.corner[1] + first_channel;
    const float* c2 = e.corner[2] + first_channel;
    const float* c3 = e.corner[3] + first_channel;
    const float* w = weight + tap * weight_stride;
    const Batch vw0(e.weight[0]), vw1(e.weight[1]), vw2(e.weight[2]), vw3(e.weight[3]);
    size_t c = 0;
    for (; c + kLanes <= channels; c += kLanes) {
      Batch v = Batch::load_unaligned(c0 + c) * vw0;
      v = xsimd::fma(Batch::load_unaligned(c1 + c), vw1, v);
      v = xsimd::fma(Batch::load_unaligned(c2 + c), vw2, v);
      v = xsimd::fma(Batch::load_unaligned(c3 + c), vw3, v);
      xsimd::fma(Batch::load_unaligned(w + c), v, Batch::load_unaligned(dst + c)).store_unaligned(dst + c);
    }
    for (; c < channels; ++c) {
      const float v = c0[c] * e.weight[0] + c1[c] * e.weight[1] + c2[c] * e.weight[2] + c3[c] * e.weight[3];
      dst[c] += w[c] * v;
    }
  }
}

}  // namespace dcn::kernels
