// WebGPU rows of the benchmark: the forward and backward pass of each benchmark layer on the WebGPU backend
// (through the public API, as a user calls it: arguments checked by the core, tensors uploaded, kernels run,
// results read back), beside the threaded WebAssembly build on the same layers in the same process.
//
//   node bench/webgpu.mjs [--seconds S] [--out FILE.json] [--only NAME,...]
//
// WebGPU comes from the npm package `webgpu` (Dawn). Without a GPU that is SwiftShader, a CPU emulation of
// Vulkan (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json from Debian's chromium package): its
// numbers only show that the path runs end to end, they say nothing about a GPU. On a machine with a GPU,
// set VK_ICD_FILENAMES to its Vulkan driver (or leave it unset) to measure Dawn on that GPU.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The benchmark layers (DCNv2 with a bias, NCHW, torchvision layout), as in bench/shapes.mjs. */
export const SHAPES = [
  { name: 's1_64c_64px', N: 1, C: 64, H: 64, W: 64, Cout: 64, k: 3, stride: 1, pad: 1, groups: 1, offsetGroups: 1 },
  { name: 's2_128c_32px', N: 1, C: 128, H: 32, W: 32, Cout: 128, k: 3, stride: 1, pad: 1, groups: 1, offsetGroups: 1 },
  { name: 's3_256c_28px_g4', N: 1, C: 256, H: 28, W: 28, Cout: 256, k: 3, stride: 1, pad: 1, groups: 1, offsetGroups: 4 },
  { name: 'batch4_64c_32px', N: 4, C: 64, H: 32, W: 32, Cout: 64, k: 3, stride: 1, pad: 1, groups: 1, offsetGroups: 1 },
  { name: 'stride2_128c_64px', N: 1, C: 128, H: 64, W: 64, Cout: 128, k: 3, stride: 2, pad: 1, groups: 1, offsetGroups: 1 },
  { name: 'depthwise_64c_64px', N: 1, C: 64, H: 64, W: 64, Cout: 64, k: 3, stride: 1, pad: 1, groups: 64, offsetGroups: 1 },
  { name: 'k5_64c_32px', N: 1, C: 64, H: 32, W: 32, Cout: 64, k: 5, stride: 1, pad: 2, groups: 1, offsetGroups: 1 },
  { name: 'r50_c5_512c_16px', N: 1, C: 512, H: 16, W: 16, Cout: 512, k: 3, stride: 1, pad: 1, groups: 1, offsetGroups: 1 },
];

const outSize = (s) => [Math.floor((s.H + 2 * s.pad - s.k) / s.stride) + 1, Math.floor((s.W + 2 * s.pad - s.k) / s.stride) + 1];
/** 2·N·C_out·(C_in/groups)·kh·kw·Ho·Wo: the forward's FLOPs as usually counted (the backward does about twice). */
export const flops = (s) => 2 * s.N * s.Cout * (s.C / s.groups) * s.k * s.k * outSize(s)[0] * outSize(s)[1];

function random(seed) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Tensors of a layer: offsets up to ±2.5 pixels, mask in [0, 1]. */
export function tensorsOf(s, seed = 7) {
  const rand = random(seed), [Ho, Wo] = outSize(s), K = s.k * s.k;
  const t = (shape, scale = 1, shift = 0) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (rand() * 2 - 1) * scale + shift;
    return { data, shape };
  };
  return {
    input: t([s.N, s.C, s.H, s.W]),
    weight: t([s.Cout, s.C / s.groups, s.k, s.k], 1 / Math.sqrt((s.C / s.groups) * K)),
    offset: t([s.N, 2 * s.offsetGroups * K, Ho, Wo], 2.5),
    mask: t([s.N, s.offsetGroups * K, Ho, Wo], 0.5, 0.5),
    bias: t([s.Cout], 0.1),
    gradOutput: t([s.N, s.Cout, Ho, Wo]),
  };
}

/** Median milliseconds of fn after one warm-up call, over at least 3 runs or `seconds`. */
async function timeIt(fn, seconds) {
  await fn();
  const times = [];
  const end = performance.now() + seconds * 1000;
  while (times.length < 3 || (performance.now() < end && times.length < 50)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], runs: times.length };
}

/** Largest |a - b| / (1 + |b|). */
function disagreement(a, b) {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

/**
 * Times every shape on WebGPU and on the threaded WebAssembly build. Returns { machine, adapter, rows }, each
 * row { name, gflop, forward: { webgpu, wasm }, backward: { webgpu, wasm }, agreement }.
 */
export async function benchWebGpu({ shapes = SHAPES, seconds = 1, threads = 2, log = () => {} } = {}) {
  if (!process.env.VK_ICD_FILENAMES && !process.env.DCN_BENCH_SYSTEM_VULKAN) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  process.env.XDG_RUNTIME_DIR ||= '/tmp';
  const { create } = await import('webgpu');
  const { createDeformConv } = createRequire(import.meta.url)(join(ROOT, 'dist', 'index.cjs'));
  const gpu = create([]);
  const webgpu = await createDeformConv({ backend: 'webgpu', gpu });
  const wasm = await createDeformConv({ backend: 'wasm', wasmBuild: 'threads', threads });
  const adapter = webgpu.info().webgpu;
  log(`WebGPU adapter: ${adapter.adapter}${adapter.isFallbackAdapter ? ' (fallback adapter: a software emulation, not a GPU)' : ''}`);
  const rows = [];
  try {
    for (const s of shapes) {
      const t = tensorsOf(s);
      const options = { bias: t.bias, mask: t.mask, stride: s.stride, padding: s.pad };
      const forward = (dc) => () => dc.deformConv2d(t.input, t.offset, t.weight, options);
      const backward = (dc) => () => dc.deformConv2dBackward(t.gradOutput, t.input, t.offset, t.weight, options);
      const yGpu = await forward(webgpu)(), yWasm = await forward(wasm)();
      const gGpu = await backward(webgpu)(), gWasm = await backward(wasm)();
      const agreement = {
        output: disagreement(yGpu.data, yWasm.data),
        gradInput: disagreement(gGpu.gradInput.data, gWasm.gradInput.data),
        gradOffset: disagreement(gGpu.gradOffset.data, gWasm.gradOffset.data),
        gradWeight: disagreement(gGpu.gradWeight.data, gWasm.gradWeight.data),
      };
      const row = {
        name: s.name, gflop: flops(s) / 1e9, agreement,
        forward: { webgpu: await timeIt(forward(webgpu), seconds), wasm: await timeIt(forward(wasm), seconds) },
        backward: { webgpu: await timeIt(backward(webgpu), seconds), wasm: await timeIt(backward(wasm), seconds) },
      };
      rows.push(row);
      log(`${s.name}: forward WebGPU ${row.forward.webgpu.medianMs.toFixed(1)} ms, WASM ${row.forward.wasm.medianMs.toFixed(1)} ms; ` +
        `backward WebGPU ${row.backward.webgpu.medianMs.toFixed(1)} ms, WASM ${row.backward.wasm.medianMs.toFixed(1)} ms`);
    }
  } finally {
    webgpu.dispose();
    wasm.dispose();
  }
  const machine = { cpu: os.cpus()[0].model.trim(), cores: os.cpus().length, node: process.versions.node, load: os.loadavg() };
  return { date: new Date().toISOString().slice(0, 10), machine, threads, adapter, rows };
}

/** Markdown table of the rows (GFLOP/s = forward FLOPs / time; the backward row uses 2x the forward's). */
export function webgpuTable(result) {
  const rate = (gflop, ms) => (gflop / ms * 1e3).toFixed(1);
  const lines = [
    `| layer | GFLOP | forward WebGPU ms (GFLOP/s) | forward WASM ${result.threads} threads ms (GFLOP/s) | backward WebGPU ms | backward WASM ${result.threads} threads ms | max difference |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of result.rows) {
    const f = r.forward, b = r.backward;
    const worst = Math.max(...Object.values(r.agreement));
    lines.push(`| ${r.name} | ${r.gflop.toFixed(2)} | ${f.webgpu.medianMs.toFixed(1)} (${rate(r.gflop, f.webgpu.medianMs)}) | ` +
      `${f.wasm.medianMs.toFixed(1)} (${rate(r.gflop, f.wasm.medianMs)}) | ${b.webgpu.medianMs.toFixed(1)} | ${b.wasm.medianMs.toFixed(1)} | ${worst.toExponential(1)} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const value = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const only = value('--only');
  const shapes = only ? SHAPES.filter((s) => only.split(',').includes(s.name)) : SHAPES;
  const log = (m) => process.stderr.write(`${m}\n`);
  const result = await benchWebGpu({ shapes, seconds: Number(value('--seconds') || 1), log });
  const out = value('--out') || join(ROOT, 'bench', 'webgpu-results.json');
  writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
  const software = result.adapter.isFallbackAdapter;
  process.stdout.write(`\nWebGPU on ${result.adapter.adapter}${software ? ' (SwiftShader: a CPU emulation, a smoke figure only, not GPU speed)' : ''}; ` +
    `${result.machine.cpu}, ${result.machine.cores} cores, load ${result.machine.load[0].toFixed(2)}\n\n${webgpuTable(result)}\n`);
  log(`written: ${out}`);
  process.exit(0);
}
