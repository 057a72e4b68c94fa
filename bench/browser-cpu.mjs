// Where one thread's time goes, in Node 20 and in Chromium: CPU time per call of our forward pass (SIMD build),
// onnxruntime-web's (1 thread) and the WebAssembly mul+add peak loop (bench/peak.mjs), the two engines measured
// in turns. CPU time comes from Linux's per-thread schedstat (/proc/<pid>/task/<tid>/schedstat: nanoseconds on a
// CPU), summed over this process's threads in Node and over all of Chromium's processes in the browser; unlike
// wall time, other processes on a shared machine barely move it, so a busy machine still gives a clean
// comparison of the code the two engines run. Chromium runs the calls on the benchmark page's main thread
// (web/bench-runner.js's loadLibraries and shapeCalls: the same calls the page times), served without isolation.
//
//   node bench/browser-cpu.mjs [--only a,b] [--reps N] [--calls K] [--json OUT.json] [--relaxed-simd auto|false]
// prints a Markdown table: CPU ms per call, median over the reps (range in brackets), and the ratios, and which
// of our builds ran in each engine. In Chromium the loader picks our build as for any page (its relaxed-SIMD
// form where the package has one and the engine takes it); --relaxed-simd passes createDeformConv's
// relaxedSimd option there (false: the plain build, as Node 20 runs), for packages that have the option.
// Linux only. Used to find out why onnxruntime-web gains in Chromium and we do not (docs/browser-performance.md).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { startDemoServer } from '../scripts/serve.mjs';
import { createOrtWebSession, setOrtWebThreads } from './ort-web.mjs';
import { createOurs } from './ours-wasm.mjs';
import { makeTensors } from './data.mjs';
import { peakModuleBytes } from './peak.mjs';
import { SHAPES, flops } from './shapes.mjs';
import { median } from './timing.mjs';

const { launchChromium } = createRequire(import.meta.url)('../tests/browser/chromium.js');

const PEAK_ITERATIONS = 1e7; // of the peak loop (12 chains x 4 lanes x 2 flops each): about 25 ms, so that the page.evaluate around it weighs little
const PEAK_GFLOP = (PEAK_ITERATIONS * 96) / 1e9;

/** Nanoseconds on a CPU of every thread of these processes. */
function cpuNanoseconds(pids) {
  let total = 0;
  for (const pid of pids) {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // ended
    }
    for (const tid of tasks) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return total;
}

function descendants(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // ended
    }
  }
  const out = [], pending = [root];
  while (pending.length) {
    for (const child of children.get(pending.pop()) || []) {
      out.push(child);
      pending.push(child);
    }
  }
  return out;
}

/** The Node side: ours (SIMD build, 1 thread) and onnxruntime-web (1 thread) in this process. */
async function nodeEngine() {
  setOrtWebThreads(1);
  const ours = await createOurs(1, { wasmBuild: 'simd' });
  const peak = new WebAssembly.Instance(new WebAssembly.Module(peakModuleBytes())).exports.peak;
  let calls = null;
  return {
    info: ours.info,
    pids: () => [process.pid],
    async setup(s) {
      if (calls) await calls.release();
      const t = makeTensors(s);
      const session = await createOrtWebSession(s);
      calls = { ours: () => ours.run(t, s), ortWeb: () => session.run(t), release: () => session.release() };
    },
    async run(which, k) {
      for (let i = 0; i < k; i++) await (which === 'peak' ? peak(PEAK_ITERATIONS) : calls[which]());
    },
    async close() {
      if (calls) await calls.release();
      ours.dispose();
    },
  };
}

/** The Chromium side: the same calls on the benchmark page's main thread (not isolated: our SIMD build). */
async function chromiumEngine(ourOptions) {
  const server = await startDemoServer({ isolation: false });
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`${server.url}web/bench.html`);
  const info = await page.evaluate(async ([peakBytes, options]) => {
    const runner = await import(new URL('bench-runner.js', location.href).href);
    const { SHAPES: shapes } = await import(new URL('../bench/shapes.mjs', location.href).href);
    const peak = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(peakBytes))).exports.peak;
    window.cpuTool = { runner, shapes, peak, dc: await runner.loadLibraries(1, options), calls: null };
    return window.cpuTool.dc.info();
  }, [[...peakModuleBytes()], ourOptions]);
  return {
    info,
    pids: () => descendants(process.pid),
    setup: (s) => page.evaluate(async (name) => {
      const tool = window.cpuTool;
      if (tool.calls) await tool.calls.release();
      tool.calls = await tool.runner.shapeCalls(tool.dc, tool.shapes.find((x) => x.name === name));
    }, s.name),
    run: (which, k) => page.evaluate(async ([w, n, iterations]) => {
      const tool = window.cpuTool;
      for (let i = 0; i < n; i++) await (w === 'peak' ? tool.peak(iterations) : tool.calls[w]());
    }, [which, k, PEAK_ITERATIONS]),
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** CPU ms per call of ours, onnxruntime-web and the peak loop, per shape and engine: { peak, shapes }. */
export async function measureCpu({ shapes, reps = 6, calls = 3, ourOptions = {}, log = () => {} }) {
  const engines = { node: await nodeEngine(), chromium: await chromiumEngine(ourOptions) };
  const builds = Object.fromEntries(Object.entries(engines).map(([name, e]) => [name,
    `${e.info.wasmBuild} build, ${e.info.simdInstructions}${'relaxedSimd' in e.info ? `, relaxed SIMD ${e.info.relaxedSimd ? 'on' : 'off'}` : ''}`]));
  log(`ours: ${builds.node} in Node, ${builds.chromium} in Chromium`);
  const perCall = async (engine, which, k) => {
    await engine.run(which, 1);
    const pids = engine.pids();
    const before = cpuNanoseconds(pids);
    await engine.run(which, k);
    return (cpuNanoseconds(pids) - before) / 1e6 / k;
  };
  const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
  try {
    const peak = { node: [], chromium: [] };
    for (let r = 0; r < reps; r++) for (const [name, e] of Object.entries(engines)) peak[name].push(PEAK_GFLOP / (await perCall(e, 'peak', calls)) * 1e3);
    log(`peak loop: ${median(peak.node).toFixed(1)} GFLOP/s per CPU second in Node, ${median(peak.chromium).toFixed(1)} in Chromium`);
    const rows = [];
    for (const s of shapes) {
      for (const e of Object.values(engines)) {
        await e.setup(s);
        await e.run('ours', 2);
        await e.run('ortWeb', 2);
      }
      const ms = { node: { ours: [], ortWeb: [] }, chromium: { ours: [], ortWeb: [] } };
      for (let r = 0; r < reps; r++) {
        for (const [name, e] of Object.entries(engines)) {
          for (const which of r % 2 ? ['ortWeb', 'ours'] : ['ours', 'ortWeb']) ms[name][which].push(await perCall(e, which, calls));
        }
      }
      const row = { name: s.name, gflop: flops(s) / 1e9 };
      for (const name of Object.keys(ms)) row[name] = { ours: summary(ms[name].ours), ortWeb: summary(ms[name].ortWeb) };
      rows.push(row);
      log(`${s.name}: ours ${row.node.ours.median.toFixed(2)} / ${row.chromium.ours.median.toFixed(2)} ms, onnxruntime-web ${row.node.ortWeb.median.toFixed(2)} / ${row.chromium.ortWeb.median.toFixed(2)} ms of CPU (Node / Chromium)`);
    }
    return { builds, peak: { node: summary(peak.node), chromium: summary(peak.chromium) }, shapes: rows };
  } finally {
    for (const e of Object.values(engines)) await e.close();
  }
}

/** The Markdown table of measureCpu()'s result. */
export function cpuTable(r) {
  const cell = (x) => `${x.median.toFixed(2)} [${x.min.toFixed(2)}-${x.max.toFixed(2)}]`;
  const change = (a, b) => `${b.median >= a.median ? '+' : ''}${((b.median / a.median - 1) * 100).toFixed(0)}%`;
  const lines = [
    `ours: ${r.builds.node} in Node, ${r.builds.chromium} in Chromium`,
    '',
    `mul+add peak loop, GFLOP/s per CPU second: Node ${r.peak.node.median.toFixed(1)}, Chromium ${r.peak.chromium.median.toFixed(1)}`,
    '',
    '| shape | ours, Node | ours, Chromium | change | onnxruntime-web, Node | onnxruntime-web, Chromium | change | ratio Node | ratio Chromium |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.shapes) {
    lines.push(`| ${s.name} | ${cell(s.node.ours)} | ${cell(s.chromium.ours)} | ${change(s.node.ours, s.chromium.ours)} | ` +
      `${cell(s.node.ortWeb)} | ${cell(s.chromium.ortWeb)} | ${change(s.node.ortWeb, s.chromium.ortWeb)} | ` +
      `${(s.node.ortWeb.median / s.node.ours.median).toFixed(2)}x | ${(s.chromium.ortWeb.median / s.chromium.ours.median).toFixed(2)}x |`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const only = option('--only') ? option('--only').split(',') : ['s1_64c_64px', 'batch2_stride2_96c_56px', 'og8_512c_14px', 'r50_c5_512c_16px'];
  const unknown = only.filter((name) => !SHAPES.some((s) => s.name === name));
  if (unknown.length) throw new RangeError(`unknown shape ${unknown.join(', ')}`);
  const relaxed = option('--relaxed-simd');
  if (relaxed !== undefined && !['auto', 'false'].includes(relaxed)) throw new RangeError(`--relaxed-simd must be auto or false, got ${relaxed}`);
  const result = await measureCpu({
    shapes: SHAPES.filter((s) => only.includes(s.name)), reps: Number(option('--reps') || 6), calls: Number(option('--calls') || 3),
    ourOptions: relaxed === undefined ? {} : { relaxedSimd: relaxed === 'auto' ? 'auto' : false },
    log: (m) => process.stderr.write(`  [cpu] ${m}\n`),
  });
  if (option('--json')) writeFileSync(option('--json'), `${JSON.stringify(result, null, 1)}\n`);
  process.stdout.write(`CPU ms per call, one thread (median over the rounds, range in brackets):\n\n${cpuTable(result)}\n`);
  process.exit(0);
}
