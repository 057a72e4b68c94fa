// The relaxed-SIMD toolchain, checked under the test engine (Node.js 20) by tests/js/relaxed-simd-toolchain.test.js:
// scripts/wasm-instructions.mjs decodes every built module exactly as an independent disassembler (wabt, which
// knows the final relaxed-SIMD opcodes) does; the relaxed builds hold f32x4.relaxed_madd and no prototype
// opcode, the plain builds no relaxed instruction at all; the engine's answer for the feature probe is its
// answer for the relaxed builds; and scripts/finalize-relaxed-simd.mjs changes the prototype fma and nothing
// else (not the same bytes inside constants or data), keeps padded opcodes' lengths, refuses what it cannot
// translate, and changes nothing on a second run.
// Usage: node tests/relaxed/toolchain-checks.mjs OUT.json   (one { name, ok, message } per check)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { F32X4_RELAXED_MADD, PROTOTYPE_F32X4_FMA, finalizeRelaxedMadd } from '../../scripts/finalize-relaxed-simd.mjs';
import { WasmDecodeError, forEachInstruction } from '../../scripts/wasm-instructions.mjs';
import { OPCODE, RELAXED_SIMD_PROBE, ternaryModule } from './test-modules.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WASM_DIR = join(ROOT, 'dist', 'wasm');
const require = createRequire(import.meta.url);
const wabt = await require('wabt')();

const CHECKS = JSON.parse(readFileSync(join(ROOT, 'tests', 'relaxed', 'checks.json'), 'utf8')).toolchain;

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** wabt's text of a module; features: wabt's flags (relaxed_simd off unless asked). */
function wabtText(bytes, { relaxed = false } = {}) {
  const features = { simd: true, threads: true, bulk_memory: true, relaxed_simd: relaxed };
  const module = wabt.readWasm(bytes, features);
  try {
    module.validate(features);
    return module.toText({});
  } finally {
    module.destroy();
  }
}

/** Per module: instructions (function-final `end`s not counted, as wabt prints none), functions, 0xfd opcodes. */
function decode(bytes) {
  let instructions = 0, functions = 0, last = -1;
  const simd = new Map();
  forEachInstruction(bytes, (ins) => {
    instructions++;
    if (ins.functionIndex !== last) {
      functions++;
      last = ins.functionIndex;
    }
    if (ins.prefix === 0xfd) simd.set(ins.opcode, (simd.get(ins.opcode) || 0) + 1);
  });
  return { instructions: instructions - functions, functions, simd };
}

const modules = readdirSync(WASM_DIR).filter((f) => f.endsWith('.wasm')).sort()
  .map((file) => ({ file, bytes: new Uint8Array(readFileSync(join(WASM_DIR, file))), relaxed: file.includes('-relaxed-') }));
const relaxedModules = modules.filter((m) => m.relaxed);
const plainModules = modules.filter((m) => !m.relaxed && !m.file.includes('-validate-'));

const RUNS = [
  () => {
    assert(relaxedModules.length === 4 && plainModules.length === 4, `modules found: ${modules.map((m) => m.file).join(', ')}`);
    for (const m of modules) {
      const ours = decode(m.bytes);
      const text = wabtText(m.bytes, { relaxed: m.relaxed });
      const lines = text.split('\n');
      const theirs = lines.filter((l) => /^ {4,}[^ (]/.test(l)).length;
      const functions = lines.filter((l) => l.startsWith('  (func ')).length;
      assert(ours.functions === functions, `${m.file}: ${ours.functions} function bodies, wabt ${functions}`);
      assert(ours.instructions === theirs, `${m.file}: ${ours.instructions} instructions, wabt ${theirs}`);
      for (const [op, mnemonic] of [[0x00, 'v128.load'], [0xe4, 'f32x4.add'], [0xe6, 'f32x4.mul'], [F32X4_RELAXED_MADD, 'f32x4.relaxed_madd']]) {
        const count = (text.match(new RegExp(`^ +${mnemonic.replace('.', '\\.')}\\b`, 'gm')) || []).length;
        assert((ours.simd.get(op) || 0) === count, `${m.file}: ${ours.simd.get(op) || 0} x ${mnemonic}, wabt ${count}`);
      }
    }
  },
  () => {
    for (const m of relaxedModules) {
      const { simd } = decode(m.bytes);
      assert(simd.get(F32X4_RELAXED_MADD) > 0, `${m.file}: no f32x4.relaxed_madd`);
      assert(!simd.has(PROTOTYPE_F32X4_FMA), `${m.file}: a prototype f32x4.fma is left`);
      let refusal = '';
      try {
        wabtText(m.bytes, { relaxed: false });
      } catch (e) {
        refusal = e.message;
      }
      assert(/unexpected opcode: 0xfd 0x85 0x2/.test(refusal), `${m.file}: wabt without relaxed SIMD: ${refusal || 'read it'}`);
    }
  },
  () => {
    for (const m of plainModules) {
      const { simd } = decode(m.bytes);
      const relaxed = [...simd.keys()].filter((op) => op >= 0x100);
      assert(!relaxed.length, `${m.file}: relaxed opcodes ${relaxed.map((op) => `0x${op.toString(16)}`).join(', ')}`);
      wabtText(m.bytes, { relaxed: false }); // throws if wabt needs relaxed SIMD to read it
    }
  },
  () => {
    const source = readFileSync(join(ROOT, 'bindings', 'api', 'feature-detect.js'), 'utf8');
    const literal = /const RELAXED_SIMD_TEST = new Uint8Array\(\[([^\]]*)\]\)/.exec(source);
    assert(literal && literal[1].split(',').map((x) => x.trim()).filter(Boolean).map(Number).join() === RELAXED_SIMD_PROBE.join(),
      `bindings/api/feature-detect.js's probe is not RELAXED_SIMD_PROBE: ${literal && literal[1]}`);
    const probe = WebAssembly.validate(RELAXED_SIMD_PROBE);
    for (const m of relaxedModules) assert(WebAssembly.validate(m.bytes) === probe, `${m.file}: validate ${!probe}, the probe ${probe}`);
    for (const m of plainModules) assert(WebAssembly.validate(m.bytes), `${m.file} does not validate`);
  },
  () => {
    const input = ternaryModule(OPCODE.prototypeFma, { lookalikes: true });
    const { bytes, rewritten, madd } = finalizeRelaxedMadd(input);
    assert(rewritten === 1 && madd === 1, `rewritten ${rewritten}, madd ${madd}`);
    const changed = [...input.keys()].filter((i) => input[i] !== bytes[i]);
    const at = input.findIndex((b, i) => b === 0xfd && input[i + 1] === 0xaf && input[i - 1] === 0x20); // after local.get: the instruction
    assert(JSON.stringify(changed) === JSON.stringify([at + 1, at + 2]), `changed bytes ${changed}, expected ${at + 1}, ${at + 2}`);
    assert(bytes[at + 1] === 0x85 && bytes[at + 2] === 0x02, 'not 0xfd 0x85 0x02');
    const lookalikes = [...input.keys()].filter((i) => input[i] === 0xfd && input[i + 1] === 0xaf && input[i + 2] === 0x01);
    assert(lookalikes.length === 4, `the module should hold the byte pattern 4 times, holds it ${lookalikes.length} times`);
  },
  () => {
    const input = ternaryModule(OPCODE.prototypeFmaPadded);
    const { bytes, rewritten } = finalizeRelaxedMadd(input);
    assert(rewritten === 1 && bytes.length === input.length, `rewritten ${rewritten}, length ${input.length} -> ${bytes.length}`);
    assert(/f32x4\.relaxed_madd/.test(wabtText(bytes, { relaxed: true })), 'wabt does not read f32x4.relaxed_madd');
  },
  () => {
    for (const [what, input] of [
      ['f32x4.fms (prototype)', ternaryModule(OPCODE.prototypeFms)],
      ['an unassigned SIMD opcode', ternaryModule(OPCODE.unassigned)],
      ['a truncated module', ternaryModule(OPCODE.prototypeFma).subarray(0, 60)],
    ]) {
      let error = null;
      try {
        finalizeRelaxedMadd(input);
      } catch (e) {
        error = e;
      }
      assert(error instanceof WasmDecodeError, `${what}: ${error ? error.message : 'accepted'}`);
    }
  },
  () => {
    for (const m of relaxedModules) {
      const { bytes, rewritten, madd } = finalizeRelaxedMadd(m.bytes);
      assert(rewritten === 0 && madd === decode(m.bytes).simd.get(F32X4_RELAXED_MADD), `${m.file}: rewritten ${rewritten}, madd ${madd}`);
      assert(bytes.every((b, i) => b === m.bytes[i]), `${m.file}: bytes changed`);
    }
  },
  () => {
    const { bytes } = finalizeRelaxedMadd(ternaryModule(OPCODE.prototypeFma));
    const text = wabtText(bytes, { relaxed: true });
    const body = text.slice(text.indexOf('local.get 0\n'));
    const order = /local\.get 0\s+local\.get 0\s+v128\.load\s+local\.get 0\s+v128\.load offset=16\s+local\.get 0\s+v128\.load offset=32\s+f32x4\.relaxed_madd\s+v128\.store offset=48/;
    assert(order.test(body), `wabt's text:\n${body.slice(0, 600)}`);
  },
  () => {
    const { bytes } = finalizeRelaxedMadd(ternaryModule(OPCODE.prototypeFma, { lookalikes: true }));
    const expected = ternaryModule(OPCODE.relaxedMadd, { lookalikes: true });
    assert(bytes.length === expected.length && bytes.every((b, i) => b === expected[i]), 'the finalized module differs from the one written with relaxed_madd');
  },
  () => {
    for (const m of modules.filter((x) => x.file.endsWith('-node.wasm'))) {
      const web = modules.find((x) => x.file === m.file.replace('-node.wasm', '-web.wasm'));
      assert(web, `no web module beside ${m.file}`);
      assert(web.bytes.length === m.bytes.length && web.bytes.every((b, i) => b === m.bytes[i]), `${m.file} and ${web.file} differ`);
    }
  },
];

const results = [];
for (let i = 0; i < CHECKS.length; i++) {
  try {
    RUNS[i]();
    results.push({ name: CHECKS[i], ok: true, message: '' });
  } catch (e) {
    results.push({ name: CHECKS[i], ok: false, message: String(e && e.stack ? e.stack : e).slice(0, 3000) });
  }
}
writeFileSync(process.argv[2], JSON.stringify(results));
