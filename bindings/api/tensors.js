// Checking and normalising the tensors and numbers a caller passes, before anything reaches WebAssembly.
// Wrong kinds of value are TypeErrors; wrong sizes and values are RangeErrors. Every message names the
// argument, what was expected and what was given.

import { USAGE, usageNames } from '../webgpu/resident-tensors.js';

const MAX_DIM = 2147483647; // 2^31 - 1: the core's limit for one dimension and for one tensor's elements

/** Short description of any value for error messages. */
export function describe(value) {
  const a = (name) => `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value instanceof DataView) return `a DataView of ${value.byteLength} bytes`;
  if (ArrayBuffer.isView(value)) return `${a(value.constructor.name)} of length ${value.length}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return value.constructor && value.constructor !== Object && value.constructor.name ? a(value.constructor.name) : 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}

// The [[TypedArrayName]] of a typed array, read through %TypedArray%.prototype[@@toStringTag]: it works for
// arrays made in another realm (an iframe, a vm context), where `instanceof Float32Array` is false, and an
// object cannot fake it with its own Symbol.toStringTag. undefined for anything that is not a typed array.
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;

function isFloat32Array(value) {
  return typedArrayName.call(value) === 'Float32Array';
}

function isDetached(view) {
  if (typeof view.buffer.detached === 'boolean') return view.buffer.detached;
  try {
    new Uint8Array(view.buffer, 0, 0); // constructing a view over a detached buffer throws
    return false;
  } catch {
    return true;
  }
}

/**
 * A list of integers (a number, when allowNumber, stands for a list of one) as a plain array. Only the
 * kind of value is checked here: how many entries and which values are allowed is the core's rule
 * (src/conv_params.cpp), so the native and WebAssembly builds report it with the same words.
 */
export function intList(value, name, { allowNumber = true } = {}) {
  let list;
  if (typeof value === 'number' && allowNumber) list = [value];
  else if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) list = Array.from(value);
  else throw new TypeError(`${name} must be ${allowNumber ? 'a number or ' : ''}an array of integers, got ${describe(value)}`);
  list.forEach((v, i) => {
    if (typeof v !== 'number') throw new TypeError(`${name}[${i}] must be a number, got ${describe(v)}`);
    if (!Number.isInteger(v) || Math.abs(v) > MAX_DIM) {
      throw new RangeError(`${name} must contain integers between -${MAX_DIM} and ${MAX_DIM}, got [${list.join(', ')}]`);
    }
  });
  return list;
}

/** One integer (range rules are the core's, as for intList). */
export function intArg(value, name) {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || Math.abs(value) > MAX_DIM) {
    throw new RangeError(`${name} must be an integer between -${MAX_DIM} and ${MAX_DIM}, got ${value}`);
  }
  return value;
}

/** True for a tensor that tensorArg() read as GPU-resident ({ gpuBuffer, shape }). */
export function isGpuTensor(tensor) {
  return !!tensor && tensor.gpuBuffer !== undefined;
}

/** Throws unless value looks like a GPUBuffer (the class is not a global in Node.js, and realms differ). */
function checkGpuBuffer(value, name) {
  const ok = value !== null && typeof value === 'object' && typeof value.size === 'number' && typeof value.usage === 'number' &&
    typeof value.destroy === 'function' && typeof value.mapAsync === 'function';
  if (!ok) throw new TypeError(`${name}.gpuBuffer must be a GPUBuffer, got ${describe(value)}`);
  if (!(value.usage & USAGE.STORAGE)) {
    throw new TypeError(`${name}.gpuBuffer must have the usage STORAGE (GPUBufferUsage.STORAGE) for the WebGPU backend to read it; ` +
      `its usage is ${usageNames(value.usage)}`);
  }
}

/** The shape of a tensor argument as a fresh plain array of integers. */
function shapeArg(shape, name) {
  if (!Array.isArray(shape) && !(ArrayBuffer.isView(shape) && !(shape instanceof DataView))) {
    throw new TypeError(`${name}.shape must be an array of integers, got ${describe(shape)}`);
  }
  const dims = Array.from(shape);
  dims.forEach((d, i) => {
    if (typeof d !== 'number') throw new TypeError(`${name}.shape[${i}] must be a number, got ${describe(d)}`);
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIM) {
      throw new RangeError(`${name}.shape must contain integers between 0 and ${MAX_DIM}, got [${dims.join(', ')}]`);
    }
  });
  return dims;
}

/**
 * A GPU-resident tensor argument, { gpuBuffer, shape } (or an onnxruntime-web Tensor whose location is
 * 'gpu-buffer'): { gpuBuffer, shape, name }. What only the device can tell (that the buffer is on the
 * instance's device, not destroyed, not mapped) the WebGPU backend checks (webgpu/resident-tensors.js).
 */
function gpuTensorArg(value, name, fromOnnxruntime) {
  let gpuBuffer;
  try {
    gpuBuffer = value.gpuBuffer; // an onnxruntime Tensor's getter throws once the tensor is disposed
  } catch (e) {
    throw new TypeError(`${name}.gpuBuffer could not be read: ${e && e.message}`);
  }
  if (fromOnnxruntime && value.type !== 'float32') {
    throw new TypeError(`${name} must be a float32 tensor, got an onnxruntime tensor of type ${describe(value.type)}`);
  }
  checkGpuBuffer(gpuBuffer, name);
  return { gpuBuffer, shape: shapeArg(value.shape !== undefined ? value.shape : value.dims, name), name };
}

/**
 * A tensor argument: { data: Float32Array, shape: number[] }, a GPU-resident { gpuBuffer: GPUBuffer, shape }
 * (the WebGPU backend reads it in place), or an onnxruntime-web Tensor { data, dims } (location 'cpu') or
 * { gpuBuffer, dims } (location 'gpu-buffer'). Returns { data, shape } or { gpuBuffer, shape, name } (shape a
 * fresh plain array), or null for an absent optional tensor. The element count is checked against the data
 * (or the buffer's size) later, after the core has validated the shapes.
 */
export function tensorArg(value, name, { optional = false } = {}) {
  if (value === undefined || value === null) {
    if (optional) return null;
    throw new TypeError(`${name} must be a tensor { data: Float32Array, shape: number[] }, got ${describe(value)}`);
  }
  if (typeof value !== 'object' || ArrayBuffer.isView(value) || Array.isArray(value)) {
    throw new TypeError(`${name} must be a tensor { data: Float32Array, shape: number[] }, got ${describe(value)}`);
  }
  // onnxruntime Tensors say where their data is, and their data and gpuBuffer getters throw for the other places.
  const location = typeof value.location === 'string' && typeof value.dims === 'object' ? value.location : undefined;
  if (location === 'gpu-buffer') return gpuTensorArg(value, name, true);
  if (location !== undefined && location !== 'cpu' && location !== 'cpu-pinned') {
    throw new TypeError(`${name} is an onnxruntime tensor in '${location}' memory; tensors are read from CPU memory ` +
      "(location 'cpu') or, by the WebGPU backend, from a GPU buffer (location 'gpu-buffer')");
  }
  if (location === undefined && value.gpuBuffer !== undefined) {
    if (value.data !== undefined) throw new TypeError(`${name} has both data and gpuBuffer; give one of them`);
    return gpuTensorArg(value, name, false);
  }
  const { data } = value;
  if (!isFloat32Array(data)) {
    throw new TypeError(`${name}.data must be a Float32Array, got ${describe(data)}`);
  }
  if (isDetached(data)) throw new TypeError(`${name}.data is a view of a detached ArrayBuffer (it was transferred)`);
  return { data, shape: shapeArg(value.shape !== undefined ? value.shape : value.dims, name) };
}

/** Throws unless data holds exactly the elements its shape needs (a GPU buffer: at least their bytes). */
export function checkElementCount(tensor, name) {
  const needed = tensor.shape.reduce((a, b) => a * b, 1);
  if (isGpuTensor(tensor)) {
    if (tensor.gpuBuffer.size < 4 * needed) {
      throw new RangeError(`${name}.gpuBuffer has ${tensor.gpuBuffer.size} bytes but shape [${tensor.shape.join(', ')}] needs ` +
        `${4 * needed} (${needed} float32 elements)`);
    }
    return;
  }
  if (tensor.data.length !== needed) {
    throw new RangeError(`${name}.data has ${tensor.data.length} elements but shape [${tensor.shape.join(', ')}] needs ${needed}`);
  }
}

/**
 * The tensor with its data copied now into a plain Float32Array (unshared, not resizable, of this realm), for
 * a backend that reads the data later: the caller may change, transfer or shrink its array as soon as a call
 * returns its promise. Running out of memory for the copy is an Error, as for the WebAssembly heap.
 */
export function copyOfTensor(tensor, name, purpose = 'for the WebGPU backend') {
  if (!tensor || isGpuTensor(tensor)) return tensor; // a GPU buffer is read in place (see README, GPU-resident tensors)
  let data;
  try {
    data = new Float32Array(tensor.data);
  } catch (e) {
    throw new Error(`out of memory: could not copy ${name}.data (${tensor.data.byteLength} bytes) ${purpose}: ${e && e.message}`);
  }
  return { data, shape: tensor.shape.slice() };
}

/** Throws a TypeError for option keys that are not in allowed (catches typos such as 'strides' for 'stride'). */
export function checkOptions(options, name, allowed) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${name} must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${name} has an unknown option '${key}'; the options are ${allowed.join(', ')}`);
    }
  }
  return options;
}

/** 'NCHW' (default) or 'NHWC'. */
export function dataFormatArg(value) {
  if (value === undefined) return 'NCHW';
  if (value !== 'NCHW' && value !== 'NHWC') {
    throw new (typeof value === 'string' ? RangeError : TypeError)(`dataFormat must be 'NCHW' or 'NHWC', got ${describe(value)}`);
  }
  return value;
}

/** Where a forward call leaves its output: 'cpu' (default: { data, shape }) or 'gpu-buffer' (WebGPU only). */
export function outputArg(value) {
  if (value === undefined) return 'cpu';
  if (value !== 'cpu' && value !== 'gpu-buffer') {
    throw new (typeof value === 'string' ? RangeError : TypeError)(`output must be 'cpu' or 'gpu-buffer', got ${describe(value)}`);
  }
  return value;
}
