// Type-checked (never run) against the shipped declarations of deformconv-wasm/onnx, with onnxruntime-web's
// own types: what a TypeScript user writes, and misuses the declarations must reject.
import * as ort from 'onnxruntime-web';
import { InferenceSession, type PartitionStep, type DeformConvNodeInfo } from 'deformconv-wasm/onnx';
import { createDeformConv } from 'deformconv-wasm';

const model = new Uint8Array(0);
const session = await InferenceSession.create(model, { ort, threads: 2, backend: 'wasm', executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const names: readonly string[] = session.inputNames;
const feeds = { [names[0]]: new ort.Tensor('float32', new Float32Array(4), [1, 4]) };
const out = await session.run(feeds);
const y: ort.Tensor = out[session.outputNames[0]];
const some = await session.run(feeds, ['features'], { logSeverityLevel: 3 });
const plan: readonly PartitionStep[] = session.partition;
const where: 'onnxruntime' | 'deformconv-wasm' = plan[0].runsOn;
const nodes: readonly DeformConvNodeInfo[] = session.deformConvNodes;
const meta = session.inputMetadata[0];
console.log(y.dims, some, where, nodes.length, meta.name);
await session.release();

// From a URL or a path, sharing an instance.
const dc = await createDeformConv({ threads: 2 });
const fromUrl = await InferenceSession.create('https://example.com/model.onnx', { ort, deformConv: dc });
await fromUrl.release();
dc.dispose();

// @ts-expect-error the ort option is required
await InferenceSession.create(model, { threads: 2 });
// @ts-expect-error backend is 'auto' | 'wasm' | 'webgpu'
await InferenceSession.create(model, { ort, backend: 'cuda' });
// @ts-expect-error onnxruntime's options keep their types: graphOptimizationLevel is one of its levels
await InferenceSession.create(model, { ort, graphOptimizationLevel: 'very' });
// @ts-expect-error feeds are tensors of the given onnxruntime
await session.run({ x: new Float32Array(4) });
