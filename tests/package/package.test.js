// The npm package as web developers install it: `npm pack` ships the built WASM, JS, types, README and licence and
// nothing else heavy; the tarball installs offline into a fresh project (tests/package/consumer/, copied to a
// temporary folder), where require and import both work in Node (deformconv-wasm and deformconv-wasm/onnx, the
// latter with the consumer's onnxruntime-web), TypeScript examples type-check against the
// shipped declarations, a page bundled by Vite 7 with its default settings runs the operation in Chromium (with
// and without cross-origin isolation) in the proxy's Web Worker, which Vite bundles with its default worker
// format, so does a module Web Worker bundled by Vite (there without the proxy), and the unbundled browser
// build works inside a Web Worker.
// Every run is checked against torchvision's numbers (tests/golden/basic_3x3.json).
const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { promisify } = require('util');
const { goldenCases, expectClose, FORWARD_TOLERANCE } = require('../js/helpers');
const { launchChromium } = require('../browser/chromium');
const onnxModels = require('../../tools/onnx-models.cjs');
const { startServeProcess } = require('../browser/serve-process');

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const CONSUMER = path.join(__dirname, 'consumer');
const CASE = goldenCases().find((c) => c.name === 'basic_3x3');
const MAX_UNPACKED_BYTES = 4 * 1024 * 1024;

let tmp, app, pack, browser;

/** The case without the gradients: what the consumer's scripts read. */
function caseFile() {
  const keys = ['name', 'params', 'shapes', 'input', 'weight', 'bias', 'offset', 'mask', 'offsets_mindspore', 'output'];
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, CASE[k]])));
}

function expectCaseResult(result, label) {
  expect(result.error).toBeUndefined();
  expectClose(result.torchvision, CASE.output, FORWARD_TOLERANCE, `${label}: deformConv2d`);
  expectClose(result.mindspore, CASE.output, FORWARD_TOLERANCE, `${label}: deformableConv2d`);
  expect(result.sameLayout).toBe(true);
  // The same named exports in every entry point, no default export; the instance is a DeformConv.
  expect(result.exportNames).toEqual(['DeformConv', 'createDeformConv', 'layouts', 'version']);
  expect(result.isDeformConv).toBe(true);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deformconv-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT });
  [pack] = JSON.parse(stdout);
  app = path.join(tmp, 'consumer');
  fs.cpSync(CONSUMER, app, { recursive: true });
  fs.writeFileSync(path.join(app, 'case.json'), caseFile());
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(tmp, pack.filename)], { cwd: app });
  // deformconv-wasm/onnx takes the caller's onnxruntime-web (an optional peer dependency): this repository's copy,
  // linked in as if the consumer had installed it, and a model for it to run.
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'onnxruntime-web'), path.join(app, 'node_modules', 'onnxruntime-web'), 'dir');
  fs.writeFileSync(path.join(app, 'model.onnx'), onnxModels.chainModel({ channels: 8, width: 4, size: 6, seed: 5 }).bytes);
  browser = await launchChromium();
});

afterAll(async () => {
  if (browser) await browser.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('npm pack ships the built WASM, JS, types, README and licence, and nothing else heavy', () => {
  const files = pack.files.map((f) => f.path);
  const required = ['package.json', 'README.md', 'LICENSE', 'dist/index.cjs', 'dist/index.mjs', 'dist/browser.mjs', 'dist/proxy-worker.mjs', 'dist/index.d.ts', 'dist/index.d.mts',
    'dist/onnx.cjs', 'dist/onnx.mjs', 'dist/onnx-browser.mjs', 'dist/onnx.d.ts', 'dist/onnx.d.mts'];
  for (const build of ['threads', 'simd', 'threads-relaxed', 'simd-relaxed']) {
    required.push(`dist/wasm/deformconv-${build}-node.cjs`, `dist/wasm/deformconv-${build}-node.wasm`,
      `dist/wasm/deformconv-${build}-web.mjs`, `dist/wasm/deformconv-${build}-web.wasm`);
  }
  required.push('dist/wasm/deformconv-threads-node.worker.js', 'dist/wasm/deformconv-threads-web.worker.js',
    'dist/wasm/deformconv-threads-relaxed-node.worker.js', 'dist/wasm/deformconv-threads-relaxed-web.worker.js');
  expect(files).toEqual(expect.arrayContaining(required));
  const extra = files.filter((f) => !['package.json', 'README.md', 'LICENSE'].includes(f) && !f.startsWith('dist/'));
  expect(extra).toEqual([]);
  expect(files.filter((f) => /\.(map|tgz|cpp|h|test\.js)$/.test(f) || f.includes('node_modules'))).toEqual([]);
  expect(pack.unpackedSize).toBeLessThan(MAX_UNPACKED_BYTES);
  const license = fs.readFileSync(path.join(app, 'node_modules', 'deformconv-wasm', 'LICENSE'), 'utf8');
  expect(license).toMatch(/^MIT License/);
  expect(license).toContain('deformconv-wasm developers');
});

test('require() works in Node, from the installed copy, and Node exits by itself', async () => {
  const { stdout } = await run(process.execPath, ['require-check.cjs'], { cwd: app, timeout: 60000 });
  const result = JSON.parse(stdout);
  expect(result.resolved).toBe(path.join(app, 'node_modules', 'deformconv-wasm', 'dist', 'index.cjs'));
  expect(result.info).toMatchObject({ backend: 'wasm', wasmBuild: 'threads', threads: 2 });
  expectCaseResult(result, 'require');
});

test('import works in Node, from the installed copy, with the same named exports as require and no default', async () => {
  const { stdout } = await run(process.execPath, ['import-check.mjs'], { cwd: app, timeout: 60000 });
  const result = JSON.parse(stdout);
  expect(result.resolved).toBe(`file://${path.join(app, 'node_modules', 'deformconv-wasm', 'dist', 'index.mjs')}`);
  expect(result.named).toBe(true);
  expectCaseResult(result, 'import');
});

/** deformconv-wasm/onnx's run of model.onnx against onnxruntime-web's own. */
function expectOnnxResult(result, label) {
  expect(result.partition).toEqual(['onnxruntime', 'deformconv-wasm', 'onnxruntime', 'deformconv-wasm', 'onnxruntime']);
  expect(Object.keys(result.ours)).toEqual(Object.keys(result.theirs));
  for (const name of Object.keys(result.theirs)) expectClose(result.ours[name], result.theirs[name], 1e-4, `${label}: ${name}`);
}

test("require('deformconv-wasm/onnx') works in Node with the consumer's onnxruntime-web", async () => {
  const { stdout } = await run(process.execPath, ['onnx-check.cjs'], { cwd: app, timeout: 120000 });
  const result = JSON.parse(stdout);
  expect(result.resolved).toBe(path.join(app, 'node_modules', 'deformconv-wasm', 'dist', 'onnx.cjs'));
  expectOnnxResult(result, 'require');
});

test("import from 'deformconv-wasm/onnx' works in Node, named exports and no default", async () => {
  const { stdout } = await run(process.execPath, ['onnx-check.mjs'], { cwd: app, timeout: 120000 });
  const result = JSON.parse(stdout);
  expect(result.resolved).toBe(`file://${path.join(app, 'node_modules', 'deformconv-wasm', 'dist', 'onnx.mjs')}`);
  expect(result.hasDefault).toBe(false);
  expectOnnxResult(result, 'import');
});

test('TypeScript examples type-check against the shipped declarations (nodenext and bundler resolution)', async () => {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const project of ['tsconfig.json', 'tsconfig.bundler.json']) {
    const result = await run(process.execPath, [tsc, '-p', project], { cwd: app }).catch((error) => error);
    expect(`${project}: ${result.stdout}${result.stderr}`).toBe(`${project}: `);
  }
  // The check can fail: a wrong call is reported with the shipped declarations' words.
  fs.writeFileSync(path.join(app, 'wrong.mts'), "import { createDeformConv } from 'deformconv-wasm';\nawait createDeformConv({ threads: 'all' });\n");
  fs.writeFileSync(path.join(app, 'tsconfig.wrong.json'), JSON.stringify({ extends: './tsconfig.json', files: ['wrong.mts'] }));
  const wrong = await run(process.execPath, [tsc, '-p', 'tsconfig.wrong.json'], { cwd: app }).then(() => null, (error) => error);
  expect(wrong).not.toBeNull();
  expect(wrong.stdout).toMatch(/wrong\.mts.*Type 'string' is not assignable to type 'number'/s);
});

describe('pages bundled by Vite 7', () => {
  const vite = path.join(ROOT, 'node_modules', 'vite', 'dist', 'node', 'index.js');

  beforeAll(async () => {
    for (const folder of ['vite-page', 'vite-worker']) {
      fs.mkdirSync(path.join(app, folder, 'public'));
      fs.copyFileSync(path.join(app, 'case.json'), path.join(app, folder, 'public', 'case.json'));
      const { stdout, stderr } = await run(process.execPath, ['vite-build.mjs', vite, folder], { cwd: app, timeout: 120000 });
      expect(`${folder}: ${stdout}${stderr}`).toBe(`${folder}: `); // no warnings
    }
  });

  /** Serves folder/dist and resolves to the page's window.result. */
  async function openBundle(folder, isolation) {
    const server = await startServeProcess({ root: path.join(app, folder, 'dist'), isolation });
    const page = await browser.newPage();
    try {
      await page.goto(server.url);
      await page.waitForFunction(() => window.result, null, { timeout: 60000 });
      return await page.evaluate(() => window.result);
    } finally {
      await page.close();
      await server.close();
    }
  }

  test('the bundle carries the .wasm files, the pthread worker and the proxy\'s worker as assets', () => {
    const assets = fs.readdirSync(path.join(app, 'vite-page', 'dist', 'assets'));
    // The proxy's worker, bundled by Vite as a worker script of its own (its default format, iife): one file
    // without import() of its own, which takes the modules' URLs from the page.
    const proxyWorker = assets.filter((f) => /^proxy-worker-.*\.js$/.test(f));
    expect(proxyWorker.length).toBe(1);
    expect(fs.readFileSync(path.join(app, 'vite-page', 'dist', 'assets', proxyWorker[0]), 'utf8')).not.toMatch(/\bimport\s*\(\s*["'`]/);
    // The threaded and SIMD-only builds, each plain and with relaxed SIMD, and the SIMD-free validator the
    // WebGPU backend uses without SIMD.
    expect(assets.filter((f) => f.endsWith('.wasm')).length).toBe(5);
    expect(assets.some((f) => f.startsWith('deformconv-threads-web.worker'))).toBe(true);
    expect(assets.some((f) => f.startsWith('deformconv-threads-relaxed-web.worker'))).toBe(true);
  });

  test('with Vite\'s defaults, the page runs the operation in Chromium: threaded build when isolated', async () => {
    const result = await openBundle('vite-page', true);
    expect(result.error).toBeUndefined();
    expect(result.isolated).toBe(true);
    expect(result.info.wasmBuild).toBe('threads');
    expect(result.info.relaxedSimd).toBe(true); // Chromium takes relaxed SIMD: the bundle carries that build too
    expect(result.info.threads).toBeGreaterThan(1);
    expect(result.info.proxy).toBe(true); // the calls ran in the proxy's worker, which Vite bundled
    expectCaseResult(result, 'Vite page');
  });

  test('with Vite\'s defaults, the page runs the operation in Chromium: SIMD-only build when not isolated', async () => {
    const result = await openBundle('vite-page', false);
    expect(result.error).toBeUndefined();
    expect(result.isolated).toBe(false);
    expect(result.info).toMatchObject({ wasmBuild: 'simd', relaxedSimd: true, threads: 1, proxy: true });
    expectCaseResult(result, 'Vite page (not isolated)');
  });

  test('inside a module Web Worker bundled by Vite, isolated and not', async () => {
    for (const isolation of [true, false]) {
      const result = await openBundle('vite-worker', isolation);
      expect(result.error).toBeUndefined();
      expect(result.isolated).toBe(isolation);
      expect(result.worker.info.wasmBuild).toBe(isolation ? 'threads' : 'simd');
      // In the page's own worker the instance runs on that worker's thread; on the page, in the proxy's worker.
      expect(result.worker.info.proxy).toBe(false);
      expect(result.main.info.proxy).toBe(true);
      expectCaseResult(result.main, `Vite worker page, main thread (isolated: ${isolation})`);
      expectCaseResult(result.worker, `Vite worker page, worker (isolated: ${isolation})`);
    }
  });
});

test('the unbundled browser build works inside a module Web Worker', async () => {
  const server = await startServeProcess({ root: app, isolation: true });
  const page = await browser.newPage();
  try {
    await page.goto(`${server.origin}/raw/`);
    await page.waitForFunction(() => window.result, null, { timeout: 60000 });
    const result = await page.evaluate(() => window.result);
    expect(result.isolated).toBe(true);
    expect(result.info.wasmBuild).toBe('threads');
    expect(result.info.proxy).toBe(false);
    expectCaseResult(result, 'worker');
  } finally {
    await page.close();
    await server.close();
  }
});

test('no console errors, uncaught exceptions or failed requests in any page, and no warnings', () => {
  expect(browser.problems).toEqual([]);
  expect(browser.warnings).toEqual([]);
});
