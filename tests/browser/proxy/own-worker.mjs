// A module Web Worker of the page's own that uses the package (tests/browser/proxy/checks.mjs, inOwnWorker): the
// default instance runs on this worker's thread (no proxy inside a worker), and proxy: true starts a worker of
// its own from here. Posts { auto: info(), forced: info(), ok } or { error } back.
import { createDeformConv } from '/dist/browser.mjs';
import { checkForward } from '/tests/webgpu/checks.mjs';

self.onmessage = async ({ data: c }) => {
  try {
    const auto = await createDeformConv();
    await checkForward(auto, c, 'torchvision', 'NCHW');
    const forced = await createDeformConv({ proxy: true });
    await checkForward(forced, c, 'MindSpore', 'NHWC');
    self.postMessage({ auto: auto.info(), forced: forced.info(), ok: true });
    auto.dispose();
    forced.dispose();
  } catch (e) {
    self.postMessage({ error: String(e && e.stack || e) });
  }
};
