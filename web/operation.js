// The deformable convolution the page runs: the tensors for the current kernel size and offset groups, the
// offsets the reader edits, and the calls through the library. Pipeline of one update: an edit writes (dy, dx) or
// the mask of one (group, tap) at the picked output pixel (or at every output pixel) into torchvision-layout
// tensors -> deformConv2d runs them -> the same numbers, converted with layouts.toMindSpore, run through
// deformableConv2d -> the page shows the first output, its time, and whether the two agree.
// Geometry: stride 1, dilation 1, symmetric padding floor((k-1)/2), so odd kernels keep the picture's size.
import { filterWeights, OUTPUT_CHANNELS } from './filters.js';

export class Operation {
  /** @param picture { width, height, data: Float32Array (3, H, W) } from picture.js */
  constructor(picture) {
    this.picture = picture;
  }

  /** Sets the kernel size and offset groups; offsets go back to 0 and the mask to 1. */
  configure({ kh, kw, G }) {
    const { width: W, height: H } = this.picture;
    const ph = (kh - 1) >> 1, pw = (kw - 1) >> 1;
    const Ho = H + 2 * ph - kh + 1, Wo = W + 2 * pw - kw + 1;
    const K = kh * kw;
    Object.assign(this, { kh, kw, G, K, H, W, ph, pw, Ho, Wo });
    // The picture's RGB once per offset group.
    const input = new Float32Array(3 * G * H * W);
    for (let g = 0; g < G; g++) input.set(this.picture.data, g * 3 * H * W);
    this.input = { data: input, shape: [1, 3 * G, H, W] };
    this.weight = filterWeights(kh, kw, G);
    this.offset = { data: new Float32Array(2 * G * K * Ho * Wo), shape: [1, 2 * G * K, Ho, Wo] };
    this.mask = { data: new Float32Array(G * K * Ho * Wo).fill(1), shape: [1, G * K, Ho, Wo] };
  }

  /** The output shape [1, C_out, Ho, Wo]. */
  get outputShape() {
    return [1, OUTPUT_CHANNELS, this.Ho, this.Wo];
  }

  index(channel, ho, wo) {
    return (channel * this.Ho + ho) * this.Wo + wo;
  }

  /** { dy, dx, mask } of (group g, tap t) at output pixel (ho, wo). */
  valueAt(g, t, ho, wo) {
    const c = g * this.K + t;
    return {
      dy: this.offset.data[this.index(2 * c, ho, wo)],
      dx: this.offset.data[this.index(2 * c + 1, ho, wo)],
      mask: this.mask.data[this.index(c, ho, wo)],
    };
  }

  /** Writes any of { dy, dx, mask } of (g, t) at (ho, wo), or at every output pixel when everyPixel. */
  setValue(g, t, ho, wo, values, everyPixel) {
    const c = g * this.K + t;
    const plane = this.Ho * this.Wo;
    const write = (tensor, channel, value) => {
      if (value === undefined) return;
      if (everyPixel) tensor.data.fill(value, channel * plane, (channel + 1) * plane);
      else tensor.data[this.index(channel, ho, wo)] = value;
    };
    write(this.offset, 2 * c, values.dy);
    write(this.offset, 2 * c + 1, values.dx);
    write(this.mask, c, values.mask);
  }

  /** Offsets back to 0 and mask to 1 at (ho, wo), or everywhere. */
  reset(ho, wo, everyPixel) {
    for (let g = 0; g < this.G; g++) {
      for (let t = 0; t < this.K; t++) this.setValue(g, t, ho, wo, { dy: 0, dx: 0, mask: 1 }, everyPixel);
    }
  }

  /**
   * The sampling points of output pixel (ho, wo): for each group and tap, the regular grid position (y0, x0) and
   * the sampled position (y, x) = (y0 + dy, x0 + dx), in input pixel indices (pixel centres at integers).
   */
  samplingPoints(ho, wo) {
    const points = [];
    for (let g = 0; g < this.G; g++) {
      for (let t = 0; t < this.K; t++) {
        const i = Math.floor(t / this.kw), j = t % this.kw;
        const y0 = ho - this.ph + i, x0 = wo - this.pw + j;
        const v = this.valueAt(g, t, ho, wo);
        points.push({ g, t, i, j, y0, x0, y: y0 + v.dy, x: x0 + v.dx, ...v });
      }
    }
    return points;
  }

  /** Runs both conventions on instance dc; resolves to { output, milliseconds, conventionsAgree, maxDifference }. */
  async run(dc, layouts) {
    const options = { mask: this.mask, padding: [this.ph, this.pw] };
    const started = performance.now();
    const output = await dc.deformConv2d(this.input, this.offset, this.weight, options);
    const milliseconds = performance.now() - started;
    const offsets = layouts.toMindSpore(this.offset, this.mask, [this.kh, this.kw]);
    const mindspore = await dc.deformableConv2d(this.input, this.weight, offsets, [this.kh, this.kw], [1, 1, 1, 1],
      [this.ph, this.ph, this.pw, this.pw], { deformableGroups: this.G });
    let maxDifference = 0;
    for (let k = 0; k < output.data.length; k++) maxDifference = Math.max(maxDifference, Math.abs(output.data[k] - mindspore.data[k]));
    return { output, milliseconds, maxDifference, conventionsAgree: maxDifference <= 1e-5 };
  }
}
