// What an engine with relaxed SIMD must do for the relaxed builds to be right, checked where they run
// (Node.js 26 through node-runner.mjs, Chromium through browser.html): it validates the package's feature
// probe and every relaxed build and rejects the 2021 prototype encoding that clang 14 emits (so the
// finalize step is needed, and enough); and f32x4.relaxed_madd computes a * b + c from its operands in stack
// order. Plain ES module without Node APIs; one { name, ok, message } per name of checks.json's "engine".
import { assert, check } from '../webgpu/checks.mjs';
import { OPCODE, RELAXED_SIMD_PROBE, runTernary, ternaryModule } from './test-modules.mjs';

/** names: checks.json's "engine"; relaxedModules: [{ file, bytes }] of the relaxed builds for this environment. */
export async function engineChecks(names, relaxedModules) {
  const results = [];
  await check(results, names[0], () => {
    assert(WebAssembly.validate(RELAXED_SIMD_PROBE), 'this engine rejects the feature probe');
    assert(relaxedModules.length === 2, `relaxed builds: ${relaxedModules.map((m) => m.file).join(', ')}`);
    for (const m of relaxedModules) assert(WebAssembly.validate(m.bytes), `${m.file} does not validate`);
    assert(!WebAssembly.validate(ternaryModule(OPCODE.prototypeFma)), 'this engine takes the prototype f32x4.fma (0xfd 0xaf 0x01)');
    assert(WebAssembly.validate(ternaryModule(OPCODE.relaxedMadd)), 'this engine rejects a module holding f32x4.relaxed_madd');
  });
  await check(results, names[1], async () => {
    // Small integers and halves: fused or not, every product and sum is exact, so only the operand order
    // shows (b * c + a, binaryen 108's reading of the prototype, would give 17, 27, 8.5, 2.75).
    const got = await runTernary(ternaryModule(OPCODE.relaxedMadd), [2, -1, 0.5, 3], [3, 4, 8, 0.25], [5, 7, 1, -1]);
    assert(JSON.stringify(got) === JSON.stringify([11, 3, 5, -0.25]), `got ${got}, expected a * b + c = 11, 3, 5, -0.25`);
  });
  return results;
}
