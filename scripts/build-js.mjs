// Bundles the JS API (bindings/api/, with the backends of bindings/wasm/ and bindings/webgpu/ and its WGSL kernels)
// into dist/: index.cjs (Node, require), index.mjs (Node, import), browser.mjs (browsers and bundlers) with
// proxy-worker.mjs beside it (the proxy's Web Worker, bindings/proxy/), and copies the TypeScript declarations
// (index.d.ts for require, index.d.mts for import). The ONNX entry (deformconv-wasm/onnx, bindings/onnx/) goes to
// onnx.cjs, onnx.mjs and onnx-browser.mjs, which use the main bundles through their public exports (one copy of
// the API, one set of WebAssembly modules).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import bundle from './bundle-options.cjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });
const banner = { js: '// deformconv-wasm: generated from bindings/ by scripts/build-js.mjs. Do not edit.' };
// The WebGPU kernels as strings, the version from package.json.
const shared = bundle.bundleOptions();

await build({
  entryPoints: [join(root, 'bindings/api/node.js')],
  outfile: join(dist, 'index.cjs'),
  bundle: true, format: 'cjs', platform: 'node', target: 'node20', banner, logLevel: 'warning', ...shared,
});
await build({
  entryPoints: [join(root, 'bindings/api/browser.js')],
  outfile: join(dist, 'browser.mjs'),
  bundle: true, format: 'esm', platform: 'browser', target: 'es2020', banner, logLevel: 'warning', ...shared,
  // The Emscripten modules stay separate files next to the bundle, imported by relative path (see browser.js).
  external: ['./wasm/*'],
});
// The proxy's worker, found by browser.mjs as new URL('./proxy-worker.mjs', import.meta.url): one self-contained
// script without import() (it imports the Emscripten modules from URLs the page sends), so that a bundler can
// build it in any worker format.
await build({
  entryPoints: [join(root, 'bindings/proxy/worker.js')],
  outfile: join(dist, 'proxy-worker.mjs'),
  bundle: true, format: 'esm', platform: 'browser', target: 'es2020', banner, logLevel: 'warning', ...shared,
});
// Node's `import`: the CommonJS bundle through createRequire, so both forms share one implementation. Named
// exports only, as in every entry point (a default export would exist in some and not in others).
writeFileSync(join(dist, 'index.mjs'), `${banner.js}
import { createRequire } from 'node:module';
const api = createRequire(import.meta.url)('./index.cjs');
export const createDeformConv = api.createDeformConv;
export const layouts = api.layouts;
export const DeformConv = api.DeformConv;
export const version = api.version;
`);
// The same declarations for require (index.d.ts) and for import (index.d.mts): TypeScript reads a .d.ts of this
// CommonJS package as CommonJS, and would then let an ES module import a default export that is not there.
copyFileSync(join(root, 'bindings/index.d.ts'), join(dist, 'index.d.ts'));
copyFileSync(join(root, 'bindings/index.d.ts'), join(dist, 'index.d.mts'));

// deformconv-wasm/onnx: its imports of the package's entry points stay imports of the main bundles.
const mainBundle = (file) => ({
  name: 'main-bundle',
  setup(b) {
    b.onResolve({ filter: /\/api\/(node|browser)\.js$/ }, () => ({ path: file, external: true }));
  },
});
await build({
  entryPoints: [join(root, 'bindings/onnx/node.js')],
  outfile: join(dist, 'onnx.cjs'),
  bundle: true, format: 'cjs', platform: 'node', target: 'node20', banner, logLevel: 'warning', plugins: [mainBundle('./index.cjs')],
});
await build({
  entryPoints: [join(root, 'bindings/onnx/browser.js')],
  outfile: join(dist, 'onnx-browser.mjs'),
  bundle: true, format: 'esm', platform: 'browser', target: 'es2020', banner, logLevel: 'warning', plugins: [mainBundle('./browser.mjs')],
});
writeFileSync(join(dist, 'onnx.mjs'), `${banner.js}
import { createRequire } from 'node:module';
const api = createRequire(import.meta.url)('./onnx.cjs');
export const InferenceSession = api.InferenceSession;
`);
copyFileSync(join(root, 'bindings/onnx.d.ts'), join(dist, 'onnx.d.ts'));
copyFileSync(join(root, 'bindings/onnx.d.ts'), join(dist, 'onnx.d.mts'));
console.log('JS bundles written to dist/');
