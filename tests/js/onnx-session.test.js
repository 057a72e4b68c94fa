// deformconv-wasm/onnx computes what onnxruntime-web computes on whole models (a chain of DCN bottlenecks, a
// branchy graph with skip connections, DCNv1's 3-input form, DeformConv fed straight from graph inputs,
// symbolic batches, opsets 19 and 22, ...) to 1e-4, on 1 thread and on 2 (ours and onnxruntime's), and its
// session behaves as onnxruntime's: partition, names, fetches, options, model sources, sharing, release.
// The checks: tests/onnx/session-checks.mjs.
const { onnxSuite } = require('./onnx-runner');

describe('1 thread', () => onnxSuite('session', 5 * 60 * 1000));
describe('2 threads', () => onnxSuite('session-2-threads', 5 * 60 * 1000));
