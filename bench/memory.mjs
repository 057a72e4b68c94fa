// Memory and cost curves, in a fresh process with our threaded build at 2 threads:
//   node bench/memory.mjs OUT.json
// 1. The 1x64x512x512 layer: the extra WebAssembly memory of a call beyond its inputs, output and packed
//    weights, as measured (the core's peak workspace bytes minus the packed weights, plus the copy-in's staging
//    block), the same for growing images (it must not grow with them), and the WebAssembly memory size
//    before and after the call.
// 2. Cost curves: best time against output pixels (C_in = C_out = 64) and against C_in*C_out (32x32 pixels),
//    each with a least-squares line (intercept, slope) and its R^2.
import { writeFileSync } from 'node:fs';

import { makeTensors } from './data.mjs';
import { fitLine } from './fit-line.mjs';
import { createOurs } from './ours-wasm.mjs';
import { MEMORY_SHAPE, flops, tensorShapes } from './shapes.mjs';
import { timeAlternating } from './timing.mjs';

const outFile = process.argv[2];
const THREADS = 2;
const log = (msg) => process.stderr.write(`  [memory] ${msg}\n`);
const bytesOf = (shape) => 4 * shape.reduce((a, b) => a * b, 1);

async function memoryOf(ours, s) {
  const t = makeTensors(s);
  const heapBefore = ours.heapBytes();
  await ours.run(t, s);
  const m = ours.lastMemory();
  const shapes = tensorShapes(s);
  const packed = m.packedWeightBytes;
  return {
    shape: s.name, pixels: s.H * s.W,
    tensorBytes: ['input', 'weight', 'offset', 'mask', 'bias', 'output'].reduce((a, k) => a + bytesOf(shapes[k]), 0),
    packedWeightBytes: packed,
    workspacePeakBytes: m.workspacePeakBytes,
    stagingBytes: m.stagingBytes,
    extraBytes: m.workspacePeakBytes - packed + m.stagingBytes,
    heapBefore, heapAfter: ours.heapBytes(),
  };
}

async function timeOf(ours, s) {
  const t = makeTensors(s);
  const r = await timeAlternating({ ours: () => ours.run(t, s) }, { seconds: 0.6, minRuns: 6, maxRuns: 30 });
  // The best time: a cost model wants the work's own time, and the best call is the one the machine
  // disturbed least.
  return r.ours.minMs;
}

if (!outFile) throw new Error('usage: node bench/memory.mjs OUT.json');
{
  const ours = await createOurs(THREADS);
  const images = [];
  for (const size of [64, 128, 256]) images.push(await memoryOf(ours, { ...MEMORY_SHAPE, name: `64c_${size}px`, H: size, W: size }));
  const big = await memoryOf(ours, MEMORY_SHAPE);
  images.push(big);
  log(`${MEMORY_SHAPE.what}: extra ${(big.extraBytes / 2 ** 20).toFixed(2)} MiB (workspace ${(big.workspacePeakBytes / 2 ** 20).toFixed(2)} MiB ` +
    `incl. packed weights ${(big.packedWeightBytes / 2 ** 20).toFixed(2)} MiB, staging ${(big.stagingBytes / 2 ** 20).toFixed(2)} MiB); ` +
    `WebAssembly memory ${(big.heapBefore / 2 ** 20).toFixed(0)} -> ${(big.heapAfter / 2 ** 20).toFixed(0)} MiB for ${(big.tensorBytes / 2 ** 20).toFixed(0)} MiB of tensors`);
  const bigMs = await timeOf(ours, MEMORY_SHAPE);
  log(`${MEMORY_SHAPE.what}: ${bigMs.toFixed(0)} ms (${(flops(MEMORY_SHAPE) / bigMs / 1e6).toFixed(1)} GFLOP/s)`);

  const base = { N: 1, C: 64, Cout: 64, H: 32, W: 32, k: 3, stride: 1, pad: 1, dilation: 1, groups: 1, offsetGroups: 1 };
  const pixelsCurve = [];
  for (const size of [16, 32, 64, 128, 192]) {
    const s = { ...base, name: `px${size}`, H: size, W: size };
    pixelsCurve.push({ x: size * size, ms: await timeOf(ours, s), gflops: 0 });
    pixelsCurve.at(-1).gflops = flops(s) / pixelsCurve.at(-1).ms / 1e6;
  }
  const channelsCurve = [];
  for (const c of [16, 32, 64, 128, 256]) {
    const s = { ...base, name: `ch${c}`, C: c, Cout: c };
    channelsCurve.push({ x: c * c, ms: await timeOf(ours, s), gflops: 0 });
    channelsCurve.at(-1).gflops = flops(s) / channelsCurve.at(-1).ms / 1e6;
  }
  const fitP = fitLine(pixelsCurve.map((p) => p.x), pixelsCurve.map((p) => p.ms));
  const fitC = fitLine(channelsCurve.map((p) => p.x), channelsCurve.map((p) => p.ms));
  log(`time vs output pixels (64->64 channels): R^2 ${fitP.r2.toFixed(4)}, ${(fitP.slope * 1e3).toFixed(2)} us per pixel`);
  log(`time vs C_in*C_out (32x32 pixels): R^2 ${fitC.r2.toFixed(4)}, ${(fitC.slope * 1e3).toFixed(3)} us per unit`);
  ours.dispose();
  writeFileSync(outFile, JSON.stringify({
    threads: THREADS, images, big: { ...big, ms: bigMs, gflops: flops(MEMORY_SHAPE) / bigMs / 1e6 },
    curves: { pixels: { points: pixelsCurve, fit: fitP }, channels: { points: channelsCurve, fit: fitC } },
  }, null, 1));
  process.exit(0);
}
