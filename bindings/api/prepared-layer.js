// Prepared layers (DeformConv.prepareDeformConv2d / prepareDeformableConv2d): a layer's weight, bias and
// parameters given once, its forward pass run on many inputs. Running a model calls the same layer again and
// again with the same weights; a prepared layer copies them once and its runner keeps them where the backend
// computes: on WebAssembly in the heap, already packed for the GEMM, so that a call copies in only the input,
// offsets and mask (what that saves is measured in bench/NOTES.md and stated in README's Performance section);
// on WebGPU in buffers on the device, uploaded at the first call; through the proxy, in its worker, sent there
// once. Every forward call is validated as the one-shot call is, with the same messages.
import { layerCall } from './calls.js';

export class DeformConvLayer {
  /**
   * @internal use DeformConv.prepareDeformConv2d() or prepareDeformableConv2d()
   * @param runner the runner of the instance (runner.js, or the proxy's ProxyRunner)
   * @param layer the layer's description (calls.js, torchvisionLayer / mindsporeLayer)
   */
  constructor(runner, layer) {
    this._runner = runner;
    // What the runner keeps for the layer: { layer (the description forward calls are made from), ... }.
    this._prepared = runner.prepare(layer);
    /** 'torchvision' | 'mindspore': the convention of forward()'s arguments. */
    this.convention = layer.convention;
  }

  /**
   * The forward pass on new inputs: forward(input, offset, { mask }) for a torchvision layer, forward(x,
   * offsets) for a MindSpore one. Resolves to { data, shape } as the one-shot call does.
   */
  async forward(...args) {
    if (!this._runner) throw new Error('this prepared layer was disposed; prepare it again');
    return this._runner.run('forward', layerCall(this._prepared.layer, args), this._prepared);
  }

  /** Frees the layer's packed weights and GPU buffers. Later calls reject; a second dispose() does nothing. */
  dispose() {
    if (!this._runner) return;
    this._runner.release(this._prepared);
    this._runner = null;
  }
}
