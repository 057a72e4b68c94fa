// An ONNX model with DeformConv nodes, run in Node.js with deformconv-wasm/onnx: onnxruntime runs the other
// nodes, this package the DeformConv nodes. It prints the run plan and the DeformConv nodes, runs the model on
// random inputs both ways (onnxruntime alone, and the session) and shows both times and the largest difference.
//
//   node examples/onnx-model.mjs [model.onnx] [--ort-node] [--threads N]
//
// Without a path it runs web/models/r50dcn-stage.onnx, a ResNet-50-DCN stage that `npm run build` writes.
// --ort-node uses onnxruntime-node instead of onnxruntime-web (both are this repository's devDependencies; in
// your project, install the one you use: the package takes yours, through the `ort` option).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { InferenceSession } from '../dist/onnx.mjs'; // in your project: from 'deformconv-wasm/onnx'

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const modelPath = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--threads') || join(here, '..', 'web', 'models', 'r50dcn-stage.onnx');
const threads = Number(option('--threads', Math.min(4, os.availableParallelism())));

if (!existsSync(modelPath)) {
  console.error(`${modelPath} does not exist: give a model's path, or run npm run build (it writes the example models)`);
  process.exit(1);
}
const require = createRequire(import.meta.url);
const ort = flag('--ort-node') ? require('onnxruntime-node') : require('onnxruntime-web');
if (!flag('--ort-node')) ort.env.wasm.numThreads = threads; // onnxruntime-web: once, before its first session
const ortOptions = flag('--ort-node') ? { intraOpNumThreads: threads } : { executionProviders: ['wasm'] };

const session = await InferenceSession.create(modelPath, { ort, threads, ...ortOptions });
const alone = await ort.InferenceSession.create(modelPath, ortOptions);

console.log(`${modelPath}\n  inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')}; ${threads} threads each`);
console.log('DeformConv nodes:');
for (const n of session.deformConvNodes) {
  console.log(n.runsOn === 'deformconv-wasm'
    ? `  ${n.name}: kernel ${n.kernelShape ? n.kernelShape.join('x') : 'from W'}, strides ${n.strides.join('x')}, pads ${n.pads.join(',')}, ` +
      `dilations ${n.dilations.join('x')}, group ${n.group}, offset_group ${n.offsetGroup}, ${n.inputs.mask ? 'DCNv2 (mask)' : 'DCNv1'}, weights ${n.weights}`
    : `  ${n.name}: runs in onnxruntime (${n.reason})`);
}
console.log('Run plan:');
for (const [i, step] of session.partition.entries()) {
  console.log(`  ${i + 1}. ${step.runsOn} (${step.backend}): ${step.nodes.length} node${step.nodes.length === 1 ? '' : 's'}`);
}

// Random inputs; symbolic dimensions are 1 here (give a model with fixed sizes, or adapt this).
function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const rand = random(2026);
const feeds = {};
for (const m of session.inputMetadata) {
  const dims = m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
  if (m.type !== 'float32') throw new Error(`input ${m.name} is ${m.type}; this example feeds float32 inputs`);
  feeds[m.name] = new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => 2 * rand() - 1), dims);
}

const ours = await session.run(feeds);
const theirs = await alone.run(feeds);
let worst = 0;
for (const name of session.outputNames) {
  for (let i = 0; i < theirs[name].data.length; i++) {
    worst = Math.max(worst, Math.abs(ours[name].data[i] - theirs[name].data[i]) / (1 + Math.abs(theirs[name].data[i])));
  }
}

async function median(fn, runs = 7) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)];
}
const msAlone = await median(() => alone.run(feeds));
const msOurs = await median(() => session.run(feeds));
console.log(`onnxruntime alone: ${msAlone.toFixed(1)} ms per run; with deformconv-wasm: ${msOurs.toFixed(1)} ms (${(msAlone / msOurs).toFixed(2)}x); ` +
  `largest difference ${worst.toExponential(1)} (|ours - theirs| / (1 + |theirs|))`);

await session.release();
await alone.release();
process.exit(0); // onnxruntime-web's worker threads would keep Node running
