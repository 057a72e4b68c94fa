// Writes the seed corpus of tests/fuzz/fuzz_forward.cpp into tests/fuzz/corpus/ (committed; run again after
// changing the byte format: `node tests/fuzz/make-corpus.mjs`). The byte format is in tests/fuzz/README.md;
// the encoders below are its inverse. Seeds: the shapes of every golden case as raw requests in both
// conventions and data formats, valid derived calls in every layout with offsets at and beyond the window
// edges (NaN, infinities, 1e30, -1, H, W), NaN in every tensor, and raw requests with huge dimensions.
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'corpus');
const GOLDEN = process.env.DCN_GOLDEN_DIR || path.join(HERE, '..', 'golden');

// ---------------------------------------------------------------- raw mode (mode byte odd)
// Must match kSpecial in fuzz_forward.cpp (read_value).
const SPECIAL = [0n, -1n, -2n, 46340n, 46341n, 65535n, 65536n, 65537n, 1n << 20n, 1n << 30n, 3n << 29n,
  2147483647n, 2147483648n, 4294967295n, 4294967296n, 1n << 33n, 1n << 62n, 9223372036854775807n,
  -9223372036854775808n, -9223372036854775807n, -2147483648n, 715827883n, 1431655765n, 536870912n];
const SMALL = 256 - SPECIAL.length;

function value(v) {
  const big = BigInt(v);
  if (big >= 0n && big < BigInt(SMALL)) return [Number(big)];
  const i = SPECIAL.indexOf(big);
  if (i < 0) throw new Error(`no code for ${v}: use 0..${SMALL - 1} or one of the special values`);
  return [SMALL + i];
}

function list(values, maxLength) {
  let head = 0; // < 192: four entries
  if (values.length !== 4) {
    head = 192;
    while (head % (maxLength + 1) !== values.length) head++;
  }
  return [head, ...values.flatMap(value)];
}

function raw({ mindspore = false, nhwc = false, mask = null, bias = null, modulated = true, gradOutput = null,
  input, weight, offset, stride, padding, dilation, kernelSize = [], groups = 1, offsetGroups = 1, threads = 1, tail = [] }) {
  const flags = (mindspore ? 1 : 0) | (nhwc ? 2 : 0) | (mask ? 4 : 0) | (bias ? 8 : 0) | (modulated ? 16 : 0) | (gradOutput ? 32 : 0);
  return [1, flags, ...list(input, 6), ...list(weight, 6), ...list(offset, 6),
    ...(mask ? list(mask, 6) : []), ...(bias ? list(bias, 2) : []),
    ...list(stride, 5), ...list(padding, 5), ...list(dilation, 5), ...list(kernelSize, 3),
    ...value(groups), ...value(offsetGroups), ...(gradOutput ? list(gradOutput, 6) : []), threads - 1, ...tail];
}

// ---------------------------------------------------------------- derived mode (mode byte even)
// Float codes (read_float): < 200 is (code - 100) / 16; offsets read 200 + i as OFFSET_SPECIAL[i], other
// tensors read 200..215 as NaN.
const F = (x) => { const c = Math.round(x * 16) + 100; if (c < 0 || c >= 200) throw new Error(`${x} out of range`); return c; };
const OFFSET = { nan: 200, inf: 201, ninf: 202, big: 203, nbig: 204, minus1: 205, H: 206, W: 207, belowMinus1: 226,
  justBelowH: 211, justBelowW: 212, huge: 215, hugeNeg: 216, halfAboveH: 232 };
const NAN = 200;

function derived({ mindspore = false, nhwc = false, mask = false, bias = false, threads = 1, groups = 1, offsetGroups = 1,
  channelsPerGroup = 1, outPerGroup = 1, kh = 1, kw = 1, stride = [1, 1], dilation = [1, 1], padding = [0, 0, 0, 0],
  batch = 1, height = 1, width = 1, values = [] }) {
  const flags = (mindspore ? 1 : 0) | (nhwc ? 2 : 0) | (mask ? 4 : 0) | (bias ? 8 : 0) | ((threads - 1) << 4);
  return [0, flags, groups - 1, offsetGroups - 1, channelsPerGroup - 1, outPerGroup - 1, kh - 1, kw - 1,
    stride[0] - 1, stride[1] - 1, dilation[0] - 1, dilation[1] - 1, ...padding, batch - 1, height - 1, width - 1, ...values];
}

const seeds = {};
const LAYOUTS = [[false, false], [false, true], [true, false], [true, true]];

// Golden shapes as raw requests, both conventions and formats: valid calls the mutator starts from.
for (const file of fs.readdirSync(GOLDEN).filter((f) => f.endsWith('.json')).sort()) {
  const c = JSON.parse(fs.readFileSync(path.join(GOLDEN, file), 'utf8'));
  const s = c.shapes, p = c.params;
  const small = [s.input, s.weight, s.offset, s.offsets_mindspore].every((shape) => shape.every((d) => d < SMALL));
  if (!small) continue;
  const nhwcOf = (shape) => [shape[0], shape[2], shape[3], shape[1]];
  for (const [mindspore, nhwc] of LAYOUTS) {
    const act = (shape) => (nhwc ? nhwcOf(shape) : shape);
    const offsetShape = mindspore ? s.offsets_mindspore : s.offset;
    const name = `golden-${path.basename(file, '.json')}-${mindspore ? 'mindspore' : 'torchvision'}-${nhwc ? 'nhwc' : 'nchw'}`;
    seeds[name] = raw({
      mindspore, nhwc, input: act(s.input), weight: s.weight, offset: act(offsetShape),
      mask: !mindspore && p.has_mask ? act(s.mask) : null, bias: p.has_bias ? s.bias : null, modulated: p.has_mask,
      stride: mindspore ? [1, 1, ...p.stride] : p.stride, padding: p.padding,
      dilation: mindspore ? [1, 1, ...p.dilation] : p.dilation, kernelSize: mindspore ? p.kernel_size : [],
      groups: p.groups, offsetGroups: p.offset_groups, gradOutput: act(s.output), threads: 2,
    });
  }
}

// Derived calls with hostile offsets in every layout: 3x3 kernel, padding 1, a 4x5 input so H != W.
const edgeOffsets = [OFFSET.nan, F(0), F(0), OFFSET.nan, OFFSET.nan, OFFSET.big, OFFSET.inf, OFFSET.nan, OFFSET.minus1, F(0),
  OFFSET.H, F(0.5), OFFSET.ninf, OFFSET.nbig, OFFSET.belowMinus1, F(-1), OFFSET.justBelowH, OFFSET.justBelowW,
  OFFSET.W, OFFSET.huge, OFFSET.hugeNeg, OFFSET.halfAboveH, F(-0.5), F(2.25)];
LAYOUTS.forEach(([mindspore, nhwc], i) => {
  seeds[`derived-edge-offsets-${i}`] = derived({
    mindspore, nhwc, mask: true, bias: true, threads: 1 + i, kh: 3, kw: 3, padding: [1, 1, 1, 1], height: 4, width: 5,
    channelsPerGroup: 2, outPerGroup: 2, values: edgeOffsets,
  });
  seeds[`derived-groups-${i}`] = derived({
    mindspore, nhwc, mask: i % 2 === 0, bias: i < 2, threads: 4 - i, groups: 3, offsetGroups: 2, channelsPerGroup: 1,
    outPerGroup: 2, kh: 2, kw: 3, stride: [2, 1], dilation: [1, 2], padding: [1, 0, 2, 1], batch: 2, height: 6, width: 7,
  });
});
// NaN in the mask, the input, the weight and the bias (offsets zero): C_in 1, C_out 2, 2x2 kernel, 3x3 input.
const fill = (n, code) => new Array(n).fill(code);
const withNaN = (n, at) => fill(n, F(0.5)).map((c, i) => (i === at ? NAN : c));
seeds['derived-nan-everywhere'] = derived({
  mask: true, bias: true, kh: 2, kw: 2, height: 3, width: 3, outPerGroup: 2,
  values: [...fill(2 * 4 * 4, F(0)), ...withNaN(4 * 4, 5), ...withNaN(9, 4), ...withNaN(8, 0), NAN, F(1)],
});
seeds['derived-dcnv1-mindspore'] = derived({ mindspore: true, kh: 3, kw: 1, height: 5, width: 2, threads: 2, values: edgeOffsets });
seeds['derived-empty'] = [0];

// Raw requests that stress the validator's arithmetic.
const M = 2147483647;
seeds['raw-four-huge-dims'] = raw({ input: [M, M, M, M], weight: [1, M, 1, 1], offset: [M, 2, M, M], stride: [1, 1, 1, 1].slice(0, 2), padding: [0, 0], dilation: [1, 1] });
seeds['raw-over-2-31-elements'] = raw({ input: [1, 65536, 65536, 1], weight: [2, 65536, 1, 1], offset: [1, 2, 65536, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1] });
seeds['raw-over-4-gib'] = raw({ input: [1, 1 << 30, 1, 1].map(Number), weight: [1, 1 << 30, 1, 1].map(Number), offset: [1, 2, 1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1] });
seeds['raw-huge-padding-and-dilation'] = raw({ input: [1, 1, 4, 4], weight: [1, 1, 3, 3], offset: [1, 18, 2, 2], stride: [M, M], padding: [M, M, M, M], dilation: [M, M] });
seeds['raw-mindspore-huge-groups'] = raw({ mindspore: true, input: [1, 65536, 65535, 19], weight: [65536, 1, 65535, 19], offset: [1, 19, 1, 1], stride: [1, 1, 1, 1], padding: [0, 0, 0, 0], dilation: [1, 1, 1, 1], kernelSize: [65535, 19], groups: 65536, offsetGroups: 65536 });
seeds['raw-negative-and-zero'] = raw({ input: [1, 0, -1, 4], weight: [-2, 1, 1, 1], offset: [1, 2, 4, 4], stride: [0, -1], padding: [-2147483648, 1], dilation: [0] });
seeds['raw-int64-extremes'] = raw({ input: [1, 1, 4, 4], weight: [1, 1, 1, 1], offset: [1, 2, 4, 4], stride: [9223372036854775807n, 1], padding: [-9223372036854775808n], dilation: [1, 4294967296] });
seeds['raw-wrong-ranks'] = raw({ input: [1, 1, 4], weight: [1, 1, 1, 1, 1], offset: [], mask: [1], bias: [1, 1], stride: [1, 1, 1], padding: [1, 1, 1], dilation: [], kernelSize: [1, 1, 1], gradOutput: [1] });

fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });
for (const [name, bytes] of Object.entries(seeds)) fs.writeFileSync(path.join(OUT, name), Buffer.from(bytes));
console.log(`${Object.keys(seeds).length} seeds written to ${path.relative(process.cwd(), OUT)}/`);
