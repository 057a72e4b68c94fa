// onnxruntime-node (native CPU execution provider) running the one-node DeformConv model of a shape, with
// intra-op threads set per session.
import { createRequire } from 'node:module';

import { deformConvModel } from './onnx-model.mjs';

const require = createRequire(import.meta.url);

export function ortNodeVersion() {
  return require('onnxruntime-node').env.versions.node;
}

export async function createOrtNodeSession(s, threads) {
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(Buffer.from(deformConvModel(s)), {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
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
