// Bundles what the benchmark page (web/bench.html) cannot import as is: bench/onnx-model.mjs, the project's ONNX
// model builder, with onnx-proto (CommonJS protobufjs code) into one ES module for browsers,
// dist/bench/onnx-model.mjs. The page imports bench/shapes.mjs, data.mjs, agreement.mjs and run-of-calls.mjs
// directly (plain ES modules) and onnxruntime-web from node_modules, all served by scripts/serve.mjs. dist/bench/
// is not part of the npm package (package.json "files" lists what is).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'bench/onnx-model.mjs')],
  outfile: join(root, 'dist/bench/onnx-model.mjs'),
  bundle: true, format: 'esm', platform: 'browser', target: 'es2020', logLevel: 'warning',
  banner: { js: '// deformconv-wasm benchmark page: bench/onnx-model.mjs with onnx-proto, bundled by scripts/build-bench-page.mjs. Do not edit.' },
});
console.log('benchmark page bundle written to dist/bench/');
