// ONNX's DeformConv operator (opsets 19 and 22) as this package's torchvision-convention call. Inputs X, W,
// offset, and optionally B and mask (absent, or named ''); attributes dilations, group, kernel_shape,
// offset_group, pads ([top, left, bottom, right] for 2-D: ONNX lists the begins, then the ends), strides.
// A node runs here when it is 2-D and float32 as far as the model tells; otherwise onnxruntime runs it.
import { nodeLabel } from './graph.js';
import { ATTRIBUTE_TYPES, ATTRIBUTE_TYPE_NAMES, DATA_TYPE_NAMES, FLOAT, elementCount, floatTensorData, invalidModel } from './onnx-model.js';

const MAX_INT = 2147483647;
const ATTRIBUTES = {
  dilations: ATTRIBUTE_TYPES.INTS, group: ATTRIBUTE_TYPES.INT, kernel_shape: ATTRIBUTE_TYPES.INTS,
  offset_group: ATTRIBUTE_TYPES.INT, pads: ATTRIBUTE_TYPES.INTS, strides: ATTRIBUTE_TYPES.INTS,
};
const INPUT_NAMES = ['X', 'W', 'offset', 'B', 'mask'];
const FIRST_OPSET = 19;

/** A DeformConv node's inputs by their names in the spec: { X, W, offset, B, mask }, null where absent or ''. */
export function deformConvInputs(node) {
  return Object.fromEntries(INPUT_NAMES.map((key, i) => [key, node.inputs[i] || null]));
}

/** A DeformConv of ONNX's own domain. */
export function isDeformConv(node) {
  return node.opType === 'DeformConv' && (node.domain === '' || node.domain === 'ai.onnx');
}

/**
 * Reads a DeformConv node. model: { opset (the ai.onnx opset the model imports), typeOf(name) -> a data type
 * number, 0 when the model does not say; shapeOf(name) -> dims array (numbers, strings, nulls) or null;
 * initializers: Map }.
 * Returns { runsHere: false, reason } for a node onnxruntime must run (not 2-D, not float32), or the node's
 * description: { runsHere: true, node, label, inputs: { X, W, offset, B, mask } (tensor names, null when
 * absent), kernelShape ([kh, kw] or null: from W), strides, dilations, padding ([top, bottom, left, right],
 * this package's order), group, offsetGroup, weight (a Float32Array when W is an initializer), weightDims, bias,
 * biasDims (likewise) }. Throws for a node that is malformed: a missing input, an unknown attribute or one of
 * the wrong type (TypeError), values out of range or shapes that disagree (RangeError); messages name the node.
 */
export function readDeformConv(node, model) {
  const label = `DeformConv node ${nodeLabel(node)}`;
  if (model.opset < FIRST_OPSET) {
    throw invalidModel(`${label}: ONNX defines DeformConv from opset ${FIRST_OPSET}, but the model imports opset ${model.opset} of the default domain`);
  }
  if (node.inputs.length < 3 || node.inputs.length > 5 || !node.inputs[0] || !node.inputs[1] || !node.inputs[2]) {
    throw new TypeError(`${label} must have the inputs X, W and offset, and optionally B and mask; it has [${node.inputs.map((n) => `'${n}'`).join(', ')}]`);
  }
  if (node.outputs.length !== 1 || !node.outputs[0]) {
    throw new TypeError(`${label} must have one output, Y; it has [${node.outputs.map((n) => `'${n}'`).join(', ')}]`);
  }
  const inputs = deformConvInputs(node);
  const attributes = readAttributes(node, label);

  // The spatial rank: from W's rank when the model gives it, else from the attributes; 2 when nothing says.
  const wShape = model.shapeOf(inputs.W);
  const rank = wShape ? wShape.length - 2 : attributes.kernel_shape ? attributes.kernel_shape.length
    : attributes.strides ? attributes.strides.length : attributes.dilations ? attributes.dilations.length
      : attributes.pads ? attributes.pads.length / 2 : 2;
  if (rank !== 2) return { runsHere: false, reason: `${rank}-D (this package computes 2-D DeformConv)` };
  for (const key of INPUT_NAMES) {
    const type = inputs[key] ? model.typeOf(inputs[key]) : 0;
    if (type && type !== FLOAT) {
      return { runsHere: false, reason: `${key} is ${DATA_TYPE_NAMES[type] || `data type ${type}`} (this package computes float32)` };
    }
  }

  const pair = (name, fallback, min) => {
    const v = attributes[name] || fallback;
    if (v.length !== 2 || v.some((x) => x < min)) {
      throw new RangeError(`${label}: ${name} must have 2 values (height, width), each at least ${min}, got [${v.join(', ')}]`);
    }
    return v;
  };
  const strides = pair('strides', [1, 1], 1);
  const dilations = pair('dilations', [1, 1], 1);
  const kernelShape = attributes.kernel_shape ? pair('kernel_shape', null, 1) : null;
  const pads = attributes.pads || [0, 0, 0, 0];
  if (pads.length !== 4 || pads.some((x) => x < 0)) {
    throw new RangeError(`${label}: pads must have 4 values [top, left, bottom, right], each at least 0, got [${pads.join(', ')}]`);
  }
  const group = attributes.group === undefined ? 1 : attributes.group;
  const offsetGroup = attributes.offset_group === undefined ? 1 : attributes.offset_group;
  if (group < 1) throw new RangeError(`${label}: group must be at least 1, got ${group}`);
  if (offsetGroup < 1) throw new RangeError(`${label}: offset_group must be at least 1, got ${offsetGroup}`);

  const spec = {
    runsHere: true, node, label, inputs, kernelShape, strides, dilations, group, offsetGroup,
    padding: [pads[0], pads[2], pads[1], pads[3]],
    weight: null, weightDims: null, bias: null, biasDims: null,
  };
  const wInit = model.initializers.get(inputs.W);
  if (wInit) {
    spec.weightDims = wInit.dims.slice();
    checkWeightDims(spec, spec.weightDims);
    spec.weight = floatTensorData(wInit, `${label}: W ('${inputs.W}')`);
  }
  const bInit = inputs.B ? model.initializers.get(inputs.B) : null;
  if (bInit) {
    spec.biasDims = bInit.dims.slice();
    if (spec.weightDims) checkBiasDims(spec, spec.biasDims, spec.weightDims);
    spec.bias = floatTensorData(bInit, `${label}: B ('${inputs.B}')`);
  }
  // What the model says of X's channels, checked now where it can be.
  const xShape = model.shapeOf(inputs.X);
  if (xShape && xShape.length !== 4) throw new RangeError(`${label}: X must be 4-D (N, C, H, W), but the model declares ${shapeText(xShape)}`);
  if (xShape && spec.weightDims && typeof xShape[1] === 'number') checkChannels(spec, xShape[1], spec.weightDims);
  return spec;
}

function shapeText(shape) {
  return `[${shape.map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

function readAttributes(node, label) {
  const out = {};
  for (const a of node.attributes) {
    const expected = ATTRIBUTES[a.name];
    if (expected === undefined) {
      throw new TypeError(`${label} has the attribute '${a.name}', which DeformConv does not define (it has ${Object.keys(ATTRIBUTES).join(', ')})`);
    }
    if (a.name in out) throw new TypeError(`${label} has the attribute '${a.name}' twice`);
    if (a.refAttrName) throw new TypeError(`${label}: attribute '${a.name}' refers to a function attribute ('${a.refAttrName}'), which only nodes inside functions may do`);
    // IR version 1 models may leave the type out; the value field then says it.
    const type = a.type || (a.has.has('ints') ? ATTRIBUTE_TYPES.INTS : a.has.has('i') ? ATTRIBUTE_TYPES.INT : 0);
    if (type !== expected) {
      throw new TypeError(`${label}: attribute '${a.name}' must be ${ATTRIBUTE_TYPE_NAMES[expected]}, got ${ATTRIBUTE_TYPE_NAMES[type] || `attribute type ${type}`}`);
    }
    const values = type === ATTRIBUTE_TYPES.INTS ? a.ints : [a.i];
    for (const v of values) {
      if (!Number.isSafeInteger(v) || Math.abs(v) > MAX_INT) {
        throw new RangeError(`${label}: attribute '${a.name}' must hold integers between -${MAX_INT} and ${MAX_INT}, got ${v}`);
      }
    }
    out[a.name] = type === ATTRIBUTE_TYPES.INTS ? values.slice() : values[0];
  }
  return out;
}

/** W: (C_out, C_in / group, kh, kw), agreeing with kernel_shape and group. */
export function checkWeightDims(spec, dims) {
  if (dims.length !== 4 || elementCount(dims) === Infinity) {
    throw new RangeError(`${spec.label}: W must be 4-D (C_out, C_in / group, kh, kw), got [${dims.join(', ')}]`);
  }
  if (spec.kernelShape && (dims[2] !== spec.kernelShape[0] || dims[3] !== spec.kernelShape[1])) {
    throw new RangeError(`${spec.label}: kernel_shape is [${spec.kernelShape.join(', ')}], but W is [${dims.join(', ')}]`);
  }
  if (dims[0] % spec.group !== 0) {
    throw new RangeError(`${spec.label}: W's ${dims[0]} output channels cannot be split into group = ${spec.group} groups`);
  }
}

export function checkBiasDims(spec, dims, weightDims) {
  if (dims.length !== 1 || dims[0] !== weightDims[0]) {
    throw new RangeError(`${spec.label}: B must be [${weightDims[0]}] (one value per output channel of W), got [${dims.join(', ')}]`);
  }
}

/** X's channels against W and group, and against offset_group. */
export function checkChannels(spec, channels, weightDims) {
  if (channels !== weightDims[1] * spec.group) {
    throw new RangeError(`${spec.label}: X has ${channels} channels, but W [${weightDims.join(', ')}] with group = ${spec.group} takes ${weightDims[1] * spec.group}`);
  }
  if (channels % spec.offsetGroup !== 0) {
    throw new RangeError(`${spec.label}: X's ${channels} channels cannot be split into offset_group = ${spec.offsetGroup} groups`);
  }
}

/**
 * A call's tensors against the node's attributes: what the core cannot check, since torchvision's
 * convention infers groups and offset groups from the shapes. dims: { X, W, offset, B, mask } (arrays or null).
 */
export function checkCallDims(spec, dims) {
  for (const key of INPUT_NAMES) {
    if (dims[key] && key !== 'B' && dims[key].length !== 4) {
      throw new RangeError(`${spec.label}: ${key} ('${spec.inputs[key]}') must be 4-D, got [${dims[key].join(', ')}]`);
    }
  }
  checkWeightDims(spec, dims.W);
  if (dims.B) checkBiasDims(spec, dims.B, dims.W);
  checkChannels(spec, dims.X[1], dims.W);
  const taps = dims.W[2] * dims.W[3];
  if (dims.offset[1] !== 2 * spec.offsetGroup * taps) {
    throw new RangeError(`${spec.label}: offset must have 2 · offset_group · kh · kw = ${2 * spec.offsetGroup * taps} channels, got [${dims.offset.join(', ')}]`);
  }
  if (dims.mask && dims.mask[1] !== spec.offsetGroup * taps) {
    throw new RangeError(`${spec.label}: mask must have offset_group · kh · kw = ${spec.offsetGroup * taps} channels, got [${dims.mask.join(', ')}]`);
  }
}

/** The torchvision-convention options of the node's call (deformConv2d / prepareDeformConv2d). */
export function callOptions(spec) {
  return { stride: spec.strides, padding: spec.padding, dilation: spec.dilations };
}
