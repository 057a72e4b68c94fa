// The forward pass on WebGPU. Pipeline, per chunk (chunks.js):
//   1. upload the chunk's offsets (and mask), input channels and weight rows (each slice once per call);
//   2. plan.wgsl resolves every (image, offset group, tap, pixel) sample once;
//   3. forward.wgsl gathers columns through the plan and multiplies them with the weight tile in workgroup
//      memory; a later chunk of input channels adds to the output chunk instead of starting from the bias;
//   4. the output chunk is read back into its place in the result.
// Nothing is converted on the CPU: NHWC and MindSpore's offsets are read in place through Conv's strides and
// channel rule. Without splitting, a call is one upload per tensor, one submit and one read-back; a prepared
// layer's weight and bias stay on the device after its first call (context.js, ResidentBuffers).
import { activation, newFloats, packSlice, planChunks, ranges, unpackSlice } from './chunks.js';
import { MAX_WORKGROUPS, WORKGROUP_SIZE } from './constants.js';
import { convFor, problemOf } from './problem.js';
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
 * Runs a validated forward call; resolves to the output Float32Array in the call's data format. resident: a
 * prepared layer's ResidentBuffers, held for the whole call (see ResidentBuffers), or null (the weight and
 * bias are uploaded with the call).
 */
export async function forwardOnGpu(ctx, tensors, params, resident = null) {
  if (!resident || !resident.enter()) return forwardChunks(ctx, tensors, params, null);
  try {
    return await forwardChunks(ctx, tensors, params, resident);
  } finally {
    resident.leave();
  }
}

async function forwardChunks(ctx, tensors, params, resident) {
  const pb = problemOf(params);
  const N = pb.batch, C = pb.inChannels, Co = pb.outChannels, P = pb.outPixels, K = pb.taps, G = pb.offsetGroups;
  const input = activation(tensors.input.data, N, C, pb.inPixels, pb.nhwc);
  const offset = activation(tensors.offset.data, N, pb.offsetChannels, P, pb.nhwc);
  const mask = pb.separateMask ? activation(tensors.mask.data, N, pb.maskChannels, P, pb.nhwc) : null;
  const output = activation(newFloats(N * Co * P, 'the output'), N, Co, P, pb.nhwc);
  if (N === 0 || Co === 0) return output.data; // an empty output: nothing to compute, no zero-size dispatch

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
  const bias = !pb.hasBias ? ctx.buffer('no bias', 16)
    : resident ? ctx.residentBuffer(resident, 'bias', () => tensors.bias.data) : ctx.upload('bias', tensors.bias.data);
  const uploaded = new Map();
  const uploadOnce = (role, key, slice) => {
    if (resident && role === 'weight') return ctx.residentBuffer(resident, `weight ${key}`, slice);
    if (uploaded.get(role) !== key) ctx.upload(role, slice());
    uploaded.set(role, key);
    return ctx.buffers.get(role);
  };
  const channelRanges = ranges(C, extents.c);
  for (const n of ranges(N, extents.n)) {
    for (const p of ranges(P, extents.p)) {
      const images = n[1] - n[0], pixels = p[1] - p[0];
      const offsetBuffer = ctx.upload('offset', packSlice(offset, { n, c: [0, pb.offsetChannels], p }));
      const maskBuffer = mask ? ctx.upload('mask', packSlice(mask, { n, c: [0, pb.maskChannels], p }))
        : pb.useMask ? offsetBuffer : ctx.buffer('no mask', 16);
      const plan = ctx.buffer('plan', PLAN_ENTRY_BYTES * images * G * K * pixels);
      let planned = false;
      for (const co of ranges(Co, extents.co)) {
        const weight = uploadOnce('weight', co.join(), () => tensors.weight.data.subarray(co[0] * pb.inPerGroup * K, co[1] * pb.inPerGroup * K));
        const result = ctx.buffer('output', FLOAT * images * (co[1] - co[0]) * pixels);
        const groupTiles = (Math.floor((co[1] - 1) / pb.outPerGroup) - Math.floor(co[0] / pb.outPerGroup) + 1) * tilesPerGroup;
        channelRanges.forEach((c, i) => {
          const inputBuffer = uploadOnce('input', `${n}/${c}`, () => packSlice(input, { n, c, p: [0, pb.inPixels] }));
          const conv = ctx.uniform('conv', convFor(pb, { n, p, c, co }, { accumulate: i > 0 }));
          ctx.submit((commands) => {
            if (!planned) {
              commands.dispatchLinear(planPipeline, ctx.bindGroup('plan', { conv, offset: offsetBuffer, mask: maskBuffer, plan }),
                Math.ceil(images * G * K * pixels / WORKGROUP_SIZE));
            }
            commands.dispatch(forwardPipeline,
              ctx.bindGroup('forward', { conv, input: inputBuffer, plan, weight, bias, output: result }),
              [Math.ceil(pixels / tileP), groupTiles, images]);
          });
          planned = true;
        });
        await ctx.readBack([{ buffer: result, bytes: FLOAT * images * (co[1] - co[0]) * pixels }],
          (_, floats) => unpackSlice(output, { n, c: co, p }, floats));
      }
    }
  }
  return output.data;
}
