// Differential test against torchvision itself: a few hundred seeded random configurations
// (tests/differential/make_cases.py: every parameter, tiny images, one-pixel outputs, offsets small, large,
// integer, half-integer and on the boundary points) computed by torchvision in float64, then run through
// every entry point in both data formats (tests/differential/calls.js) on both WebAssembly builds, through
// the native build (tools/run_case.cpp), and on a few of them through the WebGPU backend (Dawn on
// SwiftShader, tests/differential/webgpu-runner.mjs). Forward within 2e-5 and gradients within 1e-4 of
// 1 + |ref|, elementwise.
//
//   DCN_DIFF_SEED=N          another seed (default 20261201; the seed is printed and in every test name)
//   DCN_DIFF_COUNT=N         how many configurations (default 300)
//   DCN_DIFF_CASE=I[,J...]   only these configurations of the seed: how a failure is replayed
//   DCN_DIFF_WEBGPU_COUNT=N  configurations for the WebGPU backend (default 6, 0 to skip it)
// A failing configuration's file stays in the folder the failure names.
const { execFile, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, WASM_BUILDS, api } = require('./helpers');
const { VARIANTS, checkCase, compareVariant, report } = require('../differential/calls');

const PYTHON = '/usr/bin/python3';
const MAKER = path.join(ROOT, 'tests', 'differential', 'make_cases.py');
const TOOL = path.join(ROOT, 'build', 'native', 'dcn_run_case');
const WEBGPU_RUNNER = path.join(ROOT, 'tests', 'differential', 'webgpu-runner.mjs');
const WEBGPU_TIMEOUT_MS = 6 * 60 * 1000;

function integer(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw new Error(`${name} must be a non-negative integer, got '${text}'`);
  return Number(text);
}
const SEED = integer('DCN_DIFF_SEED', 20261201);
const COUNT = integer('DCN_DIFF_COUNT', 300);
const ONLY = process.env.DCN_DIFF_CASE || '';
const WEBGPU_COUNT = integer('DCN_DIFF_WEBGPU_COUNT', 6);

// The configurations and torchvision's results, made once by one Python process before the tests are
// collected (every configuration becomes a test).
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), `dcn-differential-${SEED}-`));
let made;
try {
  made = execFileSync(PYTHON, [MAKER, '--seed', String(SEED), '--count', String(COUNT), '--out', DIR,
    ...(ONLY ? ['--only', ONLY] : [])], { encoding: 'utf8' });
} catch (e) {
  fs.rmSync(DIR, { recursive: true, force: true });
  throw new Error(`make_cases.py failed (it needs Debian's python3-torchvision: npm run setup):\n${e.stderr || e.message}`);
}
const INDEX = JSON.parse(fs.readFileSync(path.join(DIR, 'index.json'), 'utf8'));
const FILES = INDEX.files.map((f) => path.join(DIR, f));
const CASES = FILES.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
console.log(`differential test against torchvision: seed ${SEED} (DCN_DIFF_SEED), ${CASES.length} configurations ` +
  `(DCN_DIFF_COUNT${ONLY ? `, DCN_DIFF_CASE=${ONLY}` : ''}) in ${DIR}\n${made.trim()}`);

const replay = (c) => `DCN_DIFF_SEED=${SEED} DCN_DIFF_CASE=${c.config.index} npx jest tests/js/torchvision-differential.test.js`;
let failed = false;
/** Throws the report of every failed configuration (at most `limit` in full). */
function fail(failures, where, limit = 5) {
  if (!failures.length) return;
  failed = true;
  const shown = failures.slice(0, limit).map(({ c, problems }) => report(c, where, problems, replay(c)));
  const more = failures.length > limit ? `\n... and ${failures.length - limit} more configurations` : '';
  throw new Error(`${failures.length} configuration(s) differ from torchvision (seed ${SEED}, files kept in ${DIR}):\n${shown.join('\n')}${more}`);
}

afterAll(() => {
  if (!failed) fs.rmSync(DIR, { recursive: true, force: true });
});

describe.each(WASM_BUILDS)(`differential vs torchvision, seed ${SEED}: WebAssembly %s build`, (build, options) => {
  let dc;
  beforeAll(async () => {
    dc = await api.createDeformConv(options);
    expect(dc.info().wasmBuild).toBe(build);
  });
  afterAll(() => dc && dc.dispose());

  test.each(CASES.map((c) => [c.name, c.config.description, c]))('%s: %s', async (name, description, c) => {
    fail([{ c, problems: await checkCase(api, dc, c) }].filter((f) => f.problems.length), `the ${build} build`);
  });
});

// The native tool's variants: forward and backward in one run per convention and data format, its results
// named as the JS API names them so that compareVariant reads both.
const NATIVE_RUNS = [
  { flags: [], convention: 'torchvision', format: 'NCHW' },
  { flags: ['--nhwc'], convention: 'torchvision', format: 'NHWC' },
  { flags: ['--mindspore'], convention: 'mindspore', format: 'NCHW' },
  { flags: ['--mindspore', '--nhwc'], convention: 'mindspore', format: 'NHWC' },
];

function nativeResults(line, run, c) {
  const r = JSON.parse(line);
  if (r.error) throw new Error(`the native call failed: ${r.kind}: ${r.error}`);
  const shape = (s) => (run.format === 'NHWC' ? [s[0], s[2], s[3], s[1]] : s);
  const t = (data, s) => (data === null ? null : { data, shape: shape(s) });
  const offsetShape = run.convention === 'mindspore' ? c.shapes.offsets_mindspore : c.shapes.offset;
  const gradients = run.convention === 'mindspore'
    ? { gradX: t(r.grad_input, c.shapes.input), gradOffsets: t(r.grad_offset, offsetShape) }
    : { gradInput: t(r.grad_input, c.shapes.input), gradOffset: t(r.grad_offset, offsetShape), gradMask: r.grad_mask === null ? null : t(r.grad_mask, c.shapes.mask) };
  return {
    output: { data: r.output, shape: r.shape },
    ...gradients,
    gradWeight: { data: r.grad_weight, shape: c.shapes.weight },
    gradBias: r.grad_bias === null ? null : { data: r.grad_bias, shape: c.shapes.bias },
  };
}

test(`differential vs torchvision, seed ${SEED}: native build (dcn_run_case, 2 threads), forward and backward, both conventions and data formats`, () => {
  expect(fs.existsSync(TOOL)).toBe(true);
  const failures = new Map();
  for (const run of NATIVE_RUNS) {
    const out = execFileSync(TOOL, ['--backward', ...run.flags, '--threads', '2', ...FILES], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(CASES.length);
    CASES.forEach((c, i) => {
      const problems = [];
      try {
        const results = nativeResults(lines[i], run, c);
        for (const v of VARIANTS.filter((x) => x.pass !== 'prepared' && x.convention === run.convention && x.format === run.format)) {
          problems.push(...compareVariant(c, v, results));
        }
      } catch (e) {
        problems.push(`${run.convention} ${run.format}: ${e.message}`);
      }
      if (problems.length) failures.set(c, [...(failures.get(c) || []), ...problems]);
    });
  }
  fail([...failures].map(([c, problems]) => ({ c, problems })), 'the native build');
});

/** A few small configurations for the slow software GPU, one of each kind of offsets in turn. */
function webgpuSubset() {
  const small = CASES.filter((c) => Math.max(...Object.values(c.shapes).filter(Boolean).map((s) => s.reduce((a, b) => a * b, 1))) <= 1500);
  const kinds = [...new Set(small.map((c) => c.config.offsets))];
  const picked = [];
  for (let round = 0; picked.length < WEBGPU_COUNT && round < small.length; round++) {
    for (const kind of kinds) {
      const c = small.filter((x) => x.config.offsets === kind)[round];
      if (c && picked.length < WEBGPU_COUNT) picked.push(c);
    }
  }
  return picked;
}

const WEBGPU_CASES = WEBGPU_COUNT ? webgpuSubset() : [];
(WEBGPU_CASES.length ? test : test.skip)(`differential vs torchvision, seed ${SEED}: WebGPU backend (Dawn on SwiftShader), ` +
  `${WEBGPU_CASES.map((c) => c.name).join(', ')}`, async () => {
  const out = path.join(DIR, 'webgpu-results.json');
  const files = WEBGPU_CASES.map((c) => path.join(DIR, `${c.name}.json`));
  const log = await new Promise((resolve) => {
    execFile(process.execPath, [WEBGPU_RUNNER, out, ...files], { timeout: WEBGPU_TIMEOUT_MS, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve(`${error ? `${error.message}\n` : ''}${stdout}${stderr}`);
    });
  });
  if (!fs.existsSync(out)) throw new Error(`the WebGPU runner wrote no results:\n${log.slice(-4000)}`);
  const results = JSON.parse(fs.readFileSync(out, 'utf8'));
  expect(results.map((r) => r.case)).toEqual(WEBGPU_CASES.map((c) => c.name));
  fail(results.filter((r) => r.problems.length).map((r) => ({ c: CASES.find((c) => c.name === r.case), problems: r.problems })),
    'the WebGPU backend');
}, WEBGPU_TIMEOUT_MS + 10000);
