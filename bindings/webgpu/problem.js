// The sizes of one validated call as the WebGPU operations use them, and the Conv uniform (conv.wgsl) of a
// chunk of it. Everything here comes from the core's validator (the `params` of Engine.validate's answer),
// including the channel rule of the offset layout, so the GPU path cannot disagree with the WASM path about
// what a call means.
import { chunkStrides } from './chunks.js';

/** Derived sizes of a call; params is the validator's answer.params. */
export function problemOf(params) {
  const taps = params.kernelH * params.kernelW;
  return {
    ...params,
    nhwc: params.dataFormat === 'NHWC',
    taps,
    inPixels: params.inHeight * params.inWidth,
    outPixels: params.outHeight * params.outWidth,
    inPerGroup: params.inChannels / params.groups,
    outPerGroup: params.outChannels / params.groups,
    perOffsetGroup: params.inChannels / params.offsetGroups,
    maskChannels: params.offsetGroups * taps,
    // torchvision with a mask: a tensor of its own; MindSpore: the third block of offsets.
    separateMask: params.useMask && !params.maskInOffset,
  };
}

/**
 * The Conv uniform of a chunk. range: { n, p, c, co } as [start, end) each; extra: the per-kernel fields
 * (accumulate: add to the result buffer; splits: grad_weight's pixel slices; scanLength: scan.wgsl).
 */
export function convFor(pb, range, { accumulate = false, splits = 1, scanLength = 0 } = {}) {
  const images = range.n[1] - range.n[0], pixels = range.p[1] - range.p[0];
  const channels = range.c[1] - range.c[0], outChannels = range.co[1] - range.co[0];
  const input = chunkStrides(pb.nhwc, channels, pb.inPixels);
  const offset = chunkStrides(pb.nhwc, pb.offsetChannels, pixels);
  const mask = pb.separateMask ? chunkStrides(pb.nhwc, pb.maskChannels, pixels) : offset;
  const output = chunkStrides(pb.nhwc, outChannels, pixels);
  return {
    images,
    in_height: pb.inHeight,
    in_width: pb.inWidth,
    out_width: pb.outWidth,
    kernel_w: pb.kernelW,
    taps: pb.taps,
    stride_h: pb.strideH,
    stride_w: pb.strideW,
    pad_top: pb.padTop,
    pad_left: pb.padLeft,
    dilation_h: pb.dilationH,
    dilation_w: pb.dilationW,
    in_per_group: pb.inPerGroup,
    out_per_group: pb.outPerGroup,
    offset_groups: pb.offsetGroups,
    channels_per_offset_group: pb.perOffsetGroup,
    first_pixel: range.p[0],
    pixels,
    first_channel: range.c[0],
    channels,
    first_out_channel: range.co[0],
    out_channels: outChannels,
    input_n: input.n, input_c: input.c, input_p: input.p,
    offset_n: offset.n, offset_c: offset.c, offset_p: offset.p,
    mask_n: mask.n, mask_c: mask.c, mask_p: mask.p,
    output_n: output.n, output_c: output.c, output_p: output.p,
    dy_a: pb.dyChannel[0], dy_b: pb.dyChannel[1],
    dx_a: pb.dxChannel[0], dx_b: pb.dxChannel[1],
    mask_a: pb.maskChannel[0], mask_b: pb.maskChannel[1],
    accumulate: accumulate ? 1 : 0,
    splits,
    weight_elements: pb.outChannels * pb.inPerGroup * pb.taps,
    scan_length: scanLength,
  };
}
