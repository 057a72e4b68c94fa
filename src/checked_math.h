// Checked size arithmetic: every element count and byte size of a call is computed through these helpers,
// once, before anything is allocated, so a shape whose product overflows is rejected instead of wrapping.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace dcn {

// Largest element count the core accepts for any one tensor or workspace: 2^31 - 1, so that every index
// fits a signed 32-bit integer on every build (WebAssembly has 32-bit pointers).
constexpr int64_t kMaxElements = INT32_MAX;

// a * b, or -1 when the product would exceed kMaxElements (or an operand is negative).
inline int64_t checked_mul(int64_t a, int64_t b) {
  if (a < 0 || b < 0) return -1;
  if (a == 0 || b == 0) return 0;
  if (a > kMaxElements / b) return -1;
  return a * b;
}

// Product of several factors, -1 on overflow.
inline int64_t checked_product(std::initializer_list<int64_t> factors) {
  int64_t result = 1;
  for (int64_t f : factors) {
    result = checked_mul(result, f);
    if (result < 0) return -1;
  }
  return result;
}

// a + b, or -1 on overflow past kMaxElements.
inline int64_t checked_add(int64_t a, int64_t b) {
  if (a < 0 || b < 0 || a > kMaxElements - b) return -1;
  return a + b;
}

}  // namespace dcn
