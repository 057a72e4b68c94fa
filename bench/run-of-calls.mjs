// One run of a benchmarked call: RUN_CALLS calls back to back, as an application that runs a model makes them.
// The first call of a run is not counted (it starts on threads and cores that sat idle); the others are timed.
// Shared by the Node benchmark (timing.mjs) and the browser page's (web/bench-runner.js), so that both time
// the same thing. Plain JS (performance.now only): it runs in Node, in a page and in a Web Worker.

export const RUN_CALLS = 4;

/** Makes one run of fn (async) and returns the times in ms of its timed calls (RUN_CALLS - 1 of them). */
export async function timeRun(fn) {
  await fn();
  const times = [];
  for (let i = 1; i < RUN_CALLS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}
