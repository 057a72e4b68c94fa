// The relaxed-SIMD builds in headless Chromium (Debian's chromium package driven by playwright-core:
// tests/browser/chromium.js), which takes relaxed SIMD: the engine checks (tests/relaxed/engine-checks.mjs: the
// probe and both web relaxed builds validate, the prototype encoding does not, relaxed_madd computes
// a * b + c); on a cross-origin isolated page, every golden case (forward and gradients, both conventions,
// both data formats) on the threaded relaxed build and the forward checks on the single-threaded one (see
// CHECKS_OF), and what relaxedSimd 'auto' and false load; on a page without isolation, that 'auto' loads the
// single-threaded relaxed build. dist/browser.mjs and tests/relaxed/golden-checks.mjs run in the page (served
// by scripts/serve.mjs); each result becomes one test here.
const { pageChecks } = require('../browser/page-checks');
const { goldenCases } = require('./helpers');

const NAMES = require('../relaxed/checks.json');
const GOLDEN = require('../webgpu/checks.json').golden;
// The single-threaded relaxed build's .wasm is byte for byte the Node.js one, which Node.js 26 runs through
// every golden check (relaxed-simd-node.test.js; relaxed-simd-toolchain.test.js checks the bytes): here its
// web glue runs the forward checks; the threaded relaxed build, the default of an isolated page, runs all.
const CHECKS_OF = { 'threads-relaxed': GOLDEN, 'simd-relaxed': GOLDEN.filter((check) => check.startsWith('forward')) };

const cases = goldenCases();
const names = [
  ...NAMES.engine,
  ...NAMES.buildSuites.flatMap((suite) => [`${suite}: ${NAMES.load}`, ...cases.flatMap((c) => CHECKS_OF[suite].map((check) => `${suite}: ${c.name}: ${check}`))]),
  ...NAMES.selectionThreads,
  ...NAMES.selectionPlain,
];

pageChecks({
  names,
  pagePath: '/tests/relaxed/browser.html',
  evaluate: async (args) => {
    if (args.suite === 'engine') {
      const { engineChecks } = await import('/tests/relaxed/engine-checks.mjs');
      const files = ['deformconv-threads-relaxed-web.wasm', 'deformconv-simd-relaxed-web.wasm'];
      const modules = await Promise.all(files.map(async (file) => ({ file, bytes: new Uint8Array(await (await fetch(`/dist/wasm/${file}`)).arrayBuffer()) })));
      return engineChecks(args.names.engine, modules);
    }
    const { createDeformConv } = await import('/dist/browser.mjs');
    const { runSuite: run } = await import('/tests/relaxed/golden-checks.mjs');
    return run(createDeformConv, args.suite, args.cases, args.names, args.golden);
  },
  plan: async ({ isolated, plain, runSuite }) => {
    const suite = (server, name) => runSuite(server, name, { suite: name, cases, names: NAMES, golden: CHECKS_OF[name] || GOLDEN });
    for (const name of ['engine', ...NAMES.buildSuites, 'selection-threads']) await suite(isolated, name);
    await suite(plain, 'selection-plain');
  },
});
