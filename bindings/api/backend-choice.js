// createDeformConv(): checks its options, decides where the calls run (on this thread, or in the proxy's Web
// Worker) and which backends run them, loads them, and returns the DeformConv instance. Platform differences
// (how a module file is found and loaded, how many cores there are, whether threads can run, whether this is a
// browser page's main thread) come in through `platform`, from node.js, browser.js or the proxy's worker.js:
//   { logicalCores(), threadsUsable(), simdSupported(), relaxedSimdSupported(), warn(message),
//     loadModule(file, pthreadPoolSize) (file: a build, '-relaxed' appended for its relaxed-SIMD form),
//     initTimeoutMs (optional: how long a module, or the proxy's worker, may take to load),
//     context: 'page' | 'worker' | 'node' (where this runs),
//     startProxyWorker() (browsers: a new proxy worker), moduleUrl(build) (browsers: the URL of a build's module) }
import { DeformConv } from './deform-conv.js';
import { Runner } from './runner.js';
import { describe } from './tensors.js';
import { ProxyRunner, ProxyStartFailure } from '../proxy/proxy-runner.js';
import { WasmBackend } from '../wasm/backend.js';
import { GpuFailure, WebGpuBackend } from '../webgpu/backend.js';

const CREATE_OPTIONS = ['backend', 'threads', 'gpuDevice', 'gpu', 'wasmBuild', 'relaxedSimd', 'allowSpinning', 'proxy'];
const INIT_TIMEOUT_MS = 30000;

/**
 * The default thread count is the number of logical cores, but at most this many. Reasons from the design of
 * the thread pool (src/thread_pool.h) and of the passes, not from a measurement:
 * - a worker that has finished its part of a step of a call spins for up to 2 ms waiting for the next step
 *   before it sleeps, so every worker burns a core after each call it took part in;
 * - each worker is a Web Worker (a worker_thread in Node.js) with its own instance of the module, started
 *   before createDeformConv() resolves, so the start-up time and memory grow with the count;
 * - each thread has its own workspace in the 4 GiB heap (1-2 MiB forward, a channels-last image backward), so
 *   every thread lowers the largest backward call that fits;
 * - a call shares tiles of output pixels out over the threads, and a small image has few: the 256 pixels of a
 *   16x16 output become 8 tiles of 32 pixels for 8 threads, each tile reading all the packed weights.
 * So the gain of a thread shrinks as its costs grow with the machine. An explicit `threads` (up to 256) is
 * used as given: a caller on a large machine whose layers gain from more can ask for them.
 */
export const DEFAULT_MAX_THREADS = 8;

/** The default thread count on this platform: logical cores, between 1 and DEFAULT_MAX_THREADS. */
export function defaultThreads(platform) {
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, Math.floor(platform.logicalCores()) || 1));
}

/** True for what a GPUDevice (from adapter.requestDevice()) must offer this package. */
function isGpuDevice(value) {
  return typeof value === 'object' && value !== null && typeof value.createBuffer === 'function' &&
    typeof value.queue === 'object' && value.queue !== null && typeof value.createComputePipelineAsync === 'function';
}

function checkCreateOptions(options) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`createDeformConv options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!CREATE_OPTIONS.includes(key)) {
      throw new TypeError(`createDeformConv has an unknown option '${key}'; the options are ${CREATE_OPTIONS.join(', ')}`);
    }
  }
  const backend = options.backend === undefined ? 'auto' : options.backend;
  if (!['auto', 'wasm', 'webgpu'].includes(backend)) {
    throw new (typeof backend === 'string' ? RangeError : TypeError)(`backend must be 'auto', 'wasm' or 'webgpu', got ${describe(backend)}`);
  }
  const wasmBuild = options.wasmBuild === undefined ? 'auto' : options.wasmBuild;
  if (!['auto', 'threads', 'simd'].includes(wasmBuild)) {
    throw new (typeof wasmBuild === 'string' ? RangeError : TypeError)(`wasmBuild must be 'auto', 'threads' or 'simd', got ${describe(wasmBuild)}`);
  }
  const relaxedSimd = options.relaxedSimd === undefined ? 'auto' : options.relaxedSimd;
  if (relaxedSimd !== 'auto' && relaxedSimd !== true && relaxedSimd !== false) {
    throw new (typeof relaxedSimd === 'string' ? RangeError : TypeError)(`relaxedSimd must be 'auto', true or false, got ${describe(relaxedSimd)}`);
  }
  const proxy = options.proxy === undefined ? 'auto' : options.proxy;
  if (proxy !== 'auto' && proxy !== true && proxy !== false) {
    throw new (typeof proxy === 'string' ? RangeError : TypeError)(`proxy must be 'auto', true or false, got ${describe(proxy)}`);
  }
  if (options.threads !== undefined) {
    if (typeof options.threads !== 'number') throw new TypeError(`threads must be a number, got ${describe(options.threads)}`);
    if (!Number.isInteger(options.threads) || options.threads < 1 || options.threads > 256) {
      throw new RangeError(`threads must be an integer between 1 and 256, got ${options.threads}`);
    }
  }
  if (options.gpu !== undefined && options.gpu !== null && (typeof options.gpu !== 'object' || typeof options.gpu.requestAdapter !== 'function')) {
    throw new TypeError(`gpu must be a GPU object with requestAdapter() (navigator.gpu, or create([]) of the npm package 'webgpu'), got ${describe(options.gpu)}`);
  }
  if (options.allowSpinning !== undefined && typeof options.allowSpinning !== 'boolean') {
    throw new TypeError(`allowSpinning must be a boolean, got ${describe(options.allowSpinning)}`);
  }
  // Checked whatever backend wins the choice: a wrong device must not pass unnoticed because threaded
  // WebAssembly was chosen this time.
  if (options.gpuDevice !== undefined && options.gpuDevice !== null && !isGpuDevice(options.gpuDevice)) {
    throw new TypeError(`gpuDevice must be a GPUDevice (from adapter.requestDevice()), got ${describe(options.gpuDevice)}`);
  }
  const own = thisThreadOnly(options);
  if (proxy === true && own) {
    throw new TypeError(`proxy: true cannot take ${own}: it belongs to this thread and cannot be sent to the proxy's ` +
      "Web Worker; leave proxy at 'auto' (the instance then runs on this thread) or pass proxy: false");
  }
  return {
    backend, wasmBuild, relaxedSimd, proxy, threads: options.threads, gpuDevice: options.gpuDevice, gpu: options.gpu,
    allowSpinning: options.allowSpinning !== false,
  };
}

/** The option that ties the instance to the calling thread, as a phrase for messages, or null. */
function thisThreadOnly(options) {
  if (options.gpuDevice !== undefined && options.gpuDevice !== null) return 'a gpuDevice (a GPUDevice)';
  if (options.gpu !== undefined && options.gpu !== null) return 'a gpu object';
  return null;
}

export async function createDeformConvOn(platform, options) {
  const o = checkCreateOptions(options);
  let where = whereCallsRun(platform, o);
  if (where.proxy) {
    // Every option but the three that stay here (gpuDevice and gpu are absent when the proxy runs the calls).
    const { gpuDevice, gpu, proxy, ...workerOptions } = o;
    try {
      return new DeformConv(await ProxyRunner.start(platform, workerOptions, initTimeoutMs(platform)), where);
    } catch (e) {
      if (!(e instanceof ProxyStartFailure) || o.proxy === true) {
        throw e instanceof ProxyStartFailure ? new Error(`proxy: true, but the proxy's worker did not start: ${e.message}`) : e;
      }
      where = { proxy: false, proxyReason: `the proxy's worker did not start (${e.message}), so the calls run on this thread` };
      platform.warn(`deformconv-wasm: ${where.proxyReason}, and a long call keeps the page from responding while it runs.`);
    }
  }
  return new DeformConv(await createRunner(platform, o), where);
}

/**
 * The Runner of an instance on this thread, for options checked by checkCreateOptions (the proxy's worker
 * makes its Runner here too, for the options the page checked). settings: Runner's (runner.js).
 */
export async function createRunner(platform, o, settings) {
  return new Runner(await chooseBackends(platform, o), o.backend, settings);
}

/**
 * Whether the calls run in the proxy's Web Worker: { proxy, proxyReason (why not; null when they do) }.
 * - 'auto': on a browser page's main thread, where a call running on the page's thread would keep it from
 *   responding (and the threaded build's wait for its pthreads would block it); not in a Web Worker, which is
 *   off the main thread already, nor in Node.js; never with a gpuDevice or gpu object, which belong to the
 *   calling thread.
 * - true: in a Web Worker wherever the platform can start one (a page or a worker); an Error where it cannot.
 * - false: on the calling thread.
 */
function whereCallsRun(platform, o) {
  if (o.proxy === false) return { proxy: false, proxyReason: 'proxy: false' };
  const own = thisThreadOnly(o);
  if (own) return { proxy: false, proxyReason: `${own} was given, which belongs to this thread, so the calls run on it` };
  const canStart = typeof platform.startProxyWorker === 'function';
  if (o.proxy === true) {
    if (!canStart) throw new Error(`proxy: true needs Web Workers, which ${platform.context === 'node' ? 'Node.js does not have' : 'this platform does not have'}; pass proxy: 'auto' or false`);
    return { proxy: true, proxyReason: null };
  }
  if (platform.context === 'page' && canStart) return { proxy: true, proxyReason: null };
  return {
    proxy: false,
    proxyReason: platform.context === 'node' ? 'Node.js: the calls run on the calling thread (the proxy is for a browser page\'s main thread)'
      : platform.context === 'worker' ? 'this is a Web Worker already, off the page\'s main thread: the calls run on it'
        : 'this page cannot start Web Workers, so the calls run on its thread',
  };
}

function initTimeoutMs(platform) {
  return platform.initTimeoutMs === undefined ? INIT_TIMEOUT_MS : platform.initTimeoutMs;
}

/**
 * The one place that decides what runs the calls ({ wasm, gpu, fallbackReason }):
 * - 'wasm': the WebAssembly module (threaded when threads > 1 and SharedArrayBuffer is usable).
 * - 'webgpu': a WebGPU device (the caller's gpuDevice, or one from any adapter, software ones included); the
 *   SIMD-only WebAssembly module is loaded beside it for validation (the core's validator, so both backends
 *   reject the same inputs with the same messages) and as the fallback. No device: reject.
 * - 'auto': threaded WebAssembly when it can run (threads > 1 and SharedArrayBuffer usable: Node.js, or a
 *   cross-origin isolated page); otherwise WebGPU on a hardware adapter (not a fallback/software one), or on
 *   the caller's gpuDevice; otherwise single-threaded WebAssembly, with fallbackReason saying why WebGPU was
 *   not used.
 * Without WebAssembly SIMD no WebAssembly build can run the operation: 'auto' then takes WebGPU on any
 * adapter, and a WebGPU instance loads the validation-only module (no SIMD, no kernels, no fallback).
 * relaxedSimd true on an engine without relaxed SIMD rejects before anything loads.
 */
async function chooseBackends(platform, o) {
  const simd = platform.simdSupported();
  if (o.relaxedSimd === true && !platform.relaxedSimdSupported()) throw new Error(NO_RELAXED_SIMD);
  const threadsWanted = o.threads === undefined ? defaultThreads(platform) : o.threads;
  const threadedWasm = simd && threadsWanted > 1 && platform.threadsUsable() && o.wasmBuild !== 'simd';
  if (o.backend === 'wasm' || (o.backend === 'auto' && threadedWasm)) {
    return { wasm: await loadWasm(platform, o.wasmBuild, o.threads, threadsWanted, o.relaxedSimd, o.allowSpinning), gpu: null, fallbackReason: null };
  }
  let gpu = null, fallbackReason = null;
  try {
    gpu = await WebGpuBackend.open({
      gpu: o.gpu, gpuDevice: o.gpuDevice, allowFallbackAdapter: o.backend === 'webgpu' || !simd,
    });
  } catch (e) {
    if (!(e instanceof GpuFailure)) throw e;
    if (o.backend === 'webgpu') throw new Error(`backend 'webgpu' is not available: ${e.message}`);
    if (!simd) throw new Error(`${NO_SIMD}, and WebGPU is not available either: ${e.message}`);
    fallbackReason = `WebGPU not used: ${e.message}`;
  }
  try {
    const wasm = !gpu ? await loadWasm(platform, o.wasmBuild, o.threads, threadsWanted, o.relaxedSimd, o.allowSpinning)
      : await loadWasm(platform, simd ? 'simd' : 'validate', 1, 1, o.relaxedSimd);
    return { wasm, gpu, fallbackReason };
  } catch (e) {
    if (gpu) gpu.dispose();
    throw e;
  }
}

const NO_SIMD = 'this JavaScript engine does not support WebAssembly SIMD (fixed-width SIMD, 2021), which the ' +
  'WebAssembly backend of deformconv-wasm needs';

const NO_RELAXED_SIMD = "relaxedSimd: true needs WebAssembly relaxed SIMD (f32x4.relaxed_madd; Chromium 114+, " +
  "Firefox 145+, Node.js 22+), which this JavaScript engine rejects; use relaxedSimd: 'auto' (the default) or false";

/**
 * Which WebAssembly build to load for wasmBuild 'auto' | 'threads' | 'simd' | 'validate' (the validator alone,
 * without SIMD): 'threads', 'simd' or 'validate'. Throws when the asked build cannot run here.
 */
function chooseWasmBuild(platform, wasmBuild, threadsWanted) {
  if (wasmBuild !== 'validate' && !platform.simdSupported()) throw new Error(NO_SIMD);
  const build = wasmBuild === 'auto' ? (threadsWanted > 1 && platform.threadsUsable() ? 'threads' : 'simd') : wasmBuild;
  if (build === 'threads' && !platform.threadsUsable()) {
    throw new Error("wasmBuild 'threads' needs SharedArrayBuffer: serve the page cross-origin isolated " +
      '(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)');
  }
  return build;
}

/**
 * The file of a build: each SIMD build also comes with relaxed SIMD ('<build>-relaxed'), loaded when relaxedSimd
 * is true, or 'auto' and the engine validates relaxed SIMD.
 */
function wasmFile(platform, build, relaxedSimd) {
  const relaxed = build !== 'validate' && (relaxedSimd === true || (relaxedSimd === 'auto' && platform.relaxedSimdSupported()));
  return relaxed ? `${build}-relaxed` : build;
}

/**
 * allowSpinning: false sends the worker threads to sleep at the end of each call (no spinning for the next).
 */
async function loadWasm(platform, wasmBuild, threadsAsked, threadsWanted, relaxedSimd, allowSpinning = true) {
  const build = chooseWasmBuild(platform, wasmBuild, threadsWanted);
  if (build === 'simd' && threadsAsked > 1 && wasmBuild === 'auto') {
    platform.warn(`deformconv-wasm: ${threadsAsked} threads were asked for, but this page is not cross-origin isolated ` +
      '(no SharedArrayBuffer), so the single-threaded SIMD build runs.');
  }
  const threads = build === 'threads' ? threadsWanted : 1;
  // The threaded module starts its worker pool before it resolves; Emscripten 3.1.6 never resolves with a
  // pool of 0, so a 1-thread instance of the threaded build keeps one idle worker.
  const pool = build === 'threads' ? Math.max(1, threads - 1) : 0;
  const module = await loadInTime(platform, wasmFile(platform, build, relaxedSimd), pool);
  try {
    return new WasmBackend(module, build, threads, allowSpinning);
  } catch (e) {
    disposeModule(module);
    throw e;
  }
}

/** Ends a module nobody will use: its pthread workers hold it (and its heap) alive. */
function disposeModule(module) {
  if (module && typeof module.terminateWorkers === 'function') module.terminateWorkers();
}

/**
 * The module in `file`, or an Error when it takes longer than the platform's timeout. A module that arrives
 * after the timeout is disposed when it arrives.
 */
async function loadInTime(platform, file, pool) {
  const ms = initTimeoutMs(platform);
  const loading = Promise.resolve(platform.loadModule(file, pool));
  let timer = null, late = false;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new Error(`loading the ${file} WebAssembly module did not finish within ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([loading, timeout]);
  } finally {
    clearTimeout(timer);
    if (late) loading.then(disposeModule, () => {});
  }
}
