// 1,000 seeded mutated models through deformconv-wasm/onnx (bit flips, truncation, edits through onnx-proto's
// decoder): each runs or rejects cleanly, nothing crashes or hangs, nothing is left behind, memory stays flat.
// The checks: tests/onnx/hostile-checks.mjs.
const { onnxSuite } = require('./onnx-runner');

onnxSuite('hostile', 8 * 60 * 1000);
