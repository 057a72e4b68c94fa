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

// Whether the GEMM's multiply-add is one instruction that accumulates in place (kernels/f32_madd.h): in the
// relaxed-SIMD WebAssembly builds (f32x4.relaxed_madd) and in native builds for a CPU with FMA; not in the
// plain WebAssembly SIMD builds (a multiply, then an add).
#if defined(__wasm_relaxed_simd__) || (!defined(__wasm_simd128__) && defined(__FMA__))
constexpr bool kFusedMultiplyAdd = true;
#else
constexpr bool kFusedMultiplyAdd = false;
#endif

// The GEMM micro-kernel of both passes (kernels/f32_gemm_kblock.h): MR rows x two SIMD vectors. The row
// count follows the register file and the multiply-add. WebAssembly SIMD (4 lanes) gets 15 allocatable xmm
// registers from V8 on x86. Without fused multiply-add every product needs a temporary, so 4 rows (8
// accumulators) is the most that stays in registers. With relaxed SIMD's (vfmadd231ps accumulates in place)
// 6 rows fit exactly: 12 accumulators, 2 vectors of B and the splat of A, no spill in the loop (read with
// node --print-wasm-code), and 12 independent chains where the FMA units' latency x throughput (4 x 2 on
// current x86) needs 8; measured against 4 and 5 rows in bench/NOTES.md. AVX2 (8 lanes, 16 ymm registers,
// FMA) takes 6 rows; AVX-512 (16 lanes, 32 zmm registers) 8.
constexpr size_t kGemmMR = xsimd::batch<float, Arch>::size == 4 ? (kFusedMultiplyAdd ? 6 : 4)
                           : xsimd::batch<float, Arch>::size == 8 ? 6
                                                                   : 8;
constexpr size_t kGemmNR = kernels::gemm_kblock_nr<Arch>();

// xsimd's name of the instruction set the kernels are compiled for: "sse4.1" in the WebAssembly builds, where
// SSE4.1 intrinsics become WebAssembly SIMD. simd_name() (simd_name.cpp) reports "wasm-simd128" there instead,
// which is what info().simdInstructions shows.
inline const char* arch_name() { return Arch::name(); }

}  // namespace dcn
