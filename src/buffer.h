// An owned, 64-byte-aligned, uninitialised buffer that reports allocation failure instead of aborting:
// in WebAssembly a failed `new` would abort the module, so the core allocates through this and turns a null
// pointer into a Status.
// Every Buffer counts its bytes in a process-wide high-water mark, so the benchmark can report the peak
// workspace of a call as measured, not only as computed (buffer_peak_bytes()).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace dcn {

namespace buffer_stats {
inline std::atomic<int64_t> live_bytes{0};
inline std::atomic<int64_t> peak_bytes{0};
inline void add(int64_t bytes) {
  const int64_t now = live_bytes.fetch_add(bytes) + bytes;
  int64_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
}
}  // namespace buffer_stats

// Bytes held by Buffers now, and the most they held at once since the last reset_buffer_peak().
inline int64_t buffer_live_bytes() { return buffer_stats::live_bytes.load(); }
inline int64_t buffer_peak_bytes() { return buffer_stats::peak_bytes.load(); }
inline void reset_buffer_peak() { buffer_stats::peak_bytes.store(buffer_stats::live_bytes.load()); }

class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { release(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Allocates bytes (rounded up to 64); false when the memory is not available.
  bool allocate(uint64_t bytes) {
    release();
    const uint64_t rounded = (bytes + 63) / 64 * 64;
    if (rounded == 0 || rounded > SIZE_MAX) return rounded == 0;
    data_ = std::aligned_alloc(64, static_cast<size_t>(rounded));
    if (data_ == nullptr) return false;
    bytes_ = static_cast<int64_t>(rounded);
    buffer_stats::add(bytes_);
    return true;
  }
  // Frees the memory now rather than at destruction.
  void release() {
    std::free(data_);
    data_ = nullptr;
    buffer_stats::add(-bytes_);
    bytes_ = 0;
  }
  template <typename T>
  T* as() const { return static_cast<T*>(data_); }

 private:
  void* data_ = nullptr;
  int64_t bytes_ = 0;
};

}  // namespace dcn
