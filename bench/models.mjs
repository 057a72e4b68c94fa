// Whole models: deformconv-wasm/onnx's InferenceSession (onnxruntime-web for the other nodes, our layers for
// DeformConv) against onnxruntime-web running the whole model, in one process per thread count (onnxruntime-web
// fixes its thread count when it starts; ours gets the same count):
//   node bench/models.mjs THREADS OUT.json [SECONDS]
// For each model: both run once and must agree to 1e-4 on every output, then they are timed in alternation
// (timing.mjs), with a third contender: our session with our threads left spinning after each call
// (allowSpinning true; the session sends them to sleep), to show what that choice does. (onnxruntime-web's own
// threads spin after its runs whatever the session options: its global thread pool ignores them.) Then the
// fixed cost of a step boundary: a chain of tiny DeformConv nodes between Relus, run both ways; the difference
// per boundary is what handing tensors from one runtime to the other costs.
// Progress goes to stderr; the results to OUT.json.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { compareOutputs } from './agreement.mjs';
import { ROOT } from './paths.mjs';
import { pairedRatio, timeAlternating } from './timing.mjs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-web');
const { InferenceSession } = require(join(ROOT, 'dist', 'onnx.cjs'));
const { createDeformConv } = require(join(ROOT, 'dist', 'index.cjs'));
const { GraphBuilder, chainModel, dcnHeadModel } = require(join(ROOT, 'tools', 'onnx-models.cjs'));
const { random } = require(join(ROOT, 'tests', 'js', 'seeded-random.js'));

/** The models of the "models" rows. */
export const MODELS = [
  {
    name: 'r50dcn_stage_256c_40px',
    what: 'a ResNet-50-DCN stage as mmdet builds it: two bottlenecks at 256/64 channels, 40x40 (1x1 conv, offset conv giving offsets and mask logits, sigmoid, DCNv2 3x3, BN, 1x1 conv, skip add), batch 1',
    make: () => chainModel({ channels: 256, width: 64, size: 40, seed: 61 }),
  },
  {
    name: 'dcn_head_4x256c_24px',
    what: 'a DCN-heavy detection head: 4 x (offset conv, DCNv2 3x3, ReLU) at 256 channels, 24x24, then a 3x3 conv to 80 classes, batch 1',
    make: () => dcnHeadModel({ channels: 256, size: 24, depth: 4, seed: 62 }),
  },
];

/** n tiny DeformConv nodes (8 channels, 4x4, 1x1 kernel) between Relus: 2n steps, 2n - 1 boundaries. */
export function boundaryModel(n) {
  const b = new GraphBuilder(63);
  let h = b.input('x', [1, 8, 4, 4]);
  const offset = b.input('offset', [1, 2, 4, 4]);
  for (let i = 0; i < n; i++) {
    h = b.node('Relu', [h], [`relu.${i}`]);
    const w = b.initializer(`w.${i}`, [8, 8, 1, 1], { scale: 0.3 });
    h = b.node('DeformConv', [h, w, offset], [`dcn.${i}`], { kernel_shape: [1, 1] }, `dcn.${i}`);
  }
  b.output(h, [1, 8, 4, 4]);
  return { bytes: b.encode(), inputs: { x: [1, 8, 4, 4], offset: [1, 2, 4, 4] } };
}
export const BOUNDARY_NODES = 16;

function feedsFor(inputs, seed) {
  const rand = random(seed);
  return Object.fromEntries(Object.entries(inputs).map(([name, dims]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    return [name, new ort.Tensor('float32', Float32Array.from({ length: n }, () => 2 * rand() - 1), dims)];
  }));
}

function agreement(ours, theirs) {
  let worst = { ok: true, worst: 0 };
  for (const name of Object.keys(theirs)) {
    const a = compareOutputs(ours[name].data, theirs[name].data);
    if (!a.ok || a.worst > worst.worst) worst = { ...a, output: name };
  }
  return worst;
}

const ORT_OPTIONS = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };

/** Times one model: ours, ours with spinning pools, onnxruntime-web alone. */
async function measureModel(name, model, threads, seconds, log, { spinning = true } = {}) {
  const feeds = feedsFor(model.inputs, 64);
  const ortWeb = await ort.InferenceSession.create(model.bytes, ORT_OPTIONS);
  const ours = await InferenceSession.create(model.bytes, { ort, threads, wasmBuild: 'threads', ...ORT_OPTIONS });
  let spinningDc = null, oursSpinning = null;
  if (spinning) {
    spinningDc = await createDeformConv({ threads, wasmBuild: 'threads', allowSpinning: true });
    oursSpinning = await InferenceSession.create(model.bytes, { ort, deformConv: spinningDc, ...ORT_OPTIONS });
  }
  const agree = agreement(await ours.run(feeds), await ortWeb.run(feeds));
  if (!agree.ok) throw new Error(`ours and onnxruntime-web DISAGREE on ${agree.output}: worst |difference|/(1+|theirs|) = ${agree.worst} at element ${agree.index}`);
  const fns = { ours: () => ours.run(feeds), ortWeb: () => ortWeb.run(feeds) };
  if (oursSpinning) fns.oursSpinning = () => oursSpinning.run(feeds);
  const timing = await timeAlternating(fns, { seconds });
  const ratio = pairedRatio(timing, 'ortWeb', 'ours');
  const result = {
    partition: ours.partition.map((s) => `${s.runsOn === 'onnxruntime' ? 'ort' : 'dcn'}:${s.nodes.length}`).join(' '),
    steps: ours.partition.length,
    agreement: { worst: agree.worst },
    ours: timing.ours, ortWeb: timing.ortWeb, ratio,
    oursSpinning: timing.oursSpinning || null,
    spinningRatio: oursSpinning ? pairedRatio(timing, 'oursSpinning', 'ours') : null,
    spreadPct: spreadPct(timing.runMedians.ortWeb.map((x, i) => x / timing.runMedians.ours[i])),
    otherCores: timing.otherCores, droppedRounds: timing.droppedRounds, attempts: timing.attempts,
  };
  await Promise.all([ours.release(), ortWeb.release(), oursSpinning && oursSpinning.release()]);
  if (spinningDc) spinningDc.dispose();
  log(`${name}: ours ${result.ours.medianMs.toFixed(2)} ms, onnxruntime-web ${result.ortWeb.medianMs.toFixed(2)} ms: ${ratio.toFixed(2)}x ` +
    `(rounds ${result.spreadPct.toFixed(0)}% apart)` + (oursSpinning ? `; with our threads spinning ${result.oursSpinning.medianMs.toFixed(2)} ms` : '') +
    (timing.otherCores === null ? '' : `; other processes ${timing.otherCores.toFixed(2)} cores`));
  return result;
}

/** (largest - smallest) / median of the per-round ratios, in %: how far apart the rounds were. */
function spreadPct(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)];
  return (100 * (s[s.length - 1] - s[0])) / med;
}

export async function measureModels(threads, seconds, log) {
  const results = [];
  for (const m of MODELS) {
    const model = m.make();
    results.push({ name: m.name, what: m.what, ...await measureModel(m.name, model, threads, seconds, log) });
  }
  // The fixed cost of a boundary.
  const tiny = boundaryModel(BOUNDARY_NODES);
  const b = await measureModel(`boundary_${BOUNDARY_NODES}`, tiny, threads, Math.min(seconds, 1), log, { spinning: false });
  const boundaries = b.steps - 1;
  const boundary = {
    nodes: BOUNDARY_NODES, boundaries, ours: b.ours, ortWeb: b.ortWeb,
    perBoundaryMs: (b.ours.medianMs - b.ortWeb.medianMs) / boundaries,
  };
  log(`boundary cost: ${boundaries} boundaries, ours ${b.ours.medianMs.toFixed(2)} ms, onnxruntime-web alone ${b.ortWeb.medianMs.toFixed(2)} ms: ` +
    `${(1000 * boundary.perBoundaryMs).toFixed(0)} µs per boundary`);
  return { threads, ortWebVersion: ort.env.versions.web, models: results, boundary };
}

if (process.argv[1] && process.argv[1].endsWith('models.mjs')) {
  const threads = Number(process.argv[2]);
  const out = process.argv[3];
  const seconds = Number(process.argv[4] || 1.5);
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  const log = (msg) => process.stderr.write(`  [models, ${threads} thread${threads > 1 ? 's' : ''}] ${msg}\n`);
  writeFileSync(out, JSON.stringify(await measureModels(threads, seconds, log), null, 1));
  process.exit(0); // onnxruntime-web's worker threads would keep the process alive
}
