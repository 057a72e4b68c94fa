// Conversion between torchvision's offset/mask layout and MindSpore's offsets layout (docs/semantics.md).
// Pure functions on NCHW tensors; copies only, so a round trip is exact.
//   torchvision offset (N, 2·G·K, Ho, Wo): channel 2·(g·K + t) = dy, 2·(g·K + t) + 1 = dx;  mask (N, G·K, Ho, Wo)
//   MindSpore offsets (N, 3·G·K, Ho, Wo): channel b·G·K + g·K + t, b = 0 dx, 1 dy, 2 mask        (K = kh·kw)
import { checkElementCount, intList, tensorArg } from './tensors.js';

function taps(kernelSize) {
  const k = intList(kernelSize, 'kernelSize');
  const [kh, kw] = k.length === 1 ? [k[0], k[0]] : k;
  if (k.length > 2 || !(kh >= 1 && kw >= 1)) {
    throw new RangeError(`kernelSize must be a positive integer or [kh, kw] of positive integers, got [${k.join(', ')}]`);
  }
  return kh * kw;
}

// As the core's validator: a batch of 0 images converts to an empty tensor; channels, Ho and Wo are at least 1.
const DIMS = [['N', 0], ['channels', 1], ['Ho', 1], ['Wo', 1]];

function check4d(t, name, meaning) {
  if (t.shape.length !== 4) {
    throw new RangeError(`${name} must be a 4-D tensor ${meaning}, got shape [${t.shape.join(', ')}]`);
  }
  DIMS.forEach(([dim, min], i) => {
    if (t.shape[i] < min) {
      throw new RangeError(`${name}: ${dim} (shape[${i}]) must be between ${min} and 2147483647, got shape [${t.shape.join(', ')}]`);
    }
  });
  checkElementCount(t, name);
}

/** torchvision (offset, mask or null) -> MindSpore offsets. A null mask is a mask of ones. */
export function toMindSpore(offset, mask, kernelSize) {
  const K = taps(kernelSize);
  const off = tensorArg(offset, 'offset');
  check4d(off, 'offset', '(N, 2·G·kh·kw, Ho, Wo)');
  const [N, C2, Ho, Wo] = off.shape;
  if (C2 === 0 || C2 % (2 * K) !== 0) {
    throw new RangeError(`offset: shape[1] = ${C2} must be a positive multiple of 2·kh·kw = ${2 * K}`);
  }
  const GK = C2 / 2;
  const m = tensorArg(mask, 'mask', { optional: true });
  if (m) {
    check4d(m, 'mask', '(N, G·kh·kw, Ho, Wo)');
    const want = [N, GK, Ho, Wo];
    if (m.shape.some((d, i) => d !== want[i])) {
      throw new RangeError(`mask must have shape [${want.join(', ')}] to match offset, got [${m.shape.join(', ')}]`);
    }
  }
  const P = Ho * Wo;
  const out = new Float32Array(N * 3 * GK * P);
  for (let n = 0; n < N; n++) {
    const src = n * 2 * GK * P, dst = n * 3 * GK * P;
    for (let c = 0; c < GK; c++) {
      out.set(off.data.subarray(src + (2 * c + 1) * P, src + (2 * c + 2) * P), dst + c * P);          // dx
      out.set(off.data.subarray(src + 2 * c * P, src + (2 * c + 1) * P), dst + (GK + c) * P);         // dy
      if (m) out.set(m.data.subarray((n * GK + c) * P, (n * GK + c + 1) * P), dst + (2 * GK + c) * P); // mask
      else out.fill(1, dst + (2 * GK + c) * P, dst + (2 * GK + c + 1) * P);
    }
  }
  return { data: out, shape: [N, 3 * GK, Ho, Wo] };
}

/** MindSpore offsets -> { offset, mask } in torchvision's layout. */
export function fromMindSpore(offsets, kernelSize) {
  const K = taps(kernelSize);
  const ms = tensorArg(offsets, 'offsets');
  check4d(ms, 'offsets', '(N, 3·G·kh·kw, Ho, Wo)');
  const [N, C3, Ho, Wo] = ms.shape;
  if (C3 === 0 || C3 % (3 * K) !== 0) {
    throw new RangeError(`offsets: shape[1] = ${C3} must be a positive multiple of 3·kh·kw = ${3 * K}`);
  }
  const GK = C3 / 3, P = Ho * Wo;
  const offset = new Float32Array(N * 2 * GK * P), mask = new Float32Array(N * GK * P);
  for (let n = 0; n < N; n++) {
    const src = n * 3 * GK * P, dst = n * 2 * GK * P;
    for (let c = 0; c < GK; c++) {
      offset.set(ms.data.subarray(src + (GK + c) * P, src + (GK + c + 1) * P), dst + 2 * c * P);    // dy
      offset.set(ms.data.subarray(src + c * P, src + (c + 1) * P), dst + (2 * c + 1) * P);          // dx
      mask.set(ms.data.subarray(src + (2 * GK + c) * P, src + (2 * GK + c + 1) * P), (n * GK + c) * P);
    }
  }
  return { offset: { data: offset, shape: [N, 2 * GK, Ho, Wo] }, mask: { data: mask, shape: [N, GK, Ho, Wo] } };
}

export const layouts = Object.freeze({ toMindSpore, fromMindSpore });
