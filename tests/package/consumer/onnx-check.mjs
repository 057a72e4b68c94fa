// ES module consumer of deformconv-wasm/onnx: named and default import, with onnxruntime-web's ES module.
import { InferenceSession } from 'deformconv-wasm/onnx';
import onnxDefault from 'deformconv-wasm/onnx';
import * as ort from 'onnxruntime-web';
import { createRequire } from 'node:module';

const { runOnnxCase } = createRequire(import.meta.url)('./onnx-case.cjs');
const result = await runOnnxCase(InferenceSession, ort);
console.log(JSON.stringify({ resolved: import.meta.resolve('deformconv-wasm/onnx'), defaultHasApi: onnxDefault.InferenceSession === InferenceSession, ...result }));
process.exit(0);
