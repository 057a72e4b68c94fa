// The WebGPU checks that run inside a WebGPU environment (Node.js with the npm package `webgpu`, or a
// Chromium page) and report one { name, ok, message } per check of checks.json. Plain ES module without
// Node APIs, so node-runner.mjs and browser.html share it; the Jest suites (tests/js/webgpu-*.test.js)
// start the runners and turn every result into a test.
// Tolerances are DEVELOPERS' standard: forward 2e-5 * (1 + |ref|), gradients 1e-4 * (1 + |ref|), elementwise.

export const FORWARD_TOLERANCE = 2e-5;
export const GRADIENT_TOLERANCE = 1e-4;

/** Runs fn and records its outcome as a result (fn throws to fail). */
export async function check(results, name, fn) {
  try {
    await fn();
    results.push({ name, ok: true, message: '' });
  } catch (e) {
    results.push({ name, ok: false, message: String(e && e.stack ? e.stack : e).slice(0, 2000) });
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Throws unless |ours - ref| <= tol * (1 + |ref|) everywhere (NaN matches NaN, an infinity itself). */
export function expectClose(ours, ref, tol, label) {
  assert(ours.length === ref.length, `${label}: ${ours.length} elements, expected ${ref.length}`);
  const bad = [];
  for (let i = 0; i < ref.length; i++) {
    const o = ours[i], r = ref[i];
    if (o === r || (Number.isNaN(o) && Number.isNaN(r))) continue; // infinities match themselves
    if (!(Math.abs(o - r) <= tol * (1 + Math.abs(r)))) bad.push(`[${i}] ours ${o} ref ${r}`);
  }
  assert(!bad.length, `${label}: ${bad.length} of ${ref.length} elements outside ${tol}·(1+|ref|): ${bad.slice(0, 4).join('; ')}`);
}

// ---------------------------------------------------------------- golden cases as calls
function tensor(c, key, shapeKey = key) {
  return c[key] === null || c[key] === undefined ? null : { data: Float32Array.from(c[key]), shape: c.shapes[shapeKey] };
}

/** (N, C, H, W) -> (N, H, W, C), any array type. */
export function toNHWC({ data, shape }) {
  const [N, C, H, W] = shape, P = H * W, out = new data.constructor(data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[(n * P + p) * C + c] = data[(n * C + c) * P + p];
  return { data: out, shape: [N, H, W, C] };
}

const nhwc = (t) => (t ? toNHWC(t) : t);

/** deformConv2d arguments of a case (NCHW or NHWC). */
export function torchvisionArgs(c, format = 'NCHW') {
  const p = c.params, f = format === 'NHWC' ? nhwc : (t) => t;
  return [f(tensor(c, 'input')), f(tensor(c, 'offset')), tensor(c, 'weight'), {
    bias: tensor(c, 'bias'), mask: f(tensor(c, 'mask')), stride: p.stride, padding: p.padding, dilation: p.dilation, dataFormat: format,
  }];
}

/** deformableConv2d arguments of a case (NCHW or NHWC). */
export function mindsporeArgs(c, format = 'NCHW') {
  const p = c.params, f = format === 'NHWC' ? nhwc : (t) => t;
  return [f(tensor(c, 'input')), tensor(c, 'weight'), f(tensor(c, 'offsets_mindspore')), p.kernel_size,
    [1, 1, ...p.stride], p.padding, {
      bias: tensor(c, 'bias'), dilations: [1, 1, ...p.dilation], groups: p.groups,
      deformableGroups: p.offset_groups, modulated: p.has_mask, dataFormat: format,
    }];
}

/** A reference tensor of the case (float64) in the format. */
export function reference(c, key, format, shapeKey = key) {
  const t = { data: Float64Array.from(c[key]), shape: c.shapes[shapeKey] };
  return format === 'NHWC' ? toNHWC(t).data : t.data;
}

/** The reference offset gradient in MindSpore's layout: [d dx | d dy | d mask] blocks (0 without a mask). */
function referenceGradOffsets(c, format) {
  const [N, C2, Ho, Wo] = c.shapes.offset, GK = C2 / 2, P = Ho * Wo;
  const out = new Float64Array(N * 3 * GK * P);
  for (let n = 0; n < N; n++) for (let k = 0; k < GK; k++) for (let p = 0; p < P; p++) {
    out[(n * 3 * GK + k) * P + p] = c.grad_offset[(n * C2 + 2 * k + 1) * P + p];
    out[(n * 3 * GK + GK + k) * P + p] = c.grad_offset[(n * C2 + 2 * k) * P + p];
    out[(n * 3 * GK + 2 * GK + k) * P + p] = c.params.has_mask ? c.grad_mask[(n * GK + k) * P + p] : 0;
  }
  const t = { data: out, shape: [N, 3 * GK, Ho, Wo] };
  return format === 'NHWC' ? toNHWC(t).data : out;
}

export function outputShape(c, format) {
  const [N, C, H, W] = c.shapes.output;
  return format === 'NHWC' ? [N, H, W, C] : [N, C, H, W];
}

/** One forward call of a case, compared with the reference. */
export async function checkForward(dc, c, convention, format) {
  const y = convention === 'torchvision'
    ? await dc.deformConv2d(...torchvisionArgs(c, format))
    : await dc.deformableConv2d(...mindsporeArgs(c, format));
  assert(y.data instanceof Float32Array, 'the output is not a Float32Array');
  assert(JSON.stringify(y.shape) === JSON.stringify(outputShape(c, format)), `output shape ${y.shape}`);
  expectClose(y.data, reference(c, 'output', format), FORWARD_TOLERANCE, 'output');
}

/** One backward call of a case, every gradient compared with the reference. */
export async function checkBackward(dc, c, convention, format) {
  const gradOutput = tensor(c, 'grad_output', 'output');
  const go = format === 'NHWC' ? toNHWC(gradOutput) : gradOutput;
  if (convention === 'torchvision') {
    const g = await dc.deformConv2dBackward(go, ...torchvisionArgs(c, format));
    expectClose(g.gradInput.data, reference(c, 'grad_input', format, 'input'), GRADIENT_TOLERANCE, 'gradInput');
    expectClose(g.gradOffset.data, reference(c, 'grad_offset', format, 'offset'), GRADIENT_TOLERANCE, 'gradOffset');
    if (c.params.has_mask) expectClose(g.gradMask.data, reference(c, 'grad_mask', format, 'mask'), GRADIENT_TOLERANCE, 'gradMask');
    else assert(g.gradMask === null, 'gradMask must be null without a mask');
    expectClose(g.gradWeight.data, Float64Array.from(c.grad_weight), GRADIENT_TOLERANCE, 'gradWeight');
    if (c.params.has_bias) expectClose(g.gradBias.data, Float64Array.from(c.grad_bias), GRADIENT_TOLERANCE, 'gradBias');
    else assert(g.gradBias === null, 'gradBias must be null without a bias');
  } else {
    const g = await dc.deformableConv2dBackward(go, ...mindsporeArgs(c, format));
    expectClose(g.gradX.data, reference(c, 'grad_input', format, 'input'), GRADIENT_TOLERANCE, 'gradX');
    expectClose(g.gradOffsets.data, referenceGradOffsets(c, format), GRADIENT_TOLERANCE, 'gradOffsets');
    expectClose(g.gradWeight.data, Float64Array.from(c.grad_weight), GRADIENT_TOLERANCE, 'gradWeight');
    if (c.params.has_bias) expectClose(g.gradBias.data, Float64Array.from(c.grad_bias), GRADIENT_TOLERANCE, 'gradBias');
  }
}

/** Runs check name "forward torchvision NCHW" (etc.) of checks.json on case c. */
export function runNamedCheck(dc, c, check) {
  const [, pass, convention, format] = /^(?:split )?(forward|backward) (torchvision|MindSpore) (NCHW|NHWC)$/.exec(check);
  const which = convention === 'torchvision' ? 'torchvision' : 'mindspore';
  return pass === 'forward' ? checkForward(dc, c, which, format) : checkBackward(dc, c, which, format);
}

/** Every golden check of every case on one instance. */
export async function goldenChecks(dc, cases, checks) {
  const results = [];
  for (const c of cases) {
    for (const name of checks) await check(results, `${c.name}: ${name}`, () => runNamedCheck(dc, c, name));
  }
  return results;
}

// ---------------------------------------------------------------- a device with small limits
/**
 * The device seen through a Proxy that reports maxStorageBufferBindingSize and maxBufferSize =
 * settings.maxBytes (so the backend splits calls as it would for inputs above a real device's limits; the
 * value may change between calls; settings.maxBufferSize, when given, is maxBufferSize instead) and counts
 * submits and buffers in settings: { maxBytes, submits, created, destroyed }, updated in place.
 */
export function limitedDevice(device, settings) {
  Object.assign(settings, { submits: 0, created: 0, destroyed: 0, ...settings });
  const limits = new Proxy(device.limits, {
    get: (t, k) => {
      if (k === 'maxStorageBufferBindingSize') return settings.maxBytes;
      return k === 'maxBufferSize' ? settings.maxBufferSize || settings.maxBytes : t[k];
    },
  });
  const queue = new Proxy(device.queue, {
    get: (t, k) => {
      if (k === 'submit') return (buffers) => { settings.submits += 1; return t.submit(buffers); };
      const v = t[k];
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  return new Proxy(device, {
    get: (t, k) => {
      if (k === 'limits') return limits;
      if (k === 'queue') return queue;
      if (k === 'createBuffer') {
        return (descriptor) => {
          const buffer = t.createBuffer(descriptor);
          settings.created += 1;
          const destroy = buffer.destroy.bind(buffer);
          buffer.destroy = () => { settings.destroyed += 1; destroy(); };
          return buffer;
        };
      }
      const v = t[k];
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

/**
 * Runs fn in an engine that says it has no WebAssembly SIMD: WebAssembly.validate (the package's feature
 * test) answers false meanwhile. Nothing else of WebAssembly changes.
 */
export async function withoutWasmSimd(fn) {
  const validate = WebAssembly.validate;
  WebAssembly.validate = () => false;
  try {
    return await fn();
  } finally {
    WebAssembly.validate = validate;
  }
}

/** Seeded generator (LCG) of floats in [0, 1). */
export function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * A random small configuration (torchvision layout, NCHW) as deformConv2d arguments plus a gradOutput:
 * { args: [input, offset, weight, options], gradOutput, label }. Weight groups, offset groups, kernel, stride,
 * padding, dilation, mask and bias all vary; depthwise and 1-row kernels come up often.
 */
export function randomConfiguration(rand) {
  const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const tensorOf = (shape, lo = -1, hi = 1) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rand();
    return { data, shape };
  };
  const groups = pick(1, 4), G = pick(1, 3);
  const C = groups * G * pick(1, 3);
  const Co = groups * pick(1, 5);
  const kh = pick(1, 3), kw = pick(1, 4);
  const stride = [pick(1, 2), pick(1, 3)], dilation = [pick(1, 2), pick(1, 2)];
  const padding = [pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)];
  const N = pick(1, 2);
  const H = Math.max(pick(1, 9), dilation[0] * (kh - 1) + 1 - padding[0] - padding[1]);
  const W = Math.max(pick(1, 9), dilation[1] * (kw - 1) + 1 - padding[2] - padding[3]);
  const Ho = Math.floor((H + padding[0] + padding[1] - (dilation[0] * (kh - 1) + 1)) / stride[0]) + 1;
  const Wo = Math.floor((W + padding[2] + padding[3] - (dilation[1] * (kw - 1) + 1)) / stride[1]) + 1;
  const mask = rand() < 0.7 ? tensorOf([N, G * kh * kw, Ho, Wo], -1, 2) : null;
  const bias = rand() < 0.7 ? tensorOf([Co]) : null;
  return {
    label: `N${N} C${C} Co${Co} groups${groups} G${G} k${kh}x${kw} stride${stride} pad${padding} dil${dilation}${mask ? ' mask' : ''}${bias ? ' bias' : ''}`,
    args: [tensorOf([N, C, H, W]), tensorOf([N, 2 * G * kh * kw, Ho, Wo], -3, 3), tensorOf([Co, C / groups, kh, kw]),
      { mask, bias, stride, padding, dilation }],
    gradOutput: tensorOf([N, Co, Ho, Wo]),
  };
}

/** Bytes of the largest tensor of a case (to know whether a limit forces a split). */
export function largestTensorBytes(c) {
  return 4 * Math.max(...Object.values(c.shapes).filter(Boolean).map((s) => s.reduce((a, b) => a * b, 1)));
}
