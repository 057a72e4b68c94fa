// The one place where tensors cross between onnxruntime and this package's layers. Between steps every value
// is an onnxruntime Tensor of the caller's `ort` module (what a feed is, what onnxruntime's steps return and
// what run() resolves to); a DeformConv layer reads its inputs from such tensors and its result becomes one.
//
// On the CPU (onnxruntime on 'wasm', or this package on WebAssembly) both directions share the typed arrays, no
// copy is made here (the layer copies its inputs into the WebAssembly heap, as any call does).
//
// On the GPU (onnxruntime on 'webgpu' and this package on WebGPU, one GPUDevice: shared-device.js) tensors stay
// in GPU buffers: an onnxruntime step leaves the outputs a later step reads in 'gpu-buffer' tensors
// (preferredOutputLocation), a layer reads them in place ({ gpuBuffer } tensors: onnxruntime's Tensor with
// location 'gpu-buffer' is one), and leaves its own result in a new GPU buffer (output: 'gpu-buffer') that
// becomes an onnxruntime tensor through ort.Tensor.fromGpuBuffer, which the next step reads in place. Who owns
// what: a buffer onnxruntime hands out belongs to its tensor until tensor.dispose() gives it back to
// onnxruntime's pool; a layer's buffer belongs to the tensor made here, whose dispose() destroys it. The session
// disposes every such tensor of a run once no later step reads it (session.js), except those run() returns.

import { USAGE } from '../webgpu/resident-tensors.js';

/** Where a tensor's data is: 'cpu' (also 'cpu-pinned'), 'gpu-buffer', ... */
export function locationOf(tensor) {
  return tensor.location === undefined || tensor.location === 'cpu-pinned' ? 'cpu' : tensor.location;
}

export class TensorHandover {
  /**
   * ort: the caller's onnxruntime module (its Tensor class makes the tensors handed back). device: the
   * GPUDevice shared with onnxruntime when tensors cross as GPU buffers, else null.
   */
  constructor(ort, device = null) {
    this.ort = ort;
    this.device = device;
  }

  /** True when tensors cross as GPU buffers. */
  get onGpu() {
    return this.device !== null;
  }

  /**
   * A tensor a DeformConv node reads, as the layer's argument ({ data, dims } is what layers accept from
   * onnxruntime, and on WebGPU { gpuBuffer, dims } too). what: how to name it in errors ("DeformConv node 'x':
   * X ('input')").
   */
  toLayer(tensor, what) {
    const location = locationOf(tensor);
    if (location !== 'cpu' && !(location === 'gpu-buffer' && this.onGpu)) {
      throw new TypeError(`${what} is a tensor in '${location}' memory; DeformConv nodes take tensors in CPU memory ` +
        (location === 'gpu-buffer'
          ? "here (GPU buffers only when onnxruntime runs on 'webgpu' and this package's backend is 'webgpu')"
          : "(leave preferredOutputLocation at 'cpu' and feed CPU tensors)"));
    }
    if (tensor.type !== 'float32') throw new TypeError(`${what} must be a float32 tensor, got ${tensor.type}`);
    return tensor;
  }

  /**
   * A layer's result as an onnxruntime Tensor: { data, shape } shares its data; { gpuBuffer, shape, dispose }
   * becomes a 'gpu-buffer' tensor whose dispose() destroys the buffer and whose getData() reads it back.
   */
  fromLayer(result) {
    if (result.gpuBuffer === undefined) return new this.ort.Tensor('float32', result.data, result.shape);
    const bytes = 4 * result.shape.reduce((a, b) => a * b, 1);
    return this.ort.Tensor.fromGpuBuffer(result.gpuBuffer, {
      dataType: 'float32',
      dims: result.shape,
      download: () => readBuffer(this.device, result.gpuBuffer, bytes),
      dispose: () => result.dispose(),
    });
  }

  /**
   * A tensor in CPU memory with the values of a 'gpu-buffer' tensor (read back, one map), which is then disposed;
   * other tensors as they are.
   */
  async toCpu(tensor) {
    if (locationOf(tensor) !== 'gpu-buffer') return tensor;
    try {
      return new this.ort.Tensor(tensor.type, await tensor.getData(), tensor.dims);
    } finally {
      tensor.dispose();
    }
  }
}

/** The first `bytes` of a GPU buffer read back into a Float32Array (the buffer needs COPY_SRC). */
async function readBuffer(device, buffer, bytes) {
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  const staging = device.createBuffer({ size, usage: USAGE.MAP_READ | USAGE.COPY_DST, label: 'deformconv-wasm/onnx read-back' });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(1 /* GPUMapMode.READ */);
    return new Float32Array(staging.getMappedRange().slice(0, bytes));
  } finally {
    staging.destroy();
  }
}
