// The demo page (web/) in Debian's Chromium, served by scripts/serve.mjs as npm start serves it: loads cross-origin
// isolated with the threaded build; still computes without the isolation headers (SIMD-only build); a dragged
// sampling point gives the output the library computes for that offset (checked against a direct call in Node);
// the layout highlight maps every cell for a 3x3 kernel with 2 offset groups as layouts.toMindSpore moves the
// values; WebGPU runs in the page when that backend exists, and without it the page says why; no console errors
// or warnings (Emscripten's "Blocking on the main thread" included: the instances run in the proxy's worker);
// screenshots for people to look at
// (tests/.artifacts/demo-desktop.png, demo-phone.png).
const { launchChromium, artifactPath } = require('./chromium');
const { startServeProcess } = require('./serve-process');
const { api, expectClose, FORWARD_TOLERANCE } = require('../js/helpers');

let browser, isolatedServer, plainServer, dc;

beforeAll(async () => {
  [browser, isolatedServer, plainServer, dc] = await Promise.all([
    launchChromium(),
    startServeProcess({ isolation: true }),
    startServeProcess({ isolation: false }),
    api.createDeformConv({ threads: 1 }),
  ]);
});

afterAll(async () => {
  if (dc) dc.dispose();
  await Promise.all([browser && browser.close(), isolatedServer && isolatedServer.close(), plainServer && plainServer.close()]);
});

/** Opens the page (after initScript, if given) and waits until it has computed its first output. */
async function openDemo(server, initScript = null) {
  const page = await browser.newPage();
  if (initScript) await page.addInitScript(initScript);
  await page.goto(server.url);
  await page.waitForFunction(() => window.deformconvDemo && window.deformconvDemo.computeCount > 0, null, { timeout: 60000 });
  return page;
}

const idle = (page) => page.evaluate(() => window.deformconvDemo.whenIdle());

/** The page's current call: tensors (as Float32Arrays), picked pixel, the output it shows. */
async function pageCall(page) {
  const call = await page.evaluate(() => {
    const demo = window.deformconvDemo;
    // Tensors travel as base64 of their bytes: a plain array of numbers is slow through the DevTools protocol.
    const plain = (t) => {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      let binary = '';
      for (let k = 0; k < bytes.length; k += 0x8000) binary += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
      return { base64: btoa(binary), shape: t.shape };
    };
    const t = demo.tensors();
    const shown = [...document.querySelectorAll('#output-values .output-value')]
      .map((node) => ({ channel: Number(node.dataset.channel), value: Number(node.dataset.value), text: node.textContent }));
    return {
      input: plain(t.input), offset: plain(t.offset), mask: plain(t.mask), weight: plain(t.weight), padding: t.padding,
      pixel: { ...demo.state.pixel }, output: plain(demo.output), shown,
    };
  });
  for (const key of ['input', 'offset', 'mask', 'weight', 'output']) {
    const bytes = Buffer.from(call[key].base64, 'base64');
    call[key] = { data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).slice(), shape: call[key].shape };
  }
  return call;
}

/** Runs the page's call directly in Node and checks what the page shows against it. */
async function expectPageMatchesDirectCall(call) {
  const y = await dc.deformConv2d(call.input, call.offset, call.weight, { mask: call.mask, padding: call.padding });
  expect(call.output.shape).toEqual(y.shape);
  expectClose(call.output.data, y.data, FORWARD_TOLERANCE, 'page output vs direct call');
  const [, C, Ho, Wo] = y.shape;
  const { ho, wo } = call.pixel;
  expect(call.shown.map((s) => s.channel).sort()).toEqual(Array.from({ length: C }, (_, c) => c));
  for (const s of call.shown) {
    const expected = y.data[(s.channel * Ho + ho) * Wo + wo];
    expectClose([s.value], [expected], FORWARD_TOLERANCE, `shown value of channel ${s.channel}`);
    expect(s.text).toBe(s.value.toFixed(4));
  }
  return y;
}

describe('served with the cross-origin isolation headers', () => {
  let page;
  beforeAll(async () => {
    page = await openDemo(isolatedServer);
  });

  test('npm start prints the address and / leads to the page', async () => {
    expect(isolatedServer.url).toBe(`${isolatedServer.origin}/web/`);
    const response = await fetch(`${isolatedServer.origin}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/web/');
    const wasm = await fetch(`${isolatedServer.origin}/dist/wasm/deformconv-simd-web.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(wasm.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const mjs = await fetch(`${isolatedServer.origin}/dist/browser.mjs`);
    expect(mjs.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${isolatedServer.origin}/package.json`)).status).toBe(404);
  });

  test('the page is isolated and runs the threaded build with more than one thread', async () => {
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    const info = await page.evaluate(() => window.deformconvDemo.instances.wasm.info());
    expect(info.wasmBuild).toBe('threads');
    expect(info.relaxedSimd).toBe(true); // Chromium takes relaxed SIMD: the relaxed build's fused multiply-add
    expect(info.threads).toBeGreaterThan(1);
    expect(info.proxy).toBe(true); // the default on a page's main thread
    const status = await page.textContent('#status');
    expect(status).toContain(`threaded WebAssembly build runs with ${info.threads} threads`);
    expect(status).toContain('The calls run in a Web Worker the library starts (its proxy)');
    const runInfo = await page.textContent('#run-info');
    expect(runInfo).toMatch(new RegExp(`threaded build · ${info.threads} threads · SIMD: wasm-relaxed-simd · [0-9.]+ ms per call`));
    expect(runInfo).toContain('torchvision and MindSpore layouts agree');
    await expectPageMatchesDirectCall(await pageCall(page));
  });

  test('dragging a sampling point changes the output to what the library computes for that offset', async () => {
    const before = await pageCall(page);
    const { ho, wo } = before.pixel;
    await page.locator('#picture-overlay').evaluate((svg) => svg.scrollIntoView({ block: 'center' }));
    const dot = page.locator('#picture-overlay .point[data-g="0"][data-t="0"] .point-dot');
    const box = await dot.boundingBox();
    const frame = await page.locator('#picture-overlay').boundingBox();
    const zoomSize = await page.evaluate(() => document.getElementById('picture-overlay').viewBox.baseVal.width);
    const cssPerPixel = frame.width / zoomSize;
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 1.5 * cssPerPixel, y + 0.75 * cssPerPixel, { steps: 6 });
    await page.mouse.up();
    await idle(page);

    const after = await pageCall(page);
    const Ho = after.offset.shape[2], Wo = after.offset.shape[3];
    const at = (channel) => after.offset.data[(channel * Ho + ho) * Wo + wo];
    // Tap 0 of group 0: torchvision channels 0 (dy) and 1 (dx); the drag was +0.75 px down, +1.5 px right.
    expect(Math.abs(at(0) - 0.75)).toBeLessThan(0.06);
    expect(Math.abs(at(1) - 1.5)).toBeLessThan(0.06);
    // Only that pixel's offsets changed.
    const changed = after.offset.data.map((v, k) => v !== before.offset.data[k]).filter(Boolean).length;
    expect(changed).toBe(2);
    const y1 = await expectPageMatchesDirectCall(after);
    const C = y1.shape[1];
    const shownBefore = before.shown.map((s) => s.value), shownAfter = after.shown.map((s) => s.value);
    expect(shownAfter).not.toEqual(shownBefore);
    expect(C).toBe(6);
    // The dot is drawn where it now samples, and the layout panel reports the new value.
    const moved = await page.locator('#picture-overlay .point[data-g="0"][data-t="0"]').evaluate((g) => [Number(g.dataset.dy), Number(g.dataset.dx)]);
    expect(moved).toEqual([at(0), at(1)]);
    const short = (v) => Math.round(v * 1e4) / 1e4;
    expect(await page.textContent('#code-torchvision')).toContain(`(0, 0, ${short(at(0))}, ${short(at(1))}, 1)`);
  });

  test('a focused sampling point moves with the arrow keys', async () => {
    const point = page.locator('#picture-overlay .point[data-g="0"][data-t="4"]');
    await point.focus();
    await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('ArrowDown');
    await idle(page);
    const [dy, dx] = await point.evaluate((g) => [Number(g.dataset.dy), Number(g.dataset.dx)]);
    expect(dy).toBeCloseTo(0.1, 6);
    expect(dx).toBe(-1);
    await expectPageMatchesDirectCall(await pageCall(page));
    await page.keyboard.press('Delete');
    await idle(page);
    expect(await point.evaluate((g) => [Number(g.dataset.dy), Number(g.dataset.dx)])).toEqual([0, 0]);
  });

  test('the layout highlight maps every cell correctly for a 3x3 kernel with 2 offset groups', async () => {
    await page.selectOption('#kernel-height', '3');
    await page.selectOption('#kernel-width', '3');
    await page.selectOption('#offset-groups', '2');
    await idle(page);
    const [K, G] = [9, 2];
    // Where layouts.toMindSpore moves each torchvision channel: tag every channel with its own number.
    const offset = { data: Float32Array.from({ length: 2 * G * K }, (_, c) => c), shape: [1, 2 * G * K, 1, 1] };
    const mask = { data: Float32Array.from({ length: G * K }, (_, c) => 1000 + c), shape: [1, G * K, 1, 1] };
    const ms = api.layouts.toMindSpore(offset, mask, [3, 3]).data;
    const msChannelOf = (tensor, channel) => ms.indexOf(tensor === 'mask' ? 1000 + channel : channel);

    const visits = await page.evaluate(() => {
      const describe = (cell) => ({ layout: cell.dataset.layout, tensor: cell.dataset.tensor, channel: Number(cell.dataset.channel) });
      return [...document.querySelectorAll('.strips .cell')].map((cell) => {
        cell.click();
        return {
          from: describe(cell),
          partners: [...document.querySelectorAll('.strips .cell.is-match')].filter((c) => c !== cell).map(describe),
          taps: [...document.querySelectorAll('.tap.is-match')].map((t) => Number(t.dataset.t)),
          formula: document.getElementById('layout-formula').textContent,
        };
      });
    });
    expect(visits.length).toBe(2 * G * K + G * K + 3 * G * K);
    for (const visit of visits) {
      expect(visit.partners.length).toBe(1);
      const [tv, msCell] = visit.from.layout === 'torchvision' ? [visit.from, visit.partners[0]] : [visit.partners[0], visit.from];
      expect(tv.layout).toBe('torchvision');
      expect(msCell).toEqual({ layout: 'mindspore', tensor: 'offsets', channel: msChannelOf(tv.tensor, tv.channel) });
      const tap = tv.tensor === 'mask' ? tv.channel % K : Math.floor(tv.channel / 2) % K;
      expect(visit.taps).toEqual([tap]);
      expect(visit.formula).toContain(`= ${tv.channel}`);
      expect(visit.formula).toContain(`= ${msCell.channel}   (block`);
    }

    // A real pointer hover shows the partner too, and the arrow keys walk a strip.
    await page.hover('#torchvision-strips .cell[data-tensor="offset"][data-channel="29"]');
    const hovered = await page.locator('#mindspore-strips .cell.is-match').getAttribute('data-channel');
    expect(Number(hovered)).toBe(msChannelOf('offset', 29));
    await page.mouse.move(0, 0); // a pointer left over the strips would preview whatever scrolls under it
    await page.locator('#mindspore-strips .cell[data-channel="0"]').focus();
    await page.keyboard.press('ArrowRight');
    const focused = await page.evaluate(() => document.activeElement.dataset.channel);
    expect(focused).toBe('1');
    expect(await page.locator('#torchvision-strips .cell.is-match').getAttribute('data-channel')).toBe(String(ms[1]));
  });

  test('WebGPU runs in the page when that backend exists', async () => {
    const probe = await page.evaluate(async () => ({
      available: Boolean(window.deformconvDemo.instances.webgpu),
      switchShown: !document.getElementById('backend-switch').hidden,
      status: document.getElementById('status').textContent,
      hasAdapter: Boolean(navigator.gpu && await navigator.gpu.requestAdapter()),
    }));
    expect(probe.switchShown).toBe(probe.available);
    if (!probe.available) {
      // This browser gives the page no WebGPU device: the page says why and offers no switch (the test below
      // forces this case).
      expect(probe.status).toMatch(/ WebGPU: not used \(backend 'webgpu' is not available: /);
      console.log(`WebGPU: not available in this browser; the page says: ${probe.status}`);
      return;
    }
    expect(probe.hasAdapter).toBe(true);
    await page.check('input[name="backend"][value="webgpu"]');
    await idle(page);
    await page.waitForFunction(() => document.getElementById('run-info').dataset.backend === 'webgpu');
    await expectPageMatchesDirectCall(await pageCall(page));
    await page.check('input[name="backend"][value="wasm"]');
    await idle(page);
  });

  test('screenshots: a laptop screen and a phone-width window, nothing wider than the window', async () => {
    // Two offset groups with different patterns: group 1 spread out, group 0 rotated and being edited.
    await page.selectOption('#edit-group', '1');
    await page.click('#preset-spread');
    await page.selectOption('#edit-group', '0');
    await page.click('#preset-rotate');
    await page.evaluate(() => document.querySelectorAll('.strips').forEach((strip) => { strip.scrollTop = 0; }));
    await page.locator('#torchvision-strips .cell[data-tensor="offset"][data-channel="3"]').click();
    await page.mouse.move(0, 0);
    await idle(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: artifactPath('demo-desktop.png'), fullPage: true });
    // The view docs/demo.png shows: the header, the layouts and the operation.
    const bottom = await page.locator('#operation').evaluate((section) => section.getBoundingClientRect().bottom + window.scrollY);
    await page.screenshot({ path: artifactPath('demo-overview.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(bottom) } });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: artifactPath('demo-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});

test('in a browser without WebGPU the page says why WebGPU is not used and offers no backend switch', async () => {
  // navigator.gpu removed before the page's scripts run, in the page and in the Web Workers it starts (the
  // instances run in the proxy's worker, which has a navigator.gpu of its own): what a browser without WebGPU
  // shows. A worker starts from a module that removes it, then imports the worker's own script.
  const page = await openDemo(isolatedServer, () => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
    const PageWorker = Worker;
    window.Worker = class extends PageWorker {
      constructor(url, options) {
        const script = new URL(url, location.href).href;
        const prelude = "Object.defineProperty(WorkerNavigator.prototype, 'gpu', { get: () => undefined, configurable: true });\n" +
          `await import(${JSON.stringify(script)});`;
        super(URL.createObjectURL(new Blob([prelude], { type: 'text/javascript' })), options);
      }
    };
  });
  try {
    const probe = await page.evaluate(() => ({
      available: Boolean(window.deformconvDemo.instances.webgpu),
      switchHidden: document.getElementById('backend-switch').hidden,
      status: document.getElementById('status').textContent,
    }));
    expect(probe.available).toBe(false);
    expect(probe.switchHidden).toBe(true);
    expect(probe.status).toMatch(/ WebGPU: not used \(backend 'webgpu' is not available: WebGPU is not available: navigator\.gpu is missing/);
    await expectPageMatchesDirectCall(await pageCall(page)); // the page still computes, on WebAssembly
  } finally {
    await page.close();
  }
});

describe('served without the isolation headers', () => {
  test('the page still computes, on the SIMD-only build, and says why', async () => {
    const page = await openDemo(plainServer);
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
    const info = await page.evaluate(() => window.deformconvDemo.instances.wasm.info());
    expect(info).toMatchObject({ wasmBuild: 'simd', relaxedSimd: true, threads: 1 });
    expect(await page.textContent('#status')).toContain('Not cross-origin isolated');
    expect(await page.textContent('#run-info')).toMatch(/SIMD-only build · 1 thread · SIMD: wasm-relaxed-simd/);
    await page.click('#preset-random');
    await idle(page);
    await expectPageMatchesDirectCall(await pageCall(page));
    await page.close();
  });
});

test('no console errors, uncaught exceptions or failed requests on any page', () => {
  expect(browser.problems).toEqual([]);
});

test('no console warnings on any page (its Web Workers included): the proxy keeps the calls off the page\'s thread', () => {
  expect(browser.warnings).toEqual([]);
});
