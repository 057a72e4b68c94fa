// The fixed filters the page applies with the deformable convolution, for any kernel size and offset groups.
// The input has 3·G channels: the picture's RGB once per offset group, so each group sees the whole picture through
// its own sampling points and contributes 1/G of every output. Output channels (C_out = 6):
//   0-2  blur: the average of the taps, per colour            3  x-gradient: right taps minus left taps (luminance)
//   4    y-gradient: lower taps minus upper taps (luminance)    5  centre minus the average of all taps (luminance)
// The gradients are scaled so a step from 0 to 1 across the kernel gives 1; a 1-wide kernel has no x-gradient.

const LUMINANCE = [0.299, 0.587, 0.114];

export const FILTERS = [
  { name: 'Blur', channels: [0, 1, 2], kind: 'colour' },
  { name: 'x-gradient', channels: [3], kind: 'signed' },
  { name: 'y-gradient', channels: [4], kind: 'signed' },
  { name: 'Centre − surround', channels: [5], kind: 'signed' },
];
export const OUTPUT_CHANNELS = 6;

/** Weights of the four filters for one colour channel c at tap (i, j), before the 1/G split. */
function tapWeights(c, i, j, kh, kw) {
  const K = kh * kw;
  const ci = (kh - 1) / 2, cj = (kw - 1) / 2;
  // Sum of the positive gradient weights: scales a full step across the kernel to 1.
  let xNorm = 0, yNorm = 0;
  for (let jj = 0; jj < kw; jj++) xNorm += Math.max(jj - cj, 0) * kh;
  for (let ii = 0; ii < kh; ii++) yNorm += Math.max(ii - ci, 0) * kw;
  const centre = i === Math.floor(ci) && j === Math.floor(cj) ? 1 : 0;
  return [
    c === 0 ? 1 / K : 0,
    c === 1 ? 1 / K : 0,
    c === 2 ? 1 / K : 0,
    xNorm > 0 ? LUMINANCE[c] * (j - cj) / xNorm : 0,
    yNorm > 0 ? LUMINANCE[c] * (i - ci) / yNorm : 0,
    LUMINANCE[c] * (centre - 1 / K),
  ];
}

/** The weight tensor { data, shape: [6, 3·G, kh, kw] }. */
export function filterWeights(kh, kw, G) {
  const Cin = 3 * G, K = kh * kw;
  const data = new Float32Array(OUTPUT_CHANNELS * Cin * K);
  for (let g = 0; g < G; g++) {
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const w = tapWeights(c, i, j, kh, kw);
          for (let co = 0; co < OUTPUT_CHANNELS; co++) data[(co * Cin + g * 3 + c) * K + i * kw + j] = w[co] / G;
        }
      }
    }
  }
  return { data, shape: [OUTPUT_CHANNELS, Cin, kh, kw] };
}
