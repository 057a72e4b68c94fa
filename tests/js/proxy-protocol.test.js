// The proxy's page side (bindings/proxy/proxy-runner.js, messages.js) and where createDeformConv runs the calls
// (backend-choice.js), in Node.js on a platform the test controls: a fake Worker records what the page posts
// and answers as the test says. What is sent (a parsed call with copies of its tensors, transferred; a prepared
// layer's weights once), what a bad call sends (nothing), how answers, errors and warnings come back, and what a
// worker that does not start, stops or is disposed does to the calls that wait. tests/browser/proxy.test.js
// runs the real worker in Chromium.
const fs = require('fs');
const path = require('path');
const { ROOT, api } = require('./helpers');
const { internalModule } = require('./internal-modules');

const { createDeformConvOn } = internalModule('api/backend-choice.js');
const { errorFromMessage, errorToMessage, resultTransfer, copyForWorker, SpareBuffers } = internalModule('proxy/messages.js');

/** A stand-in for a Web Worker: records posted messages (transfers done as a real post does them). */
class FakeWorker {
  constructor() {
    this.listeners = {};
    this.posted = [];
    this.terminated = false;
  }

  addEventListener(type, listener) {
    (this.listeners[type] = this.listeners[type] || []).push(listener);
  }

  postMessage(message, transfer = []) {
    if (this.terminated) throw new Error('posted to a terminated worker');
    this.posted.push(structuredClone(message, { transfer }));
  }

  terminate() {
    this.terminated = true;
  }

  /** The worker sends `data` (or fires an event of another type). */
  emit(data, type = 'message') {
    for (const listener of this.listeners[type] || []) listener(type === 'message' ? { data } : data);
  }

  last(type) {
    return [...this.posted].reverse().find((m) => m.type === type);
  }
}

const INFO = { backend: 'wasm', simd: true, simdInstructions: 'wasm-simd128', threads: 2, wasmBuild: 'threads', relaxedSimd: false, webgpu: null, fallbackReason: null };
const STOP = new Error('stop here: the test only looks at whether the calls would run on this thread');
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A browser page's platform whose worker is `worker` (or whose startProxyWorker is `start`). */
function pagePlatform({ worker, start, context = 'page', initTimeoutMs, loadModule } = {}) {
  const warnings = [];
  const platform = {
    context,
    logicalCores: () => 2,
    threadsUsable: () => false,
    simdSupported: () => true,
    relaxedSimdSupported: () => false,
    warn: (message) => warnings.push(message),
    loadModule: loadModule || (async () => { throw STOP; }),
    moduleUrl: async (build) => `https://example.test/assets/${build}-abc123.js`,
    initTimeoutMs,
    warnings,
  };
  if (start !== null) platform.startProxyWorker = start || (() => worker);
  return platform;
}

/** createDeformConv on a page whose worker starts and makes its Runner: resolves to { dc, worker, platform }. */
async function proxied(options = {}) {
  const worker = new FakeWorker();
  const platform = pagePlatform({ worker });
  const creating = createDeformConvOn(platform, options);
  await tick();
  worker.emit({ type: 'started' });
  await tick();
  const create = worker.last('create');
  worker.emit({ type: 'done', id: create.id, result: null, info: INFO });
  return { dc: await creating, worker, platform, create };
}

const tensor = (shape, fill = 1) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), shape });

describe('what crosses to the worker', () => {
  test('createDeformConv sends the checked options, without the proxy option, and answers where modules are', async () => {
    const worker = new FakeWorker();
    const platform = pagePlatform({ worker });
    const creating = createDeformConvOn(platform, { threads: 2, relaxedSimd: false });
    await tick();
    worker.emit({ type: 'started' });
    worker.emit({ type: 'module-url', id: 1, build: 'simd' });
    worker.emit({ type: 'warn', message: 'a warning of the worker' });
    await tick();
    const create = worker.last('create');
    expect(create).toMatchObject({ type: 'create', id: 1, options: { backend: 'auto', wasmBuild: 'auto', relaxedSimd: false, threads: 2 } });
    for (const key of ['proxy', 'gpuDevice', 'gpu']) expect(create.options).not.toHaveProperty(key);
    expect(worker.last('module-url')).toEqual({ type: 'module-url', id: 1, url: 'https://example.test/assets/simd-abc123.js' });
    expect(platform.warnings).toEqual(['a warning of the worker']);
    worker.emit({ type: 'done', id: create.id, result: null, info: INFO });
    const dc = await creating;
    expect(dc.info()).toEqual({ ...INFO, version: require('../../package.json').version, proxy: true, proxyReason: null });
    dc.dispose();
  });

  test('a call: its parsed description, with copies of its tensors whose buffers are transferred; the caller keeps its arrays', async () => {
    const { dc, worker } = await proxied();
    const input = tensor([1, 1, 2, 2], 2), offset = tensor([1, 2, 2, 2], 0), weight = tensor([1, 1, 1, 1], 3);
    const pending = dc.deformConv2d(input, offset, weight, { stride: 1 });
    input.data[0] = 99; // after the call was made: not seen by it
    const sent = worker.last('call');
    expect(sent.op).toBe('forward');
    expect(sent.layer).toBeNull();
    expect(sent.call.convention).toBe('torchvision');
    expect(sent.call.args).toMatchObject({ inputShape: [1, 1, 2, 2], offsetShape: [1, 2, 2, 2], weightShape: [1, 1, 1, 1], stride: [1], padding: [0] });
    expect(Array.from(sent.call.tensors.input.data)).toEqual([2, 2, 2, 2]);
    expect(sent.call.tensors.mask).toBeNull();
    expect(input.data.length).toBe(4); // not detached
    const output = { data: new Float32Array([6, 6, 6, 6]), shape: [1, 1, 2, 2] };
    worker.emit({ type: 'done', id: sent.id, result: output, info: { ...INFO, backend: 'wasm' } });
    expect(await pending).toBe(output);
    dc.dispose();
  });

  test('a prepared layer sends its weights once, from its own copies; its calls send only the per-image tensors', async () => {
    const { dc, worker } = await proxied();
    const weight = tensor([2, 1, 1, 1], 3), bias = tensor([2], 1);
    const layer = await dc.prepareDeformConv2d(weight, { bias });
    weight.data.fill(0); // after prepare: not seen by the layer
    const prepare = worker.last('prepare');
    expect(Array.from(prepare.description.tensors.weight.data)).toEqual([3, 3]);
    expect(Array.from(prepare.description.tensors.bias.data)).toEqual([1, 1]);
    expect(weight.data.length).toBe(2);
    const pending = layer.forward(tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2], 0));
    const sent = worker.last('call');
    expect(sent.layer).toBe(prepare.layer);
    expect(sent.call.tensors.weight).toBeNull();
    expect(sent.call.tensors.bias).toBeNull();
    expect(sent.call.args).toMatchObject({ weightShape: [2, 1, 1, 1], biasShape: [2] });
    worker.emit({ type: 'done', id: sent.id, result: { data: new Float32Array(8), shape: [1, 2, 2, 2] }, info: INFO });
    await pending;
    layer.dispose();
    layer.dispose();
    expect(worker.posted.filter((m) => m.type === 'release')).toEqual([{ type: 'release', layer: prepare.layer }]);
    dc.dispose();
  });

  test('a bad argument is rejected on the page and nothing is posted', async () => {
    const { dc, worker } = await proxied();
    const count = worker.posted.length;
    await expect(dc.deformConv2d(tensor([1, 1, 2, 2]), { data: [1, 2], shape: [1, 2, 1, 1] }, tensor([1, 1, 1, 1])))
      .rejects.toThrow(new TypeError('offset.data must be a Float32Array, got an array of length 2'));
    await expect(dc.deformableConv2d(tensor([1, 1, 2, 2]), tensor([1, 1, 1, 1]), tensor([1, 3, 2, 2]), [1, 1], 1, [0, 0, 0, 0]))
      .rejects.toThrow(TypeError);
    expect(worker.posted.length).toBe(count);
    dc.dispose();
  });

  test('GPU-resident tensors and output: \'gpu-buffer\' are rejected on the page with a TypeError that says how to keep the instance there, and nothing is posted', async () => {
    const { dc, worker } = await proxied();
    const count = worker.posted.length;
    const gpuBuffer = { size: 64, usage: 0x80 | 0x08, destroy() {}, mapAsync: async () => {} };
    expect(dc.gpuDevice).toBeNull();
    await expect(dc.deformConv2d({ gpuBuffer, shape: [1, 1, 2, 2] }, tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1]))).rejects.toThrow(
      new TypeError("input is a GPU-resident tensor ({ gpuBuffer, shape }), which the WebGPU backend takes on the thread that holds the device; " +
        "this instance runs its calls in the proxy's Web Worker: create it with gpuDevice (the device of the buffers), which runs it on this " +
        "thread, or with proxy: false and backend: 'webgpu'"));
    await expect(dc.deformConv2d(tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1]), { output: 'gpu-buffer' })).rejects.toThrow(
      /^output: 'gpu-buffer' asks for the result in a GPU buffer, which the WebGPU backend takes on the thread that holds the device/);
    const layer = await dc.prepareDeformableConv2d(tensor([1, 1, 1, 1]), [1, 1], [1, 1, 1, 1], [0, 0, 0, 0]);
    const posted = worker.posted.length;
    await expect(layer.forward({ gpuBuffer, shape: [1, 1, 2, 2] }, tensor([1, 3, 2, 2]))).rejects.toThrow(/^x is a GPU-resident tensor/);
    expect(worker.posted.length).toBe(posted);
    expect(worker.posted.length - count).toBe(1); // the layer's weights, nothing for the calls
    dc.dispose();
  });

  test('a tensor without data (a GPU-resident one) is a TypeError, not an empty array', () => {
    expect(() => copyForWorker({ gpuBuffer: {}, shape: [1, 1, 2, 2] }, 'input')).toThrow(
      new TypeError("input has no data to send to the proxy's worker (a GPU-resident tensor belongs to this thread's GPUDevice): create the instance with proxy: false to pass it"));
    const copy = copyForWorker({ data: new Float32Array(new SharedArrayBuffer(16)).fill(5).subarray(1), shape: [3] }, 'x');
    expect(Object.prototype.toString.call(copy.data.buffer)).toBe('[object ArrayBuffer]'); // a copy, not shared memory
    expect(Array.from(copy.data)).toEqual([5, 5, 5]);
  });
});

describe('the buffers of the copies', () => {
  test('come back with the answer and take the next call\'s copy of a tensor of the same size', async () => {
    const { dc, worker } = await proxied();
    const args = () => [tensor([1, 1, 2, 2], 2), tensor([1, 2, 2, 2], 0), tensor([1, 1, 1, 1], 3)];
    const first = dc.deformConv2d(...args());
    const sent = worker.last('call');
    const spent = Object.values(sent.call.tensors).filter(Boolean).map((t) => t.data.buffer);
    worker.emit({ type: 'done', id: sent.id, result: { data: new Float32Array(4), shape: [1, 1, 2, 2] }, info: INFO, spent });
    await first;
    const spare = dc._runner._spare;
    expect(spare.bytes).toBe(16 + 32 + 4);
    const copy = copyForWorker(tensor([1, 2, 2, 2], 7), 'offset', spare);
    expect(copy.data.buffer).toBe(spent[1]); // the offset's buffer (32 bytes), filled with the new values
    expect(Array.from(copy.data)).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
    expect(spare.bytes).toBe(16 + 4);
    dc.dispose();
    expect(spare.bytes).toBe(0);
  });

  test('at most maxBytes are kept, the most recent', () => {
    const spare = new SpareBuffers(100);
    const [a, b, c, big] = [new ArrayBuffer(40), new ArrayBuffer(40), new ArrayBuffer(40), new ArrayBuffer(101)];
    spare.give([a, b, c, big]);
    expect(spare.buffers).toEqual([b, c]);
    expect(spare.take(40)).toBe(c);
    expect(spare.take(40)).toBe(b);
    expect(spare.take(40)).toBeNull();
    expect(spare.bytes).toBe(0);
  });
});

describe('what comes back', () => {
  test('errors arrive as the same class with the same message; the instance keeps working', async () => {
    const { dc, worker } = await proxied();
    const call = () => dc.deformConv2d(tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1]));
    for (const error of [new RangeError('offset: the batch size must equal the input\'s'), new TypeError('a type'), new Error('out of memory: x')]) {
      const pending = call();
      worker.emit({ type: 'failed', id: worker.last('call').id, error: errorToMessage(error), info: INFO });
      const got = await pending.catch((e) => e);
      expect(got.constructor).toBe(error.constructor);
      expect(got.message).toBe(error.message);
    }
    const pending = call();
    worker.emit({ type: 'done', id: worker.last('call').id, result: { data: new Float32Array(4), shape: [1, 1, 2, 2] }, info: INFO });
    await expect(pending).resolves.toMatchObject({ shape: [1, 1, 2, 2] });
    expect(errorFromMessage({ kind: 'SyntaxError', message: 'm' }).constructor).toBe(Error);
    expect(errorToMessage('a string')).toEqual({ kind: 'Error', message: 'a string' });
    dc.dispose();
  });

  test('info() and backend follow the worker: a WebGPU instance that fell back to WebAssembly says so', async () => {
    const { dc, worker } = await proxied();
    const gpuInfo = { ...INFO, backend: 'webgpu', webgpu: { adapter: 'a', isFallbackAdapter: false } };
    let pending = dc.deformConv2d(tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1]));
    worker.emit({ type: 'done', id: worker.last('call').id, result: { data: new Float32Array(4), shape: [1, 1, 2, 2] }, info: gpuInfo });
    await pending;
    expect(dc.backend).toBe('webgpu');
    expect(dc.info().webgpu).toEqual({ adapter: 'a', isFallbackAdapter: false });
    pending = dc.deformConv2d(tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1]));
    worker.emit({ type: 'done', id: worker.last('call').id, result: { data: new Float32Array(4), shape: [1, 1, 2, 2] }, info: { ...INFO, fallbackReason: 'WebGPU failed, this call ran on WebAssembly: lost' } });
    await pending;
    expect(dc.backend).toBe('wasm');
    expect(dc.info().fallbackReason).toMatch(/lost/);
    dc.dispose();
  });

  test('results are transferred whole: a view or a shared buffer is copied first, a buffer of two results sent once', () => {
    const own = new Float32Array(4);
    const shared = new Float32Array(8);
    const result = { input: { data: own, shape: [4] }, offset: { data: shared.subarray(0, 4), shape: [4] }, mask: null, weight: { data: own, shape: [4] }, bias: null };
    const transfer = resultTransfer(result);
    expect(transfer).toEqual([own.buffer, result.offset.data.buffer]);
    expect(result.offset.data.buffer).not.toBe(shared.buffer);
    const sab = { data: new Float32Array(new SharedArrayBuffer(8)), shape: [2] };
    expect(resultTransfer(sab)).toEqual([sab.data.buffer]);
    expect(Object.prototype.toString.call(sab.data.buffer)).toBe('[object ArrayBuffer]');
  });
});

describe('a worker that stops, or is disposed', () => {
  test('an uncaught error in the worker: the calls waiting reject, later calls and info() too, the worker is ended', async () => {
    const { dc, worker } = await proxied();
    const waiting = [dc.deformConv2d(tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1])), dc.deformConv2dBackward(tensor([1, 1, 2, 2]), tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1]))];
    worker.emit({ message: 'Uncaught RangeError: boom', preventDefault() {} }, 'error');
    const message = 'the deformconv-wasm worker stopped (an uncaught error: Uncaught RangeError: boom), so this DeformConv instance was disposed; create a new one with createDeformConv()';
    for (const p of waiting) await expect(p).rejects.toThrow(new Error(message));
    await expect(dc.deformConv2d(tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1]))).rejects.toThrow(new Error(message));
    expect(() => dc.info()).toThrow(new Error(message));
    expect(worker.terminated).toBe(true);
  });

  test.each([
    ['a message the page cannot read', (w) => w.emit({}, 'messageerror'), 'a message from it could not be read'],
    ['the worker cannot read a message', (w) => w.emit({ type: 'fatal', message: 'a message from the page could not be read' }), 'a message from the page could not be read'],
    ['a message of unknown type', (w) => w.emit({ type: 'hello' }), 'it sent a message of unknown type "hello"'],
  ])('%s stops the instance too', async (name, stop, what) => {
    const { dc, worker } = await proxied();
    const waiting = dc.deformConv2d(tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1]));
    stop(worker);
    await expect(waiting).rejects.toThrow(`the deformconv-wasm worker stopped (${what})`);
    expect(worker.terminated).toBe(true);
  });

  test('dispose(): calls in flight reject, the worker is ended, an answer arriving afterwards is dropped', async () => {
    const { dc, worker } = await proxied();
    const layer = await dc.prepareDeformConv2d(tensor([1, 1, 1, 1]));
    const waiting = dc.deformConv2d(tensor([1, 1, 2, 2]), tensor([1, 2, 2, 2]), tensor([1, 1, 1, 1]));
    const id = worker.last('call').id;
    dc.dispose();
    dc.dispose();
    layer.dispose(); // nothing to post to an ended worker
    await expect(waiting).rejects.toThrow(new Error('this DeformConv instance was disposed; create a new one with createDeformConv()'));
    expect(worker.terminated).toBe(true);
    worker.emit({ type: 'done', id, result: null, info: INFO });
    await expect(dc.prepareDeformConv2d(tensor([1, 1, 1, 1]))).rejects.toThrow(/disposed/);
  });
});

describe('where the calls run', () => {
  test('a worker that fails to start: \'auto\' runs on this thread and warns once; true rejects with an Error', async () => {
    for (const [name, start] of [
      ['script error', () => { const w = new FakeWorker(); setImmediate(() => w.emit({ preventDefault() {} }, 'error')); return w; }],
      ['constructor throws', () => { throw new Error('Refused by worker-src'); }],
    ]) {
      const platform = pagePlatform({ start });
      await expect(createDeformConvOn(platform, {})).rejects.toBe(STOP); // went on to load WebAssembly here
      expect(platform.warnings).toEqual([expect.stringMatching(/^deformconv-wasm: the proxy's worker did not start \((its script failed to load or to run|new Worker\(\) failed: Refused by worker-src)\), so the calls run on this thread/)]);
      const forced = await createDeformConvOn(pagePlatform({ start }), { proxy: true }).catch((e) => e);
      expect(`${name}: ${forced.constructor.name}: ${forced.message}`).toMatch(new RegExp(`^${name}: Error: proxy: true, but the proxy's worker did not start: `));
    }
  });

  test('a worker that never answers: no sign of it within the timeout', async () => {
    const worker = new FakeWorker();
    const error = await createDeformConvOn(pagePlatform({ worker, initTimeoutMs: 50 }), { proxy: true }).catch((e) => e);
    expect(error.message).toBe("proxy: true, but the proxy's worker did not start: no sign of it within 0.05 s");
    expect(worker.terminated).toBe(true);
  });

  test('the worker cannot make the instance: the same error as here, and the worker is ended', async () => {
    const worker = new FakeWorker();
    const creating = createDeformConvOn(pagePlatform({ worker }), { wasmBuild: 'threads' });
    await tick();
    worker.emit({ type: 'started' });
    await tick();
    worker.emit({ type: 'failed', id: worker.last('create').id, error: { kind: 'Error', message: "wasmBuild 'threads' needs SharedArrayBuffer" } });
    await expect(creating).rejects.toThrow(new Error("wasmBuild 'threads' needs SharedArrayBuffer"));
    expect(worker.terminated).toBe(true);
  });

  const realLoader = (build, pthreadPoolSize) => {
    const base = path.join(ROOT, 'dist', 'wasm', `deformconv-${build}-node`);
    return require(`${base}.cjs`)({ wasmBinary: fs.readFileSync(`${base}.wasm`), pthreadPoolSize });
  };
  const gpuDevice = { createBuffer() {}, queue: {}, createComputePipelineAsync() {}, limits: {}, lost: new Promise(() => {}) };

  test.each([
    ['Node.js', { context: 'node', start: null }, {}, /^Node\.js: the calls run on the calling thread/],
    ['a Web Worker', { context: 'worker' }, {}, /^this is a Web Worker already/],
    ['proxy: false on a page', {}, { proxy: false }, /^proxy: false$/],
    ['a page without Worker', { start: null }, {}, /^this page cannot start Web Workers/],
    ['a gpuDevice on a page', {}, { gpuDevice, backend: 'wasm' }, /^a gpuDevice \(a GPUDevice\) was given, which belongs to this thread/],
  ])('%s: on the calling thread, and info() says why', async (name, where, options, reason) => {
    const started = [];
    const platform = pagePlatform({ ...where, loadModule: realLoader });
    if (platform.startProxyWorker) platform.startProxyWorker = () => { started.push(1); return new FakeWorker(); };
    const dc = await createDeformConvOn(platform, options);
    try {
      expect(dc.info()).toMatchObject({ proxy: false, proxyReason: expect.stringMatching(reason), wasmBuild: 'simd' });
      expect(started).toEqual([]);
    } finally {
      dc.dispose();
    }
  });

  test('proxy: true where there are no Web Workers (Node.js) rejects with an Error; with a gpuDevice, a TypeError', async () => {
    await expect(createDeformConvOn(pagePlatform({ context: 'node', start: null }), { proxy: true }))
      .rejects.toThrow(new Error("proxy: true needs Web Workers, which Node.js does not have; pass proxy: 'auto' or false"));
    const error = await createDeformConvOn(pagePlatform({ worker: new FakeWorker() }), { proxy: true, gpuDevice }).catch((e) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^proxy: true cannot take a gpuDevice \(a GPUDevice\): it belongs to this thread/);
  });

  test('the Node.js entry point: no proxy by default, proxy: true rejects', async () => {
    const dc = await api.createDeformConv({ threads: 1 });
    expect(dc.info()).toMatchObject({ proxy: false, proxyReason: "Node.js: the calls run on the calling thread (the proxy is for a browser page's main thread)" });
    dc.dispose();
    await expect(api.createDeformConv({ proxy: true })).rejects.toThrow(/^proxy: true needs Web Workers, which Node\.js does not have/);
  });
});
