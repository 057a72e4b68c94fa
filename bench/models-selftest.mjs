// A quick run of the "models" rows' pieces (tests/js/bench-models.test.js runs it): each benchmark model loads
// into a session with the plan it should have, the boundary model agrees with onnxruntime-web, and the report
// writers turn made-up results into targets and a table. Prints one JSON object on stdout.
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { BOUNDARY_NODES, MODELS, boundaryModel } from './models.mjs';
import { modelTargets, modelsSection } from './models-report.mjs';
import { compareOutputs } from './agreement.mjs';
import { ROOT } from './paths.mjs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
const { InferenceSession } = require(join(ROOT, 'dist', 'onnx.cjs'));

const out = { plans: {} };
for (const m of MODELS) {
  const session = await InferenceSession.create(m.make().bytes, { ort, threads: 1 });
  out.plans[m.name] = session.partition.map((s) => (s.runsOn === 'onnxruntime' ? 'ort' : 'dcn')).join(' ');
  await session.release();
}

const tiny = boundaryModel(3);
const feeds = {
  x: new ort.Tensor('float32', Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)), [1, 8, 4, 4]),
  offset: new ort.Tensor('float32', Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)), [1, 2, 4, 4]),
};
const ours = await InferenceSession.create(tiny.bytes, { ort, threads: 1 });
const alone = await ort.InferenceSession.create(tiny.bytes);
const name = ours.outputNames[0];
out.boundarySteps = ours.partition.length;
out.boundaryAgreement = compareOutputs((await ours.run(feeds))[name].data, (await alone.run(feeds))[name].data);
await ours.release();
await alone.release();

const fake = (ms) => ({ medianMs: ms, minMs: ms, runs: 5 });
const model = (name, ratio) => ({ name, what: 'a model', steps: 5, partition: 'ort:6 dcn:1 ort:5', ours: fake(10), ortWeb: fake(10 * ratio), ratio, spreadPct: 12, oursSpinning: fake(11) });
const results = {
  models: {
    1: { models: [model('a', 1.3), model('b', 1.2)], boundary: { nodes: BOUNDARY_NODES, boundaries: 31, ours: fake(5), ortWeb: fake(0.5), perBoundaryMs: 0.145 } },
    2: { models: [model('a', 1.1), model('b', 1.2)], boundary: { nodes: BOUNDARY_NODES, boundaries: 31, ours: fake(6), ortWeb: fake(0.5), perBoundaryMs: 0.177 } },
  },
};
out.targets = modelTargets(results);
out.section = modelsSection(results);
console.log(JSON.stringify(out));
process.exit(0);
