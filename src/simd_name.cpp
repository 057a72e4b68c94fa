#include "arch.h"
#include "deformconv.h"

namespace dcn {

const char* simd_name() {
#if defined(__wasm_relaxed_simd__)
  return "wasm-relaxed-simd";  // WebAssembly SIMD with relaxed SIMD's fused multiply-add (kernels/f32_madd.h)
#elif defined(__wasm_simd128__)
  return "wasm-simd128";
#else
  return arch_name();
#endif
}

}  // namespace dcn
