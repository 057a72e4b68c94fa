// The proxy, the worker's side (bundled to dist/proxy-worker.mjs, started by the page's ProxyRunner with
// new Worker(new URL('./proxy-worker.mjs', import.meta.url), { type: 'module' })). It holds one instance's
// Runner (bindings/api/runner.js) and its prepared layers, and answers the page's messages (messages.js) in the
// order they come: a call arrives parsed and checked (DeformConv did that on the page), so it goes straight to
// the Runner, which validates it with the core and runs it; the answer carries the result, transferred, or the
// error, the Runner's info() afterwards, and the buffers of the call's tensors (the page's copies, read by now).
// The WebAssembly modules are imported from URLs the page sends (module-url): this bundle has no import() of
// its own, so a bundler builds it as one self-contained worker script, in any worker format (Vite's default
// 'iife' included), while the modules stay the chunks of the page's bundle, which know where their .wasm and
// pthread worker files went.
import { createRunner } from '../api/backend-choice.js';
import { wasmRelaxedSimdSupported, wasmSimdSupported } from '../api/feature-detect.js';
import { errorToMessage, resultTransfer } from './messages.js';

let runner = null;
const layers = new Map(); // id -> what runner.prepare() returned
const moduleUrls = new Map(); // id -> { resolve, reject } of a module-url question
let nextQuestion = 1;

const post = (message, transfer = []) => self.postMessage(message, transfer);

/** Where the page's bundle keeps a WebAssembly build: its module's URL, from the page. */
function moduleUrl(build) {
  const id = nextQuestion++;
  return new Promise((resolve, reject) => {
    moduleUrls.set(id, { resolve, reject, build });
    post({ type: 'module-url', id, build });
  });
}

const platform = {
  logicalCores: () => navigator.hardwareConcurrency || 1,
  threadsUsable: () => typeof SharedArrayBuffer === 'function' && self.crossOriginIsolated === true,
  simdSupported: wasmSimdSupported,
  relaxedSimdSupported: wasmRelaxedSimdSupported,
  warn: (message) => post({ type: 'warn', message }),
  async loadModule(build, pthreadPoolSize) {
    const url = await moduleUrl(build);
    const { default: factory } = await import(/* @vite-ignore */ url);
    return factory({ pthreadPoolSize });
  },
};

async function create({ id, options }) {
  try {
    runner = await createRunner(platform, options, { tensorsAreCopies: true });
    post({ type: 'done', id, result: null, info: runner.info() });
  } catch (error) {
    post({ type: 'failed', id, error: errorToMessage(error) });
  }
}

async function call({ id, op, call: parsed, layer }) {
  // The buffers of the page's copies, sent back with the answer for the page to copy later calls into.
  const spent = Object.values(parsed.tensors).filter(Boolean).map((tensor) => tensor.data.buffer);
  try {
    let prepared = null;
    if (layer !== null) {
      prepared = layers.get(layer);
      parsed.tensors.weight = prepared.layer.tensors.weight;
      parsed.tensors.bias = prepared.layer.tensors.bias;
    }
    const result = await runner.run(op, parsed, prepared);
    const transfer = resultTransfer(result);
    const back = spent.filter((buffer) => !transfer.includes(buffer));
    post({ type: 'done', id, result, info: runner.info(), spent: back }, [...transfer, ...back]);
  } catch (error) {
    post({ type: 'failed', id, error: errorToMessage(error), info: runner.info(), spent }, spent);
  }
}

function answer({ id, url, error }) {
  const question = moduleUrls.get(id);
  moduleUrls.delete(id);
  if (error === undefined) question.resolve(url);
  else question.reject(new Error(`the page could not find the ${question.build} WebAssembly module: ${error}`));
}

self.addEventListener('message', ({ data: message }) => {
  switch (message.type) {
    case 'create': return create(message);
    case 'call': return call(message);
    case 'prepare': return layers.set(message.layer, runner.prepare(message.description));
    case 'release': {
      const prepared = layers.get(message.layer);
      layers.delete(message.layer);
      return prepared && runner.release(prepared);
    }
    case 'module-url': return answer(message);
    default:
      // Not from the page's ProxyRunner: a fault, which ends this worker (the page then rejects what waits).
      throw new Error(`deformconv-wasm proxy worker: a message of unknown type ${JSON.stringify(message && message.type)}`);
  }
});
self.addEventListener('messageerror', () => post({ type: 'fatal', message: 'a message from the page could not be read' }));
post({ type: 'started' });
