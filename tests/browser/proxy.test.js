// The proxy (createDeformConv's `proxy` option, bindings/proxy/) in Debian's Chromium, on pages served by
// scripts/serve.mjs with and without cross-origin isolation: the instance runs in the package's own Web Worker
// by default on a page's main thread, and gives the same results (every golden case through both conventions,
// both data formats, gradients and prepared layers; the WebGPU backend too) and the same errors (each class,
// word for word, as an instance on the page's thread, a bad argument failing before anything is sent); the
// caller's arrays are read when a call is made and stay usable; many calls in flight settle in order; dispose()
// and a worker that dies reject what waits and end the workers; the page keeps responding during a long call;
// the package still works in a Web Worker of the page's own and with proxy: false; a page that forbids workers
// falls back to its own thread. No page logs a warning or an error, Emscripten's included, except the two that
// must warn (a page without workers, and too many threads asked for without isolation).
// The page code is tests/browser/proxy/checks.mjs; each test calls one of its functions.
const { launchChromium } = require('./chromium');
const { startServeProcess } = require('./serve-process');
const { ROOT, goldenCases } = require('../js/helpers');

const GOLDEN = require('../webgpu/checks.json').golden;
// A layer that takes a while (forward about 19 GFLOP: 250 ms or more at 2 threads): long enough to see whether
// the page keeps responding.
const LONG = { N: 1, C: 128, S: 256 };
const SUITE_TIMEOUT_MS = 10 * 60 * 1000;

const cases = goldenCases();
const basic = cases.find((c) => c.name === 'basic_3x3');
let browser, isolated, plain;
// Console messages of every page, kept apart for the pages that are meant to warn.
const consoleMessages = [];
const goldenResults = new Map();

/** A new page of the server with the checks module loaded; `label` tags its console messages. */
async function openPage(server, label, file = 'page.html') {
  const page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') {
      consoleMessages.push({ label, type: message.type(), text: message.text(), fromWorker: Boolean(message.worker && message.worker()) });
    }
  });
  await page.goto(`${server.origin}/tests/browser/proxy/${file}`);
  return page;
}

/** Runs checks.mjs's `name`(...args) in the page and returns what it returns. */
function inPage(page, name, ...args) {
  return page.evaluate(async ({ name, args }) => (await import('/tests/browser/proxy/checks.mjs'))[name](...args), { name, args });
}

/** Runs fn(page) on a fresh page of the server, then closes the page. */
async function withPage(server, label, fn, file) {
  const page = await openPage(server, label, file);
  try {
    return await fn(page);
  } finally {
    await page.close();
  }
}

/** The page's dedicated workers (the proxy's and the pthreads it starts) until there are `count`, or 10 s. */
async function workersSettleAt(page, count) {
  const end = Date.now() + 10000;
  while (page.workers().length !== count && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 50));
  return page.workers().map((w) => new URL(w.url()).pathname);
}

beforeAll(async () => {
  [browser, isolated, plain] = await Promise.all([
    launchChromium(),
    startServeProcess({ isolation: true, root: ROOT }),
    startServeProcess({ isolation: false, root: ROOT }),
  ]);
  for (const [server, where] of [[isolated, 'isolated'], [plain, 'not isolated']]) {
    await withPage(server, 'golden', async (page) => {
      for (const r of await inPage(page, 'goldenSuite', {}, cases, GOLDEN)) goldenResults.set(`${where}: ${r.name}`, r);
    });
  }
}, SUITE_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([browser && browser.close(), isolated && isolated.close(), plain && plain.close()]);
});

describe('on a page\'s main thread the instance runs in the proxy\'s worker', () => {
  test('by default and with proxy true; proxy false runs on the page\'s thread; info() says which', async () => {
    for (const [server, build] of [[isolated, 'threads'], [plain, 'simd']]) {
      const infos = await withPage(server, 'where', (page) => inPage(page, 'whereCallsRun'));
      for (const name of ['default', 'auto', 'true']) {
        expect(infos[name]).toMatchObject({ proxy: true, proxyReason: null, backend: 'wasm', wasmBuild: build, relaxedSimd: true, isDeformConv: true, backendProperty: 'wasm' });
      }
      expect(infos.false).toMatchObject({ proxy: false, proxyReason: 'proxy: false', wasmBuild: build, isDeformConv: true });
      const { proxy, proxyReason, isDeformConv, backendProperty, ...facts } = infos.default;
      const { proxy: p2, proxyReason: r2, isDeformConv: d2, backendProperty: b2, ...factsHere } = infos.false;
      expect(facts).toEqual(factsHere); // the same build, threads and version, wherever it runs
      expect(Object.keys(infos.default).slice(0, 2)).toEqual(['backend', 'version']);
    }
  });

  const golden = [
    'the instance runs in the proxy\'s worker',
    ...cases.flatMap((c) => [...GOLDEN.map((check) => `${c.name}: ${check}`), `${c.name}: prepared layer torchvision NCHW`, `${c.name}: prepared layer MindSpore NHWC`]),
  ];
  test.each([...golden.map((name) => `isolated: ${name}`), ...golden.map((name) => `not isolated: ${name}`)])('golden, %s', (name) => {
    const r = goldenResults.get(name);
    if (!r) throw new Error('no result for this check');
    if (!r.ok) throw new Error(r.message);
  });

  test('the WebGPU backend runs in the worker too (it opens its own device there)', async () => {
    const info = await withPage(plain, 'webgpu', (page) => inPage(page, 'webgpuThroughProxy', basic));
    expect(info).toMatchObject({ backend: 'webgpu', proxy: true, wasmBuild: 'simd' });
  });
});

describe('errors', () => {
  let results;
  beforeAll(async () => {
    results = await withPage(isolated, 'errors', (page) => inPage(page, 'sameErrors', basic));
  });

  // Argument kinds and option names are checked on the page (calls.js), so these fail without a message to the worker.
  const onThePage = ['input is null', 'Float64Array data', 'an unknown option', 'detached data', 'a lower-case dataFormat',
    'MindSpore strides as a number', 'modulated not a boolean'];
  // Shapes and sizes are the core's, in the worker.
  const inTheWorker = ['offset channels', 'data shorter than its shape', 'a call beyond 4 GiB', 'gradOutput of another shape'];
  const layers = ['prepared layer: a mask for a MindSpore layer', 'prepared layer: an input of another shape', 'prepared layer: disposed'];

  test.each([...onThePage, ...inTheWorker, ...layers, 'disposed instance'])('%s: the same class and message as on the page\'s thread', (name) => {
    const { proxied, here } = results[name];
    expect(here.ok).toBe(false);
    const { posted, ...settled } = proxied;
    expect(settled).toEqual(here);
    expect(proxied.sameRealm).toBe(true); // an Error of the page, not of the worker
  });

  test('each class comes through: TypeError, RangeError (the core\'s, from the worker) and Error', () => {
    const kinds = (names) => new Set(names.map((name) => results[name].proxied.kind));
    expect(kinds(onThePage)).toEqual(new Set(['TypeError', 'RangeError']));
    expect(kinds(inTheWorker)).toEqual(new Set(['RangeError']));
    expect(results['a call beyond 4 GiB'].proxied.message).toMatch(/more than the 4294967296 bytes \(4 GiB\)/);
    expect(results['prepared layer: disposed'].proxied).toMatchObject({ kind: 'Error', message: 'this prepared layer was disposed; prepare it again' });
    expect(results['disposed instance'].proxied).toMatchObject({ kind: 'Error', message: expect.stringMatching(/^this DeformConv instance was disposed/) });
  });

  test('a bad argument fails on the page: nothing is sent to the worker', () => {
    for (const name of onThePage) expect(`${name}: ${results[name].proxied.posted}`).toBe(`${name}: 0`);
    for (const name of inTheWorker) expect(`${name}: ${results[name].proxied.posted}`).toBe(`${name}: 1`);
  });

  test('createDeformConv: bad proxy options, and an Error of the worker\'s, arrive as on the page\'s thread', async () => {
    const r = await withPage(plain, 'creation', (page) => inPage(page, 'creationErrors'));
    expect(r['proxy: "yes"']).toMatchObject({ kind: 'RangeError', message: 'proxy must be \'auto\', true or false, got the string "yes"' });
    expect(r['proxy: 1']).toMatchObject({ kind: 'TypeError', message: 'proxy must be \'auto\', true or false, got number 1' });
    expect(r['proxy: true with a gpu object']).toMatchObject({ kind: 'TypeError', message: expect.stringMatching(/^proxy: true cannot take a gpu object: it belongs to this thread/) });
    expect(r['wasmBuild threads without isolation']).toMatchObject({ kind: 'Error', sameRealm: true, message: expect.stringMatching(/^wasmBuild 'threads' needs SharedArrayBuffer/) });
  });
});

test('the caller\'s arrays: read when the call is made (SharedArrayBuffer too), still usable, results owned', async () => {
  for (const server of [isolated, plain]) {
    expect(await withPage(server, 'arrays', (page) => inPage(page, 'callersArrays', basic))).toBe(true);
  }
});

test('60 calls in flight (both conventions, gradients, prepared layers, rejections) settle in the order made', async () => {
  const order = await withPage(isolated, 'concurrent', (page) => inPage(page, 'concurrentCalls', cases.slice(0, 6), 60));
  expect(order).toEqual(Array.from({ length: 60 }, (_, i) => i));
});

describe('the worker\'s life', () => {
  test('dispose() rejects the calls in flight and later ones, and ends the worker and its pthreads', async () => {
    await withPage(isolated, 'dispose', async (page) => {
      const r = await inPage(page, 'disposeInFlight', basic);
      const disposed = { ok: false, kind: 'Error', message: 'this DeformConv instance was disposed; create a new one with createDeformConv()' };
      for (const settled of r.inFlight) expect(settled).toMatchObject(disposed);
      expect(r.later).toMatchObject(disposed);
      expect(r.laterLayer).toMatchObject(disposed);
      expect(r.laterPrepare).toMatchObject(disposed);
      expect(r.info).toMatchObject(disposed);
      expect(await workersSettleAt(page, 0)).toEqual([]);
    });
  });

  test('a worker that dies: the call waiting on it rejects with an Error, the instance is disposed', async () => {
    await withPage(isolated, 'dies', async (page) => {
      const r = await inPage(page, 'workerDies', LONG);
      const stopped = { ok: false, kind: 'Error', message: expect.stringMatching(/^the deformconv-wasm worker stopped \(an uncaught error: .*not a message of the proxy.*\), so this DeformConv instance was disposed/) };
      expect(r.pending).toMatchObject(stopped);
      expect(r.later).toMatchObject(stopped);
      expect(r.info).toMatchObject(stopped);
      expect(await workersSettleAt(page, 0)).toEqual([]);
    });
    // The uncaught error is the worker's own report of the fault (the one error this suite provokes).
    const errors = consoleMessages.filter((m) => m.label === 'dies');
    expect(errors.every((m) => /not a message of the proxy/.test(m.text))).toBe(true);
  });

  test('the page keeps responding during a long call (a 5 ms timer keeps ticking); on the page\'s thread it does not', async () => {
    const r = await withPage(isolated, 'heartbeat', (page) => inPage(page, 'heartbeat', LONG));
    const say = (s) => `${s.callMs.toFixed(0)} ms, ${s.beatsInCall} beats in it, longest gap ${s.maxGapMs.toFixed(1)} ms from ${s.maxGapFromMs.toFixed(0)} ms`;
    console.log(`heartbeat during a ${LONG.N}x${LONG.C}x${LONG.S}x${LONG.S} 3x3 call (${r.proxied.threads} threads): ` +
      `proxied ${say(r.proxied)}; on the page's thread ${say(r.here)}`);
    expect(r.same).toBe(true);
    // The check can fail: a page blocked by the call is seen (no beat for most of the call).
    expect(r.here.maxGapMs).toBeGreaterThan(0.8 * r.here.callMs);
    expect(r.proxied.callMs).toBeGreaterThan(100); // long enough for 20 beats
    // Proxied, the timer keeps firing through the call. The bounds leave room for a busy machine, not for a blocked
    // page: with `npm test` on 2 cores, another suite's processes can take the page's core for a while (a CI run saw
    // a 449 ms gap in a 1,287 ms call, and 161 beats), where a blocked page gives one gap as long as the call and
    // no beat in it.
    expect(r.proxied.beatsInCall).toBeGreaterThanOrEqual(r.proxied.callMs / 25);
    expect(r.proxied.maxGapMs).toBeLessThan(Math.max(100, r.proxied.callMs / 2));
  });
});

describe('where the proxy is not used', () => {
  test('in a Web Worker of the page\'s own the instance runs there (no nested proxy); proxy: true starts one from it', async () => {
    for (const [server, build] of [[isolated, 'threads'], [plain, 'simd']]) {
      const r = await withPage(server, 'own worker', (page) => inPage(page, 'inOwnWorker', basic));
      expect(r.error).toBeUndefined();
      expect(r.auto).toMatchObject({ proxy: false, wasmBuild: build, proxyReason: expect.stringMatching(/Web Worker already/) });
      expect(r.forced).toMatchObject({ proxy: true, proxyReason: null, wasmBuild: build });
    }
  });

  test('proxy: false on an isolated page: the threaded build on the page\'s thread, without Emscripten\'s warning', async () => {
    const info = await withPage(isolated, 'proxy false', (page) => inPage(page, 'onThisThread', basic, LONG));
    expect(info).toMatchObject({ proxy: false, proxyReason: 'proxy: false', wasmBuild: 'threads' });
    expect(info.threads).toBeGreaterThan(1);
    expect(consoleMessages.filter((m) => m.label === 'proxy false')).toEqual([]);
  });

  test('a gpuDevice of the page keeps the instance on the page (GPU-resident tensors work there); proxy: true refuses it; a proxied instance rejects GPU tensors with a TypeError', async () => {
    const r = await withPage(plain, 'gpuDevice', (page) => inPage(page, 'withGpuDevice', basic));
    expect(r.info).toMatchObject({ backend: 'webgpu', proxy: false, proxyReason: expect.stringMatching(/^a gpuDevice \(a GPUDevice\) was given, which belongs to this thread/) });
    expect(r.sameDevice).toBe(true);
    expect(r.pageResult).toEqual({ shape: basic.shapes.output, usage: 0x80 | 0x04 | 0x08 });
    expect(r.proxiedInfo).toEqual({ proxy: true, backend: 'webgpu', gpuDevice: null });
    expect(r.gpuTensor).toMatchObject({ ok: false, kind: 'TypeError', message: expect.stringMatching(/^input is a GPU-resident tensor \(\{ gpuBuffer, shape \}\), which the WebGPU backend takes on the thread that holds the device; this instance runs its calls in the proxy's Web Worker: create it with gpuDevice/) });
    expect(r.gpuOutput).toMatchObject({ ok: false, kind: 'TypeError', message: expect.stringMatching(/^output: 'gpu-buffer' asks for the result in a GPU buffer, which the WebGPU backend takes on the thread/) });
    expect(r.sent).toBe(0);
    expect(r.forced).toMatchObject({ ok: false, kind: 'TypeError', message: expect.stringMatching(/^proxy: true cannot take a gpuDevice/) });
  });

  test('a page that forbids workers (CSP worker-src \'none\'): \'auto\' runs on its thread and warns once; true rejects', async () => {
    const r = await withPage(plain, 'no workers', (page) => inPage(page, 'withoutWorkers', basic), 'no-workers.html');
    expect(r.info).toMatchObject({ proxy: false, proxyReason: expect.stringMatching(/^the proxy's worker did not start \(.+\), so the calls run on this thread$/) });
    expect(r.forced).toMatchObject({ ok: false, kind: 'Error', message: expect.stringMatching(/^proxy: true, but the proxy's worker did not start: /) });
    const warnings = consoleMessages.filter((m) => m.label === 'no workers' && m.type === 'warning');
    expect(warnings.map((m) => m.text)).toEqual([expect.stringMatching(/^deformconv-wasm: the proxy's worker did not start/)]);
  });
});

test('a warning of the worker (threads asked for without isolation) appears once, on the page', async () => {
  const infos = await withPage(plain, 'threads warning', (page) => inPage(page, 'workersWarning'));
  expect(infos.map((i) => [i.proxy, i.threads])).toEqual([[true, 1], [true, 1]]);
  const warnings = consoleMessages.filter((m) => m.label === 'threads warning');
  expect(warnings).toEqual([{ label: 'threads warning', type: 'warning', fromWorker: false, text: expect.stringMatching(/4 threads were asked for, but this page is not cross-origin isolated/) }]);
});

test('no page logged a warning or an error, Emscripten\'s included (except the pages meant to)', () => {
  const meant = ['dies', 'no workers', 'threads warning'];
  expect(consoleMessages.filter((m) => !meant.includes(m.label))).toEqual([]);
  // CSP reports the refused worker as a console error of that page; nothing else fails.
  expect(browser.problems.filter((p) => !/Refused to create a worker|worker-src|not a message of the proxy/.test(p))).toEqual([]);
});
