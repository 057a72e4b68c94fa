// One-node ONNX DeformConv models (opset 19), encoded with the npm package onnx-proto, for any benchmark
// shape: inputs X, W, offset, B, mask (all graph inputs, none an initializer), output Y;
// or, with constant weights, W and B as initializers (a model's weights, as an exported network holds them),
// so onnxruntime has them from the start, as our prepared layers do.
// Plain imports only (no Node built-ins): the benchmark page (web/bench.html) runs this file too, bundled with
// onnx-proto for browsers by scripts/build-bench-page.mjs.
import onnxProto from 'onnx-proto';

import { tensorShapes } from './shapes.mjs';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

function valueInfo(name, dims) {
  const shape = dims ? { dim: dims.map((d) => ({ dimValue: d })) } : undefined;
  return { name, type: { tensorType: { elemType: FLOAT, shape } } };
}
const ints = (name, values) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name, value) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });

function initializer(name, tensor) {
  return { name, dims: tensor.shape, dataType: FLOAT, rawData: new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength) };
}

/**
 * The model of shape s, as bytes for InferenceSession.create. weights: { weight, bias } tensors to hold as
 * initializers (constant weights), or undefined for W and B as graph inputs.
 */
export function deformConvModel(s, weights) {
  const t = tensorShapes(s);
  const inputs = weights
    ? [valueInfo('X', t.input), valueInfo('offset', t.offset), valueInfo('mask', t.mask)]
    : [valueInfo('X', t.input), valueInfo('W', t.weight), valueInfo('offset', t.offset), valueInfo('B', t.bias), valueInfo('mask', t.mask)];
  const model = onnx.ModelProto.create({
    irVersion: 9,
    opsetImport: [{ domain: '', version: 19 }],
    producerName: 'deformconv-wasm bench',
    graph: {
      name: 'dcn',
      node: [{
        opType: 'DeformConv',
        input: ['X', 'W', 'offset', 'B', 'mask'],
        output: ['Y'],
        attribute: [
          ints('dilations', [s.dilation, s.dilation]),
          int('group', s.groups),
          ints('kernel_shape', [s.k, s.k]),
          int('offset_group', s.offsetGroups),
          ints('pads', [s.pad, s.pad, s.pad, s.pad]),
          ints('strides', [s.stride, s.stride]),
        ],
      }],
      input: inputs,
      initializer: weights ? [initializer('W', weights.weight), initializer('B', weights.bias)] : [],
      output: [valueInfo('Y', t.output)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The DeformConv node of an encoded model, as a plain object (for comparing models). */
export function deformConvNode(bytes) {
  const m = onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, defaults: false });
  const node = m.graph.node[0];
  const attributes = Object.fromEntries(node.attribute.map((a) => [a.name, a.ints && a.ints.length ? a.ints : a.i]));
  const inputs = Object.fromEntries(m.graph.input.map((v) => [v.name, v.type.tensorType.shape.dim.map((d) => d.dimValue)]));
  return { opType: node.opType, input: node.input, attributes, inputs, opset: m.opsetImport[0].version };
}
