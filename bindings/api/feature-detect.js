// WebAssembly feature detection with tiny hand-assembled modules, as onnxruntime-web and wasm-feature-detect do.
// A module that uses SIMD (or relaxed SIMD) is rejected whole by an engine without it, so the check happens
// before loading.

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))
const SIMD_TEST = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// (module (func (param v128) (result v128) local.get 0 local.get 0 local.get 0 f32x4.relaxed_madd))
// f32x4.relaxed_madd is 0xfd 0x85 0x02, the opcode the relaxed builds' GEMM kernel uses (not the 2021
// prototype's 0xfd 0xaf 0x01, which engines no longer accept).
const RELAXED_SIMD_TEST = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 0, 32, 0,
  253, 133, 2, 11,
]);

function validates(bytes) {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

export function wasmSimdSupported() {
  return validates(SIMD_TEST);
}

/** Relaxed SIMD's fused multiply-add: Chromium 114+, Firefox 145+, Node.js 22+; not Safari, not Node.js 20. */
export function wasmRelaxedSimdSupported() {
  return validates(RELAXED_SIMD_TEST);
}
