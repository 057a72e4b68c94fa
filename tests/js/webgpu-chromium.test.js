// The WebGPU backend in headless Chromium (Debian's chromium package driven by playwright-core, WebGPU on
// SwiftShader with --enable-unsafe-webgpu: tests/browser/chromium.js): every golden case, forward and
// gradients, both layouts and both data formats, on backend 'webgpu'; and backend 'auto' on a page with and
// without cross-origin isolation; GPU-resident tensors (tests/webgpu/resident-checks.mjs); an ONNX model on
// onnxruntime 'webgpu' and this package's WebGPU (tests/webgpu/onnx-browser-checks.mjs). The repository is
// served from 127.0.0.1 by scripts/serve.mjs; the checks themselves are tests/webgpu/browser-checks.mjs, the
// golden cases travel into the page as arguments, and each result becomes one test here.
const { pageChecks } = require('../browser/page-checks');
const { goldenCases } = require('./helpers');

const CHECKS = require('../webgpu/checks.json');

const cases = goldenCases();
const names = [...cases.flatMap((c) => CHECKS.golden.map((check) => `${c.name}: ${check}`)), ...CHECKS.browser, ...CHECKS.resident, ...CHECKS.onnxBrowser];

pageChecks({
  names,
  pagePath: '/tests/webgpu/browser.html',
  evaluate: async (args) => (await import('/tests/webgpu/browser-checks.mjs')).run(args),
  plan: async ({ isolated, plain, runSuite }) => {
    const suite = (server, name, suiteCases) => runSuite(server, name, { suite: name, checks: CHECKS, cases: suiteCases });
    const basic = cases.filter((c) => c.name === 'basic_3x3');
    await suite(isolated, 'golden', cases);
    await suite(isolated, 'auto-isolated', basic);
    await suite(plain, 'auto-plain', basic);
    await suite(plain, 'no-simd', basic);
    const residentCases = cases.filter((c) => ['basic_3x3', 'batch3_groups3', 'dcnv1_no_mask', 'medium_64ch'].includes(c.name));
    await suite(plain, 'resident', residentCases);
    await suite(plain, 'onnx', []);
  },
});
