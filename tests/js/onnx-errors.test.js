// deformconv-wasm/onnx rejects what it cannot run with the right kind of error and a message that names the
// argument, node or tensor; a failed create releases what it made; a session that rejected a run keeps
// working. The checks: tests/onnx/error-checks.mjs.
const { onnxSuite } = require('./onnx-runner');

onnxSuite('errors', 5 * 60 * 1000);
