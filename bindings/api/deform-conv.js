// The public instance returned by createDeformConv() (backend-choice.js decides what runs its calls). Each call
// goes one way: its arguments are parsed and checked once (calls.js) into a plain description of the call,
// which the instance's runner validates with the core and runs: a Runner on this thread's backends
// (runner.js), or the proxy's ProxyRunner, which sends the description to a Runner in a Web Worker
// (bindings/proxy/). Either way the caller sees the same results and the same errors.
import { mindsporeCall, mindsporeLayer, torchvisionCall, torchvisionLayer } from './calls.js';
import { DeformConvLayer } from './prepared-layer.js';

// package.json's version, put in by the bundler (scripts/bundle-options.cjs).
export const VERSION = __DCN_VERSION__;

export class DeformConv {
  /**
   * @internal use createDeformConv()
   * @param runner what runs the calls: a Runner (runner.js) or a ProxyRunner (bindings/proxy/proxy-runner.js)
   * @param where { proxy: whether the calls run in the proxy's worker, proxyReason: why not (null when they do) }
   */
  constructor(runner, { proxy, proxyReason }) {
    this._runner = runner;
    this._proxy = proxy;
    this._proxyReason = proxyReason;
  }

  /** 'wasm' | 'webgpu': the backend that runs the calls. */
  get backend() {
    return this._runner.backend;
  }

  /**
   * The GPUDevice the WebGPU backend runs on (the caller's gpuDevice, or the one the instance made), or null on
   * WebAssembly and through the proxy: GPU-resident tensors ({ gpuBuffer, shape }) must be buffers of this device.
   */
  get gpuDevice() {
    return this._runner.gpuDevice;
  }

  info() {
    const { backend, ...facts } = this._runner.info();
    return { backend, version: VERSION, ...facts, proxy: this._proxy, proxyReason: this._proxyReason };
  }

  /** torchvision.ops.deform_conv2d */
  async deformConv2d(input, offset, weight, options) {
    return this._runner.run('forward', torchvisionCall(input, offset, weight, options));
  }

  /** mindspore.ops.deformable_conv2d */
  async deformableConv2d(x, weight, offsets, kernelSize, strides, padding, options) {
    return this._runner.run('forward', mindsporeCall(x, weight, offsets, kernelSize, strides, padding, options));
  }

  /**
   * A torchvision layer prepared for many forward calls: weight and options.bias are copied now, and
   * forward(input, offset, { mask }) runs deformConv2d with them (on WebAssembly without copying or packing
   * the weights again). options: bias, stride, padding, dilation, dataFormat.
   */
  async prepareDeformConv2d(weight, options) {
    this._runner.live();
    return new DeformConvLayer(this._runner, torchvisionLayer(weight, options));
  }

  /**
   * A MindSpore layer prepared for many forward calls: forward(x, offsets) runs deformableConv2d with the
   * weight, kernelSize, strides, padding and options given here (bias, dilations, groups, deformableGroups,
   * modulated, dataFormat).
   */
  async prepareDeformableConv2d(weight, kernelSize, strides, padding, options) {
    this._runner.live();
    return new DeformConvLayer(this._runner, mindsporeLayer(weight, kernelSize, strides, padding, options));
  }

  /**
   * Gradients of deformConv2d (torchvision convention), same options as the forward call.
   * Resolves to { gradInput, gradOffset, gradMask (null without mask), gradWeight, gradBias (null without bias) }.
   */
  async deformConv2dBackward(gradOutput, input, offset, weight, options) {
    const call = torchvisionCall(input, offset, weight, options, { backward: true, gradOutput });
    const g = await this._runner.run('backward', call);
    return { gradInput: g.input, gradOffset: g.offset, gradMask: g.mask, gradWeight: g.weight, gradBias: g.bias };
  }

  /**
   * Gradients of deformableConv2d (MindSpore convention), same arguments as the forward call.
   * Resolves to { gradX, gradWeight, gradOffsets ([dx | dy | mask] blocks), gradBias (null without bias) }.
   */
  async deformableConv2dBackward(gradOutput, x, weight, offsets, kernelSize, strides, padding, options) {
    const call = mindsporeCall(x, weight, offsets, kernelSize, strides, padding, options, { backward: true, gradOutput });
    const g = await this._runner.run('backward', call);
    return { gradX: g.input, gradWeight: g.weight, gradOffsets: g.offset, gradBias: g.bias };
  }

  /**
   * Frees the WebAssembly memory, ends the worker threads (and the proxy's worker) and frees the GPU buffers
   * (and the GPU device, unless it was the caller's). Later calls reject; a second dispose() does nothing.
   */
  dispose() {
    this._runner.dispose();
  }
}
