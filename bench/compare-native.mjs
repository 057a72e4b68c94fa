// The native comparison: our native build (bench/native_bench.cpp, through native.mjs) and onnxruntime-node
// on every shape at 1 and 2 threads. Both must agree with each other to 1e-4 before the timings count.
import { compareOutputs } from './agreement.mjs';
import { makeTensors } from './data.mjs';
import { runNative } from './native.mjs';
import { createOrtNodeSession } from './ort-node.mjs';
import { SHAPES } from './shapes.mjs';
import { loadSnapshot, otherCores } from './cpu-load.mjs';
import { timeAlternating, waitForQuiet } from './timing.mjs';

const MAX_OTHER_CORES = 0.15;
const ATTEMPTS = 4;

// The native tool's run, repeated (after a quiet second) while other processes were busy.
async function quietNativeRun(s, t, seconds) {
  let result, others = null, attempt = 0;
  while (attempt < ATTEMPTS) {
    attempt++;
    const snapshot = loadSnapshot();
    result = runNative(s, t, [1, 2], seconds);
    others = otherCores(snapshot);
    if (others === null || others <= MAX_OTHER_CORES) break;
    if (attempt < ATTEMPTS) await waitForQuiet(MAX_OTHER_CORES / 2, 30);
  }
  return { ...result, otherCores: others, attempts: attempt };
}

export async function compareNative({ seconds = 1, log = () => {} } = {}) {
  const shapes = [];
  let simd = '';
  for (const s of SHAPES) {
    const t = makeTensors(s);
    const native = await quietNativeRun(s, t, seconds);
    simd = native.simd;
    const entry = { name: s.name };
    for (const run of native.runs) {
      const session = await createOrtNodeSession(s, run.threads);
      const agreement = compareOutputs(run.output, await session.run(t));
      if (!agreement.ok) {
        throw new Error(`${s.name}: our native build and onnxruntime-node disagree at ${run.threads} threads: ` +
          `worst |difference|/(1+|theirs|) = ${agreement.worst} at element ${agreement.index}`);
      }
      const timing = await timeAlternating({ ortNode: () => session.run(t) }, { seconds });
      await session.release();
      entry[run.threads] = {
        agreement: { worst: agreement.worst },
        ours: { medianMs: run.medianMs, minMs: run.minMs, runs: run.count },
        ortNode: timing.ortNode,
        otherCores: Math.max(native.otherCores ?? 0, timing.otherCores ?? 0),
      };
    }
    log(`${s.name}: native ${entry[1].ours.medianMs.toFixed(2)} / ${entry[2].ours.medianMs.toFixed(2)} ms, ` +
      `onnxruntime-node ${entry[1].ortNode.medianMs.toFixed(2)} / ${entry[2].ortNode.medianMs.toFixed(2)} ms (1 / 2 threads)`);
    shapes.push(entry);
  }
  return { simd, shapes };
}
