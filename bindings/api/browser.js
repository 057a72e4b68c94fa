// Browser entry point (bundled to dist/browser.mjs). Loads the ES-module Emscripten builds from dist/wasm/:
// the threaded one when the page is cross-origin isolated (SharedArrayBuffer usable), else the SIMD-only one,
// each in its relaxed-SIMD form where the browser validates relaxed SIMD (Chromium, Firefox; not Safari).
// Works in pages and in Web Workers, served as is or through a bundler. On a page's main thread the instance
// runs, by default, in the proxy's module Web Worker (dist/proxy-worker.mjs, bindings/proxy/), which imports
// the builds from the URLs this bundle gives it.
import { createDeformConvOn } from './backend-choice.js';
import { DeformConv, VERSION } from './deform-conv.js';
import { wasmRelaxedSimdSupported, wasmSimdSupported } from './feature-detect.js';
import { layouts } from './layouts.js';

// One literal import() per build, kept as is in dist/browser.mjs (scripts/build-js.mjs marks ./wasm/ external):
// a bundler (Vite, webpack, esbuild) follows them to the Emscripten modules, and from those, through their own
// new URL('<name>.wasm', import.meta.url) and new Worker(new URL(...)), to the .wasm files and the pthread worker.
const WEB_BUILDS = {
  threads: () => import('./wasm/deformconv-threads-web.mjs'),
  simd: () => import('./wasm/deformconv-simd-web.mjs'),
  // The same with relaxed SIMD's fused multiply-add, where the engine validates it (Chromium, Firefox).
  'threads-relaxed': () => import('./wasm/deformconv-threads-relaxed-web.mjs'),
  'simd-relaxed': () => import('./wasm/deformconv-simd-relaxed-web.mjs'),
  // The validator alone, without SIMD: for the WebGPU backend on an engine without WebAssembly SIMD.
  validate: () => import('./wasm/deformconv-validate-web.mjs'),
};

const warned = new Set(); // each message once
const platform = {
  context: typeof document === 'object' && typeof window === 'object' ? 'page' : 'worker',
  logicalCores: () => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1,
  threadsUsable: () => typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true,
  simdSupported: wasmSimdSupported,
  relaxedSimdSupported: wasmRelaxedSimdSupported,
  warn: (message) => {
    if (!warned.has(message)) console.warn(message);
    warned.add(message);
  },
  async loadModule(build, pthreadPoolSize) {
    const { default: factory } = await WEB_BUILDS[build]();
    return factory({ pthreadPoolSize });
  },
  // The proxy's worker. The literal new URL(..., import.meta.url) with { type: 'module' } is what bundlers look
  // for (Vite bundles the worker script with its own defaults); the name shows in the browser's developer tools.
  startProxyWorker: typeof Worker !== 'function' ? undefined : () => new Worker(new URL('./proxy-worker.mjs', import.meta.url), { type: 'module', name: 'deformconv-wasm' }),
  // Where the module of a build is: the URL of the file or chunk the literal import() above loads
  // (bindings/wasm/module-url.js exports it), which the worker imports in turn.
  async moduleUrl(build) {
    const { moduleUrl } = await WEB_BUILDS[build]();
    if (typeof moduleUrl !== 'string') {
      throw new Error(`dist/wasm/deformconv-${build}-web.mjs does not export its moduleUrl: it is not the build of this version of the package`);
    }
    return moduleUrl;
  },
};

/** Creates an instance; see README.md and index.d.ts. */
export function createDeformConv(options) {
  return createDeformConvOn(platform, options);
}

export { DeformConv, layouts, VERSION as version };
