// The benchmark's layers. Every one is a DCNv2 layer (offsets and mask) with a bias; onnxruntime runs each as
// a one-node ONNX DeformConv model built for it (onnx-model.mjs). GFLOP/s everywhere counts
// 2·N·C_out·(C_in/groups)·kh·kw·Ho·Wo floating-point operations per forward pass (flops() below).
//   backward: also timed forward + backward (bench/backward.mjs);
//   gemmHeavy: C_in/groups and C_out/groups large enough (64 or more) that the GEMM dominates (the "% of peak" target);
//   large: enough work per call (> 0.5 GFLOP) for the 2-thread speed-up target.

/** @typedef {{ name: string, what: string, N: number, C: number, H: number, W: number, Cout: number, k: number,
 *   stride: number, pad: number, dilation: number, groups: number, offsetGroups: number, backward?: boolean,
 *   gemmHeavy: boolean }} Shape */

/** @type {Shape[]} */
export const SHAPES = [
  { name: 's1_64c_64px', what: '64 channels, 64x64', N: 1, C: 64, H: 64, W: 64, Cout: 64, k: 3, stride: 1, pad: 1, dilation: 1, groups: 1, offsetGroups: 1, backward: true, gemmHeavy: true },
  { name: 's2_128c_32px', what: '128 channels, 32x32', N: 1, C: 128, H: 32, W: 32, Cout: 128, k: 3, stride: 1, pad: 1, dilation: 1, groups: 1, offsetGroups: 1, backward: true, gemmHeavy: true },
  { name: 's3_256c_28px_g4', what: '256 channels, 28x28, 4 offset groups', N: 1, C: 256, H: 28, W: 28, Cout: 256, k: 3, stride: 1, pad: 1, dilation: 1, groups: 1, offsetGroups: 4, backward: true, gemmHeavy: true },
  { name: 'batch4_64c_32px', what: 'batch 4: 4 x 64 channels, 32x32', N: 4, C: 64, H: 32, W: 32, Cout: 64, k: 3, stride: 1, pad: 1, dilation: 1, groups: 1, offsetGroups: 1, gemmHeavy: true },
  { name: 'stride2_128c_64px', what: 'stride 2: 128 channels, 64x64 -> 32x32', N: 1, C: 128, H: 64, W: 64, Cout: 128, k: 3, stride: 2, pad: 1, dilation: 1, groups: 1, offsetGroups: 1, gemmHeavy: true },
  { name: 'depthwise_64c_64px', what: 'depthwise 3x3: 64 channels, 64 groups, 64x64', N: 1, C: 64, H: 64, W: 64, Cout: 64, k: 3, stride: 1, pad: 1, dilation: 1, groups: 64, offsetGroups: 1, gemmHeavy: false },
  { name: 'k5_64c_32px', what: '5x5 kernel: 64 channels, 32x32', N: 1, C: 64, H: 32, W: 32, Cout: 64, k: 5, stride: 1, pad: 2, dilation: 1, groups: 1, offsetGroups: 1, gemmHeavy: true },
  { name: 'r50_c5_512c_16px', what: 'ResNet-50 detector, DCNv2 in conv5 (3x3, 512 channels, 512x512 image: 16x16)', N: 1, C: 512, H: 16, W: 16, Cout: 512, k: 3, stride: 1, pad: 1, dilation: 1, groups: 1, offsetGroups: 1, gemmHeavy: true },
  // Weight groups, a 5x5 kernel with groups, a batch with stride, many offset groups (issue 13's layers).
  { name: 'groups2_128c_32px', what: '2 weight groups: 128 channels (64 per group), 32x32', N: 1, C: 128, H: 32, W: 32, Cout: 128, k: 3, stride: 1, pad: 1, dilation: 1, groups: 2, offsetGroups: 1, gemmHeavy: true },
  { name: 'groups4_256c_28px', what: '4 weight groups: 256 channels (64 per group), 28x28', N: 1, C: 256, H: 28, W: 28, Cout: 256, k: 3, stride: 1, pad: 1, dilation: 1, groups: 4, offsetGroups: 1, gemmHeavy: true },
  { name: 'k5_groups2_64c_32px', what: '5x5 kernel, 2 weight groups: 64 channels (32 per group), 32x32', N: 1, C: 64, H: 32, W: 32, Cout: 64, k: 5, stride: 1, pad: 2, dilation: 1, groups: 2, offsetGroups: 1, gemmHeavy: false },
  { name: 'batch2_stride2_96c_56px', what: 'batch 2, stride 2: 2 x 96 channels, 56x56 -> 28x28', N: 2, C: 96, H: 56, W: 56, Cout: 96, k: 3, stride: 2, pad: 1, dilation: 1, groups: 1, offsetGroups: 1, gemmHeavy: true },
  { name: 'og8_512c_14px', what: '512 channels, 14x14, 8 offset groups (64 channels each)', N: 1, C: 512, H: 14, W: 14, Cout: 512, k: 3, stride: 1, pad: 1, dilation: 1, groups: 1, offsetGroups: 8, gemmHeavy: true },
];

/** The memory layer of the issue: extra WASM memory must stay under 16 MB on it. */
export const MEMORY_SHAPE = { name: 'mem_64c_512px', what: '1x64x512x512, 3x3', N: 1, C: 64, H: 512, W: 512, Cout: 64, k: 3, stride: 1, pad: 1, dilation: 1, groups: 1, offsetGroups: 1, gemmHeavy: true };

/** Output height and width. */
export function outSize(s) {
  const span = s.dilation * (s.k - 1) + 1;
  return [Math.floor((s.H + 2 * s.pad - span) / s.stride) + 1, Math.floor((s.W + 2 * s.pad - span) / s.stride) + 1];
}

/** Floating-point operations of one forward pass. */
export function flops(s) {
  const [Ho, Wo] = outSize(s);
  return 2 * s.N * s.Cout * (s.C / s.groups) * s.k * s.k * Ho * Wo;
}

/** Tensor shapes (NCHW, torchvision/ONNX layout). */
export function tensorShapes(s) {
  const [Ho, Wo] = outSize(s);
  const taps = s.k * s.k;
  return {
    input: [s.N, s.C, s.H, s.W],
    weight: [s.Cout, s.C / s.groups, s.k, s.k],
    offset: [s.N, 2 * s.offsetGroups * taps, Ho, Wo],
    mask: [s.N, s.offsetGroups * taps, Ho, Wo],
    bias: [s.Cout],
    output: [s.N, s.Cout, Ho, Wo],
  };
}

/** Large enough for the 2-thread speed-up target. */
export function isLarge(s) {
  return flops(s) >= 0.5e9;
}
