// The proxy in a browser page (tests/browser/proxy.test.js imports this module into tests/browser/proxy/page.html
// and calls one function per test): the package's dist/browser.mjs, served with the repository under /. Plain
// ES module; each function returns plain data for the test to check (or throws). The golden checks are the
// ones every backend's runner shares (tests/webgpu/checks.mjs).
import * as api from '/dist/browser.mjs';
import {
  assert, check, checkForward, expectClose, FORWARD_TOLERANCE, GRADIENT_TOLERANCE, goldenChecks, mindsporeArgs, toNHWC,
  torchvisionArgs,
} from '/tests/webgpu/checks.mjs';

const { createDeformConv } = api;

/** A golden case's tensor as the calls take it. */
const tensorOf = (c, key, shapeKey = key) => (c[key] ? { data: Float32Array.from(c[key]), shape: c.shapes[shapeKey] } : null);

/** How a call settled, as plain data: { ok, kind, message }. */
async function outcome(promise) {
  try {
    await promise;
    return { ok: true };
  } catch (e) {
    return { ok: false, kind: e.constructor.name, message: e.message, sameRealm: e instanceof Error };
  }
}

/** outcome() of a synchronous call. */
function callOutcome(fn) {
  try {
    fn();
    return { ok: true };
  } catch (e) {
    return { ok: false, kind: e.constructor.name, message: e.message };
  }
}

/** Messages the instance's ProxyRunner posts to its worker, counted (an internal hook of the tests). */
function countPosts(dc) {
  const worker = dc._runner._worker;
  const counter = { posts: 0 };
  const post = worker.postMessage.bind(worker);
  worker.postMessage = (...args) => {
    counter.posts += 1;
    return post(...args);
  };
  return counter;
}

/** info() of instances made with each proxy option (each disposed again). */
export async function whereCallsRun() {
  const infos = {};
  for (const [name, options] of [['default', {}], ['auto', { proxy: 'auto' }], ['true', { proxy: true }], ['false', { proxy: false }]]) {
    const dc = await createDeformConv(options);
    infos[name] = dc.info();
    infos[name].isDeformConv = dc instanceof api.DeformConv;
    infos[name].backendProperty = dc.backend;
    dc.dispose();
  }
  return infos;
}

/**
 * Every golden check (forward and gradients, both conventions, both data formats) and both kinds of prepared
 * layer on an instance made with `options` (the default: proxied), for each case. [{ name, ok, message }]
 */
export async function goldenSuite(options, cases, checkNames) {
  const dc = await createDeformConv(options);
  const results = [];
  try {
    await check(results, 'the instance runs in the proxy\'s worker', () => assert(dc.info().proxy === true, JSON.stringify(dc.info())));
    results.push(...await goldenChecks(dc, cases, checkNames));
    for (const c of cases) {
      await check(results, `${c.name}: prepared layer torchvision NCHW`, async () => {
        const [input, offset, weight, o] = torchvisionArgs(c);
        const layer = await dc.prepareDeformConv2d(weight, { bias: o.bias, stride: o.stride, padding: o.padding, dilation: o.dilation });
        for (let call = 0; call < 2; call++) {
          const y = await layer.forward(input, offset, { mask: o.mask });
          assert(JSON.stringify(y.shape) === JSON.stringify(c.shapes.output), `shape ${y.shape}`);
          expectClose(y.data, Float64Array.from(c.output), FORWARD_TOLERANCE, `output of call ${call + 1}`);
        }
        layer.dispose();
      });
      await check(results, `${c.name}: prepared layer MindSpore NHWC`, async () => {
        const [x, weight, offsets, kernelSize, strides, padding, o] = mindsporeArgs(c, 'NHWC');
        const layer = await dc.prepareDeformableConv2d(weight, kernelSize, strides, padding, o);
        const y = await layer.forward(x, offsets);
        expectClose(y.data, toNHWC({ data: Float64Array.from(c.output), shape: c.shapes.output }).data, FORWARD_TOLERANCE, 'output');
        layer.dispose();
      });
    }
  } finally {
    dc.dispose();
  }
  return results;
}

/**
 * The same bad calls on a proxied instance and on one that runs on this thread: how each settled, and for the
 * proxied one whether anything was posted to its worker. The proxied instance computes the case afterwards.
 */
export async function sameErrors(c) {
  const proxied = await createDeformConv({ proxy: true });
  const here = await createDeformConv({ proxy: false });
  const [input, offset, weight, o] = torchvisionArgs(c);
  const [x, , offsets, kernelSize, strides, padding, mo] = mindsporeArgs(c);
  const detached = () => {
    const data = Float32Array.from(input.data);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    return { data, shape: input.shape };
  };
  const short = { data: input.data.subarray(1), shape: input.shape };
  const calls = {
    'input is null': (dc) => dc.deformConv2d(null, offset, weight, o),
    'Float64Array data': (dc) => dc.deformConv2d({ data: Float64Array.from(input.data), shape: input.shape }, offset, weight, o),
    'an unknown option': (dc) => dc.deformConv2d(input, offset, weight, { ...o, strides: 1 }),
    'detached data': (dc) => dc.deformConv2d(detached(), offset, weight, o),
    'a lower-case dataFormat': (dc) => dc.deformConv2d(input, offset, weight, { ...o, dataFormat: 'nchw' }),
    'MindSpore strides as a number': (dc) => dc.deformableConv2d(x, weight, offsets, kernelSize, 1, padding, mo),
    'modulated not a boolean': (dc) => dc.deformableConv2d(x, weight, offsets, kernelSize, strides, padding, { ...mo, modulated: 1 }),
    'offset channels': (dc) => dc.deformConv2d(input, { data: new Float32Array(10 * 25), shape: [1, 10, 5, 5] }, weight, o),
    'data shorter than its shape': (dc) => dc.deformConv2d(short, offset, weight, o),
    'a call beyond 4 GiB': (dc) => dc.deformConv2d({ data: new Float32Array(4), shape: [1, 1024, 1024, 1024] },
      { data: new Float32Array(4), shape: [1, 18, 1024, 1024] }, { data: new Float32Array(4), shape: [4, 1024, 3, 3] }, { padding: 1 }),
    'gradOutput of another shape': (dc) => dc.deformConv2dBackward({ data: new Float32Array(3), shape: [1, 1, 1, 3] }, input, offset, weight, o),
    'prepared layer: a mask for a MindSpore layer': async (dc) => {
      const layer = await dc.prepareDeformableConv2d(weight, kernelSize, strides, padding, mo);
      try {
        return await layer.forward(x, offsets, { mask: o.mask });
      } finally {
        layer.dispose();
      }
    },
    'prepared layer: an input of another shape': async (dc) => {
      const layer = await dc.prepareDeformConv2d(weight, { bias: o.bias, stride: o.stride, padding: o.padding, dilation: o.dilation });
      try {
        return await layer.forward({ data: new Float32Array(2 * 7 * 7), shape: [1, 2, 7, 7] }, offset, { mask: o.mask });
      } finally {
        layer.dispose();
      }
    },
    'prepared layer: disposed': async (dc) => {
      const layer = await dc.prepareDeformConv2d(weight, { padding: o.padding });
      layer.dispose();
      return layer.forward(input, offset);
    },
  };
  const results = {};
  const counter = countPosts(proxied);
  for (const [name, call] of Object.entries(calls)) {
    const before = counter.posts;
    const p = await outcome(call(proxied));
    results[name] = { proxied: { ...p, posted: counter.posts - before }, here: await outcome(call(here)) };
  }
  const y = await proxied.deformConv2d(input, offset, weight, o);
  expectClose(y.data, Float64Array.from(c.output), FORWARD_TOLERANCE, 'a good call after the bad ones');
  proxied.dispose();
  here.dispose();
  results['disposed instance'] = { proxied: await outcome(proxied.deformConv2d(input, offset, weight, o)), here: await outcome(here.deformConv2d(input, offset, weight, o)) };
  return results;
}

/** What createDeformConv rejects with, for bad options, on a proxied page (and what the worker rejects with). */
export async function creationErrors() {
  const results = {};
  for (const [name, options] of [
    ['proxy: "yes"', { proxy: 'yes' }],
    ['proxy: 1', { proxy: 1 }],
    ['proxy: true with a gpu object', { proxy: true, gpu: { requestAdapter: async () => null } }],
    ['wasmBuild threads without isolation', { wasmBuild: 'threads' }],
  ]) {
    results[name] = await outcome(createDeformConv(options));
  }
  return results;
}

/**
 * The caller's arrays across a proxied call: read before the call returns its promise (changes made right after,
 * even to a SharedArrayBuffer, do not reach it), still usable afterwards (not transferred away); views of larger
 * buffers; the results own their buffers. Throws on the first failure.
 */
export async function callersArrays(c) {
  const dc = await createDeformConv();
  try {
    assert(dc.info().proxy === true, 'not proxied');
    const reference = Float64Array.from(c.output);
    // Changed right after the call.
    const [input, offset, weight, o] = torchvisionArgs(c);
    const inputCopy = input.data.slice();
    const pending = dc.deformConv2d(input, offset, weight, o);
    input.data.fill(1e6);
    offset.data.fill(-7);
    weight.data.fill(3);
    const y = await pending;
    expectClose(y.data, reference, FORWARD_TOLERANCE, 'output, arrays changed after the call');
    assert(input.data.length === inputCopy.length && input.data.buffer.byteLength === inputCopy.byteLength && input.data[0] === 1e6,
      'the caller\'s input array was detached or replaced');
    // Results own their buffers (transferred from the worker, not views or shared memory).
    assert(y.data instanceof Float32Array && y.data.byteOffset === 0 && y.data.byteLength === y.data.buffer.byteLength &&
      y.data.buffer instanceof ArrayBuffer, 'the output does not own its buffer');
    // SharedArrayBuffer data (a cross-origin isolated page): the worker gets a copy, not the shared memory.
    if (globalThis.crossOriginIsolated) {
      const [i2, off2, w2, o2] = torchvisionArgs(c);
      const shared = new Float32Array(new SharedArrayBuffer(i2.data.byteLength));
      shared.set(i2.data);
      const p2 = dc.deformConv2d({ data: shared, shape: i2.shape }, off2, w2, o2);
      shared.fill(NaN);
      expectClose((await p2).data, reference, FORWARD_TOLERANCE, 'output, SharedArrayBuffer input changed after the call');
    }
    // A view into a larger buffer, not at its start.
    const [i3, off3, w3, o3] = torchvisionArgs(c);
    const big = new Float32Array(i3.data.length + 1000);
    big.set(i3.data, 3);
    const view = big.subarray(3, 3 + i3.data.length);
    expectClose((await dc.deformConv2d({ data: view, shape: i3.shape }, off3, w3, o3)).data, reference, FORWARD_TOLERANCE, 'output, input a view');
    assert(big.buffer.byteLength === (i3.data.length + 1000) * 4, 'the larger buffer was detached');
    // Gradients own their buffers too.
    const g = await dc.deformConv2dBackward(tensorOf(c, 'grad_output', 'output'), ...torchvisionArgs(c));
    for (const [name, t] of Object.entries(g)) {
      if (t) assert(t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength, `${name} does not own its buffer`);
    }
    expectClose(g.gradInput.data, Float64Array.from(c.grad_input), GRADIENT_TOLERANCE, 'gradInput');
    // A prepared layer copies its weights when it is made: later changes do not reach it, the caller keeps its array.
    const [i4, off4, w4, o4] = torchvisionArgs(c);
    const layer = await dc.prepareDeformConv2d(w4, { bias: o4.bias, stride: o4.stride, padding: o4.padding, dilation: o4.dilation });
    w4.data.fill(0);
    if (o4.bias) o4.bias.data.fill(0);
    assert(w4.data.length === c.weight.length, 'the caller\'s weight array was detached');
    expectClose((await layer.forward(i4, off4, { mask: o4.mask })).data, reference, FORWARD_TOLERANCE, 'prepared layer, weights changed after prepare');
    layer.dispose();
    return true;
  } finally {
    dc.dispose();
  }
}

/**
 * Many calls in flight at once on a proxied instance: forward calls in both conventions, gradients, calls that
 * reject, prepared-layer calls. Each settles as it should, in the order the calls were made.
 */
export async function concurrentCalls(cases, count) {
  const dc = await createDeformConv();
  try {
    const layers = await Promise.all(cases.map((c) => {
      const [, , weight, o] = torchvisionArgs(c);
      return dc.prepareDeformConv2d(weight, { bias: o.bias, stride: o.stride, padding: o.padding, dilation: o.dilation });
    }));
    const order = [];
    const calls = [];
    for (let i = 0; i < count; i++) {
      const k = i % cases.length, c = cases[k], kind = i % 5;
      let promise, verify;
      if (kind === 0) {
        promise = dc.deformConv2d(...torchvisionArgs(c));
        verify = (y) => expectClose(y.data, Float64Array.from(c.output), FORWARD_TOLERANCE, `call ${i}`);
      } else if (kind === 1) {
        promise = dc.deformableConv2d(...mindsporeArgs(c));
        verify = (y) => expectClose(y.data, Float64Array.from(c.output), FORWARD_TOLERANCE, `call ${i}`);
      } else if (kind === 2) {
        promise = dc.deformConv2dBackward(tensorOf(c, 'grad_output', 'output'), ...torchvisionArgs(c));
        verify = (g) => expectClose(g.gradWeight.data, Float64Array.from(c.grad_weight), GRADIENT_TOLERANCE, `call ${i}`);
      } else if (kind === 3) {
        const [input, , weight, o] = torchvisionArgs(c);
        promise = dc.deformConv2d(input, { data: new Float32Array(10), shape: [1, 10, 1, 1] }, weight, o);
        verify = null; // rejects
      } else {
        const [input, offset, , o] = torchvisionArgs(c);
        promise = layers[k].forward(input, offset, { mask: o.mask });
        verify = (y) => expectClose(y.data, Float64Array.from(c.output), FORWARD_TOLERANCE, `call ${i}`);
      }
      calls.push(promise.then((value) => {
        order.push(i);
        if (!verify) throw new Error(`call ${i} should have rejected`);
        verify(value);
      }, (e) => {
        order.push(i);
        if (verify || !(e instanceof RangeError)) throw new Error(`call ${i} rejected: ${e.message}`);
      }));
    }
    await Promise.all(calls);
    for (const layer of layers) layer.dispose();
    return order;
  } finally {
    dc.dispose();
  }
}

/** dispose() with calls in flight: each rejects, as do later calls, info() and prepared layers. */
export async function disposeInFlight(c) {
  const dc = await createDeformConv();
  const [input, offset, weight, o] = torchvisionArgs(c);
  const layer = await dc.prepareDeformConv2d(weight, { bias: o.bias, stride: o.stride, padding: o.padding, dilation: o.dilation });
  const inFlight = [dc.deformConv2d(input, offset, weight, o), dc.deformConv2dBackward(tensorOf(c, 'grad_output', 'output'), input, offset, weight, o),
    layer.forward(input, offset, { mask: o.mask })];
  dc.dispose();
  dc.dispose();
  const info = callOutcome(() => dc.info());
  return {
    inFlight: await Promise.all(inFlight.map(outcome)),
    later: await outcome(dc.deformConv2d(input, offset, weight, o)),
    laterLayer: await outcome(layer.forward(input, offset, { mask: o.mask })),
    laterPrepare: await outcome(dc.prepareDeformConv2d(weight)),
    info,
  };
}

/**
 * A layer large enough to take a while: input (N, C, S, S), C channels in and out, 3x3, padding 1; random data
 * from a fixed generator.
 */
function bigLayer(N, C, S) {
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const filled = (n) => Float32Array.from({ length: n }, rand);
  return [
    { data: filled(N * C * S * S), shape: [N, C, S, S] },
    { data: filled(N * 18 * S * S), shape: [N, 18, S, S] },
    { data: filled(C * C * 9).map((v) => v / 10), shape: [C, C, 3, 3] },
    { padding: 1 },
  ];
}

/**
 * A heartbeat (a setTimeout chain, 5 ms apart) during one long call, on a proxied instance and on one that runs
 * on this thread: { proxied, here }, each { callMs, maxGapMs, maxGapFromMs, beatsInCall, threads }, and whether
 * both gave the same output. maxGapMs is the longest time between two beats around the call, maxGapFromMs where it
 * began (ms after the call was made), beatsInCall how many beats fired while the call was in flight.
 */
export async function heartbeat({ N, C, S }) {
  const args = bigLayer(N, C, S);
  const results = {};
  const outputs = {};
  for (const [name, proxy] of [['proxied', true], ['here', false]]) {
    const dc = await createDeformConv({ proxy });
    try {
      await dc.deformConv2d(...bigLayer(1, 4, 8)); // warm
      const beats = [performance.now()];
      let running = true;
      const beat = () => {
        beats.push(performance.now());
        if (running) setTimeout(beat, 5);
      };
      setTimeout(beat, 5);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const t0 = performance.now();
      const y = await dc.deformConv2d(...args);
      const t1 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
      running = false;
      outputs[name] = y.data;
      let maxGapMs = 0, maxGapFromMs = 0;
      for (let i = 1; i < beats.length; i++) {
        if (beats[i] - beats[i - 1] > maxGapMs) [maxGapMs, maxGapFromMs] = [beats[i] - beats[i - 1], beats[i - 1] - t0];
      }
      const beatsInCall = beats.filter((t) => t > t0 && t < t1).length;
      results[name] = { callMs: t1 - t0, maxGapMs, maxGapFromMs, beatsInCall, threads: dc.info().threads };
    } finally {
      dc.dispose();
    }
  }
  results.same = outputs.proxied.length === outputs.here.length && outputs.proxied.every((v, i) => v === outputs.here[i]);
  return results;
}

/**
 * Kills the proxied instance's worker with a message it does not know (an uncaught error there) while a long
 * call waits behind it: that call rejects, the instance is disposed, and later calls reject with the same Error.
 */
export async function workerDies({ N, C, S }) {
  const dc = await createDeformConv();
  const args = bigLayer(N, C, S);
  dc._runner._worker.postMessage({ type: 'not a message of the proxy' });
  const pending = outcome(dc.deformConv2d(...args));
  const first = await pending;
  const info = callOutcome(() => dc.info());
  return { pending: first, later: await outcome(dc.deformConv2d(...bigLayer(1, 4, 8))), info };
}

/** An instance with proxy: false on the page's thread: what it says, a golden case, and a long call. */
export async function onThisThread(c, { N, C, S }) {
  const dc = await createDeformConv({ proxy: false });
  try {
    const info = dc.info();
    await checkForward(dc, c, 'torchvision', 'NCHW');
    await dc.deformConv2dBackward(tensorOf(c, 'grad_output', 'output'), ...torchvisionArgs(c));
    await dc.deformConv2d(...bigLayer(N, C, S));
    return info;
  } finally {
    dc.dispose(); // joins the pthreads on this thread
  }
}

/**
 * A GPUDevice of this page: the instance stays here with 'auto' and takes GPU-resident tensors of the device;
 * proxy: true refuses the device; a proxied instance (its own device in the worker) rejects a GPU-resident
 * tensor, and output: 'gpu-buffer', with a TypeError, sending nothing.
 */
export async function withGpuDevice(c) {
  const adapter = await navigator.gpu.requestAdapter();
  assert(adapter, 'no WebGPU adapter in this browser');
  const device = await adapter.requestDevice();
  const [input, offset, weight, o] = torchvisionArgs(c);
  const gpuInput = device.createBuffer({ size: 4 * input.data.length, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(gpuInput, 0, input.data);
  try {
    const dc = await createDeformConv({ backend: 'webgpu', gpuDevice: device });
    const info = dc.info();
    await checkForward(dc, c, 'MindSpore', 'NCHW');
    const sameDevice = dc.gpuDevice === device;
    const onPage = await dc.deformConv2d({ gpuBuffer: gpuInput, shape: input.shape }, offset, weight, { ...o, output: 'gpu-buffer' });
    const pageResult = { shape: onPage.shape, usage: onPage.gpuBuffer.usage };
    onPage.dispose();
    dc.dispose();
    const proxied = await createDeformConv({ backend: 'webgpu' });
    const posts = countPosts(proxied);
    const proxiedInfo = { proxy: proxied.info().proxy, backend: proxied.backend, gpuDevice: proxied.gpuDevice };
    const gpuTensor = await outcome(proxied.deformConv2d({ gpuBuffer: gpuInput, shape: input.shape }, offset, weight, o));
    const gpuOutput = await outcome(proxied.deformConv2d(input, offset, weight, { ...o, output: 'gpu-buffer' }));
    const sent = posts.posts;
    await checkForward(proxied, c, 'torchvision', 'NCHW'); // still working
    proxied.dispose();
    return {
      info, sameDevice, pageResult, proxiedInfo, gpuTensor, gpuOutput, sent,
      forced: await outcome(createDeformConv({ gpuDevice: device, proxy: true })),
    };
  } finally {
    gpuInput.destroy();
    device.destroy();
  }
}

/** The WebGPU backend through the proxy (the worker opens its own device): a golden case, forward and backward. */
export async function webgpuThroughProxy(c) {
  const dc = await createDeformConv({ backend: 'webgpu' });
  try {
    const info = dc.info();
    await checkForward(dc, c, 'torchvision', 'NHWC');
    await checkForward(dc, c, 'MindSpore', 'NCHW');
    const layer = await dc.prepareDeformConv2d(...(([, , weight, o]) => [weight, { bias: o.bias, stride: o.stride, padding: o.padding, dilation: o.dilation }])(torchvisionArgs(c)));
    const [input, offset, , o] = torchvisionArgs(c);
    expectClose((await layer.forward(input, offset, { mask: o.mask })).data, Float64Array.from(c.output), FORWARD_TOLERANCE, 'prepared layer on WebGPU');
    layer.dispose();
    const g = await dc.deformConv2dBackward(tensorOf(c, 'grad_output', 'output'), ...torchvisionArgs(c));
    expectClose(g.gradOffset.data, Float64Array.from(c.grad_offset), GRADIENT_TOLERANCE, 'gradOffset on WebGPU');
    return info;
  } finally {
    dc.dispose();
  }
}

/** The package in a module Web Worker of the page's own (tests/browser/proxy/own-worker.mjs): what it reports. */
export function inOwnWorker(c) {
  const worker = new Worker('/tests/browser/proxy/own-worker.mjs', { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`own worker: ${event.message}`));
    };
    worker.postMessage(c);
  });
}

/** On a page whose Content-Security-Policy forbids workers (no-workers.html): 'auto' runs here, true rejects. */
export async function withoutWorkers(c) {
  const dc = await createDeformConv();
  const info = dc.info();
  await checkForward(dc, c, 'torchvision', 'NCHW');
  dc.dispose();
  return { info, forced: await outcome(createDeformConv({ proxy: true })) };
}

/**
 * A warning of the worker's (more threads asked for than a page without isolation gives) reaches the page's
 * console, once for two instances.
 */
export async function workersWarning() {
  const infos = [];
  for (let k = 0; k < 2; k++) {
    const dc = await createDeformConv({ threads: 4 });
    infos.push(dc.info());
    dc.dispose();
  }
  return infos;
}
