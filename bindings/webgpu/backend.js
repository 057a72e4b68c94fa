// The WebGPU backend: one device (its own, or the caller's), the buffers and pipelines kept on it, and the
// guard around every call. Calls run one at a time (they share buffers and the device's error scopes); each
// runs inside error scopes, so a shader error, an out-of-memory or a lost device becomes a GpuFailure that
// the instance answers by falling back to WebAssembly ('auto') or by rejecting ('webgpu').
import { GpuContext, ResidentBuffers } from './context.js';
import { GpuFailure, openDevice } from './device.js';
import { backwardOnGpu } from './backward.js';
import { forwardOnGpu } from './forward.js';
import { checkResidentTensors, residentResult } from './resident-tensors.js';

export { GpuFailure, ResidentBuffers };

export class WebGpuBackend {
  /** Opens a device (see device.js for the options) and returns a backend on it. */
  static async open(options) {
    const opened = await openDevice(options);
    return new WebGpuBackend(opened);
  }

  constructor({ device, ownsDevice, adapter, isFallbackAdapter, keep = [] }) {
    this.device = device;
    this.keep = keep;
    this.ownsDevice = ownsDevice;
    this.adapter = adapter;
    this.isFallbackAdapter = isFallbackAdapter;
    this.context = new GpuContext(device);
    this.lost = null;
    this.queue = Promise.resolve();
    device.lost.then((info) => {
      this.lost = info || { reason: 'unknown', message: '' };
    });
  }

  info() {
    return { adapter: this.adapter, isFallbackAdapter: this.isFallbackAdapter };
  }

  /**
   * Runs a request (bindings/api/request.js) whose CPU tensors are the call's own copies (the GPU reads them
   * later) and whose GPU-resident tensors are the caller's buffers, checked on the device first. Resolves as the
   * WebAssembly backend does: forward { data, shape } (output 'gpu-buffer': { gpuBuffer, shape, dispose() });
   * backward { input, offset, mask, weight, bias } gradients, each { data, shape } or null. resident: a prepared
   * layer's ResidentBuffers (forward only: its weight and bias stay on the device), or null. Rejects with
   * GpuFailure when WebGPU fails, with TypeError for a GPU buffer the device cannot read.
   */
  async run(request, resident = null) {
    const { tensors, params } = request;
    if (request.op === 'forward') {
      const out = await this.exclusive(async () => {
        await checkResidentTensors(this.device, tensors);
        return forwardOnGpu(this.context, tensors, params, resident, request.output);
      }, (buffer) => request.output === 'gpu-buffer' && buffer.destroy());
      const shape = request.outputShape.slice();
      return request.output === 'gpu-buffer' ? residentResult(out, shape) : { data: out, shape };
    }
    const g = await this.exclusive(async () => {
      await checkResidentTensors(this.device, tensors);
      return backwardOnGpu(this.context, tensors, params);
    });
    const like = (data, tensor) => (data && tensor ? { data, shape: tensor.shape.slice() } : null);
    return {
      input: like(g.gradInput, tensors.input),
      offset: like(g.gradOffset, tensors.offset),
      mask: like(g.gradMask, tensors.mask),
      weight: like(g.gradWeight, tensors.weight),
      bias: like(g.gradBias, tensors.bias),
    };
  }

  /**
   * Runs fn after every earlier call has finished, inside error scopes. discard(result): frees what fn made
   * when an error scope turns its result into a failure.
   */
  exclusive(fn, discard = null) {
    const run = this.queue.then(() => this.guarded(fn, discard));
    this.queue = run.catch(() => {});
    return run;
  }

  lostFailure() {
    const { reason, message } = this.lost;
    return new GpuFailure(`the WebGPU device was lost (${reason}${message ? `: ${message}` : ''})`, 'lost');
  }

  async guarded(fn, discard = null) {
    if (!this.context) throw new GpuFailure('the WebGPU backend was disposed', 'lost');
    if (this.lost) throw this.lostFailure();
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    device.pushErrorScope('internal');
    let result, thrown = null;
    try {
      result = await fn();
    } catch (e) {
      thrown = e;
    }
    const internal = await device.popErrorScope().catch(() => null);
    const validation = await device.popErrorScope().catch(() => null);
    const outOfMemory = await device.popErrorScope().catch(() => null);
    const failed = this.lost || outOfMemory || validation || internal;
    if (failed && !thrown && discard) discard(result);
    // A lost device explains every other symptom.
    if (this.lost) throw this.lostFailure();
    if (outOfMemory) throw new GpuFailure(`the GPU ran out of memory: ${outOfMemory.message}`, 'out-of-memory');
    if (validation) throw new GpuFailure(`WebGPU validation error: ${validation.message}`, 'validation');
    if (internal) throw new GpuFailure(`WebGPU internal error: ${internal.message}`, 'internal');
    if (thrown) throw thrown;
    return result;
  }

  /** Frees the buffers; destroys the device only if this backend created it. */
  dispose() {
    if (!this.context) return;
    this.context.destroy();
    this.context = null;
    if (this.ownsDevice) this.device.destroy();
    this.keep = [];
  }
}
