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

/**
 * A session of shape s. constantWeights: { weight, bias } held by the model as initializers (then run() feeds
 * only X, offset and mask); undefined: W and B are graph inputs, fed with every run.
 */
export async function createOrtWebSession(s, constantWeights) {
  const session = await ort.InferenceSession.create(deformConvModel(s, constantWeights), {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all',
  });
  return {
    async run(t) {
      const feed = (x) => new ort.Tensor('float32', x.data, x.shape);
      const feeds = { X: feed(t.input), offset: feed(t.offset), mask: feed(t.mask) };
      if (!constantWeights) Object.assign(feeds, { W: feed(t.weight), B: feed(t.bias) });
      const out = await session.run(feeds);
      return out.Y.data;
    },
    release: () => session.release(),
  };
}
