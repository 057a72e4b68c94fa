// The two public conventions, parsed into one description of a call (the first step of request.js):
//   { convention, args: a plain object for the core's validator (bindings/wasm/embind_request.h, request_from),
//     tensors: { name: { data, shape } or null }, names: { name: what the caller calls it } }
// Only the kinds of the values and the option names are checked here; shapes and parameters are the core's.
// torchvision.ops.deform_conv2d(input, offset, weight, bias, stride, padding, dilation, mask)
// mindspore.ops.deformable_conv2d(x, weight, offsets, kernel_size, strides, padding, bias, dilations, groups,
//                                 deformable_groups, modulated)
import { checkElementCount, checkOptions, copyOfTensor, dataFormatArg, describe, intArg, intList, isGpuTensor, outputArg, tensorArg } from './tensors.js';

// `output` ('cpu' | 'gpu-buffer': where the result is left) belongs to the forward calls only.
const TORCHVISION_OPTIONS = ['bias', 'mask', 'stride', 'padding', 'dilation', 'dataFormat', 'output'];
const MINDSPORE_OPTIONS = ['bias', 'dilations', 'groups', 'deformableGroups', 'modulated', 'dataFormat', 'output'];
const withoutOutput = (names) => names.filter((name) => name !== 'output');

/** The call's options, checked for unknown names; a backward call has no `output` (gradients come back in CPU memory). */
function callOptions(options, allowed, backward) {
  if (backward && options && typeof options === 'object' && !Array.isArray(options) && Object.keys(options).includes('output')) {
    throw new TypeError("options.output is an option of the forward calls: gradients come back in CPU memory ({ data, shape })");
  }
  return checkOptions(options, 'options', backward ? withoutOutput(allowed) : allowed);
}
// What each tensor is called in the caller's convention, for messages.
const TORCHVISION_NAMES = { input: 'input', offset: 'offset', weight: 'weight', mask: 'mask', bias: 'bias', gradOutput: 'gradOutput' };
const MINDSPORE_NAMES = { ...TORCHVISION_NAMES, input: 'x', offset: 'offsets' };

/** deformConv2d's parameters from its options: { stride, padding, dilation, dataFormat }, checked. */
function torchvisionParams(o) {
  return {
    stride: intList(o.stride === undefined ? 1 : o.stride, 'stride'),
    padding: intList(o.padding === undefined ? 0 : o.padding, 'padding'),
    dilation: intList(o.dilation === undefined ? 1 : o.dilation, 'dilation'),
    dataFormat: dataFormatArg(o.dataFormat),
  };
}

/** deformConv2d(input, offset, weight, options) */
export function torchvisionCall(input, offset, weight, options, { backward = false, gradOutput } = {}) {
  const o = callOptions(options, TORCHVISION_OPTIONS, backward);
  const tensors = {
    input: tensorArg(input, 'input'),
    offset: tensorArg(offset, 'offset'),
    weight: tensorArg(weight, 'weight'),
    mask: tensorArg(o.mask, 'mask', { optional: true }),
    bias: tensorArg(o.bias, 'bias', { optional: true }),
  };
  if (backward) tensors.gradOutput = tensorArg(gradOutput, 'gradOutput');
  return torchvisionDescription(tensors, torchvisionParams(o), outputArg(o.output));
}

/** The description of a torchvision call from its checked tensors and parameters; output: 'cpu' | 'gpu-buffer'. */
function torchvisionDescription(tensors, { stride, padding, dilation, dataFormat }, output = 'cpu') {
  const args = {
    convention: 'torchvision',
    dataFormat,
    inputShape: tensors.input.shape,
    weightShape: tensors.weight.shape,
    offsetShape: tensors.offset.shape,
    maskShape: tensors.mask ? tensors.mask.shape : null,
    biasShape: tensors.bias ? tensors.bias.shape : null,
    stride,
    padding,
    dilation,
    gradOutputShape: tensors.gradOutput ? tensors.gradOutput.shape : null,
  };
  return { convention: 'torchvision', args, tensors, names: TORCHVISION_NAMES, output };
}

/** deformableConv2d's parameters from its arguments and options, checked (in the core's argument names). */
function mindsporeParams(kernelSize, strides, padding, o) {
  if (o.modulated !== undefined && typeof o.modulated !== 'boolean') {
    throw new TypeError(`modulated must be a boolean, got ${describe(o.modulated)}`);
  }
  const kernel = intList(kernelSize, 'kernelSize');
  return {
    dataFormat: dataFormatArg(o.dataFormat),
    kernelSize: kernel.length === 1 ? [kernel[0], kernel[0]] : kernel,
    stride: intList(strides, 'strides', { allowNumber: false }),
    padding: intList(padding, 'padding', { allowNumber: false }),
    dilation: intList(o.dilations === undefined ? [1, 1, 1, 1] : o.dilations, 'dilations', { allowNumber: false }),
    groups: intArg(o.groups === undefined ? 1 : o.groups, 'groups'),
    offsetGroups: intArg(o.deformableGroups === undefined ? 1 : o.deformableGroups, 'deformableGroups'),
    // MindSpore itself rejects modulated=false; here it means DCNv1: the mask block of offsets is ignored.
    modulated: o.modulated === undefined ? true : o.modulated,
  };
}

/** deformableConv2d(x, weight, offsets, kernelSize, strides, padding, options) */
export function mindsporeCall(x, weight, offsets, kernelSize, strides, padding, options, { backward = false, gradOutput } = {}) {
  const o = callOptions(options, MINDSPORE_OPTIONS, backward);
  const tensors = {
    input: tensorArg(x, 'x'),
    weight: tensorArg(weight, 'weight'),
    offset: tensorArg(offsets, 'offsets'),
    mask: null,
    bias: tensorArg(o.bias, 'bias', { optional: true }),
  };
  if (backward) tensors.gradOutput = tensorArg(gradOutput, 'gradOutput');
  return mindsporeDescription(tensors, mindsporeParams(kernelSize, strides, padding, o), outputArg(o.output));
}

/** The description of a MindSpore call from its checked tensors and parameters; output: 'cpu' | 'gpu-buffer'. */
function mindsporeDescription(tensors, params, output = 'cpu') {
  const args = {
    convention: 'mindspore',
    inputShape: tensors.input.shape,
    weightShape: tensors.weight.shape,
    offsetShape: tensors.offset.shape,
    maskShape: null,
    biasShape: tensors.bias ? tensors.bias.shape : null,
    ...params,
    gradOutputShape: tensors.gradOutput ? tensors.gradOutput.shape : null,
  };
  return { convention: 'mindspore', args, tensors, names: MINDSPORE_NAMES, output };
}

// ---------------------------------------------------------------- prepared layers
// A prepared layer holds the arguments of a call that describe the layer, checked and copied once: a plain
// description { convention, tensors: { weight, bias }, params } (its tensors the layer's own copies). Each
// forward call checks only its per-image arguments and joins them with the layer's into the description of a
// one-shot call, so that it is validated, and rejected, exactly as the one-shot call. The layer's tensors are
// not checked again: only their shapes are read, so a runner that keeps the data elsewhere (the proxy's worker)
// may leave shapes alone in the description it keeps.

const TORCHVISION_LAYER_OPTIONS = withoutOutput(TORCHVISION_OPTIONS).filter((name) => name !== 'mask');
const MINDSPORE_LAYER_OPTIONS = withoutOutput(MINDSPORE_OPTIONS);

/**
 * The layer's own tensors, copied now (later changes to the caller's arrays do not reach the layer). They come
 * from CPU memory: the layer keeps its copy where its backend computes.
 */
function layerTensors(weight, bias) {
  const w = tensorArg(weight, 'weight');
  const b = tensorArg(bias, 'bias', { optional: true });
  for (const [t, name] of [[w, 'weight'], [b, 'bias']]) {
    if (isGpuTensor(t)) {
      throw new TypeError(`${name} of a prepared layer must be in CPU memory ({ data: Float32Array, shape }), since the layer ` +
        'keeps a copy of its own; GPU-resident tensors ({ gpuBuffer, shape }) are taken by its forward calls');
    }
  }
  checkElementCount(w, 'weight');
  if (b) checkElementCount(b, 'bias');
  const purpose = 'for the prepared layer';
  return { weight: copyOfTensor(w, 'weight', purpose), bias: b ? copyOfTensor(b, 'bias', purpose) : null };
}

/**
 * prepareDeformConv2d(weight, options): checks what can be checked without an input (types, option names,
 * integer lists) and returns the layer's description.
 */
export function torchvisionLayer(weight, options) {
  const o = checkOptions(options, 'options', TORCHVISION_LAYER_OPTIONS);
  return { convention: 'torchvision', tensors: layerTensors(weight, o.bias), params: torchvisionParams(o) };
}

/**
 * prepareDeformableConv2d(weight, kernelSize, strides, padding, options): as torchvisionLayer. The parameters
 * are checked now and kept as fresh arrays (later changes to the caller's arrays do not reach the layer).
 */
export function mindsporeLayer(weight, kernelSize, strides, padding, options) {
  const o = checkOptions(options, 'options', MINDSPORE_LAYER_OPTIONS);
  const tensors = layerTensors(weight, o.bias);
  return { convention: 'mindspore', tensors, params: mindsporeParams(kernelSize, strides, padding, o) };
}

/**
 * The description of a prepared layer's forward call: forward(input, offset, { mask, output }) of a torchvision
 * layer, forward(x, offsets, { output }) of a MindSpore one (args: the arguments forward() was given).
 */
export function layerCall(layer, args) {
  const { weight, bias } = layer.tensors;
  if (layer.convention === 'torchvision') {
    const [input, offset, forwardOptions] = args;
    const f = checkOptions(forwardOptions, 'options', ['mask', 'output']);
    const tensors = {
      input: tensorArg(input, 'input'),
      offset: tensorArg(offset, 'offset'),
      weight,
      mask: tensorArg(f.mask, 'mask', { optional: true }),
      bias,
    };
    return torchvisionDescription(tensors, layer.params, outputArg(f.output));
  }
  const [x, offsets, forwardOptions, ...rest] = args;
  const isOptions = forwardOptions === undefined || forwardOptions === null ||
    (typeof forwardOptions === 'object' && !Array.isArray(forwardOptions) && !('data' in forwardOptions) && !('gpuBuffer' in forwardOptions));
  if (rest.some((r) => r !== undefined) || !isOptions || (forwardOptions && 'mask' in forwardOptions)) {
    throw new TypeError('forward(x, offsets, { output }) of a prepared deformableConv2d layer takes x and offsets (and options); ' +
      'the mask is part of offsets');
  }
  const f = checkOptions(forwardOptions, 'options', ['output']);
  const tensors = { input: tensorArg(x, 'x'), weight, offset: tensorArg(offsets, 'offsets'), mask: null, bias };
  return mindsporeDescription(tensors, layer.params, outputArg(f.output));
}
