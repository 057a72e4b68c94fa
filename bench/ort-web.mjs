// onnxruntime-web's wasm backend (SIMD + threads) running the one-node DeformConv model of a shape, in Node.
// Its thread count is fixed when its WebAssembly module starts (env.wasm.numThreads), i.e. once per process:
// the benchmark runs one process per thread count (compare-wasm.mjs).
import { createRequire } from 'node:module';

import { deformConvModel } from './onnx-model.mjs';

const ort = createRequire(import.meta.url)('onnxruntime-web');

export function ortWebVersion() {
  return ort.env.versions.web;
}

/** Call once per process, before any session. */
export function setOrtWebThreads(threads) {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
}

export async function createOrtWebSession(s) {
  const session = await ort.InferenceSession.create(deformConvModel(s), {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all',
  });
  return {
    async run(t) {
      const feed = (x) => new ort.Tensor('float32', x.data, x.shape);
      const out = await session.run({ X: feed(t.input), W: feed(t.weight), offset: feed(t.offset), B: feed(t.bias), mask: feed(t.mask) });
      return out.Y.data;
    },
    release: () => session.release(),
  };
}
