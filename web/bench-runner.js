// The in-browser benchmark itself: our forward pass (the package's dist/browser.mjs, public API only) against
// onnxruntime-web's wasm backend (ort.wasm.min.mjs from node_modules) on the benchmark layers of
// bench/shapes.mjs, with the same inputs (bench/data.mjs) and the same ONNX model as the Node benchmark
// (bench/onnx-model.mjs, bundled for browsers). The page runs this module in a Web Worker (bench-worker.js), as
// an application that keeps its page responsive runs a model; or, to measure what the main thread costs, on the
// main thread itself.
//
// Per shape: both libraries run once and must agree to 1e-4 (bench/agreement.mjs); after one more warm-up call
// each, they are timed in alternating rounds until a time budget is spent. A round is one run of each library,
// in turns (ours first in even rounds, onnxruntime-web first in odd ones); a run is bench/run-of-calls.mjs's:
// RUN_CALLS calls back to back, as an application running a model makes them, the first not counted.
// Before each run the runner pauses PAUSE_MS, untimed: onnxruntime-web's threads spin for a while after its
// calls (and ours for up to 2 ms), and the next run must not start on cores they still hold; the pause is also
// when the page repaints the progress bar. Reported per shape: the median and quartiles of each library's
// timed calls, and the ratio: onnxruntime-web's time over ours, the median over the rounds of the ratio of
// their runs in the same round (which a slow spell of a shared machine disturbs far less than a ratio of
// overall medians), with its quartiles and range over the rounds.
import { createDeformConv } from '../dist/browser.mjs';
import * as ort from '../node_modules/onnxruntime-web/dist/ort.wasm.min.mjs';
import { AGREEMENT_TOLERANCE, compareOutputs } from '../bench/agreement.mjs';
import { makeTensors } from '../bench/data.mjs';
import { timeRun } from '../bench/run-of-calls.mjs';
import { SHAPES, flops } from '../bench/shapes.mjs';
import { deformConvModel } from '../dist/bench/onnx-model.mjs';
import { checkSettings } from './bench-settings.js';
import { median, summary } from './bench-stats.js';

export const PAUSE_MS = 25;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class BenchmarkStopped extends Error {
  constructor() {
    super('the benchmark was stopped');
    this.name = 'BenchmarkStopped';
  }
}

/** Alternating rounds of fns.ours and fns.ortWeb (see the file comment). onRound(rounds, elapsedMs) after each. */
async function timeAlternating(fns, settings, { onRound, shouldStop }) {
  const names = Object.keys(fns);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const runMedians = Object.fromEntries(names.map((n) => [n, []]));
  const start = performance.now();
  for (let round = 0; round < settings.maxRounds; round++) {
    if (round >= settings.minRounds && performance.now() - start > settings.seconds * 1000 * names.length) break;
    const order = round % 2 ? [...names].reverse() : names;
    for (const name of order) {
      if (shouldStop()) throw new BenchmarkStopped();
      await pause(PAUSE_MS);
      const run = await timeRun(fns[name]);
      times[name].push(...run);
      runMedians[name].push(median(run));
    }
    onRound(round + 1, performance.now() - start);
  }
  return { times, runMedians };
}

/** What ran: our instance's info() and onnxruntime-web's version and threads, and the page's situation. */
function environment(dc, settings) {
  const info = dc.info();
  return {
    where: settings.where,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency || null,
    userAgent: navigator.userAgent,
    ours: {
      version: info.version, backend: info.backend, wasmBuild: info.wasmBuild, threads: info.threads,
      simdInstructions: info.simdInstructions,
      // relaxed SIMD builds report it once they exist; older builds have no such field
      ...('relaxedSimd' in info ? { relaxedSimd: info.relaxedSimd } : {}),
    },
    ortWeb: { version: ort.env.versions.web, numThreads: ort.env.wasm.numThreads, build: 'ort.wasm.min.mjs' },
    settings,
  };
}

/**
 * Our instance, with onnxruntime-web set to the same thread count. onnxruntime-web fixes it when its
 * WebAssembly module starts, i.e. at the first session of this realm (a page or worker runs one benchmark; the
 * page starts a fresh worker, or reloads, for the next).
 */
export async function loadLibraries(threads, ourOptions = {}) {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  // backend 'wasm': on a page without isolation, 'auto' would take WebGPU on a GPU; this page times WebAssembly.
  // ourOptions: more createDeformConv options (bench/browser-cpu.mjs passes the build's), none for the page.
  return createDeformConv({ backend: 'wasm', threads, ...ourOptions });
}

/**
 * The two calls of shape s on the same tensors: { ours(), ortWeb() } (each resolving to the output's data) and
 * release() for onnxruntime-web's session. Also used by bench/browser-cpu.mjs through the page.
 */
export async function shapeCalls(dc, s) {
  const t = makeTensors(s);
  const session = await ort.InferenceSession.create(deformConvModel(s), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feed = (x) => new ort.Tensor('float32', x.data, x.shape);
  return {
    ours: async () => (await dc.deformConv2d(t.input, t.offset, t.weight, {
      bias: t.bias, mask: t.mask, stride: s.stride, padding: s.pad, dilation: s.dilation,
    })).data,
    ortWeb: async () => (await session.run({ X: feed(t.input), W: feed(t.weight), offset: feed(t.offset), B: feed(t.bias), mask: feed(t.mask) })).Y.data,
    release: () => session.release(),
  };
}

/**
 * Runs the benchmark, here (settings.where says where "here" is, for the results; see bench-settings.js).
 * onEvent receives { type: 'start', environment }, { type: 'progress', fraction, text } and
 * { type: 'shape', result } as it goes; shouldStop() is asked between runs (then it rejects with
 * BenchmarkStopped). Resolves to { environment, shapes: [result per shape], seconds }.
 */
export async function runBenchmark(givenSettings, { onEvent = () => {}, shouldStop = () => false } = {}) {
  const settings = checkSettings(givenSettings);
  const started = performance.now();
  const shapes = SHAPES.filter((s) => settings.shapes.includes(s.name));
  onEvent({ type: 'progress', fraction: 0, text: 'loading deformconv-wasm and onnxruntime-web' });

  const dc = await loadLibraries(settings.threads);
  const results = [];
  try {
    const env = environment(dc, settings);
    onEvent({ type: 'start', environment: env });
    for (let i = 0; i < shapes.length; i++) {
      const s = shapes[i];
      const step = (fraction, text) => onEvent({ type: 'progress', fraction: (i + Math.min(1, fraction)) / shapes.length, text: `${s.name} (${i + 1} of ${shapes.length}): ${text}` });
      step(0, 'building the inputs and the ONNX model');
      await pause(0);
      const result = await benchmarkShape(dc, s, settings, { step, shouldStop });
      results.push(result);
      onEvent({ type: 'shape', result });
    }
    onEvent({ type: 'progress', fraction: 1, text: 'done' });
    return { environment: env, shapes: results, seconds: (performance.now() - started) / 1000 };
  } finally {
    dc.dispose();
  }
}

async function benchmarkShape(dc, s, settings, { step, shouldStop }) {
  const { ours, ortWeb, release } = await shapeCalls(dc, s);
  try {
    step(0, 'checking that both agree');
    const agreement = compareOutputs(await ours(), await ortWeb());
    const base = {
      name: s.name, what: s.what, gflop: flops(s) / 1e9,
      agreement: { ok: agreement.ok, worst: agreement.worst, index: agreement.index, tolerance: AGREEMENT_TOLERANCE },
    };
    if (!agreement.ok) return base; // no timing for a layer the two compute differently
    await ours();
    await ortWeb();

    const budgetMs = settings.seconds * 1000 * 2;
    const { times, runMedians } = await timeAlternating({ ours, ortWeb }, settings, {
      shouldStop,
      onRound: (rounds, elapsedMs) => step(Math.max(rounds / settings.minRounds, budgetMs > 0 ? elapsedMs / budgetMs : 1) * 0.999, `timing, round ${rounds}`),
    });
    const rate = (ms) => flops(s) / ms / 1e6;
    const timing = (name) => {
      const x = summary(times[name]);
      return { medianMs: x.median, p25Ms: x.p25, p75Ms: x.p75, minMs: x.min, calls: x.count, gflops: rate(x.median) };
    };
    const ratios = summary(runMedians.ortWeb.map((theirs, r) => theirs / runMedians.ours[r]));
    return { ...base, ours: timing('ours'), ortWeb: timing('ortWeb'), ratio: ratios.median, ratioSpread: { p25: ratios.p25, p75: ratios.p75, min: ratios.min, max: ratios.max }, rounds: ratios.count };
  } finally {
    await release();
  }
}
