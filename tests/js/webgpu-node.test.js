// The WebGPU backend in Node.js: every golden case (forward and gradients, both layouts, both data formats),
// the same on a device that claims small buffers (the calls are split), and the selection and fallback rules
// (device loss, buffers above the limit, shader errors, validation, buffer reuse), and hostile calls (1,000
// malformed calls per entry point, then every golden case on the same instance: hostile-checks.mjs), and
// GPU-resident tensors ({ gpuBuffer, shape }, output: 'gpu-buffer': resident-checks.mjs). The
// checks run in a child process (tests/webgpu/node-runner.mjs) on Dawn (npm `webgpu`) with SwiftShader's
// Vulkan driver from Debian's chromium package, which scripts/setup.sh installs; each result becomes one
// test here.
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, goldenCases } = require('./helpers');

const CHECKS = require('../webgpu/checks.json');
const RUNNER = path.join(ROOT, 'tests', 'webgpu', 'node-runner.mjs');
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const RUNNER_TIMEOUT_MS = 10 * 60 * 1000;

const cases = goldenCases().map((c) => c.name);
const names = [
  ...cases.flatMap((c) => CHECKS.golden.map((check) => `${c}: ${check}`)),
  ...cases.flatMap((c) => CHECKS.split.map((check) => `${c}: ${check}`)),
  ...CHECKS.node,
  ...CHECKS.resident,
  ...CHECKS.hostile,
];

let results = null;
let runnerOutput = '';

beforeAll(async () => {
  if (!process.env.VK_ICD_FILENAMES && !fs.existsSync(SWIFTSHADER)) {
    throw new Error(`${SWIFTSHADER} is missing: install Debian's chromium package (npm run setup does)`);
  }
  const out = path.join(os.tmpdir(), `deformconv-webgpu-node-${process.pid}.json`);
  runnerOutput = await new Promise((resolve) => {
    execFile(process.execPath, ['--expose-gc', RUNNER, out], { timeout: RUNNER_TIMEOUT_MS, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve(`${error ? `${error.message}\n` : ''}${stdout}${stderr}`);
    });
  });
  if (fs.existsSync(out)) {
    results = new Map(JSON.parse(fs.readFileSync(out, 'utf8')).map((r) => [r.name, r]));
    fs.unlinkSync(out);
  }
}, RUNNER_TIMEOUT_MS + 10000);

test('the Node.js runner finished and reported every check', () => {
  if (!results) throw new Error(`the runner wrote no results:\n${runnerOutput.slice(-4000)}`);
  const missing = names.filter((name) => !results.has(name));
  expect(missing).toEqual([]);
});

test.each(names)('%s', (name) => {
  const r = results && results.get(name);
  if (!r) throw new Error(`no result for this check:\n${runnerOutput.slice(-2000)}`);
  if (!r.ok) throw new Error(r.message);
});
