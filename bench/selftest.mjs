// A quick run of the benchmark's own pieces on tiny inputs (tests/js/bench.test.js runs it, a few seconds):
// the ONNX model builder (each shape's model decoded again), the agreement check of ours against onnxruntime-web
// and onnxruntime-node on a small layer, the hand-written peak module, the line fit, and the report writers
// on a results object made from those runs (the relaxed-SIMD and browser rows included). Prints one JSON object on stdout.
import { compareOutputs } from './agreement.mjs';
import { makeTensors } from './data.mjs';
import { fitLine } from './fit-line.mjs';
import { deformConvModel, deformConvNode } from './onnx-model.mjs';
import { createOrtNodeSession } from './ort-node.mjs';
import { createOrtWebSession, setOrtWebThreads } from './ort-web.mjs';
import { createOurs } from './ours-wasm.mjs';
import { measurePeak, peakModuleBytes } from './peak.mjs';
import { markdownReport } from './report-table.mjs';
import { svgChart } from './report-svg.mjs';
import { SHAPES, flops, tensorShapes } from './shapes.mjs';
import { evaluateTargets } from './targets.mjs';

const out = {};

// 1. Models: every shape's model, decoded again, is one DeformConv node (opset 19) whose attributes are the
// shape's in ONNX's conventions (pads [top, left, bottom, right]) and whose inputs have the shape's tensors.
// (That onnxruntime computes the same numbers as ours from such a model is the agreement check below.)
out.models = SHAPES.map((s) => {
  const t = tensorShapes(s);
  const expected = {
    opType: 'DeformConv',
    input: ['X', 'W', 'offset', 'B', 'mask'],
    attributes: {
      dilations: [s.dilation, s.dilation], group: s.groups, kernel_shape: [s.k, s.k], offset_group: s.offsetGroups,
      pads: [s.pad, s.pad, s.pad, s.pad], strides: [s.stride, s.stride],
    },
    inputs: { X: t.input, W: t.weight, offset: t.offset, B: t.bias, mask: t.mask },
    opset: 19,
  };
  return { name: s.name, same: JSON.stringify(deformConvNode(deformConvModel(s))) === JSON.stringify(expected) };
});

// 2. Agreement on a small layer with 2 offset groups, stride 2 and a 5x5 kernel, and a depthwise one.
setOrtWebThreads(1);
const ours = await createOurs(1);
const small = [
  { name: 'tiny', N: 2, C: 8, H: 9, W: 11, Cout: 6, k: 5, stride: 2, pad: 2, dilation: 1, groups: 1, offsetGroups: 2 },
  { name: 'tiny_depthwise', N: 1, C: 8, H: 7, W: 6, Cout: 8, k: 3, stride: 1, pad: 1, dilation: 2, groups: 8, offsetGroups: 2 },
];
out.agreement = [];
for (const s of small) {
  const t = makeTensors(s, 7);
  const mine = await ours.run(t, s);
  const web = await createOrtWebSession(s), node = await createOrtNodeSession(s, 1);
  out.agreement.push({ name: s.name, web: compareOutputs(mine, await web.run(t)), node: compareOutputs(mine, await node.run(t)) });
  // Constant weights: our prepared layer against a model holding W and B as initializers.
  const layer = await ours.prepare(t, s), constWeb = await createOrtWebSession(s, { weight: t.weight, bias: t.bias });
  out.agreement.at(-1).prepared = compareOutputs(await layer.run(t), await constWeb.run(t));
  layer.dispose();
  await constWeb.release();
  // A wrong result must not pass: shift one element.
  const wrong = Float32Array.from(mine);
  wrong[3] += 0.01;
  out.agreement.at(-1).wrongDetected = !compareOutputs(wrong, await web.run(t)).ok;
  await web.release();
  await node.release();
}
const memory = ours.lastMemory();
ours.dispose();

// 3. Peak modules: valid WebAssembly (the relaxed_madd one exactly where the engine has relaxed SIMD, as the
// mul+add one wherever it has SIMD), and a short measurement.
out.peakModuleValid = WebAssembly.validate(peakModuleBytes());
out.maddPeakModuleValid = WebAssembly.validate(peakModuleBytes('madd'));
out.peak = await measurePeak(1, { rounds: 1, seconds: 0.05 });

// 4. Line fit.
out.fit = fitLine([1, 2, 3, 4], [3, 5, 7, 9]);

// 5. Report writers on a results object built from made-up timings.
const fake = (ms) => ({ medianMs: ms, minMs: ms, runs: 5, gflops: 0.3 / ms });
const results = {
  date: '2026-01-01', seconds: 1,
  machine: { cpu: 'test cpu', cores: 2, os: 'Linux', node: process.versions.node, loadBefore: [0, 0, 0], loadAfter: [0, 0, 0] },
  versions: { ours: '0.0.0', wasmSimd: 'wasm-simd128', nativeSimd: 'avx2', ortWeb: '1.30.0', ortNode: '1.30.0' },
  peak: { 1: { total: 48, perThread: 48 }, 2: { total: 96, perThread: 48 } },
  shapes: SHAPES.slice(0, 2).map((s, i) => ({
    name: s.name, what: s.what, gflop: flops(s) / 1e9, gemmHeavy: true, large: i === 0, speedup: 1.9,
    preparedSpeedup: 1.95,
    wasm: {
      1: { ours: fake(10), ortWeb: fake(20), ratio: 2, peakFraction: 0.65, extraBytes: 1 << 20, prepared: { ours: fake(9), ortWeb: fake(20), ratio: 2.2, peakFraction: 0.7 } },
      2: { ours: fake(5), ortWeb: fake(10), ratio: 2, peakFraction: 0.62, extraBytes: 1 << 20, prepared: { ours: fake(4.5), ortWeb: fake(10), ratio: 1.4, peakFraction: 0.7 } },
    },
    native: { 1: { ours: fake(4), ortNode: fake(6), ratio: 1.5 }, 2: { ours: fake(2), ortNode: fake(3), ratio: 1.5 } },
    relaxed: {
      1: { relaxed: fake(8), plain: fake(10), ortWeb: fake(20), relaxedPrepared: fake(7), speedup: 1.25, ratio: 2.5, maddPeakFraction: 0.92, mulAddPeakFraction: 1.1, preparedMaddPeakFraction: 0.95 },
      // i === 1: slower than the plain build on 2 threads, which the 'relaxed-faster' target must catch
      2: { relaxed: fake(4), plain: fake(5), ortWeb: fake(10), relaxedPrepared: fake(3.5), speedup: i === 1 ? 0.97 : 1.2, ratio: 2.5, maddPeakFraction: i === 0 ? 0.85 : 0.95, mulAddPeakFraction: 1.05, preparedMaddPeakFraction: 0.91 },
    },
  })),
  relaxedPeak: { node: '26.0.0', 1: { madd: { total: 60, perThread: 60 }, mulAdd: { total: 50, perThread: 50 } }, 2: { madd: { total: 120, perThread: 60 }, mulAdd: { total: 100, perThread: 50 } } },
  memory: {
    shape: '1x64x512x512', images: [{ shape: 'm', pixels: 4, tensorBytes: 1, packedWeightBytes: 1, extraBytes: memory.workspacePeakBytes - memory.packedWeightBytes + memory.stagingBytes, heapBefore: 1, heapAfter: 1 }],
    big: { extraBytes: 1 << 20, ms: 100, gflops: 50 },
    curves: { pixels: { points: [{ x: 1, ms: 1 }], fit: out.fit }, channels: { points: [{ x: 1, ms: 1 }], fit: out.fit } },
  },
  notes: [],
};
// The benchmark page's rows (bench/browser.mjs): met when isolated, missed (1.45x) on one shape without isolation.
const browserShapes = (ratio) => SHAPES.slice(0, 2).map((s, i) => ({
  name: s.name, agreement: { worst: 1e-7 }, ours: fake(5), ortWeb: fake(8), ratio: i === 0 ? ratio : 1.6,
  ratioSpread: { p25: ratio - 0.05, p75: ratio + 0.05, min: ratio - 0.1, max: ratio + 0.1 }, rounds: 6,
}));
results.browser = {
  browser: 'Chromium 156 (headless)', where: 'worker',
  modes: {
    isolated: { what: 'cross-origin isolated, 2 threads', threads: 2, wasmBuild: 'threads', ortWebThreads: 2, otherCores: 0, problems: [], shapes: browserShapes(1.7) },
    plain: { what: 'not isolated, 1 thread', threads: 1, wasmBuild: 'simd', ortWebThreads: 1, otherCores: 0, problems: [], shapes: browserShapes(1.45) },
  },
};
results.targets = evaluateTargets(results);
out.targets = results.targets.map((t) => ({ id: t.id, met: t.met }));
const md = markdownReport(results), svg = svgChart(results);
out.targetDetails = Object.fromEntries(results.targets.filter((t) => t.id.startsWith('relaxed')).map((t) => [t.id, t.detail]));
out.report = {
  markdownHasTables: md.includes('| s1_64c_64px |') && md.includes('## Targets') && md.includes('## WebAssembly with constant weights') &&
    md.includes('## WebAssembly with relaxed SIMD (Node.js 26)') && md.includes('| 1.25x | 92% | 110% | 0.0 (95%) |'),
  markdownHasBrowserRows: md.includes('## WebAssembly in Chromium') && md.includes('| s1_64c_64px | 0.1 | 0.0 | 1.70x (1.65–1.75) | 2.00x | 0.1 | 0.0 | 1.45x (1.40–1.50) | 2.00x |'),
  svgBars: (svg.match(/<rect /g) || []).length, svgClosed: svg.trim().endsWith('</svg>') };
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
