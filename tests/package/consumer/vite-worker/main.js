// A page bundled by Vite that uses the package on the main thread and inside a module Web Worker bundled with it
// (Vite needs worker.format 'es' for that: its default iife workers cannot load code lazily).
// window.result holds { main, worker, isolated } or { error } for the test to read.
import * as api from 'deformconv-wasm';
import { runCase } from '../run-case.mjs';

async function inWorker(c) {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = (event) => (event.data.error ? reject(new Error(event.data.error)) : resolve(event.data));
      worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
      worker.postMessage(c);
    });
  } finally {
    worker.terminate();
  }
}

async function main() {
  const c = await (await fetch('./case.json')).json();
  const main = await runCase(api, c);
  const worker = await inWorker(c);
  return { main, worker, isolated: window.crossOriginIsolated === true };
}

main().then(
  (result) => { window.result = result; document.getElementById('status').textContent = 'done'; },
  (error) => { window.result = { error: String(error && error.stack || error) }; },
);
