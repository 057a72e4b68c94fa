// The one place that decides which micro-kernel variants a build uses.
//
// xsimd picks the widest instruction set the compiler targets: AVX-512 or AVX2 natively (-march=native),
// SSE4.1 under Emscripten, where `-msimd128 -msse4.1` translates SSE intrinsics into WebAssembly SIMD
// (f32x4). A WebAssembly module with SIMD is rejected whole by an engine without it, so there is no runtime
// dispatch here: the JS loader picks the build.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "kernels/f32_gemm_bias.h"

namespace dcn {

using Arch = xsimd::default_arch;

constexpr size_t kGemmMR = 6;                          // rows of the GEMM register tile
constexpr size_t kGemmNR = kernels::gemm_nr<Arch>();  // columns: two SIMD vectors

// Name of the instruction set, as info() reports it ("sse4.1" means WebAssembly SIMD in the WASM builds).
inline const char* arch_name() { return Arch::name(); }

}  // namespace dcn
