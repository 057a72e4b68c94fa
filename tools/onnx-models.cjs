// ONNX models with DeformConv, written with the npm package onnx-proto (a devDependency): a small graph
// builder, mmdet's DCNv2 block and ResNet bottleneck, and the models that the tests of deformconv-wasm/onnx
// (tests/onnx/), the demo page's example models (web/make-models.mjs) and the benchmark (bench/models.mjs)
// run: a chain, a branchy graph with skip connections, DCNv1's 3-input form, DeformConv fed straight from graph
// inputs, a symbolic batch... Random weights come from a seed.
const { onnx } = require('onnx-proto');
const { random } = require('../tests/js/seeded-random');

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const A = onnx.AttributeProto.AttributeType;

function attribute(name, value) {
  if (Array.isArray(value)) {
    return value.every(Number.isInteger) ? { name, type: A.INTS, ints: value } : { name, type: A.FLOATS, floats: value };
  }
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (Number.isInteger(value)) return { name, type: A.INT, i: value };
  return { name, type: A.FLOAT, f: value };
}

function valueInfo(name, dims, elemType = FLOAT) {
  const shape = dims ? { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } : undefined;
  return { name, type: { tensorType: { elemType, shape } } };
}

class GraphBuilder {
  constructor(seed = 1) {
    this.rand = random(seed);
    this.nodes = [];
    this.inputs = [];
    this.outputs = [];
    this.initializers = [];
    this.valueInfo = [];
  }

  input(name, dims, elemType = FLOAT) {
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  output(name, dims, elemType = FLOAT) {
    this.outputs.push(dims === null ? { name } : valueInfo(name, dims, elemType));
    return name;
  }

  /** A float32 initializer: data given, or uniform in [-scale, scale]. */
  initializer(name, dims, { data, scale = 1 } = {}) {
    const n = dims.reduce((a, b) => a * b, 1);
    const values = data ? Float32Array.from(data) : Float32Array.from({ length: n }, () => (2 * this.rand() - 1) * scale);
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer) });
    return name;
  }

  int64Initializer(name, values) {
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values });
    return name;
  }

  node(opType, inputs, outputs, attributes = {}, name = undefined) {
    this.nodes.push({
      opType, input: inputs, output: outputs, name: name === undefined ? `${opType}_${this.nodes.length}` : name,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return outputs[0];
  }

  /** The model's bytes. order: a permutation of the nodes' indices (nodes in any order in the file). */
  encode({ opset = 19, irVersion = 9, order = null, name = 'test' } = {}) {
    const node = order ? order.map((i) => this.nodes[i]) : this.nodes;
    const model = onnx.ModelProto.create({
      irVersion, opsetImport: [{ domain: '', version: opset }], producerName: 'deformconv-wasm tests',
      graph: { name, node, input: this.inputs, output: this.outputs, initializer: this.initializers, valueInfo: this.valueInfo },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /** A seeded permutation of the node indices. */
  shuffledOrder() {
    const order = this.nodes.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  }
}

// ---------------------------------------------------------------- building blocks

/**
 * mmdet's DCNv2 3x3 (ModulatedDeformConv2dPack) as torch.onnx exports it: an offset conv gives 3·G·9
 * channels, chunked in three (dy/dx halves concatenated into the offset, the third the mask logits), sigmoid on
 * the mask, then DeformConv. Returns the output's name.
 */
function dcnV2(b, x, cin, cout, prefix, { stride = 1, offsetGroup = 1, group = 1, bias = true, dilation = 1 } = {}) {
  const taps = 9, third = offsetGroup * taps;
  const offsetConvW = b.initializer(`${prefix}.conv_offset.weight`, [3 * third, cin, 3, 3], { scale: 0.5 / Math.sqrt(cin * 9) });
  const offsetConvB = b.initializer(`${prefix}.conv_offset.bias`, [3 * third], { scale: 0.5 });
  const om = b.node('Conv', [x, offsetConvW, offsetConvB], [`${prefix}.om`], { kernel_shape: [3, 3], pads: [dilation, dilation, dilation, dilation], strides: [stride, stride], dilations: [dilation, dilation] });
  const splitSizes = b.int64Initializer(`${prefix}.chunks`, [third, third, third]);
  b.node('Split', [om, splitSizes], [`${prefix}.o1`, `${prefix}.o2`, `${prefix}.mask_logits`], { axis: 1 });
  const offset = b.node('Concat', [`${prefix}.o1`, `${prefix}.o2`], [`${prefix}.offset`], { axis: 1 });
  const mask = b.node('Sigmoid', [`${prefix}.mask_logits`], [`${prefix}.mask`]);
  const w = b.initializer(`${prefix}.weight`, [cout, cin / group, 3, 3], { scale: 1 / Math.sqrt((cin / group) * 9) });
  const inputs = [x, w, offset, bias ? b.initializer(`${prefix}.bias`, [cout], { scale: 0.1 }) : '', mask];
  return b.node('DeformConv', inputs, [`${prefix}.out`], {
    kernel_shape: [3, 3], pads: [dilation, dilation, dilation, dilation], strides: [stride, stride], dilations: [dilation, dilation], group, offset_group: offsetGroup,
  }, `${prefix}.dcn`);
}

/** BatchNormalization (inference) with random statistics. */
function batchNorm(b, x, channels, prefix) {
  const scale = b.initializer(`${prefix}.weight`, [channels], { data: Array.from({ length: channels }, () => 0.5 + b.rand()) });
  const shift = b.initializer(`${prefix}.bias`, [channels], { scale: 0.1 });
  const mean = b.initializer(`${prefix}.running_mean`, [channels], { scale: 0.1 });
  const variance = b.initializer(`${prefix}.running_var`, [channels], { data: Array.from({ length: channels }, () => 0.5 + b.rand()) });
  return b.node('BatchNormalization', [x, scale, shift, mean, variance], [`${prefix}.out`], { epsilon: 1e-5 });
}

/**
 * An mmdet ResNet bottleneck with DCNv2 in its 3x3, as exported in eval mode: the 1x1 convs carry their folded
 * batch norms; the DeformConv has no bias and a BatchNormalization after it. 1x1 conv, ReLU, DCNv2 3x3, BN,
 * ReLU, 1x1 conv, skip add, ReLU.
 */
function bottleneck(b, x, channels, width, prefix) {
  const w1 = b.initializer(`${prefix}.conv1.weight`, [width, channels, 1, 1], { scale: 1 / Math.sqrt(channels) });
  const b1 = b.initializer(`${prefix}.conv1.bias`, [width], { scale: 0.1 });
  const h1 = b.node('Relu', [b.node('Conv', [x, w1, b1], [`${prefix}.conv1`], { kernel_shape: [1, 1] })], [`${prefix}.relu1`]);
  const d = dcnV2(b, h1, width, width, `${prefix}.conv2`, { bias: false });
  const h2 = b.node('Relu', [batchNorm(b, d, width, `${prefix}.bn2`)], [`${prefix}.relu2`]);
  const w3 = b.initializer(`${prefix}.conv3.weight`, [channels, width, 1, 1], { scale: 1 / Math.sqrt(width) });
  const b3 = b.initializer(`${prefix}.conv3.bias`, [channels], { scale: 0.1 });
  const h3 = b.node('Conv', [h2, w3, b3], [`${prefix}.conv3`], { kernel_shape: [1, 1] });
  return b.node('Relu', [b.node('Add', [h3, x], [`${prefix}.add`])], [`${prefix}.out`]);
}

/**
 * A detection head tower with DCNv2 in every 3x3 conv (as mmdet's heads with DCN): `depth` x (DCNv2 3x3 with
 * bias, ReLU) at `channels`, then a plain 3x3 conv to `classes` outputs.
 */
function dcnHeadModel({ seed = 15, channels = 256, size = 24, depth = 4, classes = 80, batch = 1, opset = 19 } = {}) {
  const b = new GraphBuilder(seed);
  let y = b.input('features', [batch, channels, size, size]);
  const dcnNodes = [];
  for (let i = 0; i < depth; i++) {
    y = b.node('Relu', [dcnV2(b, y, channels, channels, `tower.${i}`)], [`tower.${i}.relu`]);
    dcnNodes.push(`tower.${i}.dcn`);
  }
  const w = b.initializer('cls.weight', [classes, channels, 3, 3], { scale: 1 / Math.sqrt(channels * 9) });
  const bias = b.initializer('cls.bias', [classes], { scale: 0.1 });
  b.output(b.node('Conv', [y, w, bias], ['scores'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), [batch, classes, size, size]);
  return { bytes: b.encode({ opset }), inputs: { features: [batch, channels, size, size] }, dcnNodes };
}

// ---------------------------------------------------------------- the models of the tests

/** Two mmdet DCN bottlenecks in a row (a ResNet-50-DCN stage in small). */
function chainModel({ seed = 1, channels = 16, width = 8, size = 10, batch = 1, opset = 19, shuffle = false, blocks = 2 } = {}) {
  const b = new GraphBuilder(seed);
  let y = b.input('image', [batch, channels, size, size]);
  const dcnNodes = [];
  for (let i = 0; i < blocks; i++) {
    y = bottleneck(b, y, channels, width, `layer1.${i}`);
    dcnNodes.push(`layer1.${i}.conv2.dcn`);
  }
  b.output(b.node('Identity', [y], ['features']), [batch, channels, size, size]);
  return { bytes: b.encode({ opset, order: shuffle ? b.shuffledOrder() : null }), inputs: { image: [batch, channels, size, size] }, dcnNodes };
}

/**
 * Parallel DeformConv branches with skip connections: a stem conv, two DCN branches side by side (one DCNv2
 * with 2 offset groups and group 2, one DCNv1 in the 3-input form with stride 2 and asymmetric pads... ),
 * merged, and a second stage that reads the stem again (a long skip), with two outputs.
 */
function branchyModel({ seed = 2, opset = 19, shuffle = true, batch = 1 } = {}) {
  const b = new GraphBuilder(seed);
  const x = b.input('x', [batch, 4, 12, 12]);
  const stemW = b.initializer('stem.w', [8, 4, 3, 3], { scale: 1 / 6 });
  const stem = b.node('Relu', [b.node('Conv', [x, stemW], ['stem.conv'], { pads: [1, 1, 1, 1] })], ['stem']);
  // Branch A: DCNv2, group 2, offset_group 2, bias.
  const a = dcnV2(b, stem, 8, 8, 'a', { group: 2, offsetGroup: 2 });
  // Branch B: DCNv1 (X, W, offset only), offsets from their own conv, kernel_shape left out.
  const offW = b.initializer('b.offset.w', [18, 8, 3, 3], { scale: 0.05 });
  const off = b.node('Conv', [stem, offW], ['b.offset'], { pads: [1, 1, 1, 1] });
  const bw = b.initializer('b.w', [8, 8, 3, 3], { scale: 1 / Math.sqrt(72) });
  const bOut = b.node('DeformConv', [stem, bw, off], ['b.out'], { pads: [1, 1, 1, 1] }, 'b.dcn');
  const merged = b.node('Add', [a, bOut], ['merged']);
  // Stage 2: a DCN reading the merged branches, with a skip from the stem.
  const c = dcnV2(b, merged, 8, 8, 'c', { dilation: 2 });
  b.output(b.node('Add', [c, stem], ['out.main']), [batch, 8, 12, 12]);
  // A second output after a global pool (no type declared: onnxruntime infers it), and one straight from branch B.
  b.output(b.node('GlobalAveragePool', [bOut], ['out.pooled']), null);
  b.output(bOut, [batch, 8, 12, 12]);
  return { bytes: b.encode({ opset, order: shuffle ? b.shuffledOrder() : null }), inputs: { x: [batch, 4, 12, 12] }, dcnNodes: ['a.dcn', 'b.dcn', 'c.dcn'] };
}

/**
 * DeformConv fed straight from the graph's inputs (no other node before it): X, offset, mask are inputs;
 * W and B initializers, or inputs too (weights: 'inputs'). Strides, asymmetric pads, 2 offset groups, a
 * symbolic batch ('N') and symbolic sizes (openChannels: the channels too). Without a bias but
 * with a mask, B is given as '' between offset and mask.
 */
function directModel({ seed = 3, opset = 19, weights = 'initializers', withBias = true, withMask = true, batch = 'N', kernel = [3, 3], openChannels = false } = {}) {
  const b = new GraphBuilder(seed);
  const [kh, kw] = kernel;
  const og = 2, taps = kh * kw;
  const X = b.input('X', [batch, openChannels ? 'C' : 6, 'H', 'W']);
  const offset = b.input('offset', [batch, openChannels ? 'C2' : 2 * og * taps, 'Ho', 'Wo']);
  const mask = withMask ? b.input('mask', [batch, openChannels ? 'C3' : og * taps, 'Ho', 'Wo']) : '';
  const W = weights === 'inputs' ? b.input('W', [4, 3, kh, kw]) : b.initializer('W', [4, 3, kh, kw], { scale: 0.3 });
  const B = !withBias ? '' : weights === 'inputs' ? b.input('B', [4]) : b.initializer('B', [4], { scale: 0.3 });
  const inputs = withMask ? [X, W, offset, B, mask] : withBias ? [X, W, offset, B] : [X, W, offset];
  b.node('DeformConv', inputs, ['Y'], { group: 2, offset_group: og, strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 2] }, 'dcn');
  b.output('Y', [batch, 4, 'Ho', 'Wo']);
  return { bytes: b.encode({ opset }), dcnNodes: ['dcn'] };
}

/** Output size of directModel's node for an input of H x W. */
function directOutputSize(H, W, kernel = [3, 3]) {
  return [Math.floor((H + 1 + 2 - ((kernel[0] - 1) * 1 + 1)) / 2) + 1, Math.floor((W + 0 + 1 - ((kernel[1] - 1) * 2 + 1)) / 1) + 1];
}

/** A model without DeformConv (it runs in onnxruntime alone). */
function plainModel({ seed = 4 } = {}) {
  const b = new GraphBuilder(seed);
  const x = b.input('x', [1, 3, 8, 8]);
  const w = b.initializer('w', [4, 3, 3, 3], { scale: 0.2 });
  b.output(b.node('Relu', [b.node('Conv', [x, w], ['c'], { pads: [1, 1, 1, 1] })], ['y']), [1, 4, 8, 8]);
  return { bytes: b.encode(), inputs: { x: [1, 3, 8, 8] } };
}

module.exports = { GraphBuilder, dcnV2, batchNorm, bottleneck, dcnHeadModel, chainModel, branchyModel, directModel, directOutputSize, plainModel, FLOAT, valueInfo };
