// Transposes between channels-first (C, P) and channels-last (P, C) planes, in cache-sized blocks.
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace dcn {

// dst[p * dst_stride + c] = src[c * src_stride + p] for c < channels, p < pixels.
// Uses 4x4 SIMD register transposes where the build has 4-lane vectors.
void transpose_plane(const float* src, int64_t src_stride, int64_t channels, int64_t pixels, float* dst,
                     int64_t dst_stride);
// transpose_plane spread over the pool's threads, in pieces of 32 channels by up to 2048 pixels, so that a
// small image too gives every thread a share (the copy of an NCHW input to channels-last goes through here:
// the JS layer's copy-in, the native pass's own copy).
void transpose_plane_parallel(const float* src, int64_t src_stride, int64_t channels, int64_t pixels, float* dst,
                              int64_t dst_stride, ThreadPool& pool);
// The same, element by element (the edges of transpose_plane, and a reference for tests).
void transpose_plane_scalar(const float* src, int64_t src_stride, int64_t channels, int64_t pixels, float* dst,
                            int64_t dst_stride);

}  // namespace dcn
