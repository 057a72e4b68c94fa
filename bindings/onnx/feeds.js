// run()'s arguments, read as onnxruntime's InferenceSession.run reads them (feeds, then fetches or options,
// then options), and the feeds checked against what the model declares, so that a wrong feed is rejected
// with its name before anything runs, whichever step would have read it.
import { describe } from '../api/tensors.js';
import { DATA_TYPE_NAMES } from './onnx-model.js';

// Types whose data does not hold one array element per tensor element.
const PACKED_TYPES = new Set(['int4', 'uint4', 'float4e2m1']);

function isTensorLike(value) {
  return typeof value === 'object' && value !== null && typeof value.type === 'string' && Array.isArray(value.dims);
}

/**
 * (feeds, fetches?, options?) or (feeds, options?). outputNames: the session's. Returns { feeds, fetches:
 * { name: null | preallocated Tensor }, options }.
 */
export function runArguments(outputNames, feeds, arg1, arg2) {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds) || isTensorLike(feeds)) {
    throw new TypeError(`feeds must be an object with the model's input names as keys and tensors as values, got ${describe(feeds)}`);
  }
  const fetches = {};
  let options = {};
  const optionsAfter = (arg) => {
    if (arg === undefined) return {};
    if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) throw new TypeError(`run options must be an object, got ${describe(arg)}`);
    return arg;
  };
  if (Array.isArray(arg1)) {
    if (!arg1.length) throw new TypeError('fetches must name at least one output, got an empty array');
    for (const name of arg1) {
      if (typeof name !== 'string') throw new TypeError(`fetches must be output names (strings), got ${describe(name)}`);
      if (!outputNames.includes(name)) throw new RangeError(`fetches names '${name}', which is not an output of the model (its outputs: ${outputNames.join(', ')})`);
      fetches[name] = null;
    }
    options = optionsAfter(arg2);
  } else if (typeof arg1 === 'object' && arg1 !== null) {
    if (isTensorLike(arg1)) throw new TypeError('fetches cannot be a tensor: give output names, or an object { outputName: null | tensor }');
    // As onnxruntime decides: an object with an output name whose value is null or a tensor is fetches.
    for (const name of outputNames) {
      if (Object.prototype.hasOwnProperty.call(arg1, name) && (arg1[name] === null || isTensorLike(arg1[name]))) fetches[name] = arg1[name];
    }
    if (Object.keys(fetches).length) options = optionsAfter(arg2);
    else options = arg1;
  } else if (arg1 !== undefined) {
    throw new TypeError(`the second argument of run must be fetches (output names, or { outputName: null | tensor }) or run options, got ${describe(arg1)}`);
  }
  if (!Object.keys(fetches).length) for (const name of outputNames) fetches[name] = null;
  return { feeds, fetches, options };
}

/**
 * Checks the feeds: every name an input of the model, every input without a default (initializer) given,
 * every value a tensor of the declared element type, rank and fixed dimensions. inputs: Map name ->
 * ValueInfo (onnx-model.js) of the graph inputs; required: the names that must be fed.
 */
export function checkFeeds(feeds, inputs, required) {
  for (const name of Object.keys(feeds)) {
    if (!inputs.has(name)) {
      throw new TypeError(`feeds has '${name}', which is not an input of the model (its inputs: ${[...inputs.keys()].join(', ') || 'none'})`);
    }
  }
  for (const name of required) {
    if (feeds[name] === undefined) throw new TypeError(`feeds must have the model's input '${name}'`);
  }
  for (const name of Object.keys(feeds)) {
    const t = feeds[name], v = inputs.get(name);
    if (!isTensorLike(t)) throw new TypeError(`feeds.${name} must be a Tensor (type, dims, data), got ${describe(t)}`);
    if (v.kind === 'tensor' && v.elemType && DATA_TYPE_NAMES[v.elemType] !== t.type) {
      throw new TypeError(`feeds.${name} must be a ${DATA_TYPE_NAMES[v.elemType] || `type ${v.elemType}`} tensor, as the model declares it, got ${t.type}`);
    }
    for (const d of t.dims) {
      if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`feeds.${name} has dims [${t.dims.join(', ')}], which are not tensor dimensions`);
    }
    if (v.shape) {
      const expected = `[${v.shape.map((d) => (d === null ? '?' : d)).join(', ')}]`;
      if (t.dims.length !== v.shape.length) {
        throw new RangeError(`feeds.${name} must have ${v.shape.length} dimensions, ${expected} as the model declares, got [${t.dims.join(', ')}]`);
      }
      v.shape.forEach((d, i) => {
        if (typeof d === 'number' && d >= 0 && t.dims[i] !== d) {
          throw new RangeError(`feeds.${name} must have the shape ${expected} the model declares, got [${t.dims.join(', ')}] (dimension ${i})`);
        }
      });
    }
    const location = t.location === undefined ? 'cpu' : t.location;
    if ((location === 'cpu' || location === 'cpu-pinned') && !PACKED_TYPES.has(t.type)) {
      const count = t.dims.reduce((a, b) => a * b, 1);
      if (!t.data || typeof t.data.length !== 'number' || t.data.length !== count) {
        throw new RangeError(`feeds.${name} has dims [${t.dims.join(', ')}] (${count} elements), but its data holds ${t.data && typeof t.data.length === 'number' ? t.data.length : 'no'} elements`);
      }
    }
  }
}
