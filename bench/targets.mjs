// The issue's targets, checked against a results object (see run.mjs): each { id, target, met, detail }.
export const TARGET_RATIO = 1.5; // ours / onnxruntime-web, every shape, 1 and 2 threads
export const TARGET_PEAK = 0.6; // of the measured WASM SIMD peak, GEMM-heavy shapes
export const TARGET_SPEEDUP = 1.8; // 2 threads over 1, large shapes
export const TARGET_EXTRA_BYTES = 16 * 2 ** 20; // extra WASM memory of a call on the 1x64x512x512 layer
export const TARGET_R2 = 0.99; // linear cost curves
export const TARGET_RELAXED_PEAK = 0.9; // of the measured f32x4.relaxed_madd peak per thread, large shapes, relaxed builds

const fmt = (x, d = 2) => x.toFixed(d);

// The ratio and peak targets for one way of running the layer: pick(s, T) gives { ratio, peakFraction }.
function ratioAndPeak(results, T, pick, idSuffix, what) {
  const threads = `${T} thread${T > 1 ? 's' : ''}`;
  const rows = results.shapes.map((s) => ({ name: s.name, ratio: pick(s, T).ratio }));
  const worst = rows.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  const failing = rows.filter((r) => r.ratio < TARGET_RATIO);
  const heavy = results.shapes.filter((s) => s.gemmHeavy).map((s) => ({ name: s.name, pct: pick(s, T).peakFraction }));
  const low = heavy.filter((h) => h.pct < TARGET_PEAK);
  const worstHeavy = heavy.reduce((a, b) => (b.pct < a.pct ? b : a));
  return [{
    id: `ratio-${T}${idSuffix}`, target: `>= ${TARGET_RATIO}x onnxruntime-web on every shape, ${threads}${what}`,
    met: failing.length === 0,
    detail: failing.length ? `below on ${failing.map((r) => `${r.name} (${fmt(r.ratio)}x)`).join(', ')}` : `lowest ${fmt(worst.ratio)}x (${worst.name})`,
  }, {
    id: `peak-${T}${idSuffix}`, target: `>= ${TARGET_PEAK * 100}% of the measured WASM SIMD peak on the GEMM-heavy shapes, ${threads} (peak ${fmt(results.peak[T].total, 1)} GFLOP/s)${what}`,
    met: low.length === 0,
    detail: low.length ? `below on ${low.map((h) => `${h.name} (${fmt(100 * h.pct, 0)}%)`).join(', ')}` : `lowest ${fmt(100 * worstHeavy.pct, 0)}% (${worstHeavy.name})`,
  }];
}

// The relaxed-SIMD builds (Node.js 26): faster than the plain build on every GEMM-heavy shape, and close to
// the fused multiply-add peak per thread on the large shapes.
function relaxedTargets(results) {
  const heavy = results.shapes.filter((s) => s.gemmHeavy);
  const slower = heavy.flatMap((s) => [1, 2].filter((T) => !(s.relaxed[T].speedup > 1)).map((T) => `${s.name} ${T}T (${fmt(s.relaxed[T].speedup)}x)`));
  const worstSpeedup = heavy.flatMap((s) => [1, 2].map((T) => ({ name: `${s.name} ${T}T`, x: s.relaxed[T].speedup }))).reduce((a, b) => (b.x < a.x ? b : a));
  const large = results.shapes.filter((s) => s.large);
  // Per thread: the T-thread rate over T times the T-thread peak per thread is the same as over the T-thread total.
  const peakTarget = (id, what, pick) => {
    const fractions = large.flatMap((s) => [1, 2].map((T) => ({ name: `${s.name} ${T}T`, pct: pick(s.relaxed[T]) })));
    const low = fractions.filter((f) => f.pct < TARGET_RELAXED_PEAK);
    const p = results.relaxedPeak;
    return {
      id, target: `relaxed-SIMD build >= ${TARGET_RELAXED_PEAK * 100}% of the measured f32x4.relaxed_madd peak per thread on the large shapes${what} ` +
        `(peak ${fmt(p[1].madd.perThread, 1)} GFLOP/s per thread on 1 thread, ${fmt(p[2].madd.perThread, 1)} on 2)`,
      met: low.length === 0,
      detail: fractions.map((f) => `${f.name} ${fmt(100 * f.pct, 0)}%`).join(', '),
    };
  };
  const p = results.relaxedPeak;
  return [{
    id: 'relaxed-faster', target: `relaxed-SIMD build faster than the plain build on every GEMM-heavy shape, 1 and 2 threads (Node ${p.node})`,
    met: slower.length === 0,
    detail: slower.length ? `not faster on ${slower.join(', ')}` : `smallest gain ${fmt(worstSpeedup.x)}x (${worstSpeedup.name})`,
  },
  peakTarget('relaxed-peak', '', (x) => x.maddPeakFraction),
  peakTarget('relaxed-peak-prepared', ', constant weights (prepared layer)', (x) => x.preparedMaddPeakFraction)];
}

export function evaluateTargets(results) {
  const out = [];
  for (const T of [1, 2]) out.push(...ratioAndPeak(results, T, (s, t) => s.wasm[t], '', ''));
  if (results.shapes.every((s) => s.wasm[1].prepared)) {
    for (const T of [1, 2]) {
      out.push(...ratioAndPeak(results, T, (s, t) => s.wasm[t].prepared, '-prepared', ', constant weights (prepared layer vs initializers)'));
    }
  }
  if (results.browser) {
    // The same ratio target in Chromium (the benchmark page, bench/browser.mjs), in each mode it ran.
    for (const [id, mode] of Object.entries(results.browser.modes)) {
      const rows = mode.shapes.map((b) => ({ name: b.name, ratio: b.ours ? b.ratio : 0 }));
      const failing = rows.filter((b) => b.ratio < TARGET_RATIO);
      const worst = rows.reduce((a, b) => (b.ratio < a.ratio ? b : a));
      out.push({
        id: `browser-ratio-${id}`, target: `>= ${TARGET_RATIO}x onnxruntime-web on every shape in Chromium, ${mode.what}`,
        met: failing.length === 0,
        detail: failing.length ? `below on ${failing.map((b) => `${b.name} (${b.ratio ? `${fmt(b.ratio)}x` : 'outputs differ'})`).join(', ')}` : `lowest ${fmt(worst.ratio)}x (${worst.name})`,
      });
    }
  }
  const large = results.shapes.filter((s) => s.large);
  const slow = large.filter((s) => s.speedup < TARGET_SPEEDUP);
  out.push({
    id: 'speedup', target: `2 threads >= ${TARGET_SPEEDUP}x 1 thread on the large shapes (${large.map((s) => s.name).join(', ')})`,
    met: slow.length === 0,
    detail: large.map((s) => `${s.name} ${fmt(s.speedup)}x`).join(', ') +
      (large.every((s) => s.preparedSpeedup) ? `; prepared layers: ${large.map((s) => `${s.name} ${fmt(s.preparedSpeedup)}x`).join(', ')}` : ''),
  });
  if (results.relaxedPeak && results.shapes.every((s) => s.relaxed)) out.push(...relaxedTargets(results));
  const native = results.shapes.map((s) => `${s.name} ${fmt(s.native[1].ratio)}x / ${fmt(s.native[2].ratio)}x`);
  out.push({ id: 'native', target: 'native build vs onnxruntime-node (1 / 2 threads): reported', met: null, detail: native.join(', ') });
  if (results.memory) {
    const big = results.memory.big;
    const maxExtra = Math.max(...results.memory.images.map((m) => m.extraBytes));
    out.push({
      id: 'memory', target: `extra WASM memory of a call < 16 MiB on ${results.memory.shape}, whatever the image size`,
      met: big.extraBytes < TARGET_EXTRA_BYTES && maxExtra < TARGET_EXTRA_BYTES,
      detail: `${fmt(big.extraBytes / 2 ** 20)} MiB on the 512x512 layer; ` +
        results.memory.images.map((m) => `${m.pixels} px: ${fmt(m.extraBytes / 2 ** 20)} MiB`).join(', '),
    });
    const { pixels, channels } = results.memory.curves;
    out.push({
      id: 'linear', target: `cost linear in output pixels and in C_in*C_out (R^2 >= ${TARGET_R2})`,
      met: pixels.fit.r2 >= TARGET_R2 && channels.fit.r2 >= TARGET_R2,
      detail: `R^2 ${fmt(pixels.fit.r2, 4)} (pixels), ${fmt(channels.fit.r2, 4)} (C_in*C_out)`,
    });
  }
  return out;
}
