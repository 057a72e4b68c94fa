// Checking and normalising the tensors and numbers a caller passes, before anything reaches WebAssembly.
// Wrong kinds of value are TypeErrors; wrong sizes and values are RangeErrors. Every message names the
// argument, what was expected and what was given.

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

/**
 * A tensor argument: { data: Float32Array, shape: number[] } or an onnxruntime-web Tensor { data, dims }.
 * Returns { data, shape } (shape a fresh plain array), or null for an absent optional tensor.
 * The element count is checked against the data later, after the core has validated the shapes.
 */
export function tensorArg(value, name, { optional = false } = {}) {
  if (value === undefined || value === null) {
    if (optional) return null;
    throw new TypeError(`${name} must be a tensor { data: Float32Array, shape: number[] }, got ${describe(value)}`);
  }
  if (typeof value !== 'object' || ArrayBuffer.isView(value) || Array.isArray(value)) {
    throw new TypeError(`${name} must be a tensor { data: Float32Array, shape: number[] }, got ${describe(value)}`);
  }
  const { data } = value;
  const shape = value.shape !== undefined ? value.shape : value.dims;
  if (!isFloat32Array(data)) {
    throw new TypeError(`${name}.data must be a Float32Array, got ${describe(data)}`);
  }
  if (isDetached(data)) throw new TypeError(`${name}.data is a view of a detached ArrayBuffer (it was transferred)`);
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
  return { data, shape: dims };
}

/** Throws unless data holds exactly the elements its shape needs. */
export function checkElementCount(tensor, name) {
  const needed = tensor.shape.reduce((a, b) => a * b, 1);
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
  if (!tensor) return tensor;
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
