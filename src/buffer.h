// An owned, 64-byte-aligned, uninitialised buffer that reports allocation failure instead of aborting:
// in WebAssembly a failed `new` would abort the module, so the core allocates through this and turns a null
// pointer into a Status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace dcn {

class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { std::free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Allocates bytes (rounded up to 64); false when the memory is not available.
  bool allocate(uint64_t bytes) {
    std::free(data_);
    data_ = nullptr;
    const uint64_t rounded = (bytes + 63) / 64 * 64;
    if (rounded == 0 || rounded > SIZE_MAX) return rounded == 0;
    data_ = std::aligned_alloc(64, static_cast<size_t>(rounded));
    return data_ != nullptr;
  }
  // Frees the memory now rather than at destruction.
  void release() {
    std::free(data_);
    data_ = nullptr;
  }
  template <typename T>
  T* as() const { return static_cast<T*>(data_); }

 private:
  void* data_ = nullptr;
};

}  // namespace dcn
