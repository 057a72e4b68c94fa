// Runs the calls of an instance on this thread's backends: a parsed call (calls.js) is validated by the core
// into a request (request.js), which the backend that runs it reads and never parses again; on WebGPU with
// backend 'auto', a failure inside the GPU sends the same request to WebAssembly. The public DeformConv
// (deform-conv.js) hands its parsed calls to a Runner, or to the proxy's ProxyRunner, which sends them to a
// Runner in a Web Worker (bindings/proxy/).
import { gpuResidentParts, makeRequest, releaseRequest, withCopiedTensors } from './request.js';
import { PackedWeights } from '../wasm/packed-weights.js';
import { GpuFailure, ResidentBuffers } from '../webgpu/backend.js';

export const DISPOSED_MESSAGE = 'this DeformConv instance was disposed; create a new one with createDeformConv()';

export class Runner {
  /**
   * @param backends { wasm: WasmBackend (its validator validates every call; a 'validate' build runs nothing),
   *   gpu: WebGpuBackend or null, fallbackReason }
   * @param mode the backend option: 'auto' | 'wasm' | 'webgpu'
   * @param settings { tensorsAreCopies: every call's tensors are the runner's own copies, which nobody else
   *   changes (the proxy's worker, whose calls arrive as copies): the WebGPU backend need not copy them again }
   */
  constructor({ wasm, gpu, fallbackReason }, mode, { tensorsAreCopies = false } = {}) {
    this.wasm = wasm;
    this.gpu = gpu;
    this.mode = mode;
    this.fallbackReason = fallbackReason;
    this.tensorsAreCopies = tensorsAreCopies;
    /** 'wasm' | 'webgpu': the backend that runs the calls (WebGPU until a failure retires it). */
    this.backend = gpu ? 'webgpu' : 'wasm';
    // Why the WebGPU backend was given up during a call ('auto'), or null: GPU-resident tensors have no fallback.
    this.gpuRetired = null;
  }

  /** The GPUDevice of the WebGPU backend (GPU-resident tensors must be its buffers), or null. */
  get gpuDevice() {
    return this.gpu ? this.gpu.device : null;
  }

  /** The WebAssembly backend; an Error once disposed. */
  live() {
    if (!this.wasm) throw new Error(DISPOSED_MESSAGE);
    return this.wasm;
  }

  /** What runs the calls (DeformConv.info() without the version and the proxy's fields). */
  info() {
    const wasm = this.live().info();
    return {
      backend: this.backend,
      simd: wasm.build !== 'validate',
      simdInstructions: wasm.simd,
      threads: wasm.threads,
      wasmBuild: wasm.build,
      relaxedSimd: wasm.relaxedSimd,
      webgpu: this.gpu ? this.gpu.info() : null,
      fallbackReason: this.fallbackReason,
    };
  }

  /**
   * Runs a parsed call; op: 'forward' | 'backward'. Forward resolves to { data, shape }; backward to the
   * gradients keyed by tensor name ({ input, offset, mask, weight, bias }, null for an absent input).
   * prepared: what prepare() returned, for a prepared layer's forward call, else null.
   */
  async run(op, call, prepared = null) {
    const request = this.request(op, call);
    return this.runRequest(request, prepared && prepared.resident);
  }

  /**
   * The request of a parsed call, validated by the core. A call that will run on WebAssembly must also fit its
   * memory (4 GiB); one that runs on WebGPU need not.
   */
  request(op, call) {
    const wasm = this.live();
    const resident = gpuResidentParts(call);
    if (resident && !this.gpu) throw this.gpuNeeded(resident);
    return makeRequest(op, call, wasm.validator, this.gpu ? null : wasm);
  }

  /** The error for a call with GPU-resident tensors or output: 'gpu-buffer' on a runner without WebGPU. */
  gpuNeeded({ tensors, output }) {
    const what = describeResident({ tensors, output });
    if (this.gpuRetired) {
      return new Error(`${what}, which only the WebGPU backend can take, and this instance gave WebGPU up: ${this.gpuRetired}`);
    }
    return new TypeError(`${what}, which only the WebGPU backend can take; this instance runs on WebAssembly ` +
      "(createDeformConv({ backend: 'webgpu' }), with gpuDevice: the device that holds the buffers)");
  }

  /**
   * A prepared layer (its description, calls.js): where its weights stay between calls, { layer, resident:
   * { wasm: PackedWeights, gpu: ResidentBuffers } }. Its tensors are its own copies already.
   */
  prepare(layer) {
    this.live();
    return { layer, resident: { wasm: new PackedWeights(), gpu: new ResidentBuffers() } };
  }

  /** Frees a prepared layer's packed weights and GPU buffers. */
  release(prepared) {
    prepared.resident.wasm.release();
    prepared.resident.gpu.retire();
  }

  /**
   * Runs a request on the chosen backend and frees it. A WebGPU call runs on copies of the tensors taken
   * before this returns its promise (withCopiedTensors). resident: a prepared layer's { wasm: PackedWeights,
   * gpu: ResidentBuffers } (forward only): where its weights stay between calls; its weight and bias are its
   * own copies already, so they are not copied again (nor any tensor when tensorsAreCopies).
   */
  async runRequest(request, resident = null) {
    try {
      if (!this.gpu) return this.live().run(request, resident && resident.wasm);
      const own = this.tensorsAreCopies ? Object.keys(request.tensors) : resident ? ['weight', 'bias'] : [];
      const onGpu = withCopiedTensors(request, own);
      try {
        return await this.gpu.run(onGpu, resident && resident.gpu);
      } catch (e) {
        if (!(e instanceof GpuFailure)) throw e;
        return this.fallBack(onGpu, resident, e);
      }
    } finally {
      releaseRequest(request);
    }
  }

  /**
   * A request that failed inside WebGPU: with backend 'webgpu' an Error; with 'auto' it runs on WebAssembly
   * and fallbackReason says why. A lost device, a shader error or a WebGPU error retires the GPU for good; a
   * call too large for the device's buffers (or its memory) only falls back itself.
   */
  fallBack(request, resident, failure) {
    if (this.mode === 'webgpu') throw new Error(`WebGPU backend failed: ${failure.message}`);
    const wasm = this.live();
    if (!wasm.canRun) throw new Error(`WebGPU backend failed, and without WebAssembly SIMD there is no fallback: ${failure.message}`);
    if (!failure.transient && this.gpu) {
      this.gpu.dispose();
      this.gpu = null;
      this.backend = 'wasm';
      this.gpuRetired = failure.message;
      this.fallbackReason = `WebGPU failed, later calls run on WebAssembly: ${failure.message}`;
    }
    // A call whose tensors or result live on the GPU cannot move to WebAssembly without reading them back, which
    // is what the caller chose GPU buffers to avoid: it fails, and says so.
    if (gpuResidentParts(request)) {
      throw new Error(`WebGPU backend failed: ${failure.message} (a call with GPU-resident tensors or output: 'gpu-buffer' ` +
        'does not fall back to WebAssembly)');
    }
    try {
      wasm.checkMemory(request.validated);
    } catch (e) {
      throw new Error(`WebGPU backend failed (${failure.message}), and the call is too large for the WebAssembly fallback: ${e.message}`);
    }
    this.fallbackReason = `WebGPU failed, this call ran on WebAssembly: ${failure.message}`;
    return wasm.run(request, resident && resident.wasm);
  }

  /**
   * Frees the WebAssembly memory, ends the worker threads and frees the GPU buffers (and the GPU device,
   * unless it was the caller's). A second dispose() does nothing.
   */
  dispose() {
    if (!this.wasm) return;
    if (this.gpu) this.gpu.dispose();
    this.gpu = null;
    this.wasm.dispose();
    this.wasm = null;
  }
}

/** What of a call lives on the GPU, in words: 'input, offset are GPU-resident tensors ({ gpuBuffer, shape })'. */
export function describeResident({ tensors, output }) {
  return tensors.length
    ? `${tensors.join(', ')} ${tensors.length > 1 ? 'are GPU-resident tensors' : 'is a GPU-resident tensor'} ({ gpuBuffer, shape })`
    : "output: 'gpu-buffer' asks for the result in a GPU buffer";
}
