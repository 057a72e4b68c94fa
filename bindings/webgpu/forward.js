// The forward pass on WebGPU. Pipeline, per chunk (chunks.js):
//   1. upload the chunk's offsets (and mask), input channels and weight rows (each slice once per call); a
//      GPU-resident tensor is bound in place, or its slice copied on the GPU when the call is split;
//   2. plan.wgsl resolves every (image, offset group, tap, pixel) sample once;
//   3. forward.wgsl gathers columns through the plan and multiplies them with the weight tile in workgroup
//      memory; a later chunk of input channels adds to the output chunk instead of starting from the bias;
//   4. the output chunk is read back into its place in the result, or, for output: 'gpu-buffer', written
//      straight into the caller's new buffer (copied into its place when the call is split): no read-back.
// Nothing is converted on the CPU: NHWC and MindSpore's offsets are read in place through Conv's strides and
// channel rule. Without splitting, a call is one upload per CPU tensor, one submit and one read-back (none for
// 'gpu-buffer'); a prepared layer's weight and bias stay on the device after its first call (context.js,
// ResidentBuffers).
import { activation, newFloats, planChunks, ranges, unpackSlice } from './chunks.js';
import { MAX_WORKGROUPS, WORKGROUP_SIZE } from './constants.js';
import { GpuFailure } from './device.js';
import { convFor, problemOf } from './problem.js';
import { BufferRange } from './context.js';
import { OUTPUT_USAGE } from './resident-tensors.js';
import { PLAN_ENTRY_BYTES } from './shaders.js';

const FLOAT = 4;

/**
 * Tile shape of forward.wgsl for C_out / groups output channels per weight group: wide channel tiles when
 * there are many, wide pixel tiles when there are few (depthwise layers), workgroup memory under the 16 KiB
 * every device has.
 */
export function forwardTiles(outPerGroup) {
  if (outPerGroup > 16) return { TP: 16, TC: 16, KC: 16 }; // 64 channels x 64 pixels, 256 threads
  if (outPerGroup > 4) return { TP: 32, TC: 4, KC: 16 };   // 16 channels x 128 pixels, 128 threads
  return { TP: 64, TC: 1, KC: 8 };                          // 4 channels x 256 pixels, 64 threads
}

/**
 * Runs a validated forward call; resolves to the output in the call's data format: a Float32Array, or for
 * output 'gpu-buffer' a new GPUBuffer (usage OUTPUT_USAGE) that the caller will own. resident: a prepared
 * layer's ResidentBuffers, held for the whole call (see ResidentBuffers), or null (the weight and bias are
 * uploaded with the call).
 */
export async function forwardOnGpu(ctx, tensors, params, resident = null, output = 'cpu') {
  const target = output === 'gpu-buffer' ? outputBuffer(ctx, params) : null;
  try {
    if (!resident || !resident.enter()) return await forwardChunks(ctx, tensors, params, null, target);
    try {
      return await forwardChunks(ctx, tensors, params, resident, target);
    } finally {
      resident.leave();
    }
  } catch (e) {
    if (target) target.destroy();
    throw e;
  }
}

/** The buffer of an output: 'gpu-buffer' call: its elements rounded up to 16 bytes, on the instance's device. */
function outputBuffer(ctx, params) {
  const pb = problemOf(params);
  const bytes = FLOAT * pb.batch * pb.outChannels * pb.outPixels;
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (size > ctx.device.limits.maxBufferSize) {
    throw new GpuFailure(`the output needs a buffer of ${size} bytes, more than this device allows in one buffer ` +
      `(maxBufferSize ${ctx.device.limits.maxBufferSize}); ask for output: 'cpu' or split the call`, 'limit');
  }
  return ctx.device.createBuffer({ size, usage: OUTPUT_USAGE, label: 'deformconv output (owned by the caller)' });
}

async function forwardChunks(ctx, tensors, params, resident, target) {
  const pb = problemOf(params);
  const N = pb.batch, C = pb.inChannels, Co = pb.outChannels, P = pb.outPixels, K = pb.taps, G = pb.offsetGroups;
  const input = activation(tensors.input, N, C, pb.inPixels, pb.nhwc);
  const offset = activation(tensors.offset, N, pb.offsetChannels, P, pb.nhwc);
  const mask = pb.separateMask ? activation(tensors.mask, N, pb.maskChannels, P, pb.nhwc) : null;
  // The weight as rows of output channels (its slices are runs of rows).
  const weight = activation(tensors.weight, 1, Co, pb.inPerGroup * K, false);
  const output = activation(target ? { gpuBuffer: target } : { data: newFloats(N * Co * P, 'the output') }, N, Co, P, pb.nhwc);
  const result = () => target || output.data;
  if (N === 0 || Co === 0) return result(); // an empty output: nothing to compute, no zero-size dispatch

  const tiles = forwardTiles(pb.outPerGroup);
  const tileP = tiles.TP * 4, tileCo = tiles.TC * 4;
  const tilesPerGroup = Math.ceil(pb.outPerGroup / tileCo);
  const extents = planChunks({ n: N, p: P, c: C, co: Co }, [
    { name: 'input', dims: ['n', 'c'], bytes: (e) => FLOAT * e.n * e.c * pb.inPixels },
    { name: 'offset', dims: ['n', 'p'], bytes: (e) => FLOAT * e.n * pb.offsetChannels * e.p },
    { name: 'mask', dims: ['n', 'p'], bytes: (e) => (mask ? FLOAT * e.n * pb.maskChannels * e.p : 0) },
    { name: 'sampling plan', dims: ['n', 'p'], bytes: (e) => PLAN_ENTRY_BYTES * e.n * G * K * e.p },
    { name: 'weight', dims: ['co'], bytes: (e) => FLOAT * e.co * pb.inPerGroup * K },
    { name: 'output', dims: ['n', 'p', 'co'], bytes: (e) => FLOAT * e.n * e.co * e.p },
    { name: 'bias', dims: [], bytes: () => (pb.hasBias ? FLOAT * Co : 0) },
  ], ctx.maxBytes, {
    n: MAX_WORKGROUPS, // workgroups in z
    p: MAX_WORKGROUPS * tileP, // workgroups in x
    co: Math.max(1, (Math.floor(MAX_WORKGROUPS / tilesPerGroup) - 1) * pb.outPerGroup), // workgroups in y
  });

  const [planPipeline, forwardPipeline] = await Promise.all([
    ctx.pipeline('plan', { HAS_MASK: pb.useMask }),
    ctx.pipeline('forward', { HAS_BIAS: pb.hasBias, ...tiles }),
  ]);
  if (resident) ctx.adopt(resident, extents.co);
  const biasTensor = pb.hasBias ? activation(tensors.bias, 1, 1, Co, false) : null;
  const bias = !pb.hasBias ? ctx.buffer('no bias', 16)
    : resident ? ctx.residentBuffer(resident, 'bias', () => tensors.bias.data) : ctx.tensorSlice('bias', biasTensor, { n: [0, 1], c: [0, 1], p: [0, Co] });
  const uploaded = new Map(); // role -> { key, buffer }: the slice a role holds now
  const uploadOnce = (role, key, t, range) => {
    if (resident && role === 'weight') return ctx.residentBuffer(resident, `weight ${key}`, () => t.data.subarray(...flatRange(t, range)));
    const held = uploaded.get(role);
    if (held && held.key === key) return held.buffer;
    const buffer = ctx.tensorSlice(role, t, range);
    uploaded.set(role, { key, buffer });
    return buffer;
  };
  const unsplit = extents.n === N && extents.p === P && extents.c === C && extents.co === Co;
  const channelRanges = ranges(C, extents.c);
  for (const n of ranges(N, extents.n)) {
    for (const p of ranges(P, extents.p)) {
      const images = n[1] - n[0], pixels = p[1] - p[0];
      const offsetBuffer = ctx.tensorSlice('offset', offset, { n, c: [0, pb.offsetChannels], p });
      const maskBuffer = mask ? ctx.tensorSlice('mask', mask, { n, c: [0, pb.maskChannels], p })
        : pb.useMask ? offsetBuffer : ctx.buffer('no mask', 16);
      const plan = ctx.buffer('plan', PLAN_ENTRY_BYTES * images * G * K * pixels);
      let planned = false;
      for (const co of ranges(Co, extents.co)) {
        const weightBuffer = uploadOnce('weight', co.join(), weight, { n: [0, 1], c: co, p: [0, pb.inPerGroup * K] });
        // Unsplit, a 'gpu-buffer' output is computed in place; else each chunk goes through a buffer of its own.
        const chunkBytes = FLOAT * images * (co[1] - co[0]) * pixels;
        const inPlace = target && unsplit;
        const chunk = inPlace ? new BufferRange(target, chunkBytes) : ctx.buffer('output', chunkBytes);
        const groupTiles = (Math.floor((co[1] - 1) / pb.outPerGroup) - Math.floor(co[0] / pb.outPerGroup) + 1) * tilesPerGroup;
        channelRanges.forEach((c, i) => {
          const inputBuffer = uploadOnce('input', `${n}/${c}`, input, { n, c, p: [0, pb.inPixels] });
          const conv = ctx.uniform('conv', convFor(pb, { n, p, c, co }, { accumulate: i > 0 }));
          ctx.submit((commands) => {
            if (!planned) {
              commands.dispatchLinear(planPipeline, ctx.bindGroup('plan', { conv, offset: offsetBuffer, mask: maskBuffer, plan }),
                Math.ceil(images * G * K * pixels / WORKGROUP_SIZE));
            }
            commands.dispatch(forwardPipeline,
              ctx.bindGroup('forward', { conv, input: inputBuffer, plan, weight: weightBuffer, bias, output: chunk }),
              [Math.ceil(pixels / tileP), groupTiles, images]);
          });
          planned = true;
        });
        if (!target) {
          await ctx.readBack([{ buffer: chunk, bytes: chunkBytes }], (_, floats) => unpackSlice(output, { n, c: co, p }, floats));
        } else if (!inPlace) {
          ctx.copyIntoTensor(chunk, output, { n, c: co, p });
        }
      }
    }
  }
  return result();
}

/** [start, end) of a slice of rows (a weight's output channels) in its flat data. */
function flatRange(t, range) {
  const rowLength = t.size.p;
  return [range.c[0] * rowLength, range.c[1] * rowLength];
}
