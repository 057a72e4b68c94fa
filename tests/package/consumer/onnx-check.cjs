// CommonJS consumer of deformconv-wasm/onnx: require it and onnxruntime-web (the caller's own), run model.onnx
// through the session and through onnxruntime-web alone, print both outputs and the session's plan as JSON.
const { InferenceSession } = require('deformconv-wasm/onnx');
const ort = require('onnxruntime-web');
const { runOnnxCase } = require('./onnx-case.cjs');

runOnnxCase(InferenceSession, ort)
  .then((result) => console.log(JSON.stringify({ resolved: require.resolve('deformconv-wasm/onnx'), ...result })))
  .then(() => process.exit(0)); // onnxruntime-web's threads would keep Node running
