// Jest side of the deformconv-wasm/onnx checks: runs one suite of tests/onnx/node-runner.mjs in a child
// process (onnxruntime-web cannot load inside Jest's module system) and makes each of its checks one test.
const { execFileSync } = require('child_process');
const path = require('path');
const { ROOT } = require('./helpers');
const { runnerChecks } = require('./runner-checks');

const RUNNER = path.join(ROOT, 'tests', 'onnx', 'node-runner.mjs');

/** Declares the tests of a suite: one per check the runner lists for it, and one that it reported them all. */
function onnxSuite(suite, timeoutMs) {
  const names = JSON.parse(execFileSync(process.execPath, [RUNNER, '--list', suite], { encoding: 'utf8', timeout: 60000 }));
  runnerChecks({ label: suite, command: [process.execPath, '--expose-gc', RUNNER, suite], names, timeoutMs });
}

module.exports = { onnxSuite };
