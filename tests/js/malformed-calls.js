// A seeded generator of malformed calls, driven by a table of entry points (ENTRY_POINTS below). An entry
// point says how to build a valid call from a random small configuration and lists its argument slots;
// the generator breaks one slot (or two) at a time with mutations that cannot give a valid call, and says
// which Error class the call must reject with and which argument names its message may name.
//
// To cover a new entry point, add one object to ENTRY_POINTS: its name, how to call it, how to build its
// arguments from a case, and its slots (tensorSlot, listSlot, intSlot, enumSlot, boolSlot, optionsSlot,
// plus `relations` for shape mismatches between its tensors).
//
// checkMalformedCalls() makes an entry point's calls and checks every rejection. Plain CommonJS without the
// package, so that both the Jest suite (hostile-calls.test.js) and the WebGPU runner
// (tests/webgpu/node-runner.mjs, an ES module) load it.
const { random } = require('./seeded-random');

const MAX = 2147483647;

// ---------------------------------------------------------------- cases

/**
 * A random valid configuration with everything a call needs in both conventions. kh, kw >= 2 and
 * Ho, Wo >= 2, so that a huge stride, padding or dilation always changes the output size.
 */
function makeCase(rand, layouts) {
  const pick = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const groups = pick(1, 2), G = pick(1, 2);
  const C = groups * G * pick(1, 2), Co = groups * pick(1, 3);
  const kh = pick(2, 3), kw = pick(2, 3);
  const stride = [pick(1, 2), pick(1, 2)], dilation = [pick(1, 2), pick(1, 2)];
  const padding = [pick(0, 1), pick(0, 1), pick(0, 1), pick(0, 1)];
  const N = pick(1, 2);
  const H = dilation[0] * (kh - 1) + 1 - padding[0] - padding[1] + stride[0] + pick(0, 3);
  const W = dilation[1] * (kw - 1) + 1 - padding[2] - padding[3] + stride[1] + pick(0, 3);
  const Ho = Math.floor((H + padding[0] + padding[1] - (dilation[0] * (kh - 1) + 1)) / stride[0]) + 1;
  const Wo = Math.floor((W + padding[2] + padding[3] - (dilation[1] * (kw - 1) + 1)) / stride[1]) + 1;
  const K = kh * kw;
  const nhwc = rand() < 0.25;
  const act = (n, c, h, w) => (nhwc ? [n, h, w, c] : [n, c, h, w]);
  const filled = (shape) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;
    return { data, shape };
  };
  const c = {
    N, C, H, W, Co, kh, kw, K, G, groups, stride, padding, dilation, Ho, Wo, nhwc,
    hasMask: rand() < 0.6, hasBias: rand() < 0.6,
    // channel index of activation tensors in this case's data format
    channelDim: nhwc ? 3 : 1, heightDim: nhwc ? 1 : 2, widthDim: nhwc ? 2 : 3,
    input: filled(act(N, C, H, W)),
    offset: filled(act(N, 2 * G * K, Ho, Wo)),
    mask: filled(act(N, G * K, Ho, Wo)),
    weight: filled([Co, C / groups, kh, kw]),
    bias: filled([Co]),
    gradOutput: filled(act(N, Co, Ho, Wo)),
  };
  // MindSpore's offsets hold the same numbers in [dx | dy | mask] blocks; their values do not matter here.
  c.offsets = filled(act(N, 3 * G * K, Ho, Wo));
  // layouts work on NCHW only
  c.offsetNCHW = filled([N, 2 * G * K, Ho, Wo]);
  c.maskNCHW = filled([N, G * K, Ho, Wo]);
  c.offsetsNCHW = filled([N, 3 * G * K, Ho, Wo]);
  if (layouts) c.nhwc = false;
  return c;
}

const t = (x) => (x ? { data: x.data, shape: [...x.shape] } : null);

// ---------------------------------------------------------------- values that break things

function detachedFloat32(n) {
  const view = new Float32Array(n);
  structuredClone(view.buffer, { transfer: [view.buffer] }); // the view now has length 0
  return view;
}
function sharedFloat32(n) {
  return new Float32Array(new SharedArrayBuffer(4 * n));
}
function viewWithOffset(n) {
  return new Float32Array(n + 3).subarray(3);
}

const NOT_A_TENSOR = [42, 'tensor', true, [], [1, 2, 3], new Float32Array(4), () => 1, Symbol('x'), new Map(), 1n];
const NOT_FLOAT32 = [
  (n) => new Float64Array(n), (n) => new Int32Array(n), (n) => new Uint8Array(n), (n) => new Uint8ClampedArray(n),
  (n) => new Int16Array(n), (n) => new BigInt64Array(n), (n) => Array.from({ length: n }, () => 0.5),
  (n) => new DataView(new ArrayBuffer(4 * n)), (n) => new ArrayBuffer(4 * n), () => null, () => undefined,
  () => 'data', (n) => ({ length: n, 0: 1 }), (n) => detachedFloat32(n),
];
const BAD_SHAPE_KIND = [undefined, null, 'shape', 5, {}, true];
const BAD_DIM_KIND = [null, undefined, '3', true, 3n, [3], {}];
const BAD_DIM_VALUE = [NaN, 1.5, -1, -3, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1e300, -(2 ** 31)];

// ---------------------------------------------------------------- slots and their mutations
// A mutation: { label, apply(current, c) -> new value, error: TypeError | RangeError, names: [...] }.

function tensorSlot(path, name, role, { optional = false } = {}) {
  const full = (c) => c[role];
  const mutations = [];
  const E = (label, apply, error, names = [name]) => mutations.push({ label: `${name}: ${label}`, apply, error, names });
  const len = (c) => full(c).data.length;
  if (!optional) {
    E('undefined', () => undefined, TypeError);
    E('null', () => null, TypeError);
  }
  NOT_A_TENSOR.forEach((v, i) => E(`not a tensor #${i}`, () => v, TypeError));
  NOT_FLOAT32.forEach((make, i) => E(`data of the wrong kind #${i}`, (_, c) => ({ data: make(len(c)), shape: [...full(c).shape] }), TypeError));
  BAD_SHAPE_KIND.forEach((v, i) => E(`shape of the wrong kind #${i}`, (_, c) => ({ data: full(c).data, shape: v }), TypeError));
  BAD_DIM_KIND.forEach((v, i) => E(`a dimension of the wrong kind #${i}`, (_, c) => {
    const shape = [...full(c).shape];
    shape[i % shape.length] = v;
    return { data: full(c).data, shape };
  }, TypeError));
  BAD_DIM_VALUE.forEach((v, i) => E(`a dimension of a bad value #${i}`, (_, c) => {
    const shape = [...full(c).shape];
    shape[i % shape.length] = v;
    return { data: full(c).data, shape };
  }, RangeError));
  E('a zero dimension', (_, c) => {
    const shape = [...full(c).shape];
    shape[shape.length - 1] = 0;
    return { data: new Float32Array(0), shape };
  }, RangeError);
  // Wrong ranks, with data of the matching length so that the rank is what is wrong.
  for (const rank of [0, 1, 2, 3, 4, 5, 6]) {
    E(`rank ${rank}`, (_, c) => {
      const s = full(c).shape;
      if (rank === s.length) return undefined; // not applicable: skipped by the generator
      const n = s.reduce((a, b) => a * b, 1);
      const shape = rank === 0 ? [] : [...new Array(rank - 1).fill(1), n];
      return { data: rank === 0 ? new Float32Array(1) : full(c).data, shape };
    }, RangeError);
  }
  // Data that does not match its shape, in every form of Float32Array.
  const lengths = [(n) => n - 1, () => 0, (n) => n + 1, (n) => Math.floor(n / 2)];
  const forms = [(n) => new Float32Array(n), sharedFloat32, viewWithOffset];
  lengths.forEach((L, i) => forms.forEach((form, j) => E(`data of the wrong length #${i}.${j}`, (_, c) => {
    const n = L(len(c));
    return n === len(c) || n < 0 ? undefined : { data: form(n), shape: [...full(c).shape] };
  }, RangeError)));
  return { path, name, role, kind: 'tensor', optional, mutations };
}

/** A list of integers (stride, padding, dilation, kernelSize, ...). */
// partners: other arguments an invalid value may be reported against (kernelSize against offset's channels).
function listSlot(path, name, { allowNumber = true, invalid = [], partners = [] } = {}) {
  const mutations = [];
  const E = (label, apply, error, names = [name]) => mutations.push({ label: `${name}: ${label}`, apply, error, names });
  if (path.length === 1) E('undefined', () => undefined, TypeError);
  [null, 'list', {}, true, () => [1], Symbol('s'), 1n].forEach((v, i) => E(`not a list #${i}`, () => v, TypeError));
  if (!allowNumber) E('a number', () => 1, TypeError);
  [[null], ['1'], [1n], [undefined], [true], [[1]], [{}]].forEach((v, i) => E(`an entry of the wrong kind #${i}`, () => v, TypeError));
  [[NaN], [1.5], [Infinity], [-Infinity], [2 ** 31], [-(2 ** 31) - 5], [1e300, 1], [1, 2 ** 53]].forEach((v, i) =>
    E(`an entry of a bad value #${i}`, () => v, RangeError));
  invalid.forEach((make, i) => E(`an invalid value #${i}`, (cur, c) => make(c), RangeError, [name, ...partners]));
  return { path, name, kind: 'list', mutations };
}

/** One integer (groups, deformableGroups). */
function intSlot(path, name, { invalid = [] } = {}) {
  const mutations = [];
  const E = (label, apply, error) => mutations.push({ label: `${name}: ${label}`, apply, error, names: [name] });
  [null, '1', true, [1], {}, 1n, () => 1].forEach((v, i) => E(`not a number #${i}`, () => v, TypeError));
  [NaN, 1.5, Infinity, -Infinity, 0, -1, 2 ** 31, -(2 ** 40)].forEach((v, i) => E(`a bad value #${i}`, () => v, RangeError));
  invalid.forEach((make, i) => E(`an invalid value #${i}`, (cur, c) => make(c), RangeError));
  return { path, name, kind: 'int', mutations };
}

function enumSlot(path, name, { badStrings, badKinds }) {
  const mutations = [];
  badStrings.forEach((v, i) => mutations.push({ label: `${name}: bad string #${i}`, apply: () => v, error: RangeError, names: [name] }));
  badKinds.forEach((v, i) => mutations.push({ label: `${name}: bad kind #${i}`, apply: () => v, error: TypeError, names: [name] }));
  return { path, name, kind: 'enum', mutations };
}

function boolSlot(path, name) {
  const mutations = ['true', 1, 0, null, {}, [true]].map((v, i) => ({ label: `${name}: not a boolean #${i}`, apply: () => v, error: TypeError, names: [name] }));
  return { path, name, kind: 'bool', mutations };
}

/** The options object itself: not an object, or an unknown key. */
function optionsSlot(path, name, { unknownKeys }) {
  const mutations = [];
  [5, 'options', true, [], [{}], () => ({}), Symbol('o'), 1n].forEach((v, i) =>
    mutations.push({ label: `${name}: not an object #${i}`, apply: () => v, error: TypeError, names: [name] }));
  unknownKeys.forEach((key) => mutations.push({
    label: `${name}: unknown key ${key}`, apply: (cur) => ({ ...(cur || {}), [key]: 1 }), error: TypeError, names: [name],
  }));
  return { path, name, kind: 'options', mutations };
}

/**
 * Shape mismatches between tensors: each relation changes one dimension of one tensor (its data resized
 * to match, so only the relation is broken) and names the pair. Every change here is invalid whatever
 * the case (e.g. offset channels + 1 is odd, so never 2 * G * kh * kw).
 */
function relation(role, name, dim, delta, partners, { when = () => true } = {}) {
  const dimLabel = typeof dim === 'function' ? dim.toString().replace(/^.*c\.(\w+)Dim.*$/, '$1') : dim;
  const deltaLabel = typeof delta === 'function' ? 'changed' : `${delta > 0 ? '+' : ''}${delta}`;
  return {
    label: `${name} vs ${partners.join('/')}: shape[${dimLabel}] ${deltaLabel}`,
    role, names: [name, ...partners], error: RangeError, when,
    apply: (c, currentRole = role) => {
      const s = [...c[currentRole].shape];
      const d = typeof dim === 'function' ? dim(c) : dim;
      s[d] = typeof delta === 'function' ? delta(c) : s[d] + delta;
      return { data: new Float32Array(s.reduce((a, b) => a * b, 1)), shape: s };
    },
  };
}

// ---------------------------------------------------------------- the entry points

const TORCH_KEYS = ['strides', 'Stride', 'dilations', 'groups', 'modulated', 'deformableGroups', 'kernelSize', 'data_format'];
const MS_KEYS = ['mask', 'stride', 'dilation', 'deformable_groups', 'Groups', 'data_format', 'offsetGroups'];
const DATA_FORMAT = { badStrings: ['nchw', 'NWHC', '', 'NCHW ', 'CHW'], badKinds: [null, 0, {}, true, ['NCHW']] };

const torchvisionSlots = (shift, optionsAt, { backward = false } = {}) => [
  tensorSlot([shift], 'input', 'input'),
  tensorSlot([shift + 1], 'offset', 'offset'),
  tensorSlot([shift + 2], 'weight', 'weight'),
  optionsSlot([optionsAt], 'options', { unknownKeys: TORCH_KEYS }),
  tensorSlot([optionsAt, 'mask'], 'mask', 'mask', { optional: true }),
  tensorSlot([optionsAt, 'bias'], 'bias', 'bias', { optional: true }),
  listSlot([optionsAt, 'stride'], 'stride', { invalid: [() => [0, 1], () => [1, -1], () => [], () => [1, 1, 1], () => [MAX, MAX]] }),
  listSlot([optionsAt, 'padding'], 'padding', { invalid: [() => [-1, 0], () => [1, 1, 1], () => [], () => [MAX], () => [0, 0, 0, 0, 0]] }),
  listSlot([optionsAt, 'dilation'], 'dilation', { invalid: [() => 0, () => [1, -2], () => [], () => [MAX, MAX], () => [1, 1, 1]] }),
  enumSlot([optionsAt, 'dataFormat'], 'dataFormat', DATA_FORMAT),
  ...(backward ? [tensorSlot([0], 'gradOutput', 'gradOutput')] : []),
];

const mindsporeSlots = (shift, { backward = false } = {}) => [
  tensorSlot([shift], 'x', 'input'),
  tensorSlot([shift + 1], 'weight', 'weight'),
  tensorSlot([shift + 2], 'offsets', 'offsets'),
  listSlot([shift + 3], 'kernelSize', { invalid: [(c) => [c.kh + 1, c.kw], (c) => [c.kh, c.kw + 1], () => [0, 0], () => [1, 1, 1], () => [-2, 2]] }),
  listSlot([shift + 4], 'strides', { allowNumber: false, invalid: [() => [1, 1], () => [2, 1, 1, 1], () => [1, 2, 1, 1], () => [1, 1, 0, 1], () => [1, 1, MAX, MAX]] }),
  listSlot([shift + 5], 'padding', { allowNumber: false, invalid: [() => [1, 1], () => [0, 0, -1, 0], () => [], () => [MAX, 0, 0, 0]] }),
  optionsSlot([shift + 6], 'options', { unknownKeys: MS_KEYS }),
  tensorSlot([shift + 6, 'bias'], 'bias', 'bias', { optional: true }),
  listSlot([shift + 6, 'dilations'], 'dilations', { allowNumber: false, invalid: [() => [1, 1], () => [2, 1, 1, 1], () => [1, 1, 0, 1], () => [1, 1, MAX, MAX]] }),
  intSlot([shift + 6, 'groups'], 'groups', { invalid: [(c) => c.C + 1, (c) => 2 * c.C + 2] }),  // never divide C_in
  // G + 1 either does not divide C_in or changes the offsets' channel rule 3 * deformableGroups * kh * kw.
  intSlot([shift + 6, 'deformableGroups'], 'deformableGroups', { invalid: [(c) => c.C + 1, (c) => c.G + 1] }),
  boolSlot([shift + 6, 'modulated'], 'modulated'),
  enumSlot([shift + 6, 'dataFormat'], 'dataFormat', DATA_FORMAT),
  ...(backward ? [tensorSlot([0], 'gradOutput', 'gradOutput')] : []),
];

// Relations between the tensors of a convolution call (torchvision names; mindsporeNames renames).
const convRelations = (names, { backward = false, separateMask = true } = {}) => [
  relation('offset', names.offset, 0, 1, [names.input]),
  relation('offset', names.offset, (c) => c.channelDim, 1, [names.weight]),
  relation('offset', names.offset, (c) => c.heightDim, 1, [names.input]),
  relation('offset', names.offset, (c) => c.widthDim, -1, [names.input]),
  relation('weight', 'weight', 1, (c) => c.C + 1, [names.input]),  // never divides C_in (nor equals C_in / groups)
  relation('input', names.input, 0, 1, [names.offset]),
  relation('input', names.input, (c) => c.heightDim, (c) => c.input.shape[c.heightDim] + c.stride[0], [names.offset, 'gradOutput', 'mask']),
  relation('bias', 'bias', 0, 1, ['weight']),
  ...(separateMask ? [
    relation('mask', 'mask', 0, 1, [names.input, names.offset]),
    relation('mask', 'mask', (c) => c.channelDim, 1, [names.offset, 'weight']),
    relation('mask', 'mask', (c) => c.widthDim, 1, [names.offset]),
  ] : []),
  ...(backward ? [
    relation('gradOutput', 'gradOutput', 0, 1, [names.input]),
    relation('gradOutput', 'gradOutput', (c) => c.channelDim, 1, ['weight', 'bias']),
    relation('gradOutput', 'gradOutput', (c) => c.heightDim, 1, [names.input, names.offset]),
    relation('gradOutput', 'gradOutput', (c) => c.widthDim, -1, [names.input, names.offset]),
  ] : []),
];
const TV = { input: 'input', offset: 'offset', weight: 'weight' };
const MS = { input: 'x', offset: 'offsets', weight: 'weight' };

const torchvisionArgs = (c) => [t(c.input), t(c.offset), t(c.weight), {
  mask: c.hasMask ? t(c.mask) : undefined, bias: c.hasBias ? t(c.bias) : null,
  stride: c.stride, padding: c.padding, dilation: c.dilation, dataFormat: c.nhwc ? 'NHWC' : 'NCHW',
}];
const mindsporeArgs = (c) => [t(c.input), t(c.weight), t(c.offsets), [c.kh, c.kw], [1, 1, ...c.stride], [...c.padding], {
  bias: c.hasBias ? t(c.bias) : undefined, dilations: [1, 1, ...c.dilation], groups: c.groups, deformableGroups: c.G,
  modulated: c.hasMask, dataFormat: c.nhwc ? 'NHWC' : 'NCHW',
}];

const ENTRY_POINTS = [
  {
    name: 'deformConv2d',
    args: torchvisionArgs,
    call: (dc, a) => dc.deformConv2d(...a),
    slots: torchvisionSlots(0, 3),
    relations: convRelations(TV),
  },
  {
    name: 'deformableConv2d',
    args: mindsporeArgs,
    call: (dc, a) => dc.deformableConv2d(...a),
    slots: mindsporeSlots(0),
    relations: convRelations(MS, { separateMask: false }).map((r) => (r.role === 'offset' ? { ...r, role: 'offsets' } : r)),
  },
  {
    name: 'deformConv2dBackward',
    args: (c) => [t(c.gradOutput), ...torchvisionArgs(c)],
    call: (dc, a) => dc.deformConv2dBackward(...a),
    slots: torchvisionSlots(1, 4, { backward: true }),
    relations: convRelations(TV, { backward: true }),
  },
  {
    name: 'deformableConv2dBackward',
    args: (c) => [t(c.gradOutput), ...mindsporeArgs(c)],
    call: (dc, a) => dc.deformableConv2dBackward(...a),
    slots: mindsporeSlots(1, { backward: true }),
    relations: convRelations(MS, { backward: true, separateMask: false }).map((r) => (r.role === 'offset' ? { ...r, role: 'offsets' } : r)),
  },
  // Prepared layers: the layer's arguments given to prepare*, the rest to forward(), in one call; a bad
  // argument must reject the same way (at prepare or at forward), and no layer may be left behind.
  {
    name: 'prepareDeformConv2d+forward',
    args: torchvisionArgs,
    call: async (dc, [input, offset, weight, options]) => {
      const plain = options !== null && typeof options === 'object' && !Array.isArray(options);
      const { mask, ...layerOptions } = plain ? options : {};
      const layer = await dc.prepareDeformConv2d(weight, plain ? layerOptions : options);
      try {
        return await layer.forward(input, offset, plain && 'mask' in options ? { mask } : undefined);
      } finally {
        layer.dispose();
      }
    },
    slots: torchvisionSlots(0, 3),
    relations: convRelations(TV),
  },
  {
    name: 'prepareDeformableConv2d+forward',
    args: mindsporeArgs,
    call: async (dc, [x, weight, offsets, kernelSize, strides, padding, options]) => {
      const layer = await dc.prepareDeformableConv2d(weight, kernelSize, strides, padding, options);
      try {
        return await layer.forward(x, offsets);
      } finally {
        layer.dispose();
      }
    },
    slots: mindsporeSlots(0),
    relations: convRelations(MS, { separateMask: false }).map((r) => (r.role === 'offset' ? { ...r, role: 'offsets' } : r)),
  },
  {
    name: 'layouts.toMindSpore',
    layouts: true,
    args: (c) => [t(c.offsetNCHW), c.hasMask ? t(c.maskNCHW) : null, [c.kh, c.kw]],
    call: (api, a) => api.layouts.toMindSpore(...a),
    slots: [
      tensorSlot([0], 'offset', 'offsetNCHW'),
      tensorSlot([1], 'mask', 'maskNCHW', { optional: true }),
      listSlot([2], 'kernelSize', { invalid: [(c) => [2 * c.G * c.K + 1], () => [0, 1], () => [1, 2, 3], () => []], partners: ['offset'] }),
    ],
    relations: [
      relation('maskNCHW', 'mask', 0, 1, ['offset']),
      relation('maskNCHW', 'mask', 1, 1, ['offset', 'kernelSize']),
      relation('maskNCHW', 'mask', 3, 1, ['offset']),
      relation('offsetNCHW', 'offset', 1, 1, ['kernelSize']),
    ],
  },
  {
    name: 'layouts.fromMindSpore',
    layouts: true,
    args: (c) => [t(c.offsetsNCHW), [c.kh, c.kw]],
    call: (api, a) => api.layouts.fromMindSpore(...a),
    slots: [
      tensorSlot([0], 'offsets', 'offsetsNCHW'),
      listSlot([1], 'kernelSize', { invalid: [(c) => [3 * c.G * c.K + 1], () => [0, 1], () => [1, 2, 3], () => []], partners: ['offsets'] }),
    ],
    relations: [relation('offsetsNCHW', 'offsets', 1, 1, ['kernelSize'])],
  },
  {
    name: 'createDeformConv',
    creates: true,
    args: () => [{ backend: 'wasm', threads: 1, wasmBuild: 'simd' }],
    call: (api, a) => api.createDeformConv(...a),
    slots: [
      optionsSlot([0], 'createDeformConv', { unknownKeys: ['thread', 'Threads', 'build', 'simd', 'device', 'backends'] }),
      enumSlot([0, 'backend'], 'backend', { badStrings: ['cuda', '', 'WASM', 'gpu', 'webgl'], badKinds: [null, 5, {}, true, ['wasm']] }),
      enumSlot([0, 'wasmBuild'], 'wasmBuild', { badStrings: ['fast', '', 'SIMD', 'thread', 'wasm'], badKinds: [null, 1, {}, false, ['simd']] }),
      // true and false are valid values of relaxedSimd; the strings 'true' and 'false' are not.
      enumSlot([0, 'relaxedSimd'], 'relaxedSimd', { badStrings: ['yes', '', 'AUTO', 'true', 'relaxed'], badKinds: [null, 1, 0, {}, ['auto']] }),
      intSlot([0, 'threads'], 'threads', { invalid: [() => 257, () => 1000, () => 2 ** 30] }),
    ],
    relations: [],
  },
];

// ---------------------------------------------------------------- applying mutations

function getAt(args, path) {
  let v = args;
  for (const key of path) v = v == null ? undefined : v[key];
  return v;
}
function setAt(args, path, value) {
  if (path.length === 1) {
    args[path[0]] = value;
    return;
  }
  const holder = args[path[0]];
  args[path[0]] = { ...(holder && typeof holder === 'object' ? holder : {}), [path[1]]: value };
  if (value === undefined) delete args[path[0]][path[1]];
}

/** Every (slot mutation or relation) of an entry point as a list of breakers: (args, case) -> expectation or null. */
function breakersOf(entry) {
  const out = [];
  for (const slot of entry.slots) {
    for (const m of slot.mutations) {
      out.push({
        label: m.label,
        break(args, c) {
          // Nested slots (inside options) only make sense when the options are an object.
          if (slot.path.length === 2 && (typeof args[slot.path[0]] !== 'object' || args[slot.path[0]] === null || Array.isArray(args[slot.path[0]]))) return null;
          const value = m.apply(getAt(args, slot.path), c);
          if (value === undefined && m.error === RangeError) return null; // not applicable to this case
          setAt(args, slot.path, value);
          return { error: m.error, names: m.names, label: m.label };
        },
      });
    }
  }
  for (const r of entry.relations) {
    out.push({
      label: r.label,
      break(args, c) {
        const slot = entry.slots.find((s) => s.kind === 'tensor' && s.role === r.role);
        if (!slot) return null;
        const holder = slot.path.length === 2 ? args[slot.path[0]] : args;
        if (!holder || typeof holder !== 'object') return null;
        if (!getAt(args, slot.path)) return null; // an absent optional tensor has no relation to break
        if (!r.when(c)) return null;
        setAt(args, slot.path, r.apply(c, r.role));
        return { error: r.error, names: r.names, label: r.label };
      },
    });
  }
  return out;
}

/**
 * The calls for one entry point: every breaker once on its own (several cases), then random single and
 * double breaks until `count` calls. Deterministic for a seed.
 */
function* malformedCalls(entry, { seed, count }) {
  const rand = random(seed);
  const cases = Array.from({ length: 12 }, () => makeCase(rand, entry.layouts));
  const breakers = breakersOf(entry);
  let made = 0;
  const attempt = function* (picks, c) {
    const args = entry.args(c);
    const expectations = [];
    for (const b of picks) {
      const e = b.break(args, c);
      if (e) expectations.push(e);
    }
    if (expectations.length === picks.length) {
      made++;
      yield { args, expectations };
    }
  };
  for (let i = 0; i < breakers.length; i++) yield* attempt([breakers[i]], cases[i % cases.length]);
  for (let i = 0; made < count && i < count * 20; i++) {
    const c = cases[Math.floor(rand() * cases.length)];
    const first = breakers[Math.floor(rand() * breakers.length)];
    const picks = [first];
    if (rand() < 0.3) {
      const second = breakers[Math.floor(rand() * breakers.length)];
      if (second.label.split(':')[0] !== first.label.split(':')[0]) picks.push(second);
    }
    yield* attempt(picks, c);
  }
}

/** Whether the message names one of the argument names (as a word: 'offset' does not match 'offsets'). */
function namesOneOf(message, names) {
  return names.some((n) => new RegExp(`(^|[^A-Za-z0-9_])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`).test(message));
}

/** A seed from a name (FNV-1a), so that each entry point and each backend gets calls of its own. */
const seedOf = (name) => [...name].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0, 2166136261);

/**
 * Makes the generator's calls for one entry point on target (an instance, or the package for layouts and
 * createDeformConv), one at a time, and checks each: it must reject with exactly the expected Error class
 * and a message that names one of the expected arguments. Returns { count, failures: [description] }.
 */
async function checkMalformedCalls(entry, target, { seed, count: wanted }) {
  let count = 0;
  const failures = [];
  for (const { args, expectations } of malformedCalls(entry, { seed, count: wanted })) {
    count++;
    let result, error;
    try {
      result = await Promise.resolve().then(() => entry.call(target, args)); // layouts throw synchronously
    } catch (e) {
      error = e;
    }
    const labels = expectations.map((x) => x.label).join(' + ');
    if (!error) {
      failures.push(`${labels}: resolved instead of rejecting`);
      if (entry.creates && result) result.dispose();
      continue;
    }
    const ok = expectations.some((x) => error.constructor === x.error && namesOneOf(String(error.message), x.names));
    if (!ok) {
      const want = expectations.map((x) => `${x.error.name} naming ${x.names.join('|')}`).join(' or ');
      failures.push(`${labels}: ${error && error.constructor && error.constructor.name}: ${error && error.message} (wanted ${want})`);
    }
  }
  return { count, failures };
}

module.exports = {
  ENTRY_POINTS, makeCase, malformedCalls, checkMalformedCalls, seedOf, namesOneOf, torchvisionArgs, mindsporeArgs, random,
};
