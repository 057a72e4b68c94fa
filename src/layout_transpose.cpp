#include "layout_transpose.h"

#include <algorithm>

namespace dcn {

void transpose_plane(const float* src, int64_t src_stride, int64_t channels, int64_t pixels, float* dst,
                     int64_t dst_stride) {
  constexpr int64_t kBlock = 32;  // 32x32 floats = 4 KB read and written per block: stays in L1
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
