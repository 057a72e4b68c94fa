// Node.js entry of deformconv-wasm/onnx (bundled to dist/onnx.cjs; dist/onnx.mjs re-exports it for
// `import`). This package's layers come from its main entry, through its public API only
// (scripts/build-js.mjs keeps '../api/node.js' as a require of './index.cjs', the package's own main bundle).
import { createDeformConv } from '../api/node.js';
import { loadModel } from './load-model.js';
import { InferenceSession, setPlatform } from './session.js';

const fs = require('fs');
const url = require('url');

async function readFile(pathOrFileUrl) {
  const file = /^file:/i.test(pathOrFileUrl) ? url.fileURLToPath(pathOrFileUrl) : pathOrFileUrl;
  try {
    const data = await fs.promises.readFile(file);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (e) {
    throw new Error(`could not read the model file ${file}: ${e.message}`, { cause: e });
  }
}

setPlatform({ createDeformConv, loadModel: (model) => loadModel(model, { readFile }) });

export { InferenceSession };
