// `npm run bench` (after scripts/bench.sh has built everything): the whole benchmark.
//   1. WebAssembly, one child process per thread count (compare-wasm.mjs): the WASM SIMD peak, then per
//      shape ours vs onnxruntime-web, checked to agree, timed in alternation; then the same in Node.js 26
//      (compare-relaxed.mjs): both peaks (mul+add, relaxed_madd), ours relaxed vs ours plain vs
//      onnxruntime-web;
//   2. native (compare-native.mjs): our native build vs onnxruntime-node, checked, timed;
//   3. memory and cost curves in a fresh process (memory.mjs), then whole models through deformconv-wasm/onnx
//      against onnxruntime-web, one process per thread count (models.mjs);
//   4. the benchmark page (web/bench.html) in headless Chromium (browser.mjs): ours vs onnxruntime-web in the
//      page, cross-origin isolated with 2 threads and not isolated with 1;
//   5. bench/results.json, bench/RESULTS.md (tables), bench/chart.svg, and the README's performance section.
// Options: --seconds S (time budget per implementation and shape, default 1.5), --no-readme, --no-browser, --report-only
// (no measuring: writes RESULTS.md, chart.svg and the README section again from bench/results.json, e.g.
// after editing bench/NOTES.md).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { browserResults, runBrowserModes } from './browser.mjs';
import { compareNative } from './compare-native.mjs';
import { ortNodeVersion } from './ort-node.mjs';
import { BENCH_DIR, NODE26, ROOT, WORK_DIR } from './paths.mjs';
import { browserLine, browserTable, markdownReport, machineLine, preparedTable, relaxedTable, targetsTable, wasmTable } from './report-table.mjs';
import { svgChart } from './report-svg.mjs';
import { withBenchSection } from './readme-section.mjs';
import { MEMORY_SHAPE, SHAPES, flops, isLarge } from './shapes.mjs';
import { evaluateTargets } from './targets.mjs';
import { modelTargets } from './models-report.mjs';

const args = process.argv.slice(2);
const seconds = args.includes('--seconds') ? Number(args[args.indexOf('--seconds') + 1]) : 1.5;
const writeReadme = !args.includes('--no-readme');
const reportOnly = args.includes('--report-only');
const withBrowser = !args.includes('--no-browser');
const log = (msg) => process.stderr.write(`${msg}\n`);
const started = Date.now();

function child(script, extra, node = process.execPath) {
  const out = join(WORK_DIR, `${script.replace('.mjs', '')}-${extra.join('-')}.json`);
  execFileSync(node, [join(BENCH_DIR, script), ...extra.slice(0, 1), out, ...extra.slice(1)], { stdio: ['ignore', 'inherit', 'inherit'] });
  return JSON.parse(readFileSync(out, 'utf8'));
}

async function measure() {
  mkdirSync(WORK_DIR, { recursive: true });
  const machine = {
    cpu: os.cpus()[0].model.trim(), cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`, node: process.versions.node, loadBefore: os.loadavg(),
  };
  log(`deformconv-wasm benchmark: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
  if (machine.loadBefore[0] > 0.5) log('warning: the machine is busy (load average above 0.5); timings will be noisy');

  log('1/4 WebAssembly: ours vs onnxruntime-web (one process per thread count)');
  const wasm = { 1: child('compare-wasm.mjs', ['1', String(seconds)]), 2: child('compare-wasm.mjs', ['2', String(seconds)]) };
  log('   relaxed SIMD in Node.js 26: ours relaxed vs ours plain vs onnxruntime-web');
  const relaxed = { 1: child('compare-relaxed.mjs', ['1', String(seconds)], NODE26), 2: child('compare-relaxed.mjs', ['2', String(seconds)], NODE26) };
  log('2/4 native: ours vs onnxruntime-node');
  const native = await compareNative({ seconds: Math.min(seconds, 1), log: (m) => log(`  [native] ${m}`) });
  log('3/4 memory and cost curves');
  const memory = child('memory.mjs', []);
  log('models: deformconv-wasm/onnx vs onnxruntime-web on whole models (one process per thread count)');
  const models = { 1: child('models.mjs', ['1', String(seconds)]), 2: child('models.mjs', ['2', String(seconds)]) };
  log(`4/4 Chromium: the benchmark page${withBrowser ? '' : ' (skipped: --no-browser)'}`);
  const browser = withBrowser ? browserResults(await runBrowserModes({ seconds, log: (m) => log(`  [browser] ${m}`) })) : undefined;

  const gflops = (s, ms) => flops(s) / ms / 1e6;
  const withRate = (s, t) => ({ ...t, gflops: gflops(s, t.medianMs) });
  const shapes = SHAPES.map((s, i) => {
    const entry = {
      name: s.name, what: s.what, gflop: flops(s) / 1e9, gemmHeavy: s.gemmHeavy, large: isLarge(s),
      layer: { N: s.N, C: s.C, H: s.H, W: s.W, Cout: s.Cout, k: s.k, stride: s.stride, pad: s.pad, dilation: s.dilation, groups: s.groups, offsetGroups: s.offsetGroups },
      wasm: {}, native: {},
    };
    for (const T of [1, 2]) {
      const w = wasm[T].shapes[i];
      const m = w.memory;
      entry.wasm[T] = {
        ours: withRate(s, w.ours), ortWeb: withRate(s, w.ortWeb), ratio: w.ratio,
        peakFraction: gflops(s, w.ours.medianMs) / wasm[T].peak.total, agreement: w.agreement,
        workspacePeakBytes: m.workspacePeakBytes, extraBytes: m.workspacePeakBytes - m.packedWeightBytes + m.stagingBytes,
        otherCores: w.otherCores, attempts: w.attempts,
        // Constant weights: our prepared layer vs onnxruntime-web with W and B as initializers.
        prepared: {
          ours: withRate(s, w.prepared.ours), ortWeb: withRate(s, w.prepared.ortWeb), ratio: w.prepared.ratio,
          peakFraction: gflops(s, w.prepared.ours.medianMs) / wasm[T].peak.total, agreement: w.prepared.agreement,
          otherCores: w.prepared.otherCores,
        },
      };
      const n = native.shapes[i][T];
      entry.native[T] = { ours: withRate(s, n.ours), ortNode: withRate(s, n.ortNode), ratio: n.ortNode.medianMs / n.ours.medianMs, agreement: n.agreement, otherCores: n.otherCores };
    }
    entry.relaxed = {};
    for (const T of [1, 2]) {
      const r = relaxed[T].shapes[i], peak = relaxed[T].peak;
      entry.relaxed[T] = {
        relaxed: withRate(s, r.relaxed), plain: withRate(s, r.plain), ortWeb: withRate(s, r.ortWeb), relaxedPrepared: withRate(s, r.relaxedPrepared),
        speedup: r.speedup, ratio: r.ratio,
        maddPeakFraction: gflops(s, r.relaxed.medianMs) / peak.madd.total, mulAddPeakFraction: gflops(s, r.relaxed.medianMs) / peak.mulAdd.total,
        preparedMaddPeakFraction: gflops(s, r.relaxedPrepared.medianMs) / peak.madd.total,
        agreement: r.agreement, otherCores: r.otherCores, attempts: r.attempts,
      };
    }
    entry.speedup = entry.wasm[1].ours.medianMs / entry.wasm[2].ours.medianMs;
    entry.preparedSpeedup = entry.wasm[1].prepared.ours.medianMs / entry.wasm[2].prepared.ours.medianMs;
    return entry;
  });

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const results = {
    date: new Date().toISOString().slice(0, 10),
    machine: { ...machine, loadAfter: os.loadavg() },
    seconds,
    versions: { ours: pkg.version, wasmSimd: wasm[1].oursInfo.simdInstructions, nativeSimd: native.simd, ortWeb: wasm[1].ortWebVersion, ortNode: ortNodeVersion() },
    peak: { 1: wasm[1].peak, 2: wasm[2].peak },
    relaxedPeak: { node: relaxed[1].node, 1: relaxed[1].peak, 2: relaxed[2].peak },
    shapes,
    memory: { shape: MEMORY_SHAPE.what, ...memory },
    browser,
    models,
    notes: [],
  };
  results.targets = [...evaluateTargets(results), ...modelTargets(results)];
  const others = shapes.flatMap((s) => [1, 2].flatMap((T) => [s.wasm[T].otherCores, s.wasm[T].prepared.otherCores, s.relaxed[T].otherCores, s.native[T].otherCores])).filter((x) => x !== null && x !== undefined);
  if (others.length) {
    const worst = Math.max(...others);
    results.machine.maxOtherCores = worst;
    results.notes.push(`Other processes used at most ${worst.toFixed(2)} cores during an accepted timing block ` +
      `(a block is repeated, after waiting for a quiet second, while they use more than 0.15; see bench/timing.mjs)` +
      (worst > 0.15 ? ': some blocks stayed busy after every retry and are noisier than the rest.' : '.'));
  }
  const printed = browser ? Object.values(browser.modes).flatMap((m) => m.problems.map((p) => `${m.what}: ${p}`)) : [];
  if (printed.length) results.notes.push(`The benchmark page printed on the console or failed a request: ${printed.join('; ')}.`);
  return results;
}

const results = reportOnly ? JSON.parse(readFileSync(join(BENCH_DIR, 'results.json'), 'utf8')) : await measure();

// What limits the targets that are not met: written by hand after a run (bench/NOTES.md), copied into the report.
const notesPath = join(BENCH_DIR, 'NOTES.md');
results.limits = existsSync(notesPath) ? readFileSync(notesPath, 'utf8').trim() : undefined;

writeFileSync(join(BENCH_DIR, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
writeFileSync(join(BENCH_DIR, 'RESULTS.md'), `${markdownReport(results)}\n`);
writeFileSync(join(BENCH_DIR, 'chart.svg'), svgChart(results));
if (writeReadme) {
  const readmePath = join(ROOT, 'README.md');
  const section = [
    '![GFLOP/s per shape and implementation](bench/chart.svg)',
    '',
    `Measured with \`npm run bench\` on ${machineLine(results)}. Full tables, native results, memory and cost curves: [bench/RESULTS.md](bench/RESULTS.md). ` +
      'Runs on this shared machine move by 10-30%: the spread over several runs, and what limits the targets near their thresholds, are in [bench/NOTES.md](bench/NOTES.md).',
    '',
    targetsTable(results),
    '',
    'WebAssembly (Node, threaded build), GFLOP/s, weights passed with every call (`deformConv2d`; onnxruntime-web: W and B graph inputs):',
    '',
    wasmTable(results),
    '',
    'Constant weights (a prepared layer, `prepareDeformConv2d`; onnxruntime-web: W and B initializers of the model):',
    '',
    preparedTable(results),
    '',
    'Relaxed SIMD (fused multiply-add) in Node.js 26, threaded builds: ours relaxed vs ours plain vs onnxruntime-web, weights passed with every call, and ours relaxed as a prepared layer, in one process; % of the measured `f32x4.relaxed_madd` and `f32x4` mul+add peaks:',
    '',
    relaxedTable(results),
    ...(results.browser ? ['', `In the browser, GFLOP/s. ${browserLine(results)}`, '', browserTable(results)] : []),
  ].join('\n');
  writeFileSync(readmePath, withBenchSection(readFileSync(readmePath, 'utf8'), section));
}

process.stdout.write(`\n${markdownReport(results)}\n`);
log(`benchmark done in ${((Date.now() - started) / 1000).toFixed(0)} s: bench/results.json, bench/RESULTS.md, bench/chart.svg${writeReadme ? ', README.md' : ''}`);
