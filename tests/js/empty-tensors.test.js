// Dimensions of 0 where torchvision (0.14, checked with torch 1.13) accepts them: a batch of 0 images, 0
// output channels, and an input of height or width 0 that padding makes large enough for the kernel. Every
// entry point, both conventions, both data formats and prepared layers give torchvision's results: empty
// tensors of the right shapes, zero gradients for the tensors that are not empty (grad_weight and grad_bias of
// an empty batch; grad_input, grad_offset and grad_mask of 0 output channels), and for an input with no pixels
// an output equal to the bias (every sample reads outside the image). Other zero dimensions (input channels,
// kernel size, an output of 0 pixels) are rejected, as torchvision rejects them.
const { api, WASM_BUILDS, randomTensor, random } = require('./helpers');

const { layouts } = api;
const rand = random(1234);
const tensor = (shape) => randomTensor(rand, shape);
const nhwc = (shape) => [shape[0], shape[2], shape[3], shape[1]];

/** A torchvision call: input (N, C, H, W), 3x3 weight, padding p, mask and bias; shapes given NCHW. */
function call({ N = 2, C = 4, H = 5, W = 6, Co = 3, padding = 1, format = 'NCHW' }) {
  const Ho = H + 2 * padding - 2, Wo = W + 2 * padding - 2;
  const f = (s) => (format === 'NHWC' ? nhwc(s) : s);
  return {
    input: tensor(f([N, C, H, W])), offset: tensor(f([N, 18, Ho, Wo])), weight: tensor([Co, C, 3, 3]),
    options: { mask: tensor(f([N, 9, Ho, Wo])), bias: tensor([Co]), padding, dataFormat: format },
    outputShape: f([N, Co, Ho, Wo]), gradOutput: tensor(f([N, Co, Ho, Wo])),
  };
}

describe.each(WASM_BUILDS)('zero dimensions on the %s build', (build, options) => {
  let dc;
  beforeAll(async () => { dc = await api.createDeformConv(options); });
  afterAll(() => dc.dispose());

  test.each(['NCHW', 'NHWC'])('a batch of 0 images, torchvision convention, %s: empty output, empty and zero gradients', async (format) => {
    const a = call({ N: 0, format });
    const y = await dc.deformConv2d(a.input, a.offset, a.weight, a.options);
    expect(y.shape).toEqual(a.outputShape);
    expect(y.data).toEqual(new Float32Array(0));
    const g = await dc.deformConv2dBackward(a.gradOutput, a.input, a.offset, a.weight, a.options);
    expect(g.gradInput).toEqual({ data: new Float32Array(0), shape: a.input.shape });
    expect(g.gradOffset).toEqual({ data: new Float32Array(0), shape: a.offset.shape });
    expect(g.gradMask).toEqual({ data: new Float32Array(0), shape: a.options.mask.shape });
    expect(g.gradWeight).toEqual({ data: new Float32Array(4 * 3 * 9), shape: [3, 4, 3, 3] });
    expect(g.gradBias).toEqual({ data: new Float32Array(3), shape: [3] });
  });

  test.each(['NCHW', 'NHWC'])('a batch of 0 images, MindSpore convention, %s', async (format) => {
    const a = call({ N: 0, format });
    const offsets = tensor(format === 'NHWC' ? [0, 5, 6, 27] : [0, 27, 5, 6]);
    const args = [a.input, a.weight, offsets, [3, 3], [1, 1, 1, 1], [1, 1, 1, 1], { bias: a.options.bias, dataFormat: format }];
    const y = await dc.deformableConv2d(...args);
    expect(y).toEqual({ data: new Float32Array(0), shape: a.outputShape });
    const g = await dc.deformableConv2dBackward(a.gradOutput, ...args);
    expect(g.gradX).toEqual({ data: new Float32Array(0), shape: a.input.shape });
    expect(g.gradOffsets).toEqual({ data: new Float32Array(0), shape: offsets.shape });
    expect(g.gradWeight).toEqual({ data: new Float32Array(4 * 3 * 9), shape: [3, 4, 3, 3] });
    expect(g.gradBias).toEqual({ data: new Float32Array(3), shape: [3] });
  });

  test('prepared layers take a batch of 0 images between ordinary calls', async () => {
    const full = call({ N: 1 }), empty = call({ N: 0 });
    const { mask, ...layerOptions } = full.options;
    const layer = await dc.prepareDeformConv2d(full.weight, { ...layerOptions, bias: full.options.bias });
    const expected = await dc.deformConv2d(full.input, full.offset, full.weight, full.options);
    expect((await layer.forward(full.input, full.offset, { mask })).data).toEqual(expected.data);
    expect(await layer.forward(empty.input, empty.offset, { mask: empty.options.mask })).toEqual({ data: new Float32Array(0), shape: [0, 3, 5, 6] });
    expect((await layer.forward(full.input, full.offset, { mask })).data).toEqual(expected.data);
    layer.dispose();
    const msLayer = await dc.prepareDeformableConv2d(full.weight, [3, 3], [1, 1, 1, 1], [1, 1, 1, 1], { bias: full.options.bias });
    expect(await msLayer.forward(empty.input, tensor([0, 27, 5, 6]))).toEqual({ data: new Float32Array(0), shape: [0, 3, 5, 6] });
    msLayer.dispose();
  });

  test('0 output channels: empty output, zero input, offset and mask gradients, empty weight and bias gradients', async () => {
    for (const format of ['NCHW', 'NHWC']) {
      const a = call({ Co: 0, format });
      const y = await dc.deformConv2d(a.input, a.offset, a.weight, a.options);
      expect(y).toEqual({ data: new Float32Array(0), shape: a.outputShape });
      const g = await dc.deformConv2dBackward(a.gradOutput, a.input, a.offset, a.weight, a.options);
      expect(g.gradInput).toEqual({ data: new Float32Array(a.input.data.length), shape: a.input.shape });
      expect(g.gradOffset).toEqual({ data: new Float32Array(a.offset.data.length), shape: a.offset.shape });
      expect(g.gradMask).toEqual({ data: new Float32Array(a.options.mask.data.length), shape: a.options.mask.shape });
      expect(g.gradWeight).toEqual({ data: new Float32Array(0), shape: [0, 4, 3, 3] });
      expect(g.gradBias).toEqual({ data: new Float32Array(0), shape: [0] });
    }
  });

  test('an input of height or width 0 with padding: the output is the bias, the gradients zero but the bias\'s', async () => {
    for (const [H, W, padding] of [[0, 4, 2], [3, 0, 2], [0, 0, 2]]) {
      const a = call({ H, W, padding });
      const y = await dc.deformConv2d(a.input, a.offset, a.weight, a.options);
      expect(y.shape).toEqual(a.outputShape);
      const [N, Co, Ho, Wo] = a.outputShape;
      const bias = a.options.bias.data;
      expect(y.data).toEqual(Float32Array.from({ length: N * Co * Ho * Wo }, (_, i) => bias[Math.floor(i / (Ho * Wo)) % Co]));
      const g = await dc.deformConv2dBackward(a.gradOutput, a.input, a.offset, a.weight, a.options);
      expect(g.gradInput).toEqual({ data: new Float32Array(0), shape: a.input.shape });
      expect(g.gradOffset.data).toEqual(new Float32Array(a.offset.data.length));
      expect(g.gradMask.data).toEqual(new Float32Array(a.options.mask.data.length));
      expect(g.gradWeight.data).toEqual(new Float32Array(a.weight.data.length));
      const go = a.gradOutput.data;
      for (let co = 0; co < Co; co++) {
        let s = 0;
        for (let n = 0; n < N; n++) for (let p = 0; p < Ho * Wo; p++) s += go[(n * Co + co) * Ho * Wo + p];
        expect(g.gradBias.data[co]).toBeCloseTo(s, 4);
      }
    }
  });

  test.each([
    ['0 input channels', (a) => { a.input = tensor([1, 0, 5, 6]); }, /^input: C_in \(shape\[1\]\) must be between 1 and 2147483647, got shape \[1, 0, 5, 6\]$/],
    ['a kernel of height 0', (a) => { a.weight = tensor([3, 4, 0, 3]); }, /^weight: kh \(shape\[2\]\) must be between 1 and 2147483647, got shape \[3, 4, 0, 3\]$/],
    ['0 weight input channels', (a) => { a.weight = tensor([3, 0, 3, 3]); }, /^weight: C_in \/ groups \(shape\[1\]\) must be between 1 and 2147483647, got shape \[3, 0, 3, 3\]$/],
    ['0 offset channels', (a) => { a.offset = tensor([1, 0, 5, 6]); }, /^offset: 2 \* offset_groups \* kh \* kw \(shape\[1\]\) must be between 1 and 2147483647, got shape \[1, 0, 5, 6\]$/],
    ['an output of 0 rows', (a) => { a.input = tensor([1, 4, 0, 6]); a.options.padding = 0; }, /^output size too small: the padded input is 0x6/],
  ])('still rejected: %s', async (label, change, message) => {
    const a = call({ N: 1 });
    change(a);
    const p = dc.deformConv2d(a.input, a.offset, a.weight, a.options);
    await expect(p).rejects.toThrow(message);
    await expect(p).rejects.toBeInstanceOf(RangeError);
  });
});

test('layouts convert a batch of 0 images', () => {
  const offset = tensor([0, 18, 4, 4]), mask = tensor([0, 9, 4, 4]);
  const ms = layouts.toMindSpore(offset, mask, [3, 3]);
  expect(ms).toEqual({ data: new Float32Array(0), shape: [0, 27, 4, 4] });
  const back = layouts.fromMindSpore(ms, [3, 3]);
  expect(back.offset).toEqual({ data: new Float32Array(0), shape: [0, 18, 4, 4] });
  expect(back.mask).toEqual({ data: new Float32Array(0), shape: [0, 9, 4, 4] });
});
