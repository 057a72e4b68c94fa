// The timing harness: several implementations of one call timed in alternating runs (A A A A, B B B B, A A A
// A, ...), so that machine noise hits them alike, each until a time budget is spent. A run is
// run-of-calls.mjs's: RUN_CALLS calls back to back, as an application that runs a model makes them, the first
// not counted. Reports the median and the best time.
// Between two runs the harness waits, untimed, until this process is idle again: onnxruntime-web's worker
// threads spin for about 20 ms of CPU after each of its calls (measured in Node 20), which would otherwise eat
// into the next run's cores.
// On a shared machine the whole block is repeated (after waiting for a quiet second) when other processes
// used more than maxOtherCores of CPU while it ran (cpu-load.mjs); and a round (one run of each
// implementation) is left out when this core ran slow just before or after it: a 20 ms probe of the peak loop
// (peak.mjs) below 93% of the best probe of this process means the host gave the virtual machine less than a
// whole core (other virtual machines do not show in /proc/stat). The result says how busy the others were and
// how many rounds were left out.
import { loadSnapshot, otherCores } from './cpu-load.mjs';
import { probePeak } from './peak.mjs';
import { timeRun } from './run-of-calls.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sleeps in 5 ms steps until this process used under 10% of a core during one (at most 300 ms). */
async function settle() {
  for (let waited = 0; waited < 300; waited += 5) {
    const before = process.cpuUsage();
    await sleep(5);
    const used = process.cpuUsage(before);
    if ((used.user + used.system) / 1000 < 0.5) return;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// Seconds this process may spend, in all, waiting for the machine to calm down; once spent, blocks are taken
// as they come (their otherCores says how busy the machine was), so a machine that never calms down still
// gets a report in bounded time.
let waitBudgetSeconds = 120;

/** Waits (up to maxSeconds, within the budget) for a second in which other processes use at most maxOtherCores. */
export async function waitForQuiet(maxOtherCores = 0.1, maxSeconds = 30) {
  for (let waited = 0; waited < maxSeconds && waitBudgetSeconds > 0; waited++, waitBudgetSeconds--) {
    const snapshot = loadSnapshot();
    await sleep(1000);
    const others = otherCores(snapshot);
    if (others === null || others <= maxOtherCores) return true;
  }
  return false;
}

// The fastest probe so far (GFLOP/s of the peak loop on this thread) and the share of it a block needs.
const MIN_SPEED = 0.93;
let bestProbe = 0;
function probe() {
  if (bestProbe === 0) for (let i = 0; i < 10; i++) bestProbe = Math.max(bestProbe, probePeak()); // settle the tier-up
  const p = Math.max(probePeak(), probePeak());
  bestProbe = Math.max(bestProbe, p);
  return p;
}

async function timeBlock(fns, { seconds, minRuns, maxRuns }) {
  const names = Object.keys(fns);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const runs = Object.fromEntries(names.map((n) => [n, []])); // median of each run, run by run
  const start = performance.now();
  let rounds = 0, dropped = 0;
  while (times[names[0]].length < maxRuns && rounds++ < 3 * maxRuns) {
    if (times[names[0]].length >= minRuns && performance.now() - start > seconds * 1000 * names.length) break;
    // A round counts only if the core ran at full speed just before and just after it.
    const before = probe();
    const round = {};
    for (const name of names) {
      await settle();
      round[name] = await timeRun(fns[name]);
    }
    if (Math.min(before, probe()) < MIN_SPEED * bestProbe && performance.now() - start < 4 * seconds * 1000 * names.length) {
      dropped++;
      continue;
    }
    for (const name of names) {
      times[name].push(...round[name]);
      runs[name].push(median(round[name]));
    }
  }
  return { times, runs, dropped };
}

/**
 * How many times faster `fast` is than `slow`: the median over rounds of the ratio of their runs in the same
 * round (measured a few milliseconds apart), which a slow spell of the machine affects far less than a
 * ratio of overall medians.
 */
export function pairedRatio(result, slow, fast) {
  const a = result.runMedians[slow], b = result.runMedians[fast];
  return median(a.map((x, i) => x / b[i]));
}

/**
 * fns: { name: async () => void }. Two warm-up calls each, then alternating runs until every implementation
 * has at least minRuns timed calls and either `seconds` (per implementation) have passed or maxRuns calls are
 * timed; the whole block is retried up to `attempts` times while other processes were busy.
 * Returns { name: { medianMs, minMs, runs }, runMedians: { name: [median of each run] }, otherCores,
 * droppedRounds (rounds left out because the core ran slow), attempts }.
 */
export async function timeAlternating(fns, { seconds = 1.5, minRuns = 6, maxRuns = 60, maxOtherCores = 0.15, attempts = 4 } = {}) {
  const names = Object.keys(fns);
  for (const name of names) {
    await fns[name]();
    await fns[name]();
  }
  let times, runs, dropped = 0, others = null, attempt = 0;
  while (attempt < attempts) {
    attempt++;
    const snapshot = loadSnapshot();
    ({ times, runs, dropped } = await timeBlock(fns, { seconds, minRuns, maxRuns }));
    others = otherCores(snapshot);
    if (others === null || others <= maxOtherCores || waitBudgetSeconds <= 0) break;
    if (attempt < attempts) await waitForQuiet(maxOtherCores / 2, 30);
  }
  const result = Object.fromEntries(names.map((n) => [n, { medianMs: median(times[n]), minMs: Math.min(...times[n]), runs: times[n].length }]));
  return { ...result, runMedians: runs, otherCores: others, droppedRounds: dropped, attempts: attempt };
}

export { median };
