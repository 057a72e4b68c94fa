// Jest side of the deformconv-wasm/onnx checks: runs one suite of tests/onnx/node-runner.mjs in a child
// process (onnxruntime-web cannot load inside Jest's module system) and makes each of its checks one test.
const { execFile, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT } = require('./helpers');

const RUNNER = path.join(ROOT, 'tests', 'onnx', 'node-runner.mjs');

/** Declares the tests of a suite: one per check, and one that the runner reported them all. */
function onnxSuite(suite, timeoutMs) {
  const names = JSON.parse(execFileSync(process.execPath, [RUNNER, '--list', suite], { encoding: 'utf8', timeout: 60000 }));
  let results = null;
  let output = '';

  beforeAll(async () => {
    const out = path.join(os.tmpdir(), `deformconv-onnx-${suite}-${process.pid}.json`);
    output = await new Promise((resolve) => {
      execFile(process.execPath, ['--expose-gc', RUNNER, suite, out], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        resolve(`${error ? `${error.message}\n` : ''}${stdout}${stderr}`);
      });
    });
    if (fs.existsSync(out)) {
      results = new Map(JSON.parse(fs.readFileSync(out, 'utf8')).map((r) => [r.name, r]));
      fs.unlinkSync(out);
    }
  }, timeoutMs + 10000);

  test(`the ${suite} runner reported every check`, () => {
    if (!results) throw new Error(`the runner wrote no results:\n${output.slice(-4000)}`);
    expect(names.filter((name) => !results.has(name))).toEqual([]);
  });

  test.each(names)('%s', (name) => {
    const r = results && results.get(name);
    if (!r) throw new Error(`no result for this check:\n${output.slice(-3000)}`);
    if (!r.ok) throw new Error(r.message);
  });
}

module.exports = { onnxSuite };
