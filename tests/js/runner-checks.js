// Checks that run in a child process and come back to Jest as one test each. The runner is a Node.js script
// that writes [{ name, ok, message }] to the JSON file named by its last argument. A child process, because
// what it loads cannot load inside Jest's module system (Dawn's ES module, onnxruntime-web) or needs another
// engine (Node.js 26 for relaxed SIMD), and a crash of a GPU driver must not take a Jest worker with it.
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
let runs = 0;

/**
 * Declares the tests of one runner: one per name, and one that the runner finished and reported exactly these.
 *   label      what runs, for that test's title and the results file's name
 *   command    [executable, ...arguments]; the results file is added as the last argument
 *   names      every check the runner must report
 *   timeoutMs  how long the runner may take
 */
function runnerChecks({ label, command, names, timeoutMs }) {
  let results = null;
  let output = '';

  beforeAll(async () => {
    const out = path.join(os.tmpdir(), `deformconv-checks-${label.replace(/[^\w.-]+/g, '-')}-${process.pid}-${runs++}.json`);
    const [executable, ...args] = command;
    output = await new Promise((resolve) => {
      execFile(executable, [...args, out], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        resolve(`${error ? `${error.message}\n` : ''}${stdout}${stderr}`);
      });
    });
    if (fs.existsSync(out)) {
      results = new Map(JSON.parse(fs.readFileSync(out, 'utf8')).map((r) => [r.name, r]));
      fs.unlinkSync(out);
    }
  }, timeoutMs + 10000);

  test(`the ${label} runner finished and reported every check`, () => {
    if (!results) throw new Error(`the runner wrote no results:\n${output.slice(-4000)}`);
    const expected = new Set(names);
    expect(names.filter((name) => !results.has(name))).toEqual([]);
    expect([...results.keys()].filter((name) => !expected.has(name))).toEqual([]);
  });

  test.each(names)('%s', (name) => {
    const r = results && results.get(name);
    if (!r) throw new Error(`no result for this check:\n${output.slice(-3000)}`);
    if (!r.ok) throw new Error(r.message);
  });
}

/** Throws when SwiftShader's Vulkan driver, which the WebGPU runners use through Dawn, is not installed. */
function requireSwiftShader() {
  if (!process.env.VK_ICD_FILENAMES && !fs.existsSync(SWIFTSHADER)) {
    throw new Error(`${SWIFTSHADER} is missing: install Debian's chromium package (npm run setup does)`);
  }
}

module.exports = { runnerChecks, requireSwiftShader };
