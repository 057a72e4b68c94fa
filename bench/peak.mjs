// The WebAssembly SIMD peaks of this machine, measured: a tiny hand-assembled module whose one function runs
// 12 independent f32x4 chains acc = acc * y + x (two floating-point operations per lane, chain and iteration,
// no memory traffic), in one of two forms:
//   'mul+add': f32x4.mul then f32x4.add, what a perfect f32x4 GEMM without fused multiply-add could reach
//              (the plain builds);
//   'madd':    f32x4.relaxed_madd (relaxed SIMD, fused where the CPU has FMA), the ceiling of the
//              relaxed-SIMD builds; only engines with relaxed SIMD run it (Node.js 22+, Chromium 114+).
// Run in T worker threads at once, it gives the peak of T threads (T x the one-thread peak when the cores are
// really free).
//
// The module, in text form:
//   (func (export "peak") (param $n i32) (result f32) (local $a0 .. $a11 $x $y v128)
//     $a_i = v128.const (i/1000 x4), $x = v128.const (1e-7 x4), $y = v128.const (0.999 x4)
//     (loop $l  $a_i = f32x4.add(f32x4.mul($a_i, $y), $x) for i = 0..11       ;; 'mul+add'
//               $a_i = f32x4.relaxed_madd($a_i, $y, $x) for i = 0..11         ;; 'madd'
//               (br_if $l (local.tee $n (i32.sub $n 1))))
//     f32x4.extract_lane 0 (sum of the $a_i))
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

import { encodeSection as section, unsignedLeb128 as leb } from '../scripts/wasm-instructions.mjs';

const CHAINS = 12;
const FLOPS_PER_ITERATION = CHAINS * 4 * 2; // 12 chains x 4 lanes x (mul + add)

const f32x4Const = (v) => [0xfd, 0x0c, ...new Uint8Array(new Float32Array([v, v, v, v]).buffer)];
const SIMD = { add: [0xfd, ...leb(228)], mul: [0xfd, ...leb(230)], relaxedMadd: [0xfd, ...leb(0x105)], extractLane0: [0xfd, 0x1f, 0] };
export const PEAK_KINDS = ['mul+add', 'madd'];
const LOCAL = { get: 0x20, set: 0x21, tee: 0x22 };

/** The module's bytes (see the text form above); kind: 'mul+add' | 'madd'. */
export function peakModuleBytes(kind = 'mul+add') {
  if (!PEAK_KINDS.includes(kind)) throw new RangeError(`peak kind must be one of ${PEAK_KINDS.join(', ')}, got ${kind}`);
  const x = 1 + CHAINS, y = 2 + CHAINS; // local 0 is the parameter
  const code = [];
  for (let i = 0; i < CHAINS; i++) code.push(...f32x4Const(i / 1000), LOCAL.set, 1 + i);
  code.push(...f32x4Const(1e-7), LOCAL.set, x, ...f32x4Const(0.999), LOCAL.set, y);
  code.push(0x03, 0x40); // loop
  for (let i = 0; i < CHAINS; i++) {
    if (kind === 'madd') code.push(LOCAL.get, 1 + i, LOCAL.get, y, LOCAL.get, x, ...SIMD.relaxedMadd, LOCAL.set, 1 + i);
    else code.push(LOCAL.get, 1 + i, LOCAL.get, y, ...SIMD.mul, LOCAL.get, x, ...SIMD.add, LOCAL.set, 1 + i);
  }
  code.push(LOCAL.get, 0, 0x41, 1, 0x6b, LOCAL.tee, 0, 0x0d, 0, 0x0b); // n -= 1; br_if loop; end
  code.push(LOCAL.get, 1);
  for (let i = 1; i < CHAINS; i++) code.push(LOCAL.get, 1 + i, ...SIMD.add);
  code.push(...SIMD.extractLane0, 0x0b);
  const body = [1, ...leb(CHAINS + 2), 0x7b, ...code]; // one local entry: CHAINS + 2 v128
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]), // type: (i32) -> f32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(7, [1, 4, ...new TextEncoder().encode('peak'), 0x00, 0]), // export "peak" = function 0
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

// Worker side: wait at the barrier, run the loop `iterations` times, report seconds.
async function workerMain() {
  const { iterations, barrier, kind } = workerData;
  const { instance } = await WebAssembly.instantiate(peakModuleBytes(kind));
  const peak = instance.exports.peak;
  for (let i = 0; i < 20; i++) peak(200000); // tier up to the optimizing compiler
  const flag = new Int32Array(barrier);
  parentPort.on('message', (round) => {
    Atomics.add(flag, 0, 1);
    while (Atomics.load(flag, 0) < round.waitFor) { /* spin: start together */ }
    const t0 = performance.now();
    const sink = peak(iterations);
    parentPort.postMessage({ seconds: (performance.now() - t0) / 1000, sink });
  });
  parentPort.postMessage('ready');
}

/**
 * GFLOP/s of `threads` worker threads running the peak loop (kind 'mul+add' or 'madd') at once, best of
 * `rounds` (each about `seconds` long): { total, perThread }.
 */
export async function measurePeak(threads, { rounds = 5, seconds = 0.25, kind = 'mul+add' } = {}) {
  const iterations = Math.round((seconds * 50e9) / FLOPS_PER_ITERATION); // about `seconds` at 50 GFLOP/s
  const barrier = new SharedArrayBuffer(4);
  const workers = [];
  for (let t = 0; t < threads; t++) {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { iterations, barrier, kind } });
    workers.push(w);
    await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  }
  let best = 0;
  try {
    for (let r = 1; r <= rounds; r++) {
      const done = workers.map((w) => new Promise((resolve) => w.once('message', resolve)));
      workers.forEach((w) => w.postMessage({ waitFor: r * threads }));
      const results = await Promise.all(done);
      const slowest = Math.max(...results.map((x) => x.seconds));
      best = Math.max(best, (threads * iterations * FLOPS_PER_ITERATION) / slowest / 1e9);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { total: best, perThread: best / threads };
}

let probe = null;
/**
 * GFLOP/s of one short run of the peak loop on the calling thread (about `seconds`): a probe of how fast this
 * core runs right now. A machine shared with other virtual machines slows down without any process of its
 * own being busy; the timing harness compares this against the best it has seen.
 */
export function probePeak(seconds = 0.02) {
  if (!probe) {
    probe = new WebAssembly.Instance(new WebAssembly.Module(peakModuleBytes())).exports.peak;
    for (let i = 0; i < 60; i++) probe(200000); // tier up to the optimizing compiler
  }
  const iterations = Math.round((seconds * 50e9) / FLOPS_PER_ITERATION);
  const t0 = performance.now();
  probe(iterations);
  return (iterations * FLOPS_PER_ITERATION) / (performance.now() - t0) / 1e6;
}

if (!isMainThread && workerData && workerData.barrier) workerMain();
