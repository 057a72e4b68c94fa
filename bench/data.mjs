// Deterministic inputs for a benchmark shape: the same seed gives the same tensors in every process, so the
// WASM comparison (one child process per thread count), the native run and the agreement checks all see
// the same layer. Values as in a trained DCNv2 layer: input in [-1, 1], weights scaled by 1/sqrt(fan-in),
// offsets up to ±2.5 pixels (some samples fall outside the image), mask in [0, 1], small bias.
import { tensorShapes } from './shapes.mjs';

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function fill(shape, rand, scale, shift = 0) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (rand() * 2 - 1) * scale + shift;
  return { data, shape };
}

/** { input, weight, offset, mask, bias } as { data: Float32Array, shape } in NCHW (torchvision / ONNX layout). */
export function makeTensors(s, seed = 2026) {
  const rand = lcg(seed);
  const t = tensorShapes(s);
  const fanIn = (s.C / s.groups) * s.k * s.k;
  return {
    input: fill(t.input, rand, 1),
    weight: fill(t.weight, rand, 1 / Math.sqrt(fanIn)),
    offset: fill(t.offset, rand, 2.5),
    mask: fill(t.mask, rand, 0.5, 0.5),
    bias: fill(t.bias, rand, 0.1),
  };
}
