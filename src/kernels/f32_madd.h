// f32 multiply-add of the micro-kernels, a * b + c, lane by lane, with the best instruction of each build:
// - the relaxed-SIMD WebAssembly builds (compiled with -mrelaxed-simd): f32x4.relaxed_madd, which engines run
//   as one fused multiply-add on CPUs that have one (x86 FMA3, Arm NEON) and as a multiply and an add
//   elsewhere (the proposal allows either rounding, and the tolerances of the tests cover both);
// - the plain WebAssembly SIMD builds: xsimd::fma, a multiply and an add (WebAssembly SIMD has no FMA);
// - native builds: xsimd::fma, one vfmadd with AVX2 / AVX-512 (-march=native).
//
// Toolchain note: clang 14 (Emscripten 3.1.6) spells the instruction __builtin_wasm_fma_f32x4 and emits the
// 2021 prototype's opcode, f32x4.fma (0xfd 0xaf 0x01); scripts/finalize-relaxed-simd.mjs turns it into the
// final f32x4.relaxed_madd (0xfd 0x85 0x02) after linking. The builtin's arguments are pushed in order and
// relaxed_madd(a, b, c) = a * b + c, so the call below keeps this function's meaning (docs/relaxed-simd.md).
#pragma once

#include <xsimd/xsimd.hpp>

namespace dcn::kernels {

template <class Arch>
inline xsimd::batch<float, Arch> f32_madd(const xsimd::batch<float, Arch>& a, const xsimd::batch<float, Arch>& b,
                                          const xsimd::batch<float, Arch>& c) {
#if defined(__wasm_relaxed_simd__)
  static_assert(xsimd::batch<float, Arch>::size == 4, "relaxed SIMD builds use 128-bit vectors");
  return xsimd::batch<float, Arch>(__builtin_wasm_fma_f32x4(a.data, b.data, c.data));
#else
  return xsimd::fma(a, b, c);
#endif
}

}  // namespace dcn::kernels
