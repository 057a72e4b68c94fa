// The one place that decides which micro-kernel variants a build uses.
//
// xsimd picks the widest instruction set the compiler targets: AVX-512 or AVX2 natively (-march=native),
// SSE4.1 under Emscripten, where `-msimd128 -msse4.1` translates SSE intrinsics into WebAssembly SIMD
// (f32x4). A WebAssembly module with SIMD is rejected whole by an engine without it, so there is no runtime
// dispatch here: the JS loader picks the build.
#pragma once

#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "kernels/f32_gemm_kblock.h"

namespace dcn {

using Arch = xsimd::default_arch;

// The GEMM micro-kernel of both passes (kernels/f32_gemm_kblock.h): MR rows x two SIMD vectors. The row
// count follows the register file: WebAssembly SIMD (4 lanes) has 16 xmm registers in x86 engines and no fused multiply-add, so
// 4 rows (8 accumulators) is the most that stays in registers; AVX2 (8 lanes, 16 ymm registers, FMA) takes 6;
// AVX-512 (16 lanes, 32 zmm registers) 8.
constexpr size_t kGemmMR = xsimd::batch<float, Arch>::size == 4 ? 4 : xsimd::batch<float, Arch>::size == 8 ? 6 : 8;
constexpr size_t kGemmNR = kernels::gemm_kblock_nr<Arch>();

// Name of the instruction set, as info() reports it ("sse4.1" means WebAssembly SIMD in the WASM builds).
inline const char* arch_name() { return Arch::name(); }

}  // namespace dcn
