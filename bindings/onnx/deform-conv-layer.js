// One DeformConv node run by this package. When its weight (and bias, if any) are initializers, the node is
// a prepared layer (prepareDeformConv2d): the weights are copied once and packed at create, by a first call
// on a minimal input, which also checks the node's parameters in the core before any run. A weight or bias
// the graph computes, or a caller feeds (an initializer that is also a graph input), is read at every run
// and the node runs as a one-shot deformConv2d call.
import { callOptions, checkCallDims, checkChannels } from './deform-conv-node.js';
import { errorAt } from './errors.js';

export class DeformConvLayer {
  /**
   * @param dc the DeformConv instance; spec: readDeformConv(...) of the node; output: where the node's result
   *   goes, 'cpu' or 'gpu-buffer' (a later step reads it on the GPU, or the caller wants it there)
   */
  constructor(dc, spec, output = 'cpu') {
    this.dc = dc;
    this.outputLocation = output;
    // The node itself is not kept: its bytes are views into the whole model's.
    this.spec = { ...spec, node: null };
    this.layer = null;
    this.output = spec.node.outputs[0];
  }

  /** Prepares the layer when its weights are constant, and packs them. */
  async prepare() {
    const s = this.spec;
    if (!s.weight || (s.inputs.B && !s.bias)) return;
    try {
      const bias = s.bias ? { data: s.bias, shape: s.biasDims } : undefined;
      this.layer = await this.dc.prepareDeformConv2d({ data: s.weight, shape: s.weightDims }, { bias, ...callOptions(s) });
      const channels = s.weightDims[1] * s.group;
      checkChannels(s, channels, s.weightDims);
      // The smallest input with one output pixel: the weights get packed (for these groups), and the core
      // checks the node's parameters now rather than at the first run.
      const span = (k, d) => (k - 1) * d + 1;
      const [top, bottom, left, right] = s.padding;
      const H = Math.max(1, span(s.weightDims[2], s.dilations[0]) - top - bottom);
      const W = Math.max(1, span(s.weightDims[3], s.dilations[1]) - left - right);
      const Ho = Math.floor((H + top + bottom - span(s.weightDims[2], s.dilations[0])) / s.strides[0]) + 1;
      const Wo = Math.floor((W + left + right - span(s.weightDims[3], s.dilations[1])) / s.strides[1]) + 1;
      const taps = s.weightDims[2] * s.weightDims[3];
      const zeros = (...shape) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });
      await this.layer.forward(zeros(1, channels, H, W), zeros(1, 2 * s.offsetGroup * taps, Ho, Wo));
      // The layer holds its own copy now; ours is needed only while a fed W replaces it, which brings its own.
      s.weight = null;
    } catch (e) {
      this.dispose();
      throw errorAt(e, s.label);
    }
  }

  /**
   * Runs the node. values: Map tensor name -> onnxruntime Tensor (the run's feeds and what earlier steps
   * produced); handover: the TensorHandover. Returns the output as an onnxruntime Tensor.
   */
  async run(values, handover) {
    const s = this.spec;
    try {
      const read = (key) => (s.inputs[key] && values.has(s.inputs[key]) ? handover.toLayer(values.get(s.inputs[key]), `${s.label}: ${key} ('${s.inputs[key]}')`) : null);
      const X = read('X'), offset = read('offset'), mask = read('mask');
      const fedW = read('W'), fedB = read('B');
      const W = fedW || { data: s.weight, dims: s.weightDims };
      const B = fedB || (s.bias ? { data: s.bias, dims: s.biasDims } : null);
      checkCallDims(s, { X: X.dims, W: W.dims, offset: offset.dims, B: B && B.dims, mask: mask && mask.dims });
      const output = this.outputLocation;
      const result = this.layer && !fedW && !fedB
        ? await this.layer.forward(X, offset, mask ? { mask, output } : { output })
        : await this.dc.deformConv2d(X, offset, W, { ...callOptions(s), bias: B || undefined, mask: mask || undefined, output });
      return handover.fromLayer(result);
    } catch (e) {
      throw errorAt(e, s.label);
    }
  }

  dispose() {
    if (this.layer) this.layer.dispose();
    this.layer = null;
  }
}
