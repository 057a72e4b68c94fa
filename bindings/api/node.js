// Node.js entry point (bundled to dist/index.cjs; dist/index.mjs re-exports it for `import`).
// Loads the CommonJS Emscripten modules from dist/wasm/ and hands them the .wasm bytes directly:
// Emscripten 3.1.6 would otherwise try fetch() on a file path in Node 20 and fail.
import { createDeformConvOn } from './backend-choice.js';
import { DeformConv, VERSION } from './deform-conv.js';
import { wasmRelaxedSimdSupported, wasmSimdSupported } from './feature-detect.js';
import { layouts } from './layouts.js';

const fs = require('fs');
const os = require('os');
const path = require('path');

const warned = new Set(); // each message once
const platform = {
  context: 'node', // no proxy: calls run on the calling thread (see backend-choice.js)
  logicalCores: () => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length) || 1,
  threadsUsable: () => typeof SharedArrayBuffer === 'function',
  simdSupported: wasmSimdSupported,
  relaxedSimdSupported: wasmRelaxedSimdSupported,
  warn: (message) => {
    if (!warned.has(message)) console.warn(message);
    warned.add(message);
  },
  async loadModule(build, pthreadPoolSize) {
    const base = path.join(__dirname, 'wasm', `deformconv-${build}-node`);
    const factory = require(`${base}.cjs`);
    return factory({ wasmBinary: fs.readFileSync(`${base}.wasm`), pthreadPoolSize });
  },
};

/** Creates an instance; see README.md and index.d.ts. */
export function createDeformConv(options) {
  return createDeformConvOn(platform, options);
}

export { DeformConv, layouts, VERSION as version };
