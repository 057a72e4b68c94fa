// Reading an ONNX model (onnx.proto's ModelProto): the parts that splitting a graph needs (nodes with their
// inputs, outputs and attributes, graph inputs and outputs, value_info, initializers, opset imports, the
// tensor names that nested graphs read from outside), each with a view of its bytes, so that a partial model
// is assembled from the original bytes (partial-model.js). Everything else (doc strings, metadata, training
// info, functions, fields newer than this reader) is kept as bytes and written back unchanged.
// Field numbers are onnx.proto's (ONNX 1.17).
import { WireError, WIRE, appendFloats, appendInts, floatOf, intOf, readFields, stringOf } from './protobuf.js';

/** TensorProto.DataType numbers and the names onnxruntime's JS API gives them. */
export const DATA_TYPE_NAMES = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1',
};
export const FLOAT = 1;
export const DATA_TYPE_NUMBERS = Object.fromEntries(Object.entries(DATA_TYPE_NAMES).map(([n, name]) => [name, Number(n)]));

/** AttributeProto.AttributeType */
export const ATTRIBUTE_TYPES = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9,
  GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
};
export const ATTRIBUTE_TYPE_NAMES = Object.fromEntries(Object.entries(ATTRIBUTE_TYPES).map(([name, n]) => [n, name]));

// Graphs nest through attributes (If, Loop, Scan bodies). Real models nest a few levels; the limit keeps a
// hostile model from exhausting the stack.
const MAX_GRAPH_DEPTH = 32;

/** The Error every malformed model rejects with. */
export function invalidModel(message) {
  return new Error(`the model is not a valid ONNX model: ${message}`);
}

/**
 * Decodes a ModelProto. Returns { bytes, irVersion, opsetImports: [{ domain, version }], graph, functions:
 * [{ domain, name }], fields: [{ field, payload }] (every field but the graph, as it was written) }.
 * Throws invalidModel(...) for bytes that are not a model.
 */
export function decodeModel(bytes) {
  // onnxruntime's own format (a FlatBuffer with the file identifier ORTM) holds a graph already optimised for
  // onnxruntime, which cannot be split.
  if (bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === 'ORTM') {
    throw new Error('the model is in onnxruntime\'s own format (.ort), not ONNX: deformconv-wasm/onnx splits ONNX models (.onnx); ' +
      'give it the .onnx file, or run this one with ort.InferenceSession');
  }
  try {
    return readModel(bytes);
  } catch (e) {
    if (e instanceof WireError) throw invalidModel(e.message);
    throw e;
  }
}

function readModel(bytes) {
  const model = { bytes, irVersion: null, opsetImports: [], graph: null, functions: [], fields: [] };
  for (const f of readFields(bytes)) {
    if (f.field === 7) {
      model.graph = readGraph(bytes, bytesField(f, 'ModelProto.graph'), 0);
      continue;
    }
    model.fields.push({ field: f.field, raw: bytes.subarray(f.tagStart, f.end) });
    if (f.field === 1) model.irVersion = intOf(f);
    else if (f.field === 8) model.opsetImports.push(readOpsetImport(bytes, bytesField(f, 'ModelProto.opset_import')));
    else if (f.field === 25) model.functions.push(readFunctionName(bytes, bytesField(f, 'ModelProto.functions')));
  }
  if (!model.graph) throw new WireError('it has no graph (ModelProto.graph is missing)');
  return model;
}

function bytesField(f, what) {
  if (f.wire !== WIRE.BYTES) throw new WireError(`${what} should be a message, but has wire type ${f.wire}`);
  return f;
}

function readOpsetImport(bytes, at) {
  const opset = { domain: '', version: 0 };
  for (const f of readFields(bytes, at.start, at.end)) {
    if (f.field === 1) opset.domain = stringOf(bytes, f);
    else if (f.field === 2) opset.version = intOf(f);
  }
  return opset;
}

function readFunctionName(bytes, at) {
  const fn = { domain: '', name: '' };
  for (const f of readFields(bytes, at.start, at.end)) {
    if (f.field === 1) fn.name = stringOf(bytes, f);
    else if (f.field === 10) fn.domain = stringOf(bytes, f);
  }
  return fn;
}

/**
 * A GraphProto: { name, nodes, inputs, outputs, valueInfo, initializers, sparseInitializers, fields, freeNames }.
 * Nodes, value infos and initializers keep `payload`, a view of their message bytes. freeNames: the tensor
 * names the graph reads without defining them (for a nested graph: the outer graph's values it uses).
 */
function readGraph(bytes, at, depth) {
  if (depth > MAX_GRAPH_DEPTH) throw new WireError(`graphs are nested more than ${MAX_GRAPH_DEPTH} deep`);
  const graph = {
    name: '', nodes: [], inputs: [], outputs: [], valueInfo: [], initializers: [], sparseInitializers: [], fields: [],
  };
  for (const f of readFields(bytes, at.start, at.end)) {
    switch (f.field) {
      case 1: graph.nodes.push(readNode(bytes, bytesField(f, 'GraphProto.node'), depth, graph.nodes.length)); break;
      case 2: graph.name = stringOf(bytes, f); break;
      case 5: graph.initializers.push(readTensor(bytes, bytesField(f, 'GraphProto.initializer'))); break;
      case 11: graph.inputs.push(readValueInfo(bytes, bytesField(f, 'GraphProto.input'))); break;
      case 12: graph.outputs.push(readValueInfo(bytes, bytesField(f, 'GraphProto.output'))); break;
      case 13: graph.valueInfo.push(readValueInfo(bytes, bytesField(f, 'GraphProto.value_info'))); break;
      case 15: graph.sparseInitializers.push(readSparseTensor(bytes, bytesField(f, 'GraphProto.sparse_initializer'))); break;
      case 14: graph.fields.push({ field: 14, raw: bytes.subarray(f.tagStart, f.end), tensorName: annotatedTensor(bytes, bytesField(f, 'GraphProto.quantization_annotation')) }); break;
      default: graph.fields.push({ field: f.field, raw: bytes.subarray(f.tagStart, f.end) });
    }
  }
  graph.freeNames = freeNames(graph);
  return graph;
}

function annotatedTensor(bytes, at) {
  for (const f of readFields(bytes, at.start, at.end)) if (f.field === 1) return stringOf(bytes, f);
  return '';
}

function freeNames(graph) {
  const defined = new Set();
  for (const v of graph.inputs) defined.add(v.name);
  for (const t of graph.initializers) defined.add(t.name);
  for (const t of graph.sparseInitializers) defined.add(t.name);
  for (const node of graph.nodes) for (const name of node.outputs) defined.add(name);
  const free = new Set();
  for (const node of graph.nodes) {
    for (const name of node.inputs) if (name && !defined.has(name)) free.add(name);
    for (const name of node.outerNames) if (!defined.has(name)) free.add(name);
  }
  for (const v of graph.outputs) if (!defined.has(v.name)) free.add(v.name);
  return free;
}

/**
 * A NodeProto: { index, name, opType, domain, inputs, outputs, attributes, payload, outerNames }. outerNames:
 * what the node's nested graphs read from the graph the node is in (they are inputs of the node too, though
 * not listed in `inputs`).
 */
function readNode(bytes, at, depth, index) {
  const node = {
    index, name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [],
    payload: bytes.subarray(at.start, at.end), outerNames: new Set(),
  };
  for (const f of readFields(bytes, at.start, at.end)) {
    switch (f.field) {
      case 1: node.inputs.push(stringOf(bytes, f)); break;
      case 2: node.outputs.push(stringOf(bytes, f)); break;
      case 3: node.name = stringOf(bytes, f); break;
      case 4: node.opType = stringOf(bytes, f); break;
      case 7: node.domain = stringOf(bytes, f); break;
      case 5: node.attributes.push(readAttribute(bytes, bytesField(f, 'NodeProto.attribute'), depth)); break;
      default: break;
    }
  }
  for (const attribute of node.attributes) {
    for (const g of attribute.graphs) for (const name of g.freeNames) node.outerNames.add(name);
  }
  return node;
}

/**
 * An AttributeProto: { name, type, has: Set of the value fields present ('f', 'i', 's', 't', 'g', 'floats',
 * 'ints', ...), f, i, s, ints, floats, graphs, refAttrName }.
 */
function readAttribute(bytes, at, depth) {
  const a = { name: '', type: 0, has: new Set(), f: 0, i: 0, s: '', ints: [], floats: [], graphs: [], refAttrName: '' };
  for (const f of readFields(bytes, at.start, at.end)) {
    switch (f.field) {
      case 1: a.name = stringOf(bytes, f); break;
      case 20: a.type = intOf(f); break;
      case 21: a.refAttrName = stringOf(bytes, f); break;
      case 2: a.f = floatOf(bytes, f); a.has.add('f'); break;
      case 3: a.i = intOf(f); a.has.add('i'); break;
      case 4: a.s = stringOf(bytes, f); a.has.add('s'); break;
      case 5: a.has.add('t'); break;
      case 6: a.graphs.push(readGraph(bytes, bytesField(f, 'AttributeProto.g'), depth + 1)); a.has.add('g'); break;
      case 7: appendFloats(bytes, f, a.floats); a.has.add('floats'); break;
      case 8: appendInts(bytes, f, a.ints); a.has.add('ints'); break;
      case 9: a.has.add('strings'); break;
      case 10: a.has.add('tensors'); break;
      case 11: a.graphs.push(readGraph(bytes, bytesField(f, 'AttributeProto.graphs'), depth + 1)); a.has.add('graphs'); break;
      case 14: a.has.add('tp'); break;
      case 15: a.has.add('type_protos'); break;
      case 22: a.has.add('sparse_tensor'); break;
      case 23: a.has.add('sparse_tensors'); break;
      default: break;
    }
  }
  return a;
}

/**
 * A TensorProto (an initializer): { name, dims, dataType, payload, rawData (a view, or null), floatFields
 * (float_data fields, for float32 tensors written without raw_data, positions in `source`, the model's
 * bytes), external (data in another file), segmented }.
 */
function readTensor(bytes, at) {
  const t = {
    name: '', dims: [], dataType: 0, payload: bytes.subarray(at.start, at.end), rawData: null, floatFields: [], source: bytes,
    external: false, segmented: false,
  };
  for (const f of readFields(bytes, at.start, at.end)) {
    switch (f.field) {
      case 1: appendInts(bytes, f, t.dims); break;
      case 2: t.dataType = intOf(f); break;
      case 3: t.segmented = true; break;
      case 4: t.floatFields.push(f); break;
      case 8: t.name = stringOf(bytes, f); break;
      case 9: bytesField(f, 'TensorProto.raw_data'); t.rawData = bytes.subarray(f.start, f.end); break;
      case 14: t.external = intOf(f) === 1; break;
      default: break;
    }
  }
  return t;
}

/** A SparseTensorProto: only its name (its values tensor's) and its bytes matter here. */
function readSparseTensor(bytes, at) {
  const t = { name: '', payload: bytes.subarray(at.start, at.end), dims: [], dataType: 0 };
  for (const f of readFields(bytes, at.start, at.end)) {
    if (f.field === 1) {
      const values = readTensor(bytes, bytesField(f, 'SparseTensorProto.values'));
      t.name = values.name;
      t.dataType = values.dataType;
    } else if (f.field === 3) {
      appendInts(bytes, f, t.dims);
    }
  }
  return t;
}

/**
 * A ValueInfoProto: { name, payload, kind: 'tensor' | 'other' | 'none' (no type), elemType (0 when not
 * given), shape: null (rank unknown) or [number | string | null] per dimension (a size, a symbolic name, or
 * unknown) }.
 */
function readValueInfo(bytes, at) {
  const v = { name: '', payload: bytes.subarray(at.start, at.end), kind: 'none', elemType: 0, shape: null };
  for (const f of readFields(bytes, at.start, at.end)) {
    if (f.field === 1) v.name = stringOf(bytes, f);
    else if (f.field === 2) readType(bytes, bytesField(f, 'ValueInfoProto.type'), v);
  }
  return v;
}

function readType(bytes, at, v) {
  v.kind = 'other';
  for (const f of readFields(bytes, at.start, at.end)) {
    if (f.field !== 1) continue;
    v.kind = 'tensor';
    for (const g of readFields(bytes, bytesField(f, 'TypeProto.tensor_type').start, f.end)) {
      if (g.field === 1) v.elemType = intOf(g);
      else if (g.field === 2) v.shape = readShape(bytes, bytesField(g, 'TypeProto.Tensor.shape'));
    }
  }
}

function readShape(bytes, at) {
  const dims = [];
  for (const f of readFields(bytes, at.start, at.end)) {
    if (f.field !== 1) continue;
    let dim = null;
    for (const g of readFields(bytes, bytesField(f, 'TensorShapeProto.dim').start, f.end)) {
      if (g.field === 1) dim = intOf(g);
      else if (g.field === 2) dim = stringOf(bytes, g) || null;
    }
    dims.push(dim);
  }
  return dims;
}

// ---------------------------------------------------------------- tensor data

/** Product of dims, or Infinity when a dimension is negative, not an integer, or the product passes 2^31 - 1. */
export function elementCount(dims) {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) return Infinity;
    n *= d;
    if (n > 2147483647) return Infinity;
  }
  return n;
}

/**
 * A float32 initializer's values as a Float32Array (a fresh copy). what: how to name it in errors.
 * Throws for data that is missing, stored in another file, or does not match the dims.
 */
export function floatTensorData(t, what) {
  if (t.dataType !== FLOAT) {
    throw new TypeError(`${what} must be float32, but the model stores it as ${DATA_TYPE_NAMES[t.dataType] || `data type ${t.dataType}`}`);
  }
  if (t.external) {
    throw new Error(`${what} keeps its data in a separate file (ONNX external data), which deformconv-wasm/onnx cannot read: ` +
      'save the model with its weights inside (onnx.save_model(model, path, save_as_external_data=False))');
  }
  if (t.segmented) throw new Error(`${what} is stored in segments (TensorProto.segment), which deformconv-wasm/onnx cannot read`);
  const count = elementCount(t.dims);
  if (count === Infinity) throw new RangeError(`${what} has dims [${t.dims.join(', ')}], which are not valid tensor dimensions`);
  if (t.rawData) {
    if (t.rawData.length !== count * 4) {
      throw invalidModel(`${what} has dims [${t.dims.join(', ')}] (${count} floats), but holds ${t.rawData.length} bytes of raw data`);
    }
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(t.rawData); // ONNX raw data is little-endian, as WebAssembly and JS engines are
    return out;
  }
  const values = [];
  try {
    for (const f of t.floatFields) appendFloats(t.source, f, values);
  } catch (e) {
    if (e instanceof WireError) throw invalidModel(`${what}: ${e.message}`);
    throw e;
  }
  if (values.length !== count) {
    throw invalidModel(`${what} has dims [${t.dims.join(', ')}] (${count} floats), but holds ${values.length} values`);
  }
  return Float32Array.from(values);
}
