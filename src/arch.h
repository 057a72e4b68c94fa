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

// xsimd's name of the instruction set the kernels are compiled for: "sse4.1" in the WebAssembly builds, where
// SSE4.1 intrinsics become WebAssembly SIMD. simd_name() (simd_name.cpp) reports "wasm-simd128" there instead,
// which is what info().simdInstructions shows.
inline const char* arch_name() { return Arch::name(); }

}  // namespace dcn
