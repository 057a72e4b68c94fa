// The WebGPU backend in Node.js: every golden case (forward and gradients, both layouts, both data formats),
// the same on a device that claims small buffers (the calls are split), and the selection and fallback rules
// (device loss, buffers above the limit, shader errors, validation, buffer reuse), and hostile calls (1,000
// malformed calls per entry point, then every golden case on the same instance: hostile-checks.mjs), and
// GPU-resident tensors ({ gpuBuffer, shape }, output: 'gpu-buffer': resident-checks.mjs). The
// checks run in a child process (tests/webgpu/node-runner.mjs) on Dawn (npm `webgpu`) with SwiftShader's
// Vulkan driver from Debian's chromium package, which scripts/setup.sh installs; each result becomes one
// test here.
const path = require('path');
const { ROOT, goldenCases } = require('./helpers');
const { requireSwiftShader, runnerChecks } = require('./runner-checks');

const CHECKS = require('../webgpu/checks.json');
const RUNNER = path.join(ROOT, 'tests', 'webgpu', 'node-runner.mjs');

const cases = goldenCases().map((c) => c.name);
const names = [
  ...cases.flatMap((c) => CHECKS.golden.map((check) => `${c}: ${check}`)),
  ...cases.flatMap((c) => CHECKS.split.map((check) => `${c}: ${check}`)),
  ...CHECKS.node,
  ...CHECKS.resident,
  ...CHECKS.hostile,
];

requireSwiftShader();
runnerChecks({ label: 'Node.js WebGPU', command: [process.execPath, '--expose-gc', RUNNER], names, timeoutMs: 10 * 60 * 1000 });
