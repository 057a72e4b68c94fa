// The package inside a module Web Worker, bundled by Vite with the page.
import * as api from 'deformconv-wasm';
import { runCase } from '../run-case.mjs';

self.onmessage = async (event) => {
  try {
    self.postMessage(await runCase(api, event.data));
  } catch (error) {
    self.postMessage({ error: String(error && error.stack || error) });
  }
};
