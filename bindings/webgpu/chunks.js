// Splitting a call so that every buffer fits the device's largest storage binding, and moving tensor slices
// between the caller's arrays and packed chunk buffers.
//
// A call has up to four dimensions that can be split: images (n), output pixels (p, flattened ho * Wo + wo),
// input channels (c) and output channels (co). Each buffer depends on some of them (the input on n and c,
// the offsets on n and p, the output on n, co and p, ...). planChunks() starts from the whole call and
// halves, for the first buffer that is still too large, the first dimension it depends on in the order
// n, p, co, c, until everything fits; a buffer that is too large with all its dimensions at 1 cannot be
// split and the call fails with GpuFailure('limit'). Splitting channels turns sums into partial sums that
// later chunks add to (Conv.accumulate); everything else is independent.
//
// Activation tensors are seen as (image, channel, pixel); their memory order follows the data format
// (NCHW: n, c, p; NHWC: n, p, c), and a chunk is packed in the same order, so one set of three strides
// addresses it in the shaders. A tensor is either in CPU memory (packed into chunks here) or GPU-resident, a
// caller's GPUBuffer (sliced on the GPU: context.js, tensorSlice); forEachRun describes the runs of both.
import { GpuFailure } from './device.js';

export const SPLIT_ORDER = ['n', 'p', 'co', 'c'];

/**
 * A Float32Array of `elements` zeros for a result (or a packed chunk). Running out of JavaScript memory is an
 * Error, as running out of WebAssembly memory is, not the RangeError V8 throws: the call was valid.
 */
export function newFloats(elements, what) {
  try {
    return new Float32Array(elements);
  } catch (e) {
    throw new Error(`out of memory: could not allocate ${4 * elements} bytes of JavaScript memory for ${what}: ${e && e.message}`);
  }
}

/**
 * An activation tensor with sizes (images, channels, pixels) in a data format. tensor: { data: Float32Array }
 * or a GPU-resident { gpuBuffer, name } (name: what the caller calls it, for messages).
 */
export function activation(tensor, images, channels, pixels, nhwc) {
  return { data: tensor.data, gpuBuffer: tensor.gpuBuffer, name: tensor.name, size: { n: images, c: channels, p: pixels }, nhwc };
}

/** Elements of the slice range = { n, c, p } ([start, end) each). */
export function sliceElements(range) {
  return (range.n[1] - range.n[0]) * (range.c[1] - range.c[0]) * (range.p[1] - range.p[0]);
}

/** True when the slice range is all of tensor t. */
export function isWhole(t, range) {
  return ['n', 'c', 'p'].every((axis) => range[axis][0] === 0 && range[axis][1] === t.size[axis]);
}

/** Element strides { n, c, p } of a packed chunk of `channels` x `pixels` per image. */
export function chunkStrides(nhwc, channels, pixels) {
  return nhwc ? { n: channels * pixels, c: 1, p: channels } : { n: channels * pixels, c: pixels, p: 1 };
}

/**
 * Calls run(source index, chunk index, length) for every contiguous run of the slice
 * range = { n: [start, end), c: [...], p: [...] } of tensor t, in chunk order.
 */
export function forEachRun(t, range, run) {
  const axes = t.nhwc ? ['n', 'p', 'c'] : ['n', 'c', 'p'];
  const size = axes.map((a) => t.size[a]);
  const start = axes.map((a) => range[a][0]);
  const count = axes.map((a) => range[a][1] - range[a][0]);
  const stride = [size[1] * size[2], size[2], 1];
  // Inner axes taken whole merge into one run.
  let length = count[2], depth = 2;
  if (count[2] === size[2]) {
    length *= count[1];
    depth = 1;
    if (count[1] === size[1]) {
      length *= count[0];
      depth = 0;
    }
  }
  if (length === 0) return;
  const base = start[0] * stride[0] + start[1] * stride[1] + start[2];
  let at = 0;
  if (depth === 0) {
    run(base, 0, length);
  } else if (depth === 1) {
    for (let i = 0; i < count[0]; i++, at += length) run(base + i * stride[0], at, length);
  } else {
    for (let i = 0; i < count[0]; i++) {
      for (let j = 0; j < count[1]; j++, at += length) run(base + i * stride[0] + j * stride[1], at, length);
    }
  }
}

/** The slice as one Float32Array: a view of the caller's data when it is contiguous there, else a copy. */
export function packSlice(t, range) {
  const elements = sliceElements(range);
  let single = null, runs = 0;
  forEachRun(t, range, (from, _to, length) => {
    runs += 1;
    single = [from, length];
  });
  if (runs === 1) return t.data.subarray(single[0], single[0] + single[1]);
  const out = newFloats(elements, 'a chunk of a tensor');
  forEachRun(t, range, (from, to, length) => out.set(t.data.subarray(from, from + length), to));
  return out;
}

/** Copies a packed chunk (Float32Array) into its place in tensor t. */
export function unpackSlice(t, range, chunk) {
  forEachRun(t, range, (to, from, length) => t.data.set(chunk.subarray(from, from + length), to));
}

/** Adds a packed chunk (Float32Array) to its place in tensor t (partial sums of a split dimension). */
export function addSlice(t, range, chunk) {
  forEachRun(t, range, (to, from, length) => {
    for (let i = 0; i < length; i++) t.data[to + i] += chunk[from + i];
  });
}

/**
 * Chunk extents { n, p, c, co } for a call of full extents `full`.
 * buffers: [{ name, dims: subset of SPLIT_ORDER, bytes(extents) }]; maxBytes: the largest buffer allowed;
 * caps: { dim: most per chunk } (dispatch limits).
 */
export function planChunks(full, buffers, maxBytes, caps = {}) {
  const extents = {};
  for (const dim of SPLIT_ORDER) extents[dim] = Math.max(1, Math.min(full[dim], caps[dim] || Infinity));
  for (;;) {
    const over = buffers.find((b) => b.bytes(extents) > maxBytes);
    if (!over) return extents;
    const dim = SPLIT_ORDER.find((d) => over.dims.includes(d) && extents[d] > 1);
    if (!dim) {
      throw new GpuFailure(`the ${over.name} buffer needs ${over.bytes(extents)} bytes even when the call is split ` +
        `as far as it can be, more than this device allows in one storage binding (${maxBytes} bytes)`, 'limit');
    }
    extents[dim] = Math.ceil(extents[dim] / 2);
  }
}

/** The [start, end) ranges that cover [0, total) in steps of `step`. */
export function ranges(total, step) {
  const out = [];
  for (let start = 0; start < total; start += step) out.push([start, Math.min(total, start + step)]);
  return out;
}
