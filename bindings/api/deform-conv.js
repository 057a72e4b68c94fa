// The public instance returned by createDeformConv(): argument handling for both conventions, backend
// choice, info() and dispose(). Platform differences (how a module file is found and loaded, how many
// cores there are, whether threads can run) come in through `platform`, from node.js or browser.js.
import { mindsporeCall, mindsporeLayer, torchvisionCall, torchvisionLayer } from './calls.js';
import { DeformConvLayer } from './prepared-layer.js';
import { copyOfTensor, describe } from './tensors.js';
import { WasmBackend } from '../wasm/backend.js';
import { GpuFailure, WebGpuBackend } from '../webgpu/backend.js';

export const VERSION = '0.1.0';

const CREATE_OPTIONS = ['backend', 'threads', 'gpuDevice', 'gpu', 'wasmBuild', 'allowSpinning'];
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
  if (options.gpu !== undefined && options.gpu !== null && (typeof options.gpu !== 'object' || typeof options.gpu.requestAdapter !== 'function')) {
    throw new TypeError(`gpu must be a GPU object with requestAdapter() (navigator.gpu, or create([]) of the npm package 'webgpu'), got ${describe(options.gpu)}`);
  }
  if (options.allowSpinning !== undefined && typeof options.allowSpinning !== 'boolean') {
    throw new TypeError(`allowSpinning must be a boolean, got ${describe(options.allowSpinning)}`);
  }
  return { backend, wasmBuild, threads: options.threads, gpuDevice: options.gpuDevice, gpu: options.gpu, allowSpinning: options.allowSpinning !== false };
}

export async function createDeformConvOn(platform, options) {
  const o = checkCreateOptions(options);
  return new DeformConv(await chooseBackends(platform, o), o.backend);
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
 */
async function chooseBackends(platform, o) {
  const simd = platform.simdSupported();
  const threadsWanted = o.threads === undefined ? platform.defaultThreads() : o.threads;
  const threadedWasm = simd && threadsWanted > 1 && platform.threadsUsable() && o.wasmBuild !== 'simd';
  if (o.backend === 'wasm' || (o.backend === 'auto' && threadedWasm)) {
    return { wasm: await loadWasm(platform, o.wasmBuild, o.threads, threadsWanted, o.allowSpinning), gpu: null, fallbackReason: null };
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
    const wasm = !gpu ? await loadWasm(platform, o.wasmBuild, o.threads, threadsWanted, o.allowSpinning)
      : await loadWasm(platform, simd ? 'simd' : 'validate', 1, 1);
    return { wasm, gpu, fallbackReason };
  } catch (e) {
    if (gpu) gpu.dispose();
    throw e;
  }
}

const NO_SIMD = 'this JavaScript engine does not support WebAssembly SIMD (fixed-width SIMD, 2021), which the ' +
  'WebAssembly backend of deformconv-wasm needs';

/**
 * wasmBuild: 'auto' | 'threads' | 'simd', or 'validate' (the validator alone, without SIMD). allowSpinning:
 * false sends the worker threads to sleep at the end of each call (no spinning for the next).
 */
async function loadWasm(platform, wasmBuild, threadsAsked, threadsWanted, allowSpinning = true) {
  if (wasmBuild !== 'validate' && !platform.simdSupported()) throw new Error(NO_SIMD);
  let build = wasmBuild;
  if (build === 'auto') build = threadsWanted > 1 && platform.threadsUsable() ? 'threads' : 'simd';
  if (build === 'threads' && !platform.threadsUsable()) {
    throw new Error("wasmBuild 'threads' needs SharedArrayBuffer: serve the page cross-origin isolated " +
      '(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)');
  }
  if (build === 'simd' && threadsAsked > 1 && wasmBuild === 'auto') {
    platform.warn(`deformconv-wasm: ${threadsAsked} threads were asked for, but this page is not cross-origin isolated ` +
      '(no SharedArrayBuffer), so the single-threaded SIMD build runs.');
  }
  const threads = build === 'threads' ? threadsWanted : 1;
  // The threaded module starts its worker pool before it resolves; Emscripten 3.1.6 never resolves with a
  // pool of 0, so a 1-thread instance of the threaded build keeps one idle worker.
  const pool = build === 'threads' ? Math.max(1, threads - 1) : 0;
  const module = await withTimeout(platform.loadModule(build, pool), INIT_TIMEOUT_MS, `loading the ${build} WebAssembly module`);
  return new WasmBackend(module, build, threads, allowSpinning);
}

export class DeformConv {
  /** @internal use createDeformConv() */
  constructor({ wasm, gpu, fallbackReason }, mode) {
    this._wasm = wasm;
    this._gpu = gpu;
    this._mode = mode;
    this._fallbackReason = fallbackReason;
    /** 'wasm' | 'webgpu': the backend that runs the calls. */
    this.backend = gpu ? 'webgpu' : 'wasm';
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
      simd: wasm.build !== 'validate',
      simdInstructions: wasm.simd,
      threads: wasm.threads,
      wasmBuild: wasm.build,
      webgpu: this._gpu ? this._gpu.info() : null,
      fallbackReason: this._fallbackReason,
    };
  }

  /**
   * Runs one call (a calls.js description) on the chosen backend; op: 'forward' | 'backward'. A WebGPU call
   * is validated by the core first, so bad arguments reject exactly as on WebAssembly. A failure inside
   * WebGPU rejects with backend 'webgpu'; with 'auto' the call runs on WebAssembly instead and
   * fallbackReason says why. A lost device, a shader error or a WebGPU error retires the GPU for good; a call
   * too large for the device's buffers (or its memory) only falls back itself. Both run on copies of the
   * tensors taken before this returns its promise (copiedCall). resident: a prepared layer's
   * { wasm: PackedWeights, gpu: ResidentBuffers } (forward only): where its weights stay between calls; its
   * weight and bias are its own copies already, so they are not copied again.
   */
  async _run(op, given, resident = null) {
    const wasm = this._live();
    const onWasm = (call) => (op === 'forward' ? this._live().forward(call, resident && resident.wasm) : this._live()[op](call));
    if (!this._gpu) return onWasm(given);
    const validated = wasm.check(given);
    const call = copiedCall(given, resident ? ['weight', 'bias'] : []);
    try {
      const result = op === 'forward' ? await this._gpu.forward(call, validated, resident && resident.gpu) : await this._gpu[op](call, validated);
      return op === 'forward' ? { data: result, shape: validated.outputShape } : gradientTensors(call, result);
    } catch (e) {
      if (!(e instanceof GpuFailure)) throw e;
      if (this._mode === 'webgpu') throw new Error(`WebGPU backend failed: ${e.message}`);
      if (wasm.build === 'validate') throw new Error(`WebGPU backend failed, and without WebAssembly SIMD there is no fallback: ${e.message}`);
      this._fallbackReason = `WebGPU failed, this call ran on WebAssembly: ${e.message}`;
      if (!e.transient && this._gpu) {
        this._gpu.dispose();
        this._gpu = null;
        this.backend = 'wasm';
      }
      return onWasm(call);
    }
  }

  /** torchvision.ops.deform_conv2d */
  async deformConv2d(input, offset, weight, options) {
    this._live();
    return this._run('forward', torchvisionCall(input, offset, weight, options));
  }

  /** mindspore.ops.deformable_conv2d */
  async deformableConv2d(x, weight, offsets, kernelSize, strides, padding, options) {
    this._live();
    return this._run('forward', mindsporeCall(x, weight, offsets, kernelSize, strides, padding, options));
  }

  /**
   * A torchvision layer prepared for many forward calls: weight and options.bias are copied now, and
   * forward(input, offset, { mask }) runs deformConv2d with them (on WebAssembly without copying or packing
   * the weights again). options: bias, stride, padding, dilation, dataFormat.
   */
  async prepareDeformConv2d(weight, options) {
    this._live();
    return new DeformConvLayer(this, torchvisionLayer(weight, options), 'torchvision');
  }

  /**
   * A MindSpore layer prepared for many forward calls: forward(x, offsets) runs deformableConv2d with the
   * weight, kernelSize, strides, padding and options given here (bias, dilations, groups, deformableGroups,
   * modulated, dataFormat).
   */
  async prepareDeformableConv2d(weight, kernelSize, strides, padding, options) {
    this._live();
    return new DeformConvLayer(this, mindsporeLayer(weight, kernelSize, strides, padding, options), 'mindspore');
  }

  /**
   * Gradients of deformConv2d (torchvision convention), same options as the forward call.
   * Resolves to { gradInput, gradOffset, gradMask (null without mask), gradWeight, gradBias (null without bias) }.
   */
  async deformConv2dBackward(gradOutput, input, offset, weight, options) {
    this._live();
    const g = await this._run('backward', torchvisionCall(input, offset, weight, options, { backward: true, gradOutput }));
    return { gradInput: g.input, gradOffset: g.offset, gradMask: g.mask, gradWeight: g.weight, gradBias: g.bias };
  }

  /**
   * Gradients of deformableConv2d (MindSpore convention), same arguments as the forward call.
   * Resolves to { gradX, gradWeight, gradOffsets ([dx | dy | mask] blocks), gradBias (null without bias) }.
   */
  async deformableConv2dBackward(gradOutput, x, weight, offsets, kernelSize, strides, padding, options) {
    this._live();
    const g = await this._run('backward', mindsporeCall(x, weight, offsets, kernelSize, strides, padding, options, { backward: true, gradOutput }));
    return { gradX: g.input, gradWeight: g.weight, gradOffsets: g.offset, gradBias: g.bias };
  }

  /**
   * Frees the WebAssembly memory, ends the worker threads and frees the GPU buffers (and the GPU device,
   * unless it was the caller's). Later calls reject; a second dispose() does nothing.
   */
  dispose() {
    if (!this._wasm) return;
    if (this._gpu) this._gpu.dispose();
    this._gpu = null;
    this._wasm.dispose();
    this._wasm = null;
  }
}

/**
 * The call with copies of its tensors, made before the call returns its promise. The GPU reads the tensors
 * later (after the calls in front of this one, after its pipelines compile), by which time the caller may have
 * changed, transferred (detached) or shrunk its arrays; the WebAssembly backend copies them into its heap at
 * once. With the copies a WebGPU call, and its WebAssembly fallback, computes what the arrays held when it was
 * made. They are also unshared: Dawn's writeBuffer takes no SharedArrayBuffer.
 */
function copiedCall(call, alreadyCopied = []) {
  const tensors = {};
  for (const name of Object.keys(call.tensors)) {
    tensors[name] = alreadyCopied.includes(name) ? call.tensors[name] : copyOfTensor(call.tensors[name], call.argNames[name]);
  }
  return { ...call, tensors };
}

/** The WebGPU backward's arrays as the WebAssembly backward answers: { input, offset, mask, weight, bias }. */
function gradientTensors({ tensors }, g) {
  const like = (data, tensor) => (data && tensor ? { data, shape: tensor.shape.slice() } : null);
  return {
    input: like(g.gradInput, tensors.input),
    offset: like(g.gradOffset, tensors.offset),
    mask: like(g.gradMask, tensors.mask),
    weight: like(g.gradWeight, tensors.weight),
    bias: like(g.gradBias, tensors.bias),
  };
}
