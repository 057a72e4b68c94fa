// A page bundled by Vite with its default settings: the package from node_modules on the main thread.
// window.result holds the case's result or { error } for the test to read.
import * as api from 'deformconv-wasm';
import { runCase } from '../run-case.mjs';

async function main() {
  const c = await (await fetch('./case.json')).json();
  return { ...(await runCase(api, c)), isolated: window.crossOriginIsolated === true };
}

main().then(
  (result) => { window.result = result; document.getElementById('status').textContent = 'done'; },
  (error) => { window.result = { error: String(error && error.stack || error) }; },
);
