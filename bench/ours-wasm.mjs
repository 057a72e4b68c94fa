// Our forward pass through the public JS API (dist/index.cjs, the threaded WebAssembly build: the plain one, or
// with relaxedSimd its relaxed-SIMD form, which needs Node.js 22+), one instance per thread count. A call is timed as a user sees it: arguments checked, tensors copied into WebAssembly
// memory (the input channels-last), forward pass, output copied out.
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { ROOT } from './paths.mjs';

const { createDeformConv } = createRequire(import.meta.url)(join(ROOT, 'dist', 'index.cjs'));

/**
 * wasmBuild: 'threads' (the benchmark's builds, at any thread count) or 'simd' (as a page without isolation runs);
 * relaxedSimd: the relaxed-SIMD form of that build (Node.js 26; Node.js 20 has none).
 */
export async function createOurs(threads, { relaxedSimd = false, wasmBuild = 'threads' } = {}) {
  const dc = await createDeformConv({ backend: 'wasm', wasmBuild, threads, relaxedSimd });
  return {
    info: dc.info(),
    /** t: makeTensors() result. Returns the output Float32Array. */
    async run(t, s) {
      const y = await dc.deformConv2d(t.input, t.offset, t.weight, {
        bias: t.bias, mask: t.mask, stride: s.stride, padding: s.pad, dilation: s.dilation,
      });
      return y.data;
    },
    /**
     * A prepared layer of shape s with t's weight and bias (weights copied and packed once, at its first
     * call): { run(t) -> output Float32Array, dispose() }.
     */
    async prepare(t, s) {
      const layer = await dc.prepareDeformConv2d(t.weight, { bias: t.bias, stride: s.stride, padding: s.pad, dilation: s.dilation });
      return {
        run: async (x) => (await layer.forward(x.input, x.offset, { mask: x.mask })).data,
        dispose: () => layer.dispose(),
      };
    },
    /** Bytes of the last call: the core's peak workspace and the input's staging block. */
    lastMemory: () => dc._runner.wasm.lastForwardMemoryStats(),
    /** Current size of the WebAssembly memory. */
    heapBytes: () => dc._runner.wasm.heapF32().byteLength,
    dispose: () => dc.dispose(),
  };
}
