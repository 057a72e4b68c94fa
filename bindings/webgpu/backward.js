// The backward pass on WebGPU: every gradient of a validated call. Pipeline, per chunk (chunks.js; images,
// then input channels, then output pixels), all in one command buffer:
//   1. upload the chunk's input channels, offsets (and mask) and grad_output (each slice once per call; a
//      GPU-resident tensor is bound in place, or its slice copied on the GPU when the call is split);
//   2. plan.wgsl: the forward's sampling plan;
//   3. grad_columns.wgsl: column gradient = W^T x grad_output, per weight group;
//   4. grad_offset_mask.wgsl: offset and mask gradients, one thread per sample looping over its channels;
//   5. grad_input.wgsl count -> scan.wgsl -> fill -> sort -> gather: the input gradient as a gather through
//      the inverted plan, in a fixed order (see the file for why), added to the grad_input chunk;
//   6. grad_weight.wgsl (partials over slices of the pixels) -> grad_weight_reduce.wgsl, added to grad_weight;
//   7. grad_bias.wgsl, added to grad_bias (first chunk of channels only).
// Read-backs: the offset/mask gradients after each chunk (a later chunk of channels adds its partial sums on
// the CPU), grad_input after the last chunk of pixels of its (images, channels), grad_weight and grad_bias at
// the end; without splitting, that is one read-back for everything.
import { activation, addSlice, newFloats, planChunks, ranges, unpackSlice } from './chunks.js';
import { MAX_WORKGROUPS, SCAN_BLOCK, WORKGROUP_SIZE } from './constants.js';
import { convFor, problemOf } from './problem.js';
import { PLAN_ENTRY_BYTES } from './shaders.js';

const FLOAT = 4;
// grad_weight: aim for this many workgroups, but keep at least this many (image, pixel) pairs per slice.
const GRAD_WEIGHT_WORKGROUPS = 256, GRAD_WEIGHT_MIN_PAIRS = 256;

/**
 * Tile shape of grad_columns.wgsl for `rows` = (C_in/groups)·kh·kw rows and C_out/groups output channels (the
 * reduction) per weight group: tall tiles for many rows, wide pixel tiles for few (depthwise layers), a
 * reduction step no longer than the reduction, workgroup memory under the 16 KiB every device has.
 */
export function columnTiles(rows, outPerGroup) {
  const step = (most) => Math.min(most, 2 ** Math.ceil(Math.log2(Math.max(outPerGroup, 1))));
  if (rows > 16) return { TP: 16, TR: 16, KC: step(16) }; // 64 rows x 64 pixels, 256 threads
  if (rows > 4) return { TP: 32, TR: 4, KC: step(16) };   // 16 rows x 128 pixels, 128 threads
  return { TP: 64, TR: 1, KC: step(8) };                  // 4 rows x 256 pixels, 64 threads
}

/** Tile shape of grad_weight.wgsl: (rows, output channels) per weight group as above. */
export function gradWeightTiles(rows, outPerGroup) {
  return { TR: rows > 16 ? 16 : 4, TC: outPerGroup > 16 ? 16 : outPerGroup > 4 ? 4 : 1, KQ: 16 };
}

/**
 * Runs a validated backward call; resolves to { gradInput, gradOffset, gradMask, gradWeight, gradBias }
 * (Float32Arrays in the call's layouts; gradMask only for torchvision with a mask, gradBias only with a bias).
 */
export async function backwardOnGpu(ctx, tensors, params) {
  const pb = problemOf(params);
  const N = pb.batch, C = pb.inChannels, Co = pb.outChannels, P = pb.outPixels, HW = pb.inPixels;
  const K = pb.taps, G = pb.offsetGroups, weightElements = Co * pb.inPerGroup * K;
  const input = activation(tensors.input, N, C, HW, pb.nhwc);
  const offset = activation(tensors.offset, N, pb.offsetChannels, P, pb.nhwc);
  const mask = pb.separateMask ? activation(tensors.mask, N, pb.maskChannels, P, pb.nhwc) : null;
  const gradOutput = activation(tensors.gradOutput, N, Co, P, pb.nhwc);
  const weightTensor = activation(tensors.weight, 1, 1, weightElements, false);
  const fresh = (elements, what) => ({ data: newFloats(elements, what) });
  const gradInput = activation(fresh(N * C * HW, 'the input gradient'), N, C, HW, pb.nhwc);
  const gradOffset = activation(fresh(N * pb.offsetChannels * P, 'the offset gradient'), N, pb.offsetChannels, P, pb.nhwc);
  const gradMask = mask ? activation(fresh(N * pb.maskChannels * P, 'the mask gradient'), N, pb.maskChannels, P, pb.nhwc) : null;
  const gradWeight = newFloats(weightElements, 'the weight gradient');
  const gradBias = pb.hasBias ? newFloats(Co, 'the bias gradient') : null;
  const gradients = () => ({
    gradInput: gradInput.data, gradOffset: gradOffset.data, gradMask: gradMask ? gradMask.data : null, gradWeight, gradBias,
  });
  // An empty output (a batch of 0 images, 0 output channels): every gradient is zero, nothing runs on the GPU.
  if (N === 0 || Co === 0) return gradients();

  const rowsPerGroup = pb.inPerGroup * K;
  const columnTile = columnTiles(rowsPerGroup, pb.outPerGroup), weightTile = gradWeightTiles(rowsPerGroup, pb.outPerGroup);
  const columnRowTiles = Math.ceil(rowsPerGroup / (4 * columnTile.TR)), columnPixels = 4 * columnTile.TP;
  const weightRowTiles = Math.ceil(rowsPerGroup / (4 * weightTile.TR)), weightCoTiles = Math.ceil(pb.outPerGroup / (4 * weightTile.TC));
  const extents = planChunks({ n: N, p: P, c: C, co: Co }, [
    { name: 'input', dims: ['n', 'c'], bytes: (e) => FLOAT * e.n * e.c * HW },
    { name: 'offset', dims: ['n', 'p'], bytes: (e) => FLOAT * e.n * pb.offsetChannels * e.p },
    { name: 'mask', dims: ['n', 'p'], bytes: (e) => (mask ? FLOAT * e.n * pb.maskChannels * e.p : 0) },
    { name: 'grad_output', dims: ['n', 'p'], bytes: (e) => FLOAT * e.n * Co * e.p },
    { name: 'sampling plan', dims: ['n', 'p'], bytes: (e) => PLAN_ENTRY_BYTES * e.n * G * K * e.p },
    { name: 'column gradient', dims: ['n', 'p', 'c'], bytes: (e) => FLOAT * e.n * e.c * K * e.p },
    { name: 'grad_input entries', dims: ['n', 'p'], bytes: (e) => 4 * 4 * e.n * G * K * e.p },
    { name: 'grad_input buckets', dims: ['n'], bytes: (e) => 4 * e.n * G * HW },
    { name: 'weight', dims: [], bytes: () => FLOAT * weightElements },
  ], ctx.maxBytes, {
    n: MAX_WORKGROUPS, // workgroups in z
    p: MAX_WORKGROUPS * columnPixels, // workgroups in x
    c: Math.max(1, (Math.floor(MAX_WORKGROUPS / Math.max(columnRowTiles, weightCoTiles)) - 1) * pb.inPerGroup), // in y
  });

  const sampleGroups = (images, pixels) => Math.ceil(images * G * K * pixels / WORKGROUP_SIZE);
  const pipelines = await loadPipelines(ctx, pb, columnTile, weightTile);
  const weight = ctx.tensorSlice('weight', weightTensor, { n: [0, 1], c: [0, 1], p: [0, weightElements] });
  const gradWeightBuffer = ctx.buffer('grad_weight', FLOAT * weightElements);
  const gradBiasBuffer = ctx.buffer('grad_bias', FLOAT * Math.max(Co, 1));
  ctx.submit((commands) => {
    commands.clear(gradWeightBuffer, FLOAT * weightElements);
    commands.clear(gradBiasBuffer, FLOAT * Co);
  });
  const uploaded = new Map(); // role -> { key, buffer }: the slice a role holds now
  const uploadOnce = (role, key, t, range) => {
    const held = uploaded.get(role);
    if (held && held.key === key) return held.buffer;
    const buffer = ctx.tensorSlice(role, t, range);
    uploaded.set(role, { key, buffer });
    return buffer;
  };

  const imageRanges = ranges(N, extents.n), channelRanges = ranges(C, extents.c), pixelRanges = ranges(P, extents.p);
  for (const [ni, n] of imageRanges.entries()) {
    const images = n[1] - n[0];
    for (const [ci, c] of channelRanges.entries()) {
      const channels = c[1] - c[0];
      const inputBuffer = uploadOnce('input', `${n}/${c}`, input, { n, c, p: [0, HW] });
      const gradInputBuffer = ctx.buffer('grad_input', FLOAT * images * channels * HW);
      ctx.submit((commands) => commands.clear(gradInputBuffer, FLOAT * images * channels * HW));
      for (const [pi, p] of pixelRanges.entries()) {
        const pixels = p[1] - p[0];
        const range = { n, c, p, co: [0, Co] };
        const offsetBuffer = uploadOnce('offset', `${n}/${p}`, offset, { n, c: [0, pb.offsetChannels], p });
        const maskBuffer = mask ? uploadOnce('mask', `${n}/${p}`, mask, { n, c: [0, pb.maskChannels], p })
          : pb.useMask ? offsetBuffer : ctx.buffer('no mask', 16);
        const gradOutputBuffer = uploadOnce('grad_output', `${n}/${p}`, gradOutput, { n, c: [0, Co], p });
        const splits = gradWeightSplits(ctx, c, images * pixels, weightElements, groupsOf(pb, c) * weightRowTiles * weightCoTiles);
        const conv = ctx.uniform('conv', convFor(pb, range, { splits }));
        const b = {
          plan: ctx.buffer('plan', PLAN_ENTRY_BYTES * images * G * K * pixels),
          columns: ctx.buffer('columns', FLOAT * images * channels * K * pixels),
          gradOffset: ctx.buffer('grad_offset', FLOAT * images * pb.offsetChannels * pixels),
          gradMask: mask ? ctx.buffer('grad_mask', FLOAT * images * pb.maskChannels * pixels) : ctx.buffer('no grad_mask', 16),
          counts: ctx.buffer('bucket counts', 4 * images * G * HW),
          starts: ctx.buffer('bucket starts', 4 * images * G * HW),
          entries: ctx.buffer('bucket entries', 4 * 4 * images * G * K * pixels),
          partials: ctx.buffer('grad_weight partials', FLOAT * splits * weightElements),
        };
        const scan = scanLevels(ctx, pb, range, images * G * HW);
        const groupsTouched = groupsOf(pb, c);
        const gradInputGroup = ctx.bindGroup('grad_input', {
          conv, plan: b.plan, columns: b.columns, counts: b.counts, starts: b.starts, entries: b.entries, grad_input: gradInputBuffer,
        });
        ctx.submit((commands) => {
          commands.clear(b.counts, 4 * images * G * HW);
          commands.dispatchLinear(pipelines.plan, ctx.bindGroup('plan', { conv, offset: offsetBuffer, mask: maskBuffer, plan: b.plan }),
            sampleGroups(images, pixels));
          commands.dispatch(pipelines.columns, ctx.bindGroup('grad_columns', { conv, grad_output: gradOutputBuffer, weight, columns: b.columns }),
            [Math.ceil(pixels / columnPixels), groupsTouched * columnRowTiles, images]);
          commands.dispatchLinear(pipelines.offsetMask, ctx.bindGroup('grad_offset_mask', {
            conv, input: inputBuffer, offset: offsetBuffer, mask: maskBuffer, columns: b.columns, grad_offset: b.gradOffset, grad_mask: b.gradMask,
          }), sampleGroups(images, pixels));
          commands.dispatchLinear(pipelines.count, gradInputGroup, sampleGroups(images, pixels));
          commands.copy(b.counts, b.starts, 4 * images * G * HW);
          scan.record(commands, b.starts, pipelines);
          commands.clear(b.counts, 4 * images * G * HW);
          commands.dispatchLinear(pipelines.fill, gradInputGroup, sampleGroups(images, pixels));
          commands.dispatchLinear(pipelines.sort, gradInputGroup, Math.ceil(images * G * HW / WORKGROUP_SIZE));
          commands.dispatchLinear(pipelines.gather, gradInputGroup, Math.ceil(images * channels * HW / WORKGROUP_SIZE));
          commands.dispatch(pipelines.weight, ctx.bindGroup('grad_weight', {
            conv, input: inputBuffer, plan: b.plan, grad_output: gradOutputBuffer, partials: b.partials,
          }), [weightRowTiles, groupsTouched * weightCoTiles, splits]);
          commands.dispatchLinear(pipelines.weightReduce, ctx.bindGroup('grad_weight_reduce', {
            conv, partials: b.partials, grad_weight: gradWeightBuffer,
          }), Math.ceil(weightElements / WORKGROUP_SIZE));
          if (ci === 0 && pb.hasBias) {
            commands.dispatchLinear(pipelines.bias, ctx.bindGroup('grad_bias', { conv, grad_output: gradOutputBuffer, grad_bias: gradBiasBuffer }), Co);
          }
        });

        // Read back what is complete after this chunk.
        const parts = [], uses = [];
        const take = (buffer, bytes, use) => {
          parts.push({ buffer, bytes });
          uses.push(use);
        };
        const addOrSet = ci === 0 ? unpackSlice : addSlice;
        take(b.gradOffset, FLOAT * images * pb.offsetChannels * pixels, (f) => addOrSet(gradOffset, { n, c: [0, pb.offsetChannels], p }, f));
        if (mask) take(b.gradMask, FLOAT * images * pb.maskChannels * pixels, (f) => addOrSet(gradMask, { n, c: [0, pb.maskChannels], p }, f));
        if (pi === pixelRanges.length - 1) {
          take(gradInputBuffer, FLOAT * images * channels * HW, (f) => unpackSlice(gradInput, { n, c, p: [0, HW] }, f));
          if (ni === imageRanges.length - 1 && ci === channelRanges.length - 1) {
            take(gradWeightBuffer, FLOAT * weightElements, (f) => gradWeight.set(f));
            if (gradBias) take(gradBiasBuffer, FLOAT * Co, (f) => gradBias.set(f));
          }
        }
        await ctx.readBack(parts, (i, floats) => uses[i](floats));
      }
    }
  }
  return gradients();
}

async function loadPipelines(ctx, pb, columnTile, weightTile) {
  const [plan, columns, offsetMask, count, fill, sort, gather, scanBlocks, addSums, weight, weightReduce, bias] = await Promise.all([
    ctx.pipeline('plan', { HAS_MASK: pb.useMask }),
    ctx.pipeline('grad_columns', columnTile),
    ctx.pipeline('grad_offset_mask', { HAS_MASK: pb.useMask, MASK_IN_OFFSET: pb.maskInOffset }),
    ctx.pipeline('grad_input', {}, 'count'),
    ctx.pipeline('grad_input', {}, 'fill'),
    ctx.pipeline('grad_input', {}, 'sort'),
    ctx.pipeline('grad_input', {}, 'gather'),
    ctx.pipeline('scan', {}, 'scan_blocks'),
    ctx.pipeline('scan', {}, 'add_sums'),
    ctx.pipeline('grad_weight', weightTile),
    ctx.pipeline('grad_weight_reduce'),
    ctx.pipeline('grad_bias'),
  ]);
  return { plan, columns, offsetMask, count, fill, sort, gather, scanBlocks, addSums, weight, weightReduce, bias };
}

/** Weight groups whose input channels the channel range c touches. */
function groupsOf(pb, c) {
  return Math.floor((c[1] - 1) / pb.inPerGroup) - Math.floor(c[0] / pb.inPerGroup) + 1;
}

/** Slices of grad_weight's pixel sum: enough workgroups for the GPU, enough work per slice, within limits. */
function gradWeightSplits(ctx, c, pairs, weightElements, tiles) {
  const wanted = Math.ceil(GRAD_WEIGHT_WORKGROUPS / tiles);
  const most = Math.min(Math.ceil(pairs / GRAD_WEIGHT_MIN_PAIRS), MAX_WORKGROUPS, Math.floor(ctx.maxBytes / (FLOAT * weightElements)));
  return Math.max(1, Math.min(wanted, most));
}

/**
 * The levels of scan.wgsl for `length` counts: level 0 scans the counts in blocks, level 1 the block totals,
 * and so on until one block is left; then the totals are added back down. record() encodes it all.
 */
function scanLevels(ctx, pb, range, length) {
  const levels = [];
  for (let size = length, level = 0; ; level++) {
    const blocks = Math.ceil(size / SCAN_BLOCK);
    levels.push({
      size,
      blocks,
      sums: ctx.buffer(`scan sums ${level}`, 4 * blocks),
      conv: ctx.uniform(`conv scan ${level}`, convFor(pb, range, { scanLength: size })),
    });
    if (blocks <= 1) break;
    size = blocks;
  }
  return {
    record(commands, data, pipelines) {
      const groups = levels.map((level, i) => ctx.bindGroup('scan', { conv: level.conv, data: i === 0 ? data : levels[i - 1].sums, sums: level.sums }));
      levels.forEach((level, i) => commands.dispatchLinear(pipelines.scanBlocks, groups[i], level.blocks));
      for (let i = levels.length - 2; i >= 0; i--) commands.dispatchLinear(pipelines.addSums, groups[i], levels[i].blocks);
    },
  };
}
