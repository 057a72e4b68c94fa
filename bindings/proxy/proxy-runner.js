// The proxy, the page's side: an instance whose calls run in a dedicated module Web Worker that the package
// starts itself (worker.js, bundled to dist/proxy-worker.mjs), so that a browser page's main thread never waits
// for a call (nor for the pthreads of the threaded build). It has a Runner's interface (bindings/api/runner.js):
// DeformConv parses and checks every call's arguments here, as for a Runner on this thread, so a bad call fails
// at once with the same error and nothing is sent; the parsed call (plain data) is sent with copies of its
// tensors (messages.js), and the worker's Runner validates it with the core and runs it. Results come back
// transferred, and so do the buffers of the copies, to copy later calls into; errors come back as the same
// class with the same message. Calls are sent in the order they are made and the worker takes them in that
// order; any number may be in flight. What runs the calls is reported after each one (the worker's info(), for
// backend and fallbackReason), so info() answers at once. A worker that stops (an uncaught error, a message it could not read) rejects every
// pending call with an Error and leaves the instance disposed; dispose() ends the worker (and its pthreads).
import { gpuResidentParts } from '../api/request.js';
import { DISPOSED_MESSAGE, describeResident } from '../api/runner.js';
import { copyForWorker, errorFromMessage, SpareBuffers } from './messages.js';

// Bytes of the buffers of earlier calls kept to copy later calls into (messages.js, SpareBuffers).
const SPARE_BYTES = 64 * 1024 * 1024;

/** The worker did not start (no script, a Content-Security-Policy, too slow): with proxy 'auto', run here. */
export class ProxyStartFailure extends Error {}

export class ProxyRunner {
  /**
   * Starts the worker and, in it, a Runner for the checked createDeformConv options (gpuDevice and gpu are
   * never among them: they cannot leave this thread). Rejects with a ProxyStartFailure when the worker does not
   * start within timeoutMs, and as createDeformConv would when the Runner cannot be made in it.
   * platform: { startProxyWorker() -> Worker, moduleUrl(build) -> Promise<URL string>, warn(message) }.
   */
  static async start(platform, options, timeoutMs) {
    let worker;
    try {
      worker = platform.startProxyWorker();
    } catch (e) {
      throw new ProxyStartFailure(`new Worker() failed: ${e && e.message}`);
    }
    const runner = new ProxyRunner(worker, platform);
    try {
      await runner._whenStarted(timeoutMs);
      await runner._send({ type: 'create', options });
      runner._created = true;
      return runner;
    } catch (e) {
      runner._stop('the worker was stopped because the instance could not be created');
      throw e;
    }
  }

  /** @internal use ProxyRunner.start() */
  constructor(worker, platform) {
    this._worker = worker;
    this._platform = platform;
    this._pending = new Map(); // id -> { resolve, reject } of what waits for the worker's answer
    this._nextId = 1;
    this._nextLayer = 1;
    this._info = null; // the worker's Runner.info() after its latest answer
    this._spare = new SpareBuffers(SPARE_BYTES);
    this._started = null; // { resolve, reject } until the worker's script runs
    this._created = false; // the worker's Runner exists
    this._stopped = null; // the message of the Error later calls reject with, once the worker is gone
    worker.addEventListener('message', (event) => this._receive(event.data));
    worker.addEventListener('error', (event) => {
      // An uncaught error in the worker (or its script failed to load): every caller hears of it as a rejection.
      if (typeof event.preventDefault === 'function') event.preventDefault();
      this._workerFailed(event.message ? `an uncaught error: ${event.message}` : 'its script failed to load or to run');
    });
    worker.addEventListener('messageerror', () => this._workerFailed('a message from it could not be read'));
  }

  /** 'wasm' | 'webgpu': the backend that runs the calls in the worker. */
  get backend() {
    return this._info ? this._info.backend : 'wasm';
  }

  /** No GPUDevice here: the worker's backend (if WebGPU) has its own device, which stays in the worker. */
  get gpuDevice() {
    return null;
  }

  /** An Error once disposed or once the worker stopped. */
  live() {
    if (this._stopped) throw new Error(this._stopped);
  }

  /** What runs the calls in the worker, as of its latest answer. */
  info() {
    this.live();
    return { ...this._info, webgpu: this._info.webgpu && { ...this._info.webgpu } };
  }

  /**
   * Sends a parsed call (calls.js) to the worker and resolves to what its Runner's run() resolves to. The
   * tensors are copied before this returns (the caller may change its arrays at once); a prepared layer's
   * weight and bias are in the worker already and are not sent.
   */
  run(op, call, prepared = null) {
    this.live();
    // GPU buffers belong to this thread's device: the worker cannot read them, nor hand a buffer back here.
    const resident = gpuResidentParts(call);
    if (resident) {
      throw new TypeError(`${describeResident(resident)}, which the WebGPU backend takes on the thread that holds the device; ` +
        "this instance runs its calls in the proxy's Web Worker: create it with gpuDevice (the device of the buffers), " +
        "which runs it on this thread, or with proxy: false and backend: 'webgpu'");
    }
    const tensors = {}, transfer = [];
    for (const name of Object.keys(call.tensors)) {
      const tensor = call.tensors[name];
      if (!tensor || (prepared && (name === 'weight' || name === 'bias'))) {
        tensors[name] = null;
        continue;
      }
      tensors[name] = copyForWorker(tensor, call.names[name], this._spare);
      transfer.push(tensors[name].data.buffer);
    }
    return this._send({ type: 'call', op, call: { ...call, tensors }, layer: prepared ? prepared.id : null }, transfer);
  }

  /**
   * A prepared layer (its description, calls.js): its weight and bias (the layer's own copies) are transferred
   * to the worker now, once; what stays here is the description with their shapes alone, which is all that
   * forward calls read of them here.
   */
  prepare(layer) {
    this.live();
    const id = this._nextLayer++;
    const { weight, bias } = layer.tensors;
    this._worker.postMessage({ type: 'prepare', layer: id, description: layer }, bias ? [weight.data.buffer, bias.data.buffer] : [weight.data.buffer]);
    const shapesOnly = { weight: { data: null, shape: weight.shape }, bias: bias ? { data: null, shape: bias.shape } : null };
    return { id, layer: { ...layer, tensors: shapesOnly } };
  }

  /** A prepared layer's dispose(): the worker frees its weights. */
  release(prepared) {
    if (!this._stopped) this._worker.postMessage({ type: 'release', layer: prepared.id });
  }

  /** Ends the worker, its module and its pthreads; calls still in flight reject. A second dispose() does nothing. */
  dispose() {
    this._stop(DISPOSED_MESSAGE);
  }

  // ---------------------------------------------------------------- messages

  /** Resolves when the worker's script has run; a ProxyStartFailure if it fails first or takes too long. */
  _whenStarted(timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ProxyStartFailure(`no sign of it within ${timeoutMs / 1000} s`)), timeoutMs);
      const settle = (f) => (value) => {
        clearTimeout(timer);
        this._started = null;
        f(value);
      };
      this._started = { resolve: settle(resolve), reject: settle(reject) };
    });
  }

  /** Posts a message that the worker answers (done / failed with the same id) and resolves to the answer. */
  _send(message, transfer = []) {
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      try {
        this._worker.postMessage({ ...message, id }, transfer);
      } catch (e) {
        // Only plain data and fresh copies are sent, so this is not expected; if it happens, it is the call's.
        reject(new TypeError(`the call could not be sent to the proxy's worker: ${e && e.message}`));
        return;
      }
      this._pending.set(id, { resolve, reject });
    });
  }

  _receive(message) {
    switch (message.type) {
      case 'started':
        if (this._started) this._started.resolve();
        return;
      case 'module-url':
        this._answerModuleUrl(message);
        return;
      case 'warn':
        this._platform.warn(message.message);
        return;
      case 'done':
      case 'failed': {
        this._info = message.info || this._info;
        if (message.spent) this._spare.give(message.spent);
        const pending = this._pending.get(message.id);
        if (!pending) return; // disposed meanwhile: already rejected
        this._pending.delete(message.id);
        if (message.type === 'done') pending.resolve(message.result);
        else pending.reject(errorFromMessage(message.error));
        return;
      }
      case 'fatal':
        this._workerFailed(message.message);
        return;
      default:
        this._workerFailed(`it sent a message of unknown type ${JSON.stringify(message.type)}`);
    }
  }

  /**
   * The worker asks where a WebAssembly module is: only this side knows, because a bundler follows the literal
   * import() of each build in the page's bundle (bindings/api/browser.js) and names the chunks it makes; the
   * worker then imports the module from the URL of that chunk.
   */
  _answerModuleUrl({ id, build }) {
    Promise.resolve()
      .then(() => this._platform.moduleUrl(build))
      .then((url) => ({ type: 'module-url', id, url }), (e) => ({ type: 'module-url', id, error: e && e.message }))
      .then((answer) => {
        if (!this._stopped) this._worker.postMessage(answer);
      });
  }

  /** The worker stopped on its own: before it started, a ProxyStartFailure; after, every call rejects. */
  _workerFailed(what) {
    if (this._started) {
      this._started.reject(new ProxyStartFailure(what));
      return;
    }
    this._stop(this._created
      ? `the deformconv-wasm worker stopped (${what}), so this DeformConv instance was disposed; create a new one with createDeformConv()`
      : `the deformconv-wasm worker stopped while it made the instance (${what})`);
  }

  /** Terminates the worker; everything still waiting for it rejects with an Error(message), as later calls do. */
  _stop(message) {
    if (this._stopped) return;
    this._stopped = message;
    this._worker.terminate();
    this._spare.clear();
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const { reject } of pending) reject(new Error(message));
  }
}
