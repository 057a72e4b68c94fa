// f32 bilinear gather micro-kernel over adjacent runs of channels that go to different places: one sample of
// the sampling plan applied to `chunks` consecutive runs of `chunk` channels, run q written dst_stride apart,
//   dst[q * dst_stride + c] = w0 * c0[i] + w1 * c1[i] + w2 * c2[i] + w3 * c3[i],  i = q * chunk + c,
// for q < chunks, c < chunk. The forward pass gathers the columns of several narrow weight groups in one call
// this way: their input channels are adjacent in the channels-last image, while each group's columns live in
// a block of their own. One call serves them all (the weights broadcast once, one plan entry read), where one
// call per group spent most of its time outside the few channels it computed. Runs shorter than a vector (1,
// 2, or 4 channels when it has more lanes) are computed a whole vector of channels at a time, each lane then
// stored where its run goes. A single run is kernels/f32_bilinear_gather.h. Pure: no allocation, no threads.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

namespace gather_chunks_detail {

// Runs of kChunk channels, kChunk dividing the vector: returns how many runs it did (a multiple of the runs
// per vector); the caller does the rest.
template <class Arch, size_t kChunk>
inline size_t short_runs(size_t chunks, const float* c0, const float* c1, const float* c2, const float* c3,
                         const xsimd::batch<float, Arch> (&vw)[4], float* dst, size_t dst_stride) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size, kRuns = kLanes / kChunk;
  size_t q = 0;
  for (; q + kRuns <= chunks; q += kRuns) {
    const size_t i = q * kChunk;
    Batch acc = Batch::load_unaligned(c0 + i) * vw[0];
    acc = xsimd::fma(Batch::load_unaligned(c1 + i), vw[1], acc);
    acc = xsimd::fma(Batch::load_unaligned(c2 + i), vw[2], acc);
    acc = xsimd::fma(Batch::load_unaligned(c3 + i), vw[3], acc);
    alignas(64) float lanes[kLanes];
    acc.store_aligned(lanes);
    for (size_t r = 0; r < kRuns; ++r) {
      for (size_t c = 0; c < kChunk; ++c) dst[(q + r) * dst_stride + c] = lanes[r * kChunk + c];
    }
  }
  return q;
}

}  // namespace gather_chunks_detail

template <class Arch>
inline void f32_bilinear_gather_chunks(size_t chunks, size_t chunk, const float* c0, const float* c1, const float* c2,
                                       const float* c3, const float* weight, float* dst, size_t dst_stride) {
  using Batch = xsimd::batch<float, Arch>;
  constexpr size_t kLanes = Batch::size;
  const Batch vw[4] = {Batch(weight[0]), Batch(weight[1]), Batch(weight[2]), Batch(weight[3])};
  size_t q = 0;
  if (chunk == 1) {
    q = gather_chunks_detail::short_runs<Arch, 1>(chunks, c0, c1, c2, c3, vw, dst, dst_stride);
  } else if (chunk == 2) {
    q = gather_chunks_detail::short_runs<Arch, 2>(chunks, c0, c1, c2, c3, vw, dst, dst_stride);
  } else if constexpr (kLanes > 4) {
    if (chunk == 4) q = gather_chunks_detail::short_runs<Arch, 4>(chunks, c0, c1, c2, c3, vw, dst, dst_stride);
  }
  for (; q < chunks; ++q) {
    const size_t i0 = q * chunk;
    float* out = dst + q * dst_stride;
    size_t c = 0;
    for (; c + kLanes <= chunk; c += kLanes) {
      const size_t i = i0 + c;
      Batch acc = Batch::load_unaligned(c0 + i) * vw[0];
      acc = xsimd::fma(Batch::load_unaligned(c1 + i), vw[1], acc);
      acc = xsimd::fma(Batch::load_unaligned(c2 + i), vw[2], acc);
      acc = xsimd::fma(Batch::load_unaligned(c3 + i), vw[3], acc);
      acc.store_unaligned(out + c);
    }
    for (; c < chunk; ++c) {
      const size_t i = i0 + c;
      out[c] = c0[i] * weight[0] + c1[i] * weight[1] + c2[i] * weight[2] + c3[i] * weight[3];
    }
  }
}

}  // namespace dcn::kernels
