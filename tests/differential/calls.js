// The differential test's calls and comparisons: one configuration (a case in tests/golden's format, made by
// make_cases.py with torchvision's float64 results) through every entry point of the public API in both data
// formats, and each result compared with torchvision elementwise. A failure names the variant, the tensor,
// how many elements are off, and the worst ones with their index and, for offsets and masks, the sampling
// point they belong to. Shared by the Jest suite (WebAssembly builds, and the native tool's results) and
// the WebGPU runner; no dependency, the package comes in as an argument.

const FORWARD_TOLERANCE = 2e-5;
const GRADIENT_TOLERANCE = 1e-4;

/** Every call of a configuration: the one-shot calls and their gradients in both conventions and data
 * formats, and prepared layers. The MindSpore calls take layouts.toMindSpore(offset, mask). */
const VARIANTS = [
  { name: 'forward torchvision NCHW', pass: 'forward', convention: 'torchvision', format: 'NCHW' },
  { name: 'forward torchvision NHWC', pass: 'forward', convention: 'torchvision', format: 'NHWC' },
  { name: 'forward MindSpore NCHW', pass: 'forward', convention: 'mindspore', format: 'NCHW' },
  { name: 'forward MindSpore NHWC', pass: 'forward', convention: 'mindspore', format: 'NHWC' },
  { name: 'prepared torchvision NCHW', pass: 'prepared', convention: 'torchvision', format: 'NCHW' },
  { name: 'prepared MindSpore NHWC', pass: 'prepared', convention: 'mindspore', format: 'NHWC' },
  { name: 'backward torchvision NCHW', pass: 'backward', convention: 'torchvision', format: 'NCHW' },
  { name: 'backward torchvision NHWC', pass: 'backward', convention: 'torchvision', format: 'NHWC' },
  { name: 'backward MindSpore NCHW', pass: 'backward', convention: 'mindspore', format: 'NCHW' },
  { name: 'backward MindSpore NHWC', pass: 'backward', convention: 'mindspore', format: 'NHWC' },
];

// ---------------------------------------------------------------- layouts

/** (N, C, H, W) -> (N, H, W, C), any array type. */
function toNHWC({ data, shape }) {
  const [N, C, H, W] = shape, P = H * W, out = new data.constructor(data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[(n * P + p) * C + c] = data[(n * C + c) * P + p];
  return { data: out, shape: [N, H, W, C] };
}

function tensor(c, key, shapeKey = key) {
  return c[key] === null || c[key] === undefined ? null : { data: Float32Array.from(c[key]), shape: c.shapes[shapeKey] };
}

/** The reference gradient of the offsets in MindSpore's layout: [dx | dy | mask] blocks (mask block 0 for DCNv1). */
function mindsporeGradOffsets(c) {
  const [N, C2, Ho, Wo] = c.shapes.offset, GK = C2 / 2, P = Ho * Wo;
  const out = new Float64Array(N * 3 * GK * P);
  for (let n = 0; n < N; n++) for (let k = 0; k < GK; k++) for (let p = 0; p < P; p++) {
    out[(n * 3 * GK + k) * P + p] = c.grad_offset[(n * C2 + 2 * k + 1) * P + p];
    out[(n * 3 * GK + GK + k) * P + p] = c.grad_offset[(n * C2 + 2 * k) * P + p];
    out[(n * 3 * GK + 2 * GK + k) * P + p] = c.params.has_mask ? c.grad_mask[(n * GK + k) * P + p] : 0;
  }
  return { data: out, shape: [N, 3 * GK, Ho, Wo] };
}

// ---------------------------------------------------------------- calls through the public API

/** padding, stride and dilation written as a torchvision user would: a number, a pair, or four sides. */
function torchvisionOptions(c) {
  const p = c.params, [top, bottom, left, right] = p.padding;
  const pair = ([a, b]) => (a === b ? a : [a, b]);
  const padding = top === bottom && left === right ? pair([top, left]) : p.padding;
  return { stride: pair(p.stride), padding, dilation: pair(p.dilation) };
}

function mindsporeOptions(c, format) {
  const p = c.params;
  return {
    bias: tensor(c, 'bias'), dilations: [1, 1, ...p.dilation], groups: p.groups, deformableGroups: p.offset_groups,
    modulated: p.has_mask, dataFormat: format,
  };
}

/**
 * Calls variant v of case c on instance dc (api: the package, for layouts). Resolves to the results as the
 * API returns them: { output } for a forward call, the gradient object for a backward call.
 */
async function callVariant(api, dc, c, v) {
  const nhwc = (t) => (t && v.format === 'NHWC' ? toNHWC(t) : t);
  const input = nhwc(tensor(c, 'input')), weight = tensor(c, 'weight'), bias = tensor(c, 'bias');
  const gradOutput = nhwc(tensor(c, 'grad_output', 'output'));
  const p = c.params;
  if (v.convention === 'torchvision') {
    const offset = nhwc(tensor(c, 'offset')), mask = nhwc(tensor(c, 'mask'));
    const options = { ...torchvisionOptions(c), bias, mask, dataFormat: v.format };
    if (v.pass === 'forward') return { output: await dc.deformConv2d(input, offset, weight, options) };
    if (v.pass === 'backward') return dc.deformConv2dBackward(gradOutput, input, offset, weight, options);
    const layer = await dc.prepareDeformConv2d(weight, { ...torchvisionOptions(c), bias, dataFormat: v.format });
    try {
      return { output: await layer.forward(input, offset, { mask }) };
    } finally {
      layer.dispose();
    }
  }
  const converted = api.layouts.toMindSpore(tensor(c, 'offset'), tensor(c, 'mask'), p.kernel_size);
  const differs = converted.data.findIndex((x, i) => x !== c.offsets_mindspore[i]);
  if (differs >= 0 || JSON.stringify(converted.shape) !== JSON.stringify(c.shapes.offsets_mindspore)) {
    throw new Error(`layouts.toMindSpore(offset, mask) differs from torchvision's offsets in MindSpore's layout (at ${differs})`);
  }
  const offsets = nhwc(converted), args = [p.kernel_size, [1, 1, ...p.stride], p.padding, mindsporeOptions(c, v.format)];
  if (v.pass === 'forward') return { output: await dc.deformableConv2d(input, weight, offsets, ...args) };
  if (v.pass === 'backward') return dc.deformableConv2dBackward(gradOutput, input, weight, offsets, ...args);
  const layer = await dc.prepareDeformableConv2d(weight, ...args);
  try {
    return { output: await layer.forward(input, offsets) };
  } finally {
    layer.dispose();
  }
}

// ---------------------------------------------------------------- comparison

/** Where element i of a tensor of this shape lies, and for offsets and masks which sample it belongs to. */
function locate(c, kind, format, shape, i) {
  const at = [];
  for (let d = shape.length - 1, r = i; d >= 0; d--) { at.unshift(r % shape[d]); r = Math.floor(r / shape[d]); }
  let where = `[${at.join(', ')}]`;
  if (!['offset', 'offsets', 'mask'].includes(kind)) return where;
  const [n, ch, ho, wo] = format === 'NHWC' ? [at[0], at[3], at[1], at[2]] : at;
  const p = c.params, [kh, kw] = p.kernel_size, K = kh * kw, GK = p.offset_groups * K, P = c.shapes.offset[2] * c.shapes.offset[3];
  let k = ch, part = 'mask';
  if (kind === 'offset') { k = ch >> 1; part = ch & 1 ? 'dx' : 'dy'; }
  if (kind === 'offsets') { k = ch % GK; part = ['dx', 'dy', 'mask'][Math.floor(ch / GK)]; }
  const g = Math.floor(k / K), tap = k % K, i0 = Math.floor(tap / kw), j0 = tap % kw;
  const pix = ho * c.shapes.offset[3] + wo, base = n * 2 * GK * P;
  const dy = c.offset[base + 2 * k * P + pix], dx = c.offset[base + (2 * k + 1) * P + pix];
  const y = ho * p.stride[0] - p.padding[0] + i0 * p.dilation[0] + dy;
  const x = wo * p.stride[1] - p.padding[2] + j0 * p.dilation[1] + dx;
  where += ` (${part} of group ${g}, tap (${i0}, ${j0}), output pixel (${ho}, ${wo}): sample at y = ${y}, x = ${x} ` +
    `on a ${c.shapes.input[2]}x${c.shapes.input[3]} image)`;
  return where;
}

/**
 * null when |ours - ref| <= tol * (1 + |ref|) for every element, else a line: how many elements are off and
 * the five worst (by how far past their allowance). ours may hold null for NaN (JSON from the native tool).
 */
function compareTensor(c, label, kind, format, ours, ref, shape, tol) {
  if (!ours) return `${label}: missing`;
  if (ours.length !== ref.length) return `${label}: ${ours.length} elements, expected ${ref.length}`;
  let bad = 0;
  const worst = [];
  for (let i = 0; i < ref.length; i++) {
    const o = ours[i] === null ? NaN : ours[i], r = ref[i], allowed = tol * (1 + Math.abs(r)), diff = Math.abs(o - r);
    if (diff <= allowed) continue;
    bad += 1;
    const excess = Number.isNaN(diff) ? Infinity : diff / allowed;
    if (worst.length < 5 || excess > worst[worst.length - 1].excess) {
      worst.push({ i, o, r, diff, allowed, excess });
      worst.sort((a, b) => b.excess - a.excess);
      if (worst.length > 5) worst.pop();
    }
  }
  if (!bad) return null;
  const list = worst.map((w) => `${locate(c, kind, format, shape, w.i)}: ours ${w.o}, torchvision ${w.r} ` +
    `(|diff| ${w.diff.toPrecision(3)}, allowed ${w.allowed.toPrecision(3)})`);
  return `${label} [${shape.join(', ')}]: ${bad} of ${ref.length} elements outside ${tol}·(1 + |ref|); worst:\n      ${list.join('\n      ')}`;
}

function shapeOf(t) {
  return t && (t.shape || t.dims);
}

/**
 * Compares the results of variant v (as callVariant returns them, or the native tool's mapped to the same
 * names) with the case's reference. Returns a list of problems, empty when everything agrees.
 */
function compareVariant(c, v, results) {
  const problems = [];
  const nhwc = v.format === 'NHWC';
  const ref = (data, shape) => (nhwc ? toNHWC({ data: Float64Array.from(data), shape }) : { data: Float64Array.from(data), shape });
  const expectTensor = (label, kind, got, reference, tol) => {
    if (!got) { problems.push(`${v.name}: ${label} missing`); return; }
    const shape = shapeOf(got);
    if (JSON.stringify(Array.from(shape)) !== JSON.stringify(reference.shape)) {
      problems.push(`${v.name}: ${label} has shape [${shape}], expected [${reference.shape}]`);
      return;
    }
    const line = compareTensor(c, label, kind, v.format, got.data, reference.data, reference.shape, tol);
    if (line) problems.push(`${v.name}: ${line}`);
  };
  const expectNull = (label, got) => { if (got !== null) problems.push(`${v.name}: ${label} should be null`); };
  if (v.pass !== 'backward') {
    expectTensor('output', 'output', results.output, ref(c.output, c.shapes.output), FORWARD_TOLERANCE);
    return problems;
  }
  const G = GRADIENT_TOLERANCE;
  if (v.convention === 'torchvision') {
    expectTensor('gradInput', 'input', results.gradInput, ref(c.grad_input, c.shapes.input), G);
    expectTensor('gradOffset', 'offset', results.gradOffset, ref(c.grad_offset, c.shapes.offset), G);
    if (c.params.has_mask) expectTensor('gradMask', 'mask', results.gradMask, ref(c.grad_mask, c.shapes.mask), G);
    else expectNull('gradMask', results.gradMask);
  } else {
    expectTensor('gradX', 'input', results.gradX, ref(c.grad_input, c.shapes.input), G);
    const ms = mindsporeGradOffsets(c);
    expectTensor('gradOffsets', 'offsets', results.gradOffsets, ref(ms.data, ms.shape), G);
  }
  expectTensor('gradWeight', 'weight', results.gradWeight, { data: Float64Array.from(c.grad_weight), shape: c.shapes.weight }, G);
  if (c.params.has_bias) expectTensor('gradBias', 'bias', results.gradBias, { data: Float64Array.from(c.grad_bias), shape: c.shapes.bias }, G);
  else expectNull('gradBias', results.gradBias);
  return problems;
}

/** Calls and compares every variant (or those given) of case c; a rejected call is a problem too. */
async function checkCase(api, dc, c, variants = VARIANTS) {
  const problems = [];
  for (const v of variants) {
    try {
      problems.push(...compareVariant(c, v, await callVariant(api, dc, c, v)));
    } catch (e) {
      problems.push(`${v.name}: the call failed: ${e && e.message ? e.message : e}`);
    }
  }
  return problems;
}

/** The replayable account of a failed configuration: what it is, how to replay it, its first 12 problems. */
function report(c, where, problems, replay) {
  const more = problems.length > 12 ? [`  ... and ${problems.length - 12} more`] : [];
  return [`${c.name} on ${where}: ${c.config.description}`, `  replay: ${replay}`,
    ...problems.slice(0, 12).map((p) => `  ${p}`), ...more].join('\n');
}

module.exports = {
  FORWARD_TOLERANCE, GRADIENT_TOLERANCE, VARIANTS, toNHWC, callVariant, compareVariant, checkCase, report,
};
