// The main job of `npm start`: load deformconv-wasm in Node, print what it runs on, and run one realistic
// deformable layer (a DCNv2 3x3 layer as in a ResNet detector's later stages) in both conventions.
import { createDeformConv, layouts } from '../dist/index.mjs';

// A small seeded generator, so every run computes the same numbers.
function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
function tensor(shape, rand, scale = 1, shift = 0) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (rand() * 2 - 1) * scale + shift;
  return { data, shape };
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
async function time(fn, runs = 5) {
  await fn(); // warm-up
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const [N, C, H, W, K, G] = [1, 128, 64, 64, 3, 1];
const rand = random(2026);
const input = tensor([N, C, H, W], rand);
const weight = tensor([C, C, K, K], rand, 1 / Math.sqrt(C * K * K));
const bias = tensor([C], rand, 0.1);
const offset = tensor([N, 2 * G * K * K, H, W], rand, 2.5);  // offsets up to ±2.5 pixels
const mask = tensor([N, G * K * K, H, W], rand, 0.5, 0.5);   // modulation in [0, 1]

const dc = await createDeformConv();
console.log('deformconv-wasm', JSON.stringify(dc.info(), null, 2));
const flops = 2 * N * C * C * K * K * H * W;
console.log(`layer: input ${input.shape.join('x')}, weight ${weight.shape.join('x')}, padding 1, mask and bias (${(flops / 1e9).toFixed(2)} GFLOP)`);

const torchvisionArgs = [input, offset, weight, { bias, mask, padding: 1 }];
const y1 = await dc.deformConv2d(...torchvisionArgs);
const msOffsets = layouts.toMindSpore(offset, mask, [K, K]);
const mindsporeArgs = [input, weight, msOffsets, [K, K], [1, 1, 1, 1], [1, 1, 1, 1], { bias, deformableGroups: G }];
const y2 = await dc.deformableConv2d(...mindsporeArgs);

let maxDiff = 0;
for (let i = 0; i < y1.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(y1.data[i] - y2.data[i]));
console.log(`output ${y1.shape.join('x')}; torchvision and MindSpore layouts agree: max |difference| = ${maxDiff}`);

const t1 = await time(() => dc.deformConv2d(...torchvisionArgs));
const t2 = await time(() => dc.deformableConv2d(...mindsporeArgs));
console.log(`deformConv2d     (torchvision layout): ${t1.toFixed(1)} ms, ${(flops / t1 / 1e6).toFixed(1)} GFLOP/s (median of 5)`);
console.log(`deformableConv2d (MindSpore layout):   ${t2.toFixed(1)} ms, ${(flops / t2 / 1e6).toFixed(1)} GFLOP/s (median of 5)`);

// The same layer prepared once and run on many inputs, as a model runs it: the weights are copied and
// packed at the first call only.
const layer = await dc.prepareDeformConv2d(weight, { bias, padding: 1 });
const y3 = await layer.forward(input, offset, { mask });
const same = y3.data.every((v, i) => Object.is(v, y1.data[i]));
const t3 = await time(() => layer.forward(input, offset, { mask }));
console.log(`prepared layer   (torchvision layout): ${t3.toFixed(1)} ms, ${(flops / t3 / 1e6).toFixed(1)} GFLOP/s (median of 5); ` +
  `output ${same ? 'identical to' : 'DIFFERENT from'} deformConv2d's`);
layer.dispose();
dc.dispose();
if (maxDiff !== 0 || !same) process.exitCode = 1;
