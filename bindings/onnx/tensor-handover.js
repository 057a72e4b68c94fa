// The one place where tensors cross between onnxruntime and this package's layers. Between steps every value
// is an onnxruntime Tensor of the caller's `ort` module (what a feed is, what onnxruntime's steps return and
// what run() resolves to); a DeformConv layer reads its inputs from such tensors and its result becomes one.
// On the CPU both directions share the typed arrays, no copy is made here (the layer copies its inputs into the
// WebAssembly heap, as any call does). A GPU path (tensors that stay in GPU buffers between steps,
// ort.Tensor.fromGpuBuffer and the layers' { gpuBuffer } tensors) belongs here too.

export class TensorHandover {
  /** ort: the caller's onnxruntime module (its Tensor class makes the tensors handed back). */
  constructor(ort) {
    this.ort = ort;
  }

  /**
   * A tensor a DeformConv node reads, as the layer's argument ({ data, dims } is what layers accept from
   * onnxruntime). what: how to name it in errors ("DeformConv node 'x': X ('input')").
   */
  toLayer(tensor, what) {
    if (tensor.location !== undefined && tensor.location !== 'cpu' && tensor.location !== 'cpu-pinned') {
      throw new TypeError(`${what} is a tensor in '${tensor.location}' memory; DeformConv nodes take tensors in CPU memory ` +
        "(leave preferredOutputLocation at 'cpu' and feed CPU tensors)");
    }
    if (tensor.type !== 'float32') throw new TypeError(`${what} must be a float32 tensor, got ${tensor.type}`);
    return tensor;
  }

  /** A layer's result ({ data: Float32Array, shape }) as an onnxruntime Tensor, sharing its data. */
  fromLayer(result) {
    return new this.ort.Tensor('float32', result.data, result.shape);
  }
}
