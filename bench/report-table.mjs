// The Markdown report (bench/RESULTS.md and the README's performance section): when and where it ran, the
// targets, then one table for the WebAssembly builds and one for the native builds, and the whole models.
import { modelsSection } from './models-report.mjs';

const f1 = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const pct = (x) => `${(100 * x).toFixed(0)}%`;
const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;

export function machineLine(r) {
  const m = r.machine;
  const others = m.maxOtherCores === undefined ? '' : `other processes used at most ${m.maxOtherCores.toFixed(2)} cores while blocks were timed, `;
  return `${r.date}, ${m.cpu} (${m.cores} cores), ${m.os}, Node ${m.node}; ${others}load average ${m.loadBefore.map((x) => x.toFixed(2)).join(' ')} at the start`;
}

export function targetsTable(r) {
  const lines = ['| target | met | measured |', '|---|---|---|'];
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.met === null ? '—' : t.met ? 'yes' : '**no**'} | ${t.detail} |`);
  return lines.join('\n');
}

export function wasmTable(r) {
  const lines = [
    `| shape | GFLOP | ours 1T | ORT-web 1T | ratio | % peak | ours 2T | ORT-web 2T | ratio | % peak | 2T/1T | peak extra memory |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.shapes) {
    const w1 = s.wasm[1], w2 = s.wasm[2];
    lines.push(`| ${s.name} | ${s.gflop.toFixed(3)} | ${f1(w1.ours.gflops)} | ${f1(w1.ortWeb.gflops)} | ${w1.ratio.toFixed(2)}x | ${pct(w1.peakFraction)} | ` +
      `${f1(w2.ours.gflops)} | ${f1(w2.ortWeb.gflops)} | ${w2.ratio.toFixed(2)}x | ${pct(w2.peakFraction)} | ${s.speedup.toFixed(2)}x | ${mib(w2.extraBytes)} |`);
  }
  return lines.join('\n');
}

export function preparedTable(r) {
  if (!r.shapes.every((s) => s.wasm[1].prepared)) return '(not measured in this run)';
  const lines = [
    `| shape | ours 1T | ORT-web 1T | ratio | % peak | ours 2T | ORT-web 2T | ratio | % peak | 2T/1T |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.shapes) {
    const p1 = s.wasm[1].prepared, p2 = s.wasm[2].prepared;
    lines.push(`| ${s.name} | ${f1(p1.ours.gflops)} | ${f1(p1.ortWeb.gflops)} | ${p1.ratio.toFixed(2)}x | ${pct(p1.peakFraction)} | ` +
      `${f1(p2.ours.gflops)} | ${f1(p2.ortWeb.gflops)} | ${p2.ratio.toFixed(2)}x | ${pct(p2.peakFraction)} | ${s.preparedSpeedup.toFixed(2)}x |`);
  }
  return lines.join('\n');
}

/** The relaxed-SIMD rows (Node.js 26): relaxed vs plain vs onnxruntime-web, % of both peaks. */
export function relaxedTable(r) {
  if (!r.relaxedPeak || !r.shapes.every((s) => s.relaxed)) return '(not measured in this run)';
  const lines = [
    '| shape | relaxed 1T | plain 1T | ORT-web 1T | relaxed/plain | % FMA peak | % mul+add peak | prepared, % FMA peak | relaxed 2T | plain 2T | ORT-web 2T | relaxed/plain | % FMA peak | % mul+add peak | prepared, % FMA peak |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.shapes) {
    const cells = [1, 2].map((T) => {
      const x = s.relaxed[T];
      return `${f1(x.relaxed.gflops)} | ${f1(x.plain.gflops)} | ${f1(x.ortWeb.gflops)} | ${x.speedup.toFixed(2)}x | ${pct(x.maddPeakFraction)} | ${pct(x.mulAddPeakFraction)} | ` +
        `${f1(x.relaxedPrepared.gflops)} (${pct(x.preparedMaddPeakFraction)})`;
    });
    lines.push(`| ${s.name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The ratio cell of a browser row: median over the rounds, with their middle half. */
const ratioWithSpread = (b) => `${b.ratio.toFixed(2)}x (${b.ratioSpread.p25.toFixed(2)}–${b.ratioSpread.p75.toFixed(2)})`;

/**
 * The benchmark page in headless Chromium (bench/browser.mjs), beside the Node ratios of the same shapes:
 * cross-origin isolated with 2 threads, and not isolated with 1 thread. GFLOP/s of the median call.
 */
export function browserTable(r) {
  const modes = r.browser.modes;
  const cells = (mode, name) => {
    const b = mode && mode.shapes.find((x) => x.name === name);
    if (!b) return ['—', '—', '—'];
    if (!b.ours) return ['—', '—', '**outputs differ**'];
    return [f1(b.ours.gflops), f1(b.ortWeb.gflops), ratioWithSpread(b)];
  };
  const node = (s, T) => (s.wasm && s.wasm[T] ? `${s.wasm[T].ratio.toFixed(2)}x` : '—');
  const lines = [
    '| shape | ours 2T | ORT-web 2T | ratio (middle half of rounds) | Node 2T ratio | ours 1T | ORT-web 1T | ratio (middle half of rounds) | Node 1T ratio |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  // The Node shapes in their order, then any the browser ran that Node did not.
  const names = [...new Set([...r.shapes.map((s) => s.name), ...Object.values(modes).flatMap((m) => m.shapes.map((b) => b.name))])];
  for (const name of names) {
    const s = r.shapes.find((x) => x.name === name) || {};
    lines.push(`| ${name} | ${cells(modes.isolated, name).join(' | ')} | ${node(s, 2)} | ${cells(modes.plain, name).join(' | ')} | ${node(s, 1)} |`);
  }
  return lines.join('\n');
}

/** One sentence on the relaxed-SIMD peaks, or nothing when the run has none. */
function relaxedPeakLine(r) {
  if (!r.relaxedPeak) return '';
  const p = r.relaxedPeak;
  return `Measured in Node.js ${p.node}: independent \`f32x4.relaxed_madd\` chains ${f1(p[1].madd.total)} GFLOP/s on 1 thread, ${f1(p[2].madd.total)} on 2; ` +
    `independent \`f32x4\` mul+add chains ${f1(p[1].mulAdd.total)} and ${f1(p[2].mulAdd.total)}. `;
}

/** Where the browser rows ran, in sentences: the browser, where in the page, and per mode the builds, threads and load. */
export function browserLine(r) {
  const b = r.browser;
  const mode = (m) => {
    const relaxed = m.ours && 'relaxedSimd' in m.ours ? ` (relaxed SIMD ${m.ours.relaxedSimd ? 'on' : 'off'})` : '';
    const others = m.otherCores === null || m.otherCores === undefined ? '' : `; other processes used ${m.otherCores.toFixed(2)} cores`;
    const what = m.what.charAt(0).toUpperCase() + m.what.slice(1);
    return `${what}: our ${m.wasmBuild} build${relaxed} ran on ${m.threads} thread${m.threads > 1 ? 's' : ''}, onnxruntime-web on ${m.ortWebThreads}${others}.`;
  };
  return `${b.browser}, the benchmark page (web/bench.html), both libraries in ${b.where === 'main' ? 'the page\'s main thread' : 'a Web Worker'}. ` +
    Object.values(b.modes).map(mode).join(' ');
}

export function nativeTable(r) {
  const lines = ['| shape | ours native 1T | ORT-node 1T | ratio | ours native 2T | ORT-node 2T | ratio |', '|---|---|---|---|---|---|---|'];
  for (const s of r.shapes) {
    const n1 = s.native[1], n2 = s.native[2];
    lines.push(`| ${s.name} | ${f1(n1.ours.gflops)} | ${f1(n1.ortNode.gflops)} | ${n1.ratio.toFixed(2)}x | ${f1(n2.ours.gflops)} | ${f1(n2.ortNode.gflops)} | ${n2.ratio.toFixed(2)}x |`);
  }
  return lines.join('\n');
}

export function memorySection(r) {
  if (!r.memory) return '';
  const m = r.memory;
  const lines = [
    `Extra WebAssembly memory of one call (2 threads) beyond its tensors and packed weights, measured: the core's peak workspace minus the packed weights, plus the 1 MiB staging block of the channels-last copy-in.`,
    '',
    '| layer | tensors | packed weights | extra | WebAssembly memory before → after |', '|---|---|---|---|---|',
  ];
  for (const x of m.images) lines.push(`| ${x.shape} | ${mib(x.tensorBytes)} | ${mib(x.packedWeightBytes)} | ${mib(x.extraBytes)} | ${(x.heapBefore / 2 ** 20).toFixed(0)} → ${(x.heapAfter / 2 ** 20).toFixed(0)} MiB |`);
  lines.push('', `${m.shape}: ${m.big.ms.toFixed(0)} ms, ${f1(m.big.gflops)} GFLOP/s (2 threads).`, '');
  const curve = (name, unit, c) => `| ${name} | ${c.points.map((p) => `${p.x}: ${p.ms.toFixed(2)} ms`).join(', ')} | ${(c.fit.slope * 1e3).toPrecision(3)} µs per ${unit} | ${c.fit.intercept.toFixed(2)} ms | ${c.fit.r2.toFixed(4)} |`;
  lines.push('| cost curve (2 threads) | points (x: best time) | slope | intercept | R² |', '|---|---|---|---|---|');
  lines.push(curve('output pixels, 64→64 channels, 3x3', 'pixel', m.curves.pixels));
  lines.push(curve('C_in·C_out, 32x32 pixels, 3x3', 'unit', m.curves.channels));
  return lines.join('\n');
}

/** The whole report. */
export function markdownReport(r) {
  return [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` (bench/run.mjs): ${machineLine(r)}.`,
    `deformconv-wasm ${r.versions.ours} (WebAssembly ${r.versions.wasmSimd}, native ${r.versions.nativeSimd}), onnxruntime-web ${r.versions.ortWeb}, onnxruntime-node ${r.versions.ortNode}.`,
    `Forward pass, median of the timed calls; GFLOP/s counts 2·N·C_out·(C_in/groups)·kh·kw·Ho·Wo. Every layer has offsets, a mask and a bias. ` +
      `Ours and onnxruntime agreed to 1e-4 on every shape before timing. WASM SIMD peak (independent f32x4 mul+add chains, measured): ` +
      `${f1(r.peak[1].total)} GFLOP/s on 1 thread, ${f1(r.peak[2].total)} on 2. ` +
      'The WebAssembly ratio is the median, over the alternating rounds, of onnxruntime-web\'s time over ours in the same round; ' +
      'the native ratio compares medians (our native tool and onnxruntime-node run one after the other).',
    '',
    '## Targets',
    '',
    targetsTable(r),
    '',
    '## WebAssembly (Node, threaded build), GFLOP/s',
    '',
    'Weights passed with every call: ours `deformConv2d`, onnxruntime-web with W and B as graph inputs. ' +
      'Both copy the weights in and pack them at every call.',
    '',
    wasmTable(r),
    '',
    '## WebAssembly with constant weights, GFLOP/s',
    '',
    'A model\'s layer run on many inputs: ours a prepared layer (`prepareDeformConv2d`: weights copied and packed once), ' +
      'onnxruntime-web a model holding W and B as initializers; same shapes, same tensors, same process, timed in alternation.',
    '',
    preparedTable(r),
    '',
    '## WebAssembly with relaxed SIMD (Node.js 26), GFLOP/s',
    '',
    relaxedPeakLine(r) + 'Ours with relaxed SIMD (the GEMM micro-kernel on fused multiply-adds), ours plain and onnxruntime-web, ' +
      'the threaded builds, weights passed with every call, and ours with relaxed SIMD as a prepared layer (weights copied and packed once), ' +
      'in one process and timed in alternation; relaxed/plain is the median of the per-round ratios. Node.js 20, which runs the tables above, ' +
      'rejects relaxed SIMD.',
    '',
    relaxedTable(r),
    '',
    ...(r.browser ? [
      '## WebAssembly in Chromium (the benchmark page), GFLOP/s',
      '',
      `${browserLine(r)} Same shapes, inputs and ONNX models as the Node rows; agreement to 1e-4 checked in the page before timing; ` +
        'the ratio is onnxruntime-web\'s time over ours in the same round, median over the rounds (the middle half of the rounds in brackets). ' +
        'Node ratios from the tables above, for comparison.',
      '',
      browserTable(r),
      '',
    ] : []),
    '## Native (xsimd), GFLOP/s',
    '',
    nativeTable(r),
    '',
    ...(r.models ? ['## Whole models (deformconv-wasm/onnx)', '', modelsSection(r), ''] : []),
    '## Memory and cost',
    '',
    memorySection(r),
    '',
    '## Shapes',
    '',
    ...r.shapes.map((s) => `- \`${s.name}\`: ${s.what}${s.gemmHeavy ? '' : ' (not GEMM-heavy)'}`),
    '',
    ...(r.notes && r.notes.length ? ['## Notes', '', ...r.notes.map((n) => `- ${n}`), ''] : []),
    ...(r.limits ? ['## Notes: the two weight rows, what limits the targets, spread over runs', '', r.limits, ''] : []),
  ].join('\n');
}
