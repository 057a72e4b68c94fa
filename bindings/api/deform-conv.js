// The public instance returned by createDeformConv() (backend-choice.js chooses and loads its backends). Each
// call goes one way: its arguments are parsed (calls.js) and checked once into a request (request.js), which
// the backend that runs it reads and never parses again; on WebGPU with backend 'auto', a failure inside the
// GPU sends the same request to WebAssembly.
import { mindsporeCall, mindsporeLayer, torchvisionCall, torchvisionLayer } from './calls.js';
import { DeformConvLayer } from './prepared-layer.js';
import { gpuResidentParts, makeRequest, releaseRequest, withCopiedTensors } from './request.js';
import { GpuFailure } from '../webgpu/backend.js';

// package.json's version, put in by the bundler (scripts/bundle-options.cjs).
export const VERSION = __DCN_VERSION__;

export class DeformConv {
  /**
   * @internal use createDeformConv()
   * @param backends { wasm: WasmBackend (its validator validates every call; a 'validate' build runs nothing),
   *   gpu: WebGpuBackend or null, fallbackReason }
   * @param mode the backend option: 'auto' | 'wasm' | 'webgpu'
   */
  constructor({ wasm, gpu, fallbackReason }, mode) {
    this._wasm = wasm;
    this._gpu = gpu;
    this._mode = mode;
    this._fallbackReason = fallbackReason;
    // Why the WebGPU backend was given up during a call ('auto'), or null: GPU-resident tensors have no fallback.
    this._gpuRetired = null;
    /** 'wasm' | 'webgpu': the backend that runs the calls. */
    this.backend = gpu ? 'webgpu' : 'wasm';
  }

  /**
   * The GPUDevice the WebGPU backend runs on (the caller's gpuDevice, or the one the instance made), or null on
   * WebAssembly: GPU-resident tensors ({ gpuBuffer, shape }) must be buffers of this device.
   */
  get gpuDevice() {
    return this._gpu ? this._gpu.device : null;
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
      relaxedSimd: wasm.relaxedSimd,
      webgpu: this._gpu ? this._gpu.info() : null,
      fallbackReason: this._fallbackReason,
    };
  }

  /**
   * The request of a parsed call (calls.js), validated by the core; op: 'forward' | 'backward'. A call that
   * will run on WebAssembly must also fit its memory (4 GiB); one that runs on WebGPU need not.
   */
  _request(op, call) {
    const wasm = this._live();
    const resident = gpuResidentParts(call);
    if (resident && !this._gpu) throw this._gpuNeeded(resident);
    return makeRequest(op, call, wasm.validator, this._gpu ? null : wasm);
  }

  /** The error for a call with GPU-resident tensors or output: 'gpu-buffer' on an instance without WebGPU. */
  _gpuNeeded({ tensors, output }) {
    const what = tensors.length
      ? `${tensors.join(', ')} ${tensors.length > 1 ? 'are GPU-resident tensors' : 'is a GPU-resident tensor'} ({ gpuBuffer, shape })`
      : "output: 'gpu-buffer' asks for the result in a GPU buffer";
    if (this._gpuRetired) {
      return new Error(`${what}, which only the WebGPU backend can take, and this instance gave WebGPU up: ${this._gpuRetired}`);
    }
    return new TypeError(`${what}, which only the WebGPU backend can take; this instance runs on WebAssembly ` +
      "(createDeformConv({ backend: 'webgpu' }), with gpuDevice: the device that holds the buffers)");
  }

  /**
   * Runs a request on the chosen backend and frees it. A WebGPU call runs on copies of the tensors taken
   * before this returns its promise (withCopiedTensors). resident: a prepared layer's { wasm: PackedWeights,
   * gpu: ResidentBuffers } (forward only): where its weights stay between calls; its weight and bias are its
   * own copies already, so they are not copied again.
   */
  async _run(request, resident = null) {
    try {
      if (!this._gpu) return this._live().run(request, resident && resident.wasm);
      const onGpu = withCopiedTensors(request, resident ? ['weight', 'bias'] : []);
      try {
        return await this._gpu.run(onGpu, resident && resident.gpu);
      } catch (e) {
        if (!(e instanceof GpuFailure)) throw e;
        return this._fallBack(onGpu, resident, e);
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
  _fallBack(request, resident, failure) {
    if (this._mode === 'webgpu') throw new Error(`WebGPU backend failed: ${failure.message}`);
    const wasm = this._live();
    if (!wasm.canRun) throw new Error(`WebGPU backend failed, and without WebAssembly SIMD there is no fallback: ${failure.message}`);
    if (!failure.transient && this._gpu) {
      this._gpu.dispose();
      this._gpu = null;
      this.backend = 'wasm';
      this._gpuRetired = failure.message;
      this._fallbackReason = `WebGPU failed, later calls run on WebAssembly: ${failure.message}`;
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
    this._fallbackReason = `WebGPU failed, this call ran on WebAssembly: ${failure.message}`;
    return wasm.run(request, resident && resident.wasm);
  }

  /** torchvision.ops.deform_conv2d */
  async deformConv2d(input, offset, weight, options) {
    return this._run(this._request('forward', torchvisionCall(input, offset, weight, options)));
  }

  /** mindspore.ops.deformable_conv2d */
  async deformableConv2d(x, weight, offsets, kernelSize, strides, padding, options) {
    return this._run(this._request('forward', mindsporeCall(x, weight, offsets, kernelSize, strides, padding, options)));
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
    const call = torchvisionCall(input, offset, weight, options, { backward: true, gradOutput });
    const g = await this._run(this._request('backward', call));
    return { gradInput: g.input, gradOffset: g.offset, gradMask: g.mask, gradWeight: g.weight, gradBias: g.bias };
  }

  /**
   * Gradients of deformableConv2d (MindSpore convention), same arguments as the forward call.
   * Resolves to { gradX, gradWeight, gradOffsets ([dx | dy | mask] blocks), gradBias (null without bias) }.
   */
  async deformableConv2dBackward(gradOutput, x, weight, offsets, kernelSize, strides, padding, options) {
    const call = mindsporeCall(x, weight, offsets, kernelSize, strides, padding, options, { backward: true, gradOutput });
    const g = await this._run(this._request('backward', call));
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
