// Browser entry point (bundled to dist/browser.mjs). Loads the ES-module Emscripten builds from dist/wasm/:
// the threaded one when the page is cross-origin isolated (SharedArrayBuffer usable), else the SIMD-only one.
import { createDeformConvOn, DeformConv, VERSION } from './deform-conv.js';
import { wasmSimdSupported } from './feature-detect.js';
import { layouts } from './layouts.js';

let warned = false;
const platform = {
  defaultThreads: () => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1,
  threadsUsable: () => typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true,
  simdSupported: wasmSimdSupported,
  warn: (message) => {
    if (!warned) console.warn(message);
    warned = true;
  },
  async loadModule(build, pthreadPoolSize) {
    const url = new URL(`./wasm/deformconv-${build}-web.mjs`, import.meta.url).href;
    const { default: factory } = await import(/* @vite-ignore */ url);
    return factory({ pthreadPoolSize });
  },
};

/** Creates an instance; see README.md and index.d.ts. */
export function createDeformConv(options) {
  return createDeformConvOn(platform, options);
}

export { DeformConv, layouts, VERSION as version };
