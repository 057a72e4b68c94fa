// WebAssembly feature detection with tiny hand-assembled modules, as onnxruntime-web and wasm-feature-detect do.
// A module that uses SIMD is rejected whole by an engine without it, so the check happens before loading.

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))
const SIMD_TEST = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_TEST);
  } catch {
    return false;
  }
}
