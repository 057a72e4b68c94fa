// Shared by the Jest suites: the golden cases, the package under test, tolerance checks, a seeded random
// generator and a double-precision reference implementation of docs/semantics.md.
const fs = require('fs');
const path = require('path');
const { random } = require('./seeded-random');

const ROOT = path.join(__dirname, '..', '..');
const GOLDEN_DIR = process.env.DCN_GOLDEN_DIR || path.join(ROOT, 'tests', 'golden');
const api = require(path.join(ROOT, 'dist', 'index.cjs'));

const FORWARD_TOLERANCE = 2e-5;
const GRADIENT_TOLERANCE = 1e-4;

let cache = null;
/** Every golden case, parsed, sorted by name. */
function goldenCases() {
  if (!cache) {
    cache = fs.readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json')).sort()
      .map((f) => JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, f), 'utf8')));
  }
  return cache;
}

function tensor(c, key, shapeKey = key) {
  return c[key] === null || c[key] === undefined ? null : { data: Float32Array.from(c[key]), shape: c.shapes[shapeKey] };
}

/** The case as a deformConv2d call: [input, offset, weight, options]. */
function torchvisionArgs(c) {
  const p = c.params;
  return [tensor(c, 'input'), tensor(c, 'offset'), tensor(c, 'weight'), {
    bias: tensor(c, 'bias'), mask: tensor(c, 'mask'), stride: p.stride, padding: p.padding, dilation: p.dilation,
  }];
}

/** The case as a deformableConv2d call: [x, weight, offsets, kernelSize, strides, padding, options]. */
function mindsporeArgs(c) {
  const p = c.params;
  return [tensor(c, 'input'), tensor(c, 'weight'), tensor(c, 'offsets_mindspore'), p.kernel_size,
    [1, 1, ...p.stride], p.padding, {
      bias: tensor(c, 'bias'), dilations: [1, 1, ...p.dilation], groups: p.groups,
      deformableGroups: p.offset_groups, modulated: p.has_mask,
    }];
}

/** Elementwise |ours - ref| <= tol * (1 + |ref|); throws with the worst elements otherwise. */
function expectClose(ours, ref, tol, label = '') {
  if (ours.length !== ref.length) throw new Error(`${label}: length ${ours.length}, expected ${ref.length}`);
  const bad = [];
  for (let i = 0; i < ref.length; i++) {
    const o = ours[i], r = ref[i];
    if (Number.isNaN(o) && Number.isNaN(r)) continue;
    if (!(Math.abs(o - r) <= tol * (1 + Math.abs(r)))) bad.push(`[${i}] ours ${o} ref ${r}`);
  }
  if (bad.length) throw new Error(`${label}: ${bad.length} of ${ref.length} elements outside ${tol}·(1+|ref|): ${bad.slice(0, 5).join('; ')}`);
}

/** (N, C, H, W) <-> (N, H, W, C) */
function toNHWC({ data, shape }) {
  const [N, C, H, W] = shape, P = H * W, out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[(n * P + p) * C + c] = data[(n * C + c) * P + p];
  return { data: out, shape: [N, H, W, C] };
}
function fromNHWC({ data, shape }) {
  const [N, H, W, C] = shape, P = H * W, out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[(n * C + c) * P + p] = data[(n * P + p) * C + c];
  return { data: out, shape: [N, C, H, W] };
}

function randomTensor(rand, shape, lo = -1, hi = 1) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rand();
  return { data, shape };
}

/**
 * Double-precision forward pass, a literal transcription of docs/semantics.md (torchvision layout, NCHW).
 * p: { stride: [sh, sw], padding: [top, bottom, left, right], dilation: [dh, dw] }
 */
function referenceForward(input, offset, weight, mask, bias, p) {
  const [N, C, H, W] = input.shape, [Co, Cg, kh, kw] = weight.shape;
  const [sh, sw] = p.stride, [pt, pb, pl, pr] = p.padding, [dh, dw] = p.dilation;
  const Ho = Math.floor((H + pt + pb - (dh * (kh - 1) + 1)) / sh) + 1;
  const Wo = Math.floor((W + pl + pr - (dw * (kw - 1) + 1)) / sw) + 1;
  const groups = C / Cg, G = offset.shape[1] / (2 * kh * kw), K = kh * kw, cgOut = Co / groups, perG = C / G;
  const out = new Float64Array(N * Co * Ho * Wo);
  const at = (n, c, y, x) => (y >= 0 && y < H && x >= 0 && x < W ? input.data[((n * C + c) * H + y) * W + x] : 0);
  for (let n = 0; n < N; n++) for (let co = 0; co < Co; co++) for (let ho = 0; ho < Ho; ho++) for (let wo = 0; wo < Wo; wo++) {
    let acc = bias ? bias.data[co] : 0;
    for (let cl = 0; cl < Cg; cl++) {
      const c = Math.floor(co / cgOut) * Cg + cl, g = Math.floor(c / perG);
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const k = g * K + i * kw + j, pix = ho * Wo + wo;
        const dy = offset.data[(n * 2 * G * K + 2 * k) * Ho * Wo + pix], dx = offset.data[(n * 2 * G * K + 2 * k + 1) * Ho * Wo + pix];
        const m = mask ? mask.data[(n * G * K + k) * Ho * Wo + pix] : 1;
        const y = ho * sh - pt + i * dh + dy, x = wo * sw - pl + j * dw + dx;
        let v = 0;
        if (!(y <= -1 || y >= H || x <= -1 || x >= W)) {
          const y0 = Math.floor(y), x0 = Math.floor(x), ly = y - y0, lx = x - x0;
          v = (1 - ly) * (1 - lx) * at(n, c, y0, x0) + (1 - ly) * lx * at(n, c, y0, x0 + 1) +
            ly * (1 - lx) * at(n, c, y0 + 1, x0) + ly * lx * at(n, c, y0 + 1, x0 + 1);
        }
        acc += weight.data[((co * Cg + cl) * kh + i) * kw + j] * m * v;
      }
    }
    out[((n * Co + co) * Ho + ho) * Wo + wo] = acc;
  }
  return { data: out, shape: [N, Co, Ho, Wo] };
}

/** A random valid configuration (small), torchvision layout. */
function randomCase(rand, { maxChannels = 8, maxSize = 9 } = {}) {
  const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const groups = pick(1, 3), G = pick(1, 3);
  const C = groups * G * pick(1, Math.max(1, Math.floor(maxChannels / (groups * G))));
  const Co = groups * pick(1, 4);
  const kh = pick(1, 4), kw = pick(1, 4);
  const stride = [pick(1, 3), pick(1, 3)], dilation = [pick(1, 2), pick(1, 2)];
  const padding = [pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)];
  const N = pick(1, 2);
  const H = Math.max(pick(1, maxSize), dilation[0] * (kh - 1) + 1 - padding[0] - padding[1]);
  const W = Math.max(pick(1, maxSize), dilation[1] * (kw - 1) + 1 - padding[2] - padding[3]);
  const Ho = Math.floor((H + padding[0] + padding[1] - (dilation[0] * (kh - 1) + 1)) / stride[0]) + 1;
  const Wo = Math.floor((W + padding[2] + padding[3] - (dilation[1] * (kw - 1) + 1)) / stride[1]) + 1;
  const hasMask = rand() < 0.7, hasBias = rand() < 0.7;
  return {
    params: { stride, padding, dilation, groups, offset_groups: G, kernel_size: [kh, kw], has_mask: hasMask, has_bias: hasBias },
    input: randomTensor(rand, [N, C, H, W]),
    weight: randomTensor(rand, [Co, C / groups, kh, kw]),
    offset: randomTensor(rand, [N, 2 * G * kh * kw, Ho, Wo], -3, 3),
    mask: hasMask ? randomTensor(rand, [N, G * kh * kw, Ho, Wo], -1, 2) : null,
    bias: hasBias ? randomTensor(rand, [Co]) : null,
  };
}

// Whether this engine takes the relaxed-SIMD builds: Node.js 22+ does; Node.js 20, which runs npm test, does
// not, and there tests/js/relaxed-simd-node.test.js runs them in Node.js 26 instead.
const RELAXED_SIMD_HERE = WebAssembly.validate(fs.readFileSync(path.join(ROOT, 'dist', 'wasm', 'deformconv-simd-relaxed-node.wasm')));

/**
 * The WebAssembly builds as [name, createDeformConv options], for describe.each: the plain threaded and
 * single-threaded builds, and their relaxed-SIMD forms where this engine takes them.
 */
const WASM_BUILDS = [
  ['threads', { wasmBuild: 'threads', threads: 2, relaxedSimd: false }],
  ['simd', { wasmBuild: 'simd', relaxedSimd: false }],
  ...(RELAXED_SIMD_HERE ? [
    ['threads-relaxed', { wasmBuild: 'threads', threads: 2, relaxedSimd: true }],
    ['simd-relaxed', { wasmBuild: 'simd', relaxedSimd: true }],
  ] : []),
];

/** The WASM_BUILDS name of the build an instance loaded (from its info()). */
const buildName = (info) => `${info.wasmBuild}${info.relaxedSimd ? '-relaxed' : ''}`;

module.exports = {
  ROOT, WASM_BUILDS, RELAXED_SIMD_HERE, buildName, GOLDEN_DIR, api, FORWARD_TOLERANCE, GRADIENT_TOLERANCE, goldenCases, torchvisionArgs, mindsporeArgs,
  expectClose, toNHWC, fromNHWC, random, randomTensor, referenceForward, randomCase,
};
