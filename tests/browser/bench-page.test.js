// The benchmark page (web/bench.html) in Debian's Chromium, served by scripts/serve.mjs as npm start serves it,
// with a tiny time budget (one round per layer): it runs every benchmark layer in a Web Worker, cross-origin
// isolated with 2 threads (threaded builds), and a few layers not isolated (one thread, our SIMD-only build) and
// on the main thread; ours and onnxruntime-web agree on each before timing; the table, the chart and the "what
// runs" list are filled; nothing is printed on the console (no warning either), no request fails; Stop stops a
// run and the demo page links to the benchmark. The numbers themselves are not checked (a shared machine).
// Screenshot: tests/.artifacts/bench-page.png.
const { execFileSync } = require('child_process');
const path = require('path');
const { launchChromium, artifactPath } = require('./chromium');
const { startServeProcess } = require('./serve-process');

jest.setTimeout(300000);

// The benchmark layers, in order (bench/shapes.mjs is an ES module, which Jest's CommonJS runtime cannot import).
const shapeNames = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e',
  `import { SHAPES } from ${JSON.stringify(path.join(__dirname, '..', '..', 'bench', 'shapes.mjs'))};
   console.log(JSON.stringify(SHAPES.map((s) => s.name)));`], { encoding: 'utf8' }));

let browser, isolatedServer, plainServer;
const consoleMessages = [];

beforeAll(async () => {
  // Each assigned as soon as it runs, so that afterAll closes whatever started even if another failed.
  await Promise.all([
    launchChromium().then((b) => { browser = b; }),
    startServeProcess({ isolation: true }).then((s) => { isolatedServer = s; }),
    startServeProcess({ isolation: false }).then((s) => { plainServer = s; }),
  ]);
});

afterAll(async () => {
  await Promise.all([browser && browser.close(), isolatedServer && isolatedServer.close(), plainServer && plainServer.close()]);
});

/** Opens the page with these settings in its address; watches its console (warnings included: none allowed). */
async function openBench(server, query) {
  const page = await browser.context.newPage();
  page.on('console', (message) => {
    if (message.type() !== 'log' && message.type() !== 'debug') consoleMessages.push(`${message.type()}: ${message.text()}`);
  });
  await page.goto(`${server.origin}/web/bench.html?${query}`);
  return page;
}

const finished = (page, timeout = 240000) => page.waitForFunction(
  () => window.deformconvBench && !['idle', 'running'].includes(window.deformconvBench.status), null, { timeout, polling: 250 },
);

/** Checks a finished run: every layer agreed and was timed, and the page shows it. */
async function expectCompleteRun(page, names) {
  const bench = await page.evaluate(() => window.deformconvBench);
  expect(bench.error).toBe(null);
  expect(bench.status).toBe('done');
  expect(bench.results.shapes.map((r) => r.name)).toEqual(names);
  for (const r of bench.results.shapes) {
    expect(r.agreement).toEqual(expect.objectContaining({ ok: true, tolerance: 1e-4 }));
    expect(r.agreement.worst).toBeLessThanOrEqual(1e-4);
    for (const side of [r.ours, r.ortWeb]) {
      expect(side.calls).toBeGreaterThanOrEqual(3);
      expect(side.medianMs).toBeGreaterThan(0);
      expect(side.p25Ms).toBeLessThanOrEqual(side.p75Ms);
    }
    expect(r.ratio).toBeGreaterThan(0);
    expect(r.rounds).toBeGreaterThanOrEqual(1);
  }
  const rows = await page.$$eval('#results-body tr', (trs) => trs.map((tr) => ({
    name: tr.dataset.shape, cells: [...tr.children].map((td) => td.textContent),
  })));
  expect(rows.map((r) => r.name)).toEqual(names);
  for (const row of rows) {
    expect(row.cells).toHaveLength(9);
    expect(row.cells[2]).toMatch(/^yes \(/);
    expect(row.cells[7]).toMatch(/^\d+\.\d\dx/);
  }
  expect(await page.$$eval('#chart svg rect[fill="#1f5fbf"]', (r) => r.length)).toBe(names.length + 1); // + the legend's
  expect(await page.isVisible('#results-section')).toBe(true);
  expect(await page.textContent('#status')).toMatch(/^Done in \d+ s: deformconv-wasm was [0-9.]+x to [0-9.]+x as fast as onnxruntime-web/);
  expect(await page.$eval('#progress', (p) => p.value)).toBe(1);
  return bench;
}

test('cross-origin isolated, 2 threads, in a Web Worker: every layer agrees, is timed, shown in the table and the chart', async () => {
  const page = await openBench(isolatedServer, 'threads=2&seconds=0&rounds=1&autostart=1');
  await finished(page);
  const bench = await expectCompleteRun(page, shapeNames);
  const env = bench.results.environment;
  expect(env).toEqual(expect.objectContaining({ where: 'worker', crossOriginIsolated: true }));
  expect(env.ours).toEqual(expect.objectContaining({ backend: 'wasm', wasmBuild: 'threads', threads: 2, simdInstructions: 'wasm-relaxed-simd', relaxedSimd: true }));
  expect(env.ortWeb).toEqual(expect.objectContaining({ version: expect.stringMatching(/^1\.\d+\.\d+$/), numThreads: 2 }));
  const listed = await page.textContent('#environment');
  expect(listed).toContain('threads build, 2 threads');
  expect(listed).toContain('a Web Worker');
  expect(await page.inputValue('#threads')).toBe('2');
  await page.screenshot({ path: artifactPath('bench-page.png'), fullPage: true });
  await page.close();
});

test('not isolated: one thread and our SIMD-only build, in a Web Worker and on the main thread', async () => {
  const names = ['s2_128c_32px', 'groups2_128c_32px'];
  for (const where of ['worker', 'main']) {
    // The page holds the thread count at 1 without isolation, whatever the address asks.
    const page = await openBench(plainServer, `threads=2&where=${where}&seconds=0&rounds=1&shapes=${names.join(',')}&autostart=1`);
    await finished(page);
    const bench = await expectCompleteRun(page, names);
    expect(bench.results.environment).toEqual(expect.objectContaining({ where, crossOriginIsolated: false }));
    expect(bench.results.environment.ours).toEqual(expect.objectContaining({ wasmBuild: 'simd', threads: 1 }));
    expect(bench.results.environment.ortWeb.numThreads).toBe(1);
    expect(await page.isDisabled('#threads')).toBe(true);
    await page.close();
  }
});

test('Stop ends a run; the page starts again from its form', async () => {
  const page = await openBench(isolatedServer, 'threads=1&seconds=30&shapes=s1_64c_64px&autostart=1');
  await page.waitForFunction(() => /timing/.test(window.deformconvBench.progress.text), null, { timeout: 60000, polling: 100 });
  await page.click('#stop');
  await finished(page, 10000);
  expect(await page.evaluate(() => window.deformconvBench.status)).toBe('stopped');
  expect(await page.isDisabled('#stop')).toBe(true);
  await page.fill('#seconds', '0');
  await page.click('#start');
  await finished(page);
  expect(await page.evaluate(() => window.deformconvBench.status)).toBe('done');
  expect(await page.evaluate(() => location.search)).toContain('seconds=0');
  await page.close();
});

test('settings the page cannot take are named, and the defaults shown', async () => {
  const page = await openBench(isolatedServer, 'shapes=no_such_layer&autostart=1');
  await page.waitForFunction(() => window.deformconvBench && window.deformconvBench.error, null, { timeout: 30000 });
  expect(await page.evaluate(() => window.deformconvBench.status)).toBe('idle');
  expect(await page.textContent('#status')).toContain('unknown layer no_such_layer');
  await page.close();
});

test('the server gives the page bench/ and onnxruntime-web\'s dist/, and nothing else of node_modules', async () => {
  const status = async (url) => (await fetch(`${isolatedServer.origin}${url}`)).status;
  expect(await status('/bench/shapes.mjs')).toBe(200);
  expect(await status('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs')).toBe(200);
  expect(await status('/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm')).toBe(200);
  expect(await status('/dist/bench/onnx-model.mjs')).toBe(200);
  expect(await status('/node_modules/onnxruntime-web/package.json')).toBe(404);
  expect(await status('/node_modules/onnxruntime-web/dist/../package.json')).toBe(404);
  expect(await status('/node_modules/onnx-proto/dist/onnx.js')).toBe(404);
  expect(await status('/node_modules/onnxruntime-web/distx/ort.min.mjs')).toBe(404);
  expect(await status('/package.json')).toBe(404);
});

test('the demo page links to the benchmark', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${isolatedServer.origin}/web/`);
  const href = await page.getAttribute('a[href="bench.html"]', 'href');
  expect(href).toBe('bench.html');
  await page.close();
});

test('nothing went wrong on the console or the network', () => {
  expect(consoleMessages).toEqual([]);
  expect(browser.problems).toEqual([]);
});
