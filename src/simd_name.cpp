#include "arch.h"
#include "deformconv.h"

namespace dcn {

const char* simd_name() {
#ifdef __wasm_simd128__
  return "wasm-simd128";
#else
  return arch_name();
#endif
}

}  // namespace dcn
