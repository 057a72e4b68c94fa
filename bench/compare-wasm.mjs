// One process per thread count (onnxruntime-web fixes its thread count when it starts):
//   node bench/compare-wasm.mjs THREADS OUT.json [SECONDS] [--only name,name]
// measures the WebAssembly SIMD peak with THREADS worker threads, then for every shape: runs ours and
// onnxruntime-web once, checks that they agree (exits with an error if not), and times both in alternation;
// twice: with the weights passed at every call (ours: deformConv2d; onnxruntime-web: W and B graph inputs),
// and with constant weights (ours: a prepared layer; onnxruntime-web: W and B initializers).
// Progress goes to stderr; the results to OUT.json.
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
const seconds = Number(process.argv[4] && !process.argv[4].startsWith('--') ? process.argv[4] : 1.5);
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null; // a few shapes, by hand
const log = (msg) => process.stderr.write(`  [wasm, ${threads} thread${threads > 1 ? 's' : ''}] ${msg}\n`);

setOrtWebThreads(threads);
const ours = await createOurs(threads);
// The peak, measured while other processes leave the cores alone (retried a few times otherwise).
async function quietPeak() {
  let best = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    await waitForQuiet(0.1, 30);
    const snapshot = loadSnapshot();
    const peak = await measurePeak(threads);
    const others = otherCores(snapshot);
    if (!best || peak.total > best.total) best = peak;
    if (others === null || others <= 0.15) break;
  }
  return best;
}
const peakBefore = await quietPeak();
log(`WASM SIMD peak: ${peakBefore.total.toFixed(1)} GFLOP/s (${peakBefore.perThread.toFixed(1)} per thread)`);

const shapes = [];
for (const s of only ? SHAPES.filter((x) => only.includes(x.name)) : SHAPES) {
  const t = makeTensors(s);
  const session = await createOrtWebSession(s);
  const agreement = compareOutputs(await ours.run(t, s), await session.run(t));
  if (!agreement.ok) {
    log(`${s.name}: ours and onnxruntime-web DISAGREE: worst |difference|/(1+|theirs|) = ${agreement.worst} at element ${agreement.index}`);
    process.exit(1);
  }
  const timing = await timeAlternating({ ours: () => ours.run(t, s), ortWeb: () => session.run(t) }, { seconds });
  const memory = ours.lastMemory();
  const ratio = pairedRatio(timing, 'ortWeb', 'ours');
  await session.release();
  const gflops = (ms) => flops(s) / ms / 1e6;
  const describeTiming = (tm, r) => `ours ${tm.ours.medianMs.toFixed(2)} ms ` +
    `(${gflops(tm.ours.medianMs).toFixed(1)} GFLOP/s), onnxruntime-web ${tm.ortWeb.medianMs.toFixed(2)} ms ` +
    `(${gflops(tm.ortWeb.medianMs).toFixed(1)} GFLOP/s): ${r.toFixed(2)}x` +
    (tm.otherCores === null ? '' : `; other processes ${tm.otherCores.toFixed(2)} cores`) +
    `; ${tm.droppedRounds} rounds left out (slow core)${tm.attempts > 1 ? ` (attempt ${tm.attempts})` : ''}`;
  log(`${s.name}: agree (worst ${agreement.worst.toExponential(1)}); ${describeTiming(timing, ratio)}`);

  // Constant weights: our prepared layer against a model holding W and B as initializers.
  const layer = await ours.prepare(t, s);
  const constSession = await createOrtWebSession(s, { weight: t.weight, bias: t.bias });
  const constAgreement = compareOutputs(await layer.run(t), await constSession.run(t));
  if (!constAgreement.ok) {
    log(`${s.name}, constant weights: ours and onnxruntime-web DISAGREE: worst |difference|/(1+|theirs|) = ${constAgreement.worst} at element ${constAgreement.index}`);
    process.exit(1);
  }
  const constTiming = await timeAlternating({ ours: () => layer.run(t), ortWeb: () => constSession.run(t) }, { seconds });
  const constRatio = pairedRatio(constTiming, 'ortWeb', 'ours');
  await constSession.release();
  layer.dispose();
  log(`${s.name}, constant weights (prepared layer vs initializers): ${describeTiming(constTiming, constRatio)}`);

  shapes.push({
    name: s.name, agreement: { worst: agreement.worst }, ours: timing.ours, ortWeb: timing.ortWeb, ratio, memory,
    otherCores: timing.otherCores, droppedRounds: timing.droppedRounds, attempts: timing.attempts,
    prepared: { agreement: { worst: constAgreement.worst }, ours: constTiming.ours, ortWeb: constTiming.ortWeb, ratio: constRatio, otherCores: constTiming.otherCores, droppedRounds: constTiming.droppedRounds },
  });
}
const peakAfter = await quietPeak();
ours.dispose();
const peak = peakAfter.total > peakBefore.total ? peakAfter : peakBefore;
writeFileSync(outFile, JSON.stringify({ threads, peak, ortWebVersion: ortWebVersion(), oursInfo: ours.info, shapes }, null, 1));
process.exit(0); // onnxruntime-web's worker threads would keep the process alive
