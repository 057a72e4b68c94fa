// The installed package's browser build, imported by path from node_modules inside a module Web Worker.
import * as api from '/node_modules/deformconv-wasm/dist/browser.mjs';
import { runCase } from '/run-case.mjs';

self.onmessage = async (event) => {
  try {
    self.postMessage({ ...(await runCase(api, event.data)), isolated: self.crossOriginIsolated === true });
  } catch (error) {
    self.postMessage({ error: String(error && error.stack || error) });
  }
};
