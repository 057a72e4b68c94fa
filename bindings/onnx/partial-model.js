// The model of one onnxruntime step: the original model with its graph cut down to the step's nodes, written
// from the original bytes (nodes, initializers, value infos and every model-level field are copied as they
// were, so operator sets, functions, metadata and fields newer than this package survive). Only the graph's
// inputs and outputs are new where the step's boundary runs through the middle of the original graph.
import { Writer } from './protobuf.js';

// GraphProto and ModelProto field numbers (onnx.proto).
const GRAPH = { node: 1, name: 2, initializer: 5, doc_string: 10, input: 11, output: 12, value_info: 13, quantization_annotation: 14, sparse_initializer: 15 };
const MODEL_GRAPH = 7;
// Fields of the main graph's ModelProto left out of a part: training information refers to the whole graph.
const MODEL_FIELDS_LEFT_OUT = new Set([MODEL_GRAPH, 20]);

/**
 * A ValueInfoProto for a tensor: elemType a TensorProto.DataType number; shape null (rank unknown) or one
 * entry per dimension: a size, a symbolic name, or null (unknown).
 */
function tensorValueInfo(name, elemType, shape) {
  const tensorType = new Writer().intField(1, elemType);
  if (shape) {
    const dims = new Writer();
    for (const d of shape) {
      const dim = new Writer();
      if (typeof d === 'number') dim.intField(1, d);
      else if (typeof d === 'string') dim.stringField(2, d);
      dims.messageField(1, dim);
    }
    tensorType.messageField(2, dims);
  }
  const type = new Writer().messageField(1, tensorType);
  return new Writer().stringField(1, name).messageField(2, type);
}

/**
 * model: decodeModel(...); analysis: analyseGraph(...); step: an onnxruntime step of partitionGraph(...);
 * label: the part's name; known(name): { elemType, shape } of a tensor the step receives from another step,
 * as the steps before it reported them (shape null when unknown). Inputs the model declares with a shape keep
 * the model's declaration; the others are declared from known(): onnxruntime optimises a part better when it
 * knows its inputs' shapes (its layout and fusion passes need them). Returns the encoded ModelProto.
 */
export function partialModel(model, analysis, step, label, known) {
  const graph = model.graph;
  const g = new Writer();
  for (const node of step.nodes) g.bytesField(GRAPH.node, node.payload);
  g.stringField(GRAPH.name, label);
  const constants = new Set(step.initializers);
  for (const t of graph.initializers) if (constants.has(t.name)) g.bytesField(GRAPH.initializer, t.payload);
  for (const t of graph.sparseInitializers) if (constants.has(t.name)) g.bytesField(GRAPH.sparse_initializer, t.payload);

  const graphInputs = analysis.inputs;
  const declared = (name) => {
    const v = graphInputs.get(name) || analysis.valueInfo.get(name);
    return v && v.kind === 'tensor' && v.elemType ? v : null;
  };
  for (const name of step.inputs) {
    const v = declared(name);
    const k = known(name);
    if (v && (v.shape || graphInputs.has(name) || !k.shape)) g.bytesField(GRAPH.input, v.payload);
    else g.messageField(GRAPH.input, tensorValueInfo(name, v ? v.elemType : k.elemType, k.shape));
  }
  for (const name of step.writes) {
    const v = declared(name);
    if (v) g.bytesField(GRAPH.output, v.payload);
    else g.messageField(GRAPH.output, new Writer().stringField(1, name)); // onnxruntime infers its type
  }
  // What the model knows of the tensors inside the step.
  const inside = new Set(step.nodes.flatMap((node) => node.outputs));
  const boundary = new Set([...step.inputs, ...step.writes]);
  for (const v of graph.valueInfo) if (inside.has(v.name) && !boundary.has(v.name)) g.bytesField(GRAPH.value_info, v.payload);
  const inPart = new Set([...inside, ...step.reads]);
  for (const f of graph.fields) {
    if (f.field === GRAPH.quantization_annotation && !inPart.has(f.tensorName)) continue;
    g.raw(f.raw);
  }

  const m = new Writer();
  for (const f of model.fields) if (!MODEL_FIELDS_LEFT_OUT.has(f.field)) m.raw(f.raw);
  m.messageField(MODEL_GRAPH, g);
  return m.finish();
}
