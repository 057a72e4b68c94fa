// Prepared layers (DeformConv.prepareDeformConv2d / prepareDeformableConv2d): a layer's weight, bias and
// parameters given once, its forward pass run on many inputs. Running a model calls the same layer again and
// again with the same weights; a prepared layer copies them once and keeps them where the backend computes:
// on WebAssembly in the heap, already packed for the GEMM, so that a call copies in only the input, offsets
// and mask (what that saves is measured in bench/NOTES.md and stated in README's Performance section); on
// WebGPU in buffers on the device, uploaded at the first call. Every forward call is validated as the one-shot
// call is, with the same messages.
import { PackedWeights } from '../wasm/packed-weights.js';
import { ResidentBuffers } from '../webgpu/backend.js';

export class DeformConvLayer {
  /**
   * @internal use DeformConv.prepareDeformConv2d() or prepareDeformableConv2d()
   * @param instance the DeformConv that runs the calls
   * @param makeCall (...forwardArguments) -> the parsed forward call (calls.js)
   * @param convention 'torchvision' | 'mindspore'
   */
  constructor(instance, makeCall, convention) {
    this._instance = instance;
    this._makeCall = makeCall;
    // Where the weights stay between calls: { wasm: PackedWeights, gpu: ResidentBuffers }.
    this._resident = { wasm: new PackedWeights(), gpu: new ResidentBuffers() };
    /** 'torchvision' | 'mindspore': the convention of forward()'s arguments. */
    this.convention = convention;
  }

  /**
   * The forward pass on new inputs: forward(input, offset, { mask }) for a torchvision layer, forward(x,
   * offsets) for a MindSpore one. Resolves to { data, shape } as the one-shot call does.
   */
  async forward(...args) {
    if (!this._instance) throw new Error('this prepared layer was disposed; prepare it again');
    return this._instance._run(this._instance._request('forward', this._makeCall(...args)), this._resident);
  }

  /** Frees the layer's packed weights and GPU buffers. Later calls reject; a second dispose() does nothing. */
  dispose() {
    this._resident.wasm.release();
    this._resident.gpu.retire();
    this._instance = null;
    this._makeCall = null;
  }
}
