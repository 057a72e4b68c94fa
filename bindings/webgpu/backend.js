// The WebGPU backend: one device (its own, or the caller's), the buffers and pipelines kept on it, and the
// guard around every call. Calls run one at a time (they share buffers and the device's error scopes); each
// runs inside error scopes, so a shader error, an out-of-memory or a lost device becomes a GpuFailure that
// the instance answers by falling back to WebAssembly ('auto') or by rejecting ('webgpu').
import { GpuContext, ResidentBuffers } from './context.js';
import { GpuFailure, openDevice } from './device.js';
import { backwardOnGpu } from './backward.js';
import { forwardOnGpu } from './forward.js';

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
   * Runs a request (bindings/api/request.js) whose tensors are the call's own copies (the GPU reads them later).
   * Resolves as the WebAssembly backend does: forward { data, shape }; backward { input, offset, mask, weight,
   * bias } gradients, each { data, shape } or null. resident: a prepared layer's ResidentBuffers (forward only:
   * its weight and bias stay on the device), or null. Rejects with GpuFailure when WebGPU fails.
   */
  async run(request, resident = null) {
    const { tensors, params } = request;
    if (request.op === 'forward') {
      const data = await this.exclusive(() => forwardOnGpu(this.context, tensors, params, resident));
      return { data, shape: request.outputShape.slice() };
    }
    const g = await this.exclusive(() => backwardOnGpu(this.context, tensors, params));
    const like = (data, tensor) => (data && tensor ? { data, shape: tensor.shape.slice() } : null);
    return {
      input: like(g.gradInput, tensors.input),
      offset: like(g.gradOffset, tensors.offset),
      mask: like(g.gradMask, tensors.mask),
      weight: like(g.gradWeight, tensors.weight),
      bias: like(g.gradBias, tensors.bias),
    };
  }

  /** Runs fn after every earlier call has finished, inside error scopes. */
  exclusive(fn) {
    const run = this.queue.then(() => this.guarded(fn));
    this.queue = run.catch(() => {});
    return run;
  }

  lostFailure() {
    const { reason, message } = this.lost;
    return new GpuFailure(`the WebGPU device was lost (${reason}${message ? `: ${message}` : ''})`, 'lost');
  }

  async guarded(fn) {
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
