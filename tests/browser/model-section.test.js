// The demo page's "Your model" section (web/model-section.js) in Debian's Chromium, served by scripts/serve.mjs
// as npm start serves it (onnxruntime-web's files from node_modules): the bundled ResNet-50-DCN stage example
// lists its two DeformConv nodes and a five-step plan, runs through onnxruntime-web alone and through
// deformconv-wasm/onnx, and both agree to 1e-4 with both times shown; a model picked with the file input and
// one dropped on the page run too; a file that is not a model says so and the section keeps working; without
// cross-origin isolation it runs on one thread; nothing is wider than a phone's window; no console errors;
// screenshots for people to look at (tests/.artifacts/model-section.png, model-section-phone.png).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { launchChromium, artifactPath } = require('./chromium');
const { startServeProcess } = require('./serve-process');
const models = require('../../tools/onnx-models.cjs');

let browser, isolatedServer, plainServer, tmp;

beforeAll(async () => {
  [browser, isolatedServer, plainServer] = await Promise.all([
    launchChromium({ viewport: { width: 1280, height: 1000 } }),
    startServeProcess({ isolation: true }),
    startServeProcess({ isolation: false }),
  ]);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deformconv-model-page-'));
});

afterAll(async () => {
  await Promise.all([browser && browser.close(), isolatedServer && isolatedServer.close(), plainServer && plainServer.close()]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function openSection(server) {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => window.deformconvModelDemo, null, { timeout: 60000 });
  await page.evaluate(() => window.deformconvModelDemo.whenIdle());
  return page;
}

/** Waits until the section is idle; returns its state (result, error) and what it shows. */
async function settled(page) {
  await page.evaluate(() => window.deformconvModelDemo.whenIdle());
  return page.evaluate(() => {
    const s = window.deformconvModelDemo.state;
    return {
      result: s.result, error: s.error, status: document.getElementById('model-status').textContent,
      nodes: [...document.querySelectorAll('#model-nodes tbody tr')].map((tr) => ({ name: tr.dataset.node, runsOn: tr.dataset.runsOn })),
      plan: [...document.querySelectorAll('#model-plan li')].map((li) => li.dataset.runsOn),
      shown: {
        ort: document.getElementById('model-ort-ms') && document.getElementById('model-ort-ms').textContent,
        ours: document.getElementById('model-ours-ms') && document.getElementById('model-ours-ms').textContent,
        difference: document.getElementById('model-difference') && document.getElementById('model-difference').textContent,
      },
    };
  });
}

function expectRan(s) {
  expect(s.error).toBeNull();
  expect(s.result).not.toBeNull();
  expect(s.result.difference).toBeLessThanOrEqual(1e-4);
  expect(s.result.oursMs).toBeGreaterThan(0);
  expect(s.result.ortMs).toBeGreaterThan(0);
  expect(s.shown.ort).toMatch(/ms$/);
  expect(s.shown.ours).toMatch(/ms \(\d+\.\d\d× onnxruntime-web's speed\)$/);
  expect(s.shown.difference).toMatch(/^\d\.\de[-+]\d+ · \|ours − theirs\|/);
}

test('the ResNet-50-DCN stage example: two DeformConv nodes, five steps, both runtimes agree, times shown', async () => {
  const page = await openSection(isolatedServer);
  await page.selectOption('#model-example', 'r50dcn-stage.onnx');
  await page.click('#model-load-example');
  let s = await settled(page);
  expect(s.error).toBeNull();
  expect(s.nodes).toEqual([
    { name: 'layer1.0.conv2.dcn', runsOn: 'deformconv-wasm' },
    { name: 'layer1.1.conv2.dcn', runsOn: 'deformconv-wasm' },
  ]);
  expect(s.plan).toEqual(['onnxruntime', 'deformconv-wasm', 'onnxruntime', 'deformconv-wasm', 'onnxruntime']);
  expect(s.status).toMatch(/2 DeformConv nodes, 2 run by deformconv-wasm; \d threads? each\.$/);
  const row = await page.$eval('#model-nodes tbody tr', (tr) => [...tr.cells].map((c) => c.textContent));
  expect(row).toEqual(['layer1.0.conv2.dcn', 'deformconv-wasm', '3×3', '1×1', '1, 1, 1, 1', '1×1', '1', '1', 'yes (DCNv2)', 'no', 'constant']);
  await page.click('#model-run');
  s = await settled(page);
  expectRan(s);
  await page.$eval('#your-model', (node) => node.scrollIntoView());
  await (await page.$('#your-model')).screenshot({ path: artifactPath('model-section.png') });
  // On a phone-width window nothing is wider than the window (the tables scroll inside their frames).
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await (await page.$('#your-model')).screenshot({ path: artifactPath('model-section-phone.png') });
  await page.close();
  expect(browser.problems).toEqual([]);
}, 180000);

test('a model from the file input and one dropped on the page run; a file that is not a model says so', async () => {
  const page = await openSection(isolatedServer);
  const branchy = path.join(tmp, 'branchy.onnx');
  fs.writeFileSync(branchy, models.branchyModel({ seed: 9 }).bytes);
  await page.setInputFiles('#model-file', branchy);
  let s = await settled(page);
  expect(s.error).toBeNull();
  expect(s.nodes.map((n) => n.runsOn)).toEqual(['deformconv-wasm', 'deformconv-wasm', 'deformconv-wasm']);
  await page.click('#model-run');
  expectRan(await settled(page));

  // Dropped: a DataTransfer with a File, as a drag from the desktop gives it.
  const drop = async (bytes, name) => {
    await page.evaluate(({ base64, fileName }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], fileName));
      document.getElementById('model-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, { base64: Buffer.from(bytes).toString('base64'), fileName: name });
    return settled(page);
  };
  s = await drop(Buffer.from('not an onnx model at all, just text'), 'notes.onnx');
  expect(s.error).toMatch(/^notes\.onnx could not be loaded: the model is not a valid ONNX model: /);
  expect(s.status).toBe(s.error);
  s = await drop(models.directModel({ seed: 4, withMask: true }).bytes, 'direct.onnx');
  expect(s.error).toBeNull();
  expect(s.plan).toEqual(['deformconv-wasm']);
  // Its symbolic sizes: the output of a 9x11 input is 5x8 (stride 2x1, pads 1,0,2,1, dilation 1x2).
  for (const [dim, value] of Object.entries({ N: 2, H: 9, W: 11, Ho: 5, Wo: 8 })) await page.fill(`#model-inputs input[data-dim="${dim}"]`, String(value));
  await page.$$eval('#model-inputs input[data-dim]', (inputs) => inputs.forEach((i) => i.dispatchEvent(new Event('change'))));
  await page.click('#model-run');
  expectRan(await settled(page));
  await page.close();
  expect(browser.problems).toEqual([]);
}, 180000);

test('without cross-origin isolation the section runs on one thread', async () => {
  const page = await openSection(plainServer);
  await page.selectOption('#model-example', 'branchy.onnx');
  await page.click('#model-load-example');
  let s = await settled(page);
  expect(s.status).toMatch(/1 thread each \(the page is not cross-origin isolated: one thread\)\.$/);
  await page.click('#model-run');
  s = await settled(page);
  expectRan(s);
  await page.close();
  expect(browser.problems).toEqual([]);
}, 180000);
