// The public instance returned by createDeformConv(): argument handling for both conventions, backend
// choice, info() and dispose(). Platform differences (how a module file is found and loaded, how many
// cores there are, whether threads can run) come in through `platform`, from node.js or browser.js.
import { mindsporeCall, torchvisionCall } from './calls.js';
import { describe } from './tensors.js';
import { WasmBackend } from './wasm-backend.js';

export const VERSION = '0.1.0';

const CREATE_OPTIONS = ['backend', 'threads', 'gpuDevice', 'wasmBuild'];
const INIT_TIMEOUT_MS = 30000;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
  if (options.threads !== undefined) {
    if (typeof options.threads !== 'number') throw new TypeError(`threads must be a number, got ${describe(options.threads)}`);
    if (!Number.isInteger(options.threads) || options.threads < 1 || options.threads > 256) {
      throw new RangeError(`threads must be an integer between 1 and 256, got ${options.threads}`);
    }
  }
  return { backend, wasmBuild, threads: options.threads, gpuDevice: options.gpuDevice };
}

export async function createDeformConvOn(platform, options) {
  const o = checkCreateOptions(options);
  if (o.backend === 'webgpu') {
    throw new Error("the 'webgpu' backend is not part of this version of deformconv-wasm yet; use backend 'wasm' or 'auto'");
  }
  if (!platform.simdSupported()) {
    throw new Error('this JavaScript engine does not support WebAssembly SIMD (fixed-width SIMD, 2021), which deformconv-wasm needs');
  }
  const threadsWanted = o.threads === undefined ? platform.defaultThreads() : o.threads;
  let build = o.wasmBuild;
  if (build === 'auto') build = threadsWanted > 1 && platform.threadsUsable() ? 'threads' : 'simd';
  if (build === 'threads' && !platform.threadsUsable()) {
    throw new Error("wasmBuild 'threads' needs SharedArrayBuffer: serve the page cross-origin isolated " +
      '(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)');
  }
  if (build === 'simd' && o.threads > 1 && o.wasmBuild === 'auto') {
    platform.warn(`deformconv-wasm: ${o.threads} threads were asked for, but this page is not cross-origin isolated ` +
      '(no SharedArrayBuffer), so the single-threaded SIMD build runs.');
  }
  const threads = build === 'threads' ? threadsWanted : 1;
  // The threaded module starts its worker pool before it resolves; Emscripten 3.1.6 never resolves with a
  // pool of 0, so a 1-thread instance of the threaded build keeps one idle worker.
  const pool = build === 'threads' ? Math.max(1, threads - 1) : 0;
  const module = await withTimeout(platform.loadModule(build, pool), INIT_TIMEOUT_MS, `loading the ${build} WebAssembly module`);
  return new DeformConv(new WasmBackend(module, build, threads));
}

export class DeformConv {
  /** @internal use createDeformConv() */
  constructor(backend) {
    this._wasm = backend;
    /** 'wasm' | 'webgpu': the backend that runs the calls. */
    this.backend = 'wasm';
  }

  _live() {
    if (!this._wasm) throw new Error('this DeformConv instance was disposed; create a new one with createDeformConv()');
    return this._wasm;
  }

  info() {
    const wasm = this._live().info();
    return {
      backend: this.backend,
      version: VERSION,
      simd: true,
      simdInstructions: wasm.simd,
      threads: wasm.threads,
      wasmBuild: wasm.build,
      webgpu: null,
      fallbackReason: null,
    };
  }

  /** torchvision.ops.deform_conv2d */
  async deformConv2d(input, offset, weight, options) {
    const backend = this._live();
    return backend.forward(torchvisionCall(input, offset, weight, options));
  }

  /** mindspore.ops.deformable_conv2d */
  async deformableConv2d(x, weight, offsets, kernelSize, strides, padding, options) {
    const backend = this._live();
    return backend.forward(mindsporeCall(x, weight, offsets, kernelSize, strides, padding, options));
  }

  /**
   * Gradients of deformConv2d (torchvision convention), same options as the forward call.
   * Resolves to { gradInput, gradOffset, gradMask (null without mask), gradWeight, gradBias (null without bias) }.
   */
  async deformConv2dBackward(gradOutput, input, offset, weight, options) {
    const backend = this._live();
    const g = backend.backward(torchvisionCall(input, offset, weight, options, { backward: true, gradOutput }));
    return { gradInput: g.input, gradOffset: g.offset, gradMask: g.mask, gradWeight: g.weight, gradBias: g.bias };
  }

  /**
   * Gradients of deformableConv2d (MindSpore convention), same arguments as the forward call.
   * Resolves to { gradX, gradWeight, gradOffsets ([dx | dy | mask] blocks), gradBias (null without bias) }.
   */
  async deformableConv2dBackward(gradOutput, x, weight, offsets, kernelSize, strides, padding, options) {
    const backend = this._live();
    const g = backend.backward(mindsporeCall(x, weight, offsets, kernelSize, strides, padding, options, { backward: true, gradOutput }));
    return { gradX: g.input, gradWeight: g.weight, gradOffsets: g.offset, gradBias: g.bias };
  }

  /** Frees the WebAssembly memory and ends the worker threads. Later calls reject; a second dispose() does nothing. */
  dispose() {
    if (!this._wasm) return;
    this._wasm.dispose();
    this._wasm = null;
  }
}
