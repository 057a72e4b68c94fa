#include "layout_transpose.h"

#include <algorithm>
#include <type_traits>

#include <xsimd/xsimd.hpp>

namespace dcn {

namespace {

using Batch4 = xsimd::make_sized_batch_t<float, 4>;  // SSE / WebAssembly SIMD / NEON; void if none

// dst[p * dst_stride + c] = src[c * src_stride + p] for a 4x4 block.
template <class B>
inline void transpose_4x4(const float* src, int64_t src_stride, float* dst, int64_t dst_stride) {
  const B a = B::load_unaligned(src), b = B::load_unaligned(src + src_stride);
  const B c = B::load_unaligned(src + 2 * src_stride), d = B::load_unaligned(src + 3 * src_stride);
  const B ac_lo = xsimd::zip_lo(a, c), bd_lo = xsimd::zip_lo(b, d);
  const B ac_hi = xsimd::zip_hi(a, c), bd_hi = xsimd::zip_hi(b, d);
  xsimd::zip_lo(ac_lo, bd_lo).store_unaligned(dst);
  xsimd::zip_hi(ac_lo, bd_lo).store_unaligned(dst + dst_stride);
  xsimd::zip_lo(ac_hi, bd_hi).store_unaligned(dst + 2 * dst_stride);
  xsimd::zip_hi(ac_hi, bd_hi).store_unaligned(dst + 3 * dst_stride);
}

}  // namespace

void transpose_plane(const float* src, int64_t src_stride, int64_t channels, int64_t pixels, float* dst,
                     int64_t dst_stride) {
  constexpr int64_t kBlock = 32;  // 32x32 floats = 4 KB read and written per block: stays in L1
  if constexpr (!std::is_void_v<Batch4>) {
    // 4x4 register transposes over the 32x32 blocks (the copy-in of every NCHW input and the store of every
    // NCHW output go through here), then the scalar loops below for the ragged edges.
    const int64_t channels4 = channels / 4 * 4, pixels4 = pixels / 4 * 4;
    for (int64_t c0 = 0; c0 < channels4; c0 += kBlock) {
      const int64_t c1 = std::min(channels4, c0 + kBlock);
      for (int64_t p0 = 0; p0 < pixels4; p0 += kBlock) {
        const int64_t p1 = std::min(pixels4, p0 + kBlock);
        for (int64_t c = c0; c < c1; c += 4) {
          for (int64_t p = p0; p < p1; p += 4) {
            transpose_4x4<Batch4>(src + c * src_stride + p, src_stride, dst + p * dst_stride + c, dst_stride);
          }
        }
      }
    }
    if (channels4 < channels) transpose_plane_scalar(src + channels4 * src_stride, src_stride, channels - channels4, pixels, dst + channels4, dst_stride);
    if (pixels4 < pixels) transpose_plane_scalar(src + pixels4, src_stride, channels4, pixels - pixels4, dst + pixels4 * dst_stride, dst_stride);
    return;
  }
  transpose_plane_scalar(src, src_stride, channels, pixels, dst, dst_stride);
}

void transpose_plane_parallel(const float* src, int64_t src_stride, int64_t channels, int64_t pixels, float* dst,
                              int64_t dst_stride, ThreadPool& pool) {
  constexpr int64_t kPieceChannels = 32, kPiecePixels = 2048;
  const int64_t channel_pieces = (channels + kPieceChannels - 1) / kPieceChannels;
  const int64_t pixel_pieces = (pixels + kPiecePixels - 1) / kPiecePixels;
  pool.parallel_for(channel_pieces * pixel_pieces, [&](int64_t piece, int) {
    const int64_t c0 = piece / pixel_pieces * kPieceChannels, p0 = piece % pixel_pieces * kPiecePixels;
    transpose_plane(src + c0 * src_stride + p0, src_stride, std::min(kPieceChannels, channels - c0),
                    std::min(kPiecePixels, pixels - p0), dst + p0 * dst_stride + c0, dst_stride);
  });
}

void transpose_plane_scalar(const float* src, int64_t src_stride, int64_t channels, int64_t pixels, float* dst,
                            int64_t dst_stride) {
  constexpr int64_t kBlock = 32;
  // The inner loop runs along the side whose rows lie far apart: 32 rows a large power-of-two stride apart
  // map to the same L1 set and evict each other, so those rows are read (or written) one at a time,
  // contiguously, while the other side's 32 rows are close together.
  const bool src_rows_far = src_stride >= dst_stride;
  for (int64_t c0 = 0; c0 < channels; c0 += kBlock) {
    const int64_t c1 = std::min(channels, c0 + kBlock);
    for (int64_t p0 = 0; p0 < pixels; p0 += kBlock) {
      const int64_t p1 = std::min(pixels, p0 + kBlock);
      if (src_rows_far) {
        for (int64_t c = c0; c < c1; ++c) {
          for (int64_t p = p0; p < p1; ++p) dst[p * dst_stride + c] = src[c * src_stride + p];
        }
      } else {
        for (int64_t p = p0; p < p1; ++p) {
          for (int64_t c = c0; c < c1; ++c) dst[p * dst_stride + c] = src[c * src_stride + p];
        }
      }
    }
  }
}

}  // namespace dcn
