// The timing harness: several implementations of one call timed in alternation (A, B, A, B, ...), so that
// a busy machine slows them alike, each until a time budget is spent. Reports the median and the best time.
// A short untimed pause separates the calls: a runtime whose worker threads spin for a while after a call
// (onnxruntime's thread pool does) must not eat into the next implementation's time.

const GAP_MS = 3;
const pause = () => new Promise((resolve) => setTimeout(resolve, GAP_MS));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * fns: { name: async () => void }. Two warm-up calls each, then rounds of one call each until every
 * implementation has run at least minRuns times and either `seconds` have passed or maxRuns are done.
 * Returns { name: { medianMs, minMs, runs } }.
 */
export async function timeAlternating(fns, { seconds = 1.5, minRuns = 5, maxRuns = 40 } = {}) {
  const names = Object.keys(fns);
  for (const name of names) {
    await fns[name]();
    await fns[name]();
  }
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const start = performance.now();
  for (let round = 0; round < maxRuns; round++) {
    if (round >= minRuns && performance.now() - start > seconds * 1000 * names.length) break;
    for (const name of names) {
      await pause();
      const t0 = performance.now();
      await fns[name]();
      times[name].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { medianMs: median(times[n]), minMs: Math.min(...times[n]), runs: times[n].length }]));
}

export { median };
