// The WebGPU backend in headless Chromium (Debian's chromium package driven by playwright-core, WebGPU on
// SwiftShader with --enable-unsafe-webgpu: tests/browser/chromium.js): every golden case, forward and
// gradients, both layouts and both data formats, on backend 'webgpu'; and backend 'auto' on a page with and
// without cross-origin isolation; GPU-resident tensors (tests/webgpu/resident-checks.mjs); an ONNX model on
// onnxruntime 'webgpu' and this package's WebGPU (tests/webgpu/onnx-browser-checks.mjs). The repository is
// served from 127.0.0.1 by scripts/serve.mjs; the checks themselves are tests/webgpu/browser-checks.mjs, the
// golden cases travel into the page as arguments, and each result becomes one test here.
const { launchChromium } = require('../browser/chromium');
const { startServeProcess } = require('../browser/serve-process');
const { ROOT, goldenCases } = require('./helpers');

const CHECKS = require('../webgpu/checks.json');
const SUITE_TIMEOUT_MS = 10 * 60 * 1000;

const cases = goldenCases();
const names = [...cases.flatMap((c) => CHECKS.golden.map((check) => `${c.name}: ${check}`)), ...CHECKS.browser, ...CHECKS.resident, ...CHECKS.onnxBrowser];

let browser, isolatedServer, plainServer;
const results = new Map();
const problems = [];

async function runSuite(server, suite, suiteCases) {
  const page = await browser.newPage();
  try {
    await page.goto(`${server.origin}/tests/webgpu/browser.html`);
    const out = await page.evaluate(async (args) => (await import('/tests/webgpu/browser-checks.mjs')).run(args),
      { suite, checks: CHECKS, cases: suiteCases });
    for (const r of out) results.set(r.name, r);
  } catch (e) {
    problems.push(`${suite}: ${e.message}`);
  } finally {
    await page.close();
  }
}

beforeAll(async () => {
  [browser, isolatedServer, plainServer] = await Promise.all([
    launchChromium(),
    startServeProcess({ isolation: true, root: ROOT }),
    startServeProcess({ isolation: false, root: ROOT }),
  ]);
  const basic = cases.filter((c) => c.name === 'basic_3x3');
  await runSuite(isolatedServer, 'golden', cases);
  await runSuite(isolatedServer, 'auto-isolated', basic);
  await runSuite(plainServer, 'auto-plain', basic);
  await runSuite(plainServer, 'no-simd', basic);
  const residentCases = cases.filter((c) => ['basic_3x3', 'batch3_groups3', 'dcnv1_no_mask', 'medium_64ch'].includes(c.name));
  await runSuite(plainServer, 'resident', residentCases);
  await runSuite(plainServer, 'onnx', []);
}, SUITE_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([browser && browser.close(), isolatedServer && isolatedServer.close(), plainServer && plainServer.close()]);
});

test('Chromium ran the checks cleanly and reported every one', () => {
  expect([...problems, ...(browser ? browser.problems : [])]).toEqual([]);
  expect(names.filter((name) => !results.has(name))).toEqual([]);
});

test.each(names)('%s', (name) => {
  const r = results.get(name);
  if (!r) throw new Error(`no result for this check: ${problems.join('\n')}`);
  if (!r.ok) throw new Error(r.message);
});
