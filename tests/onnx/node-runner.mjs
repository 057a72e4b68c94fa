// node tests/onnx/node-runner.mjs SUITE OUT.json   (or --list SUITE: the check names, as JSON)
// Runs a suite of deformconv-wasm/onnx checks in Node.js with onnxruntime-web (its wasm backend) as the
// caller's `ort`, and writes [{ name, ok, message, ms }] to OUT.json. A child process of Jest
// (tests/js/onnx-*.test.js): onnxruntime-web loads its WebAssembly module with a dynamic import(), which Jest's
// module system does not allow, and its thread count is fixed once per process.
// Suites: session (1 thread each), session-2-threads (the model checks with 2 threads each: ours and
// onnxruntime's), errors, hostile (1,000 mutated models), webgpu (onnxruntime-web's WebGPU build on Dawn and
// this package's WebGPU backend: webgpu-checks.mjs).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { errorChecks } from './error-checks.mjs';
import { hostileChecks } from './hostile-checks.mjs';
import { sessionChecks } from './session-checks.mjs';
import { loadWebGpu, webgpuChecks } from './webgpu-checks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const ort = require('onnxruntime-web');
const { InferenceSession } = require(join(root, 'dist', 'onnx.cjs'));
const { createDeformConv } = require(join(root, 'dist', 'index.cjs'));

const SUITES = {
  session: { threads: 1, checks: sessionChecks },
  'session-2-threads': { threads: 2, checks: (env) => sessionChecks(env).filter((c) => /chain|branchy|symbolic|inputs: read/.test(c.name)) },
  errors: { threads: 1, checks: errorChecks },
  // onnxruntime logs the errors of the mutated models it rejects at run: only fatal ones are shown.
  hostile: { threads: 1, checks: hostileChecks, logLevel: 'fatal' },
  // onnxruntime-web's WebGPU build (its Node.js build has no 'webgpu' provider), on Dawn: loaded only to run.
  webgpu: { threads: 1, checks: webgpuChecks, load: loadWebGpu },
};

const args = process.argv.slice(2);
const listOnly = args[0] === '--list';
const suiteName = listOnly ? args[1] : args[0];
const out = listOnly ? null : args[1];
const suite = SUITES[suiteName];
if (!suite) {
  console.error(`unknown suite '${suiteName}'; the suites are ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}
ort.env.wasm.numThreads = suite.threads;
ort.env.logLevel = suite.logLevel || 'error';
const env = { ort, InferenceSession, createDeformConv, threads: suite.threads };
const checks = suite.checks(env);
if (listOnly) {
  process.stdout.write(JSON.stringify(checks.map((c) => c.name)));
  process.exit(0);
}
if (suite.load) {
  Object.assign(env, await suite.load());
  env.ort.env.wasm.numThreads = suite.threads;
  env.ort.env.logLevel = suite.logLevel || 'error';
}

const results = [];
for (const c of checks) {
  const t0 = performance.now();
  try {
    const detail = await c.run();
    results.push({ name: c.name, ok: true, message: detail || '', ms: performance.now() - t0 });
  } catch (e) {
    results.push({ name: c.name, ok: false, message: e && e.stack ? e.stack : String(e), ms: performance.now() - t0 });
  }
  const r = results[results.length - 1];
  process.stderr.write(`${r.ok ? 'ok  ' : 'FAIL'} ${(r.ms / 1000).toFixed(1)} s  ${c.name}${r.message && r.ok ? `: ${r.message}` : ''}\n`);
  writeFileSync(out, JSON.stringify(results));
}
// onnxruntime-web's worker threads (2-thread suite) would keep the process alive.
process.exit(0);
