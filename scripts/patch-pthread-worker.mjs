// Run after linking the threaded web module (CMake POST_BUILD): Emscripten 3.1.6's pthread worker script imports
// the main module from the URL it is sent, or else from a literal "./<module>.mjs". The module now always sends
// its URL (bindings/wasm/main-script-url.js), so the literal fallback goes: with it, bundlers split the worker
// into chunks (Vite's default iife worker format refuses), and a renamed main chunk would not be found anyway.
//   node scripts/patch-pthread-worker.mjs dist/wasm/deformconv-threads-web.worker.js
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const file = process.argv[2];
const source = readFileSync(file, 'utf8');
const moduleName = basename(file).replace(/\.worker\.js$/, '.mjs');
const fallback = `(e.data.urlOrBlob?import(e.data.urlOrBlob):import("./${moduleName}"))`;
const patched = 'import(e.data.urlOrBlob)';
if (source.includes(fallback)) {
  writeFileSync(file, source.replace(fallback, patched));
} else if (!source.includes(patched)) {
  console.error(`patch-pthread-worker: ${file} has no '${fallback}': Emscripten's worker script changed; update this script`);
  process.exit(1);
}
