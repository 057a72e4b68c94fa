// model.onnx (written by tests/package/package.test.js) through an installed deformconv-wasm/onnx and through
// onnxruntime-web alone, on the same seeded input: { partition, ours: { name: number[] }, theirs }.
const fs = require('fs');
const path = require('path');

async function runOnnxCase(InferenceSession, ort) {
  ort.env.wasm.numThreads = 2;
  const file = path.join(__dirname, 'model.onnx');
  const session = await InferenceSession.create(file, { ort, threads: 2 });
  const alone = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file)));
  let s = 7;
  const feeds = {};
  for (const m of session.inputMetadata) {
    const n = m.shape.reduce((a, b) => a * b, 1);
    feeds[m.name] = new ort.Tensor('float32', Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1), m.shape);
  }
  const plain = (out) => Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data)]));
  const ours = plain(await session.run(feeds));
  const theirs = plain(await alone.run(feeds));
  const partition = session.partition.map((p) => p.runsOn);
  await session.release();
  await alone.release();
  return { partition, ours, theirs };
}

module.exports = { runOnnxCase };
