// ES module consumer of deformconv-wasm/onnx: named imports only (the package has no default exports), with
// onnxruntime-web's ES module.
import * as onnxApi from 'deformconv-wasm/onnx';
import { InferenceSession } from 'deformconv-wasm/onnx';
import * as ort from 'onnxruntime-web';
import { createRequire } from 'node:module';

const { runOnnxCase } = createRequire(import.meta.url)('./onnx-case.cjs');
const result = await runOnnxCase(InferenceSession, ort);
console.log(JSON.stringify({
  resolved: import.meta.resolve('deformconv-wasm/onnx'),
  hasDefault: 'default' in onnxApi,
  ...result,
}));
process.exit(0);
