// The relaxed-SIMD toolchain (docs/relaxed-simd.md), under Jest's engine (Node.js 20): the instruction decoder
// of scripts/wasm-instructions.mjs agrees with wabt on every built module; the relaxed builds hold
// f32x4.relaxed_madd and no prototype opcode, the plain ones no relaxed instruction; this engine takes the
// relaxed builds exactly when it takes the package's feature probe; and scripts/finalize-relaxed-simd.mjs
// rewrites only real prototype f32x4.fma instructions. The checks are ES modules (tests/relaxed/
// toolchain-checks.mjs), run in a child process; each result becomes one test here.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT } = require('./helpers');

const NAMES = require('../relaxed/checks.json').toolchain;
let results = null;

beforeAll(() => {
  const out = path.join(os.tmpdir(), `deformconv-relaxed-toolchain-${process.pid}.json`);
  execFileSync(process.execPath, [path.join(ROOT, 'tests', 'relaxed', 'toolchain-checks.mjs'), out], { timeout: 120000, stdio: 'pipe' });
  results = new Map(JSON.parse(fs.readFileSync(out, 'utf8')).map((r) => [r.name, r]));
  fs.unlinkSync(out);
}, 130000);

test('the toolchain checks reported every check', () => {
  expect(NAMES.filter((name) => !results.has(name))).toEqual([]);
});

test.each(NAMES)('%s', (name) => {
  const r = results.get(name);
  if (!r.ok) throw new Error(r.message);
});
