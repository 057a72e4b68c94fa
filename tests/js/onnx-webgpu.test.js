// deformconv-wasm/onnx with onnxruntime-web on its 'webgpu' execution provider and this package's WebGPU backend
// on one GPUDevice (Node.js: Dawn from the npm package `webgpu`, on SwiftShader): the test models give what the
// CPU path gives, and tensors cross between the steps as GPU buffers (maps counted). The checks:
// tests/onnx/webgpu-checks.mjs. Slow: onnxruntime-web's WebGPU build takes about a minute to start on 2 busy cores.
const { onnxSuite } = require('./onnx-runner');
const { requireSwiftShader } = require('./runner-checks');

requireSwiftShader();
describe('onnxruntime webgpu + deformconv-wasm webgpu', () => onnxSuite('webgpu', 8 * 60 * 1000));
