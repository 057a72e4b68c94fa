// Prepared layers (prepareDeformConv2d / prepareDeformableConv2d): every golden case through them, in both
// conventions and data formats, on both WebAssembly builds, equal bit for bit to the one-shot calls (the first
// call packs the weights, the second reuses them); the weights are a snapshot; validation and messages are the
// one-shot call's; a change of weight groups repacks; dispose frees the packed weights and the heap stays flat.
const { api, goldenCases, torchvisionArgs, mindsporeArgs, expectClose, toNHWC, fromNHWC, randomTensor, FORWARD_TOLERANCE } = require('./helpers');
const { random } = require('./seeded-random');

// Both WebAssembly builds, each as [name, createDeformConv options].
const { WASM_BUILDS: BUILDS, buildName } = require('./helpers');

function expectSameBits(a, b, label) {
  expect(a.shape).toEqual(b.shape);
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  const first = x.findIndex((v, i) => v !== y[i]);
  if (first !== -1) throw new Error(`${label}: element ${first} differs: ${a.data[first]} vs ${b.data[first]}`);
}

/** Rejects with an error of this class and message (what the one-shot call gives). */
async function rejectionOf(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('the call did not reject');
}

describe.each(BUILDS)('prepared layers on the %s build', (build, options) => {
  let dc;
  beforeAll(async () => {
    dc = await api.createDeformConv(options);
    expect(buildName(dc.info())).toBe(build);
  });
  afterAll(() => dc.dispose());

  const cases = goldenCases();
  test.each(cases.map((c) => [c.name, c]))('%s: torchvision layer, NCHW and NHWC', async (name, c) => {
    const [input, offset, weight, o] = torchvisionArgs(c);
    const { mask, ...layerOptions } = o;
    const oneShot = await dc.deformConv2d(input, offset, weight, o);
    const layer = await dc.prepareDeformConv2d(weight, layerOptions);
    expect(layer.convention).toBe('torchvision');
    const first = await layer.forward(input, offset, { mask });
    const second = await layer.forward(input, offset, { mask });
    expectClose(first.data, c.output, FORWARD_TOLERANCE, name);
    expectSameBits(first, oneShot, `${name} first call`);
    expectSameBits(second, oneShot, `${name} second call`);
    layer.dispose();

    const nhwc = await dc.prepareDeformConv2d(weight, { ...layerOptions, dataFormat: 'NHWC' });
    const y = await nhwc.forward(toNHWC(input), toNHWC(offset), { mask: mask && toNHWC(mask) });
    expectClose(fromNHWC(y).data, c.output, FORWARD_TOLERANCE, `${name} NHWC`);
    nhwc.dispose();
  });

  test.each(cases.map((c) => [c.name, c]))('%s: MindSpore layer', async (name, c) => {
    const [x, weight, offsets, kernelSize, strides, padding, o] = mindsporeArgs(c);
    const oneShot = await dc.deformableConv2d(x, weight, offsets, kernelSize, strides, padding, o);
    const layer = await dc.prepareDeformableConv2d(weight, kernelSize, strides, padding, o);
    expect(layer.convention).toBe('mindspore');
    expectSameBits(await layer.forward(x, offsets), oneShot, `${name} first call`);
    expectSameBits(await layer.forward(x, offsets), oneShot, `${name} second call`);
    layer.dispose();
  });

  test('the layer keeps the weights and bias it was prepared with', async () => {
    const rand = random(11);
    const input = randomTensor(rand, [1, 6, 7, 7]), offset = randomTensor(rand, [1, 18, 7, 7], -2, 2);
    const weight = randomTensor(rand, [5, 6, 3, 3]), bias = randomTensor(rand, [5]);
    const expected = await dc.deformConv2d(input, offset, weight, { bias, padding: 1 });
    const layer = await dc.prepareDeformConv2d(weight, { bias, padding: 1 });
    weight.data.fill(7); // before the first call, which packs
    bias.data.fill(7);
    expectSameBits(await layer.forward(input, offset), expected, 'after the caller changed its arrays');
    layer.dispose();
  });

  test('the layer keeps the parameters it was prepared with, in both conventions', async () => {
    const c = cases.find((x) => x.name === 'stride2_dil2') || cases[0];
    const [input, offset, weight, o] = torchvisionArgs(c);
    const { mask, ...layerOptions } = o;
    const options = { ...layerOptions, stride: [...[].concat(o.stride)], padding: [...[].concat(o.padding)], dilation: [...[].concat(o.dilation)] };
    const layer = await dc.prepareDeformConv2d(weight, options);
    options.stride.fill(3);
    options.padding.fill(5);
    options.dilation.fill(4);
    expectClose((await layer.forward(input, offset, { mask })).data, c.output, FORWARD_TOLERANCE, `${c.name} torchvision`);
    layer.dispose();
    const [x, w, offsets, kernelSize, strides, padding, mo] = mindsporeArgs(c);
    const args = [[...kernelSize], [...strides], [...padding], { ...mo, dilations: [...mo.dilations] }];
    const msLayer = await dc.prepareDeformableConv2d(w, ...args);
    for (const list of [args[0], args[1], args[2], args[3].dilations]) list.fill(7);
    args[3].groups = 5;
    expectClose((await msLayer.forward(x, offsets)).data, c.output, FORWARD_TOLERANCE, `${c.name} MindSpore`);
    msLayer.dispose();
  });

  test('a torchvision layer repacks when an input implies other weight groups', async () => {
    const rand = random(12);
    const weight = randomTensor(rand, [8, 2, 3, 3]), bias = randomTensor(rand, [8]);
    const layer = await dc.prepareDeformConv2d(weight, { bias, padding: 1 });
    for (const channels of [2, 4, 8, 2, 8]) { // groups 1, 2, 4 (depthwise-like groups of 2 channels), 1, 4
      const input = randomTensor(rand, [1, channels, 6, 5]), offset = randomTensor(rand, [1, 18, 6, 5], -2, 2);
      const expected = await dc.deformConv2d(input, offset, weight, { bias, padding: 1 });
      expectSameBits(await layer.forward(input, offset), expected, `${channels} input channels`);
    }
    layer.dispose();
  });

  test('a depthwise layer (its packed table carries the bias)', async () => {
    const rand = random(13);
    const weight = randomTensor(rand, [12, 1, 3, 3]), bias = randomTensor(rand, [12]);
    const input = randomTensor(rand, [2, 12, 9, 8]), offset = randomTensor(rand, [2, 18, 9, 8], -2, 2);
    const mask = randomTensor(rand, [2, 9, 9, 8], 0, 1);
    for (const b of [bias, undefined]) {
      const layer = await dc.prepareDeformConv2d(weight, { bias: b, padding: 1 });
      expectSameBits(await layer.forward(input, offset, { mask }), await dc.deformConv2d(input, offset, weight, { bias: b, mask, padding: 1 }),
        b ? 'with bias' : 'without bias');
      layer.dispose();
    }
  });

  test('bad arguments: the same errors as the one-shot call, and the layer keeps working', async () => {
    const c = cases.find((x) => x.name === 'seed_example') || cases[0];
    const [input, offset, weight, o] = torchvisionArgs(c);
    const { mask, ...layerOptions } = o;
    // At prepare: what can be checked without an input.
    await expect(dc.prepareDeformConv2d(null, layerOptions)).rejects.toThrow(TypeError);
    await expect(dc.prepareDeformConv2d({ data: weight.data, shape: [1, 2, 3] }, layerOptions)).rejects.toThrow(RangeError);
    await expect(dc.prepareDeformConv2d(weight, { ...layerOptions, mask })).rejects.toThrow("options has an unknown option 'mask'");
    await expect(dc.prepareDeformConv2d(weight, { stride: 'two' })).rejects.toThrow(TypeError);
    await expect(dc.prepareDeformableConv2d(weight, [3, 3], 1, [0, 0, 0, 0])).rejects.toThrow('strides must be an array of integers');
    // At forward: the full check, with the one-shot call's messages.
    const layer = await dc.prepareDeformConv2d(weight, layerOptions);
    const badOffset = { data: offset.data.subarray(1), shape: [...offset.shape.slice(0, 3), offset.shape[3] - 1] };
    const expected = await rejectionOf(dc.deformConv2d(input, badOffset, weight, o));
    const got = await rejectionOf(layer.forward(input, badOffset, { mask }));
    expect(got.constructor).toBe(expected.constructor);
    expect(got.message).toBe(expected.message);
    await expect(layer.forward(input, offset, { bias: o.bias })).rejects.toThrow("options has an unknown option 'bias'; the options are mask, output");
    await expect(layer.forward(input)).rejects.toThrow(TypeError);
    const zeroStride = await dc.prepareDeformConv2d(weight, { ...layerOptions, stride: 0 });
    const strideError = await rejectionOf(dc.deformConv2d(input, offset, weight, { ...o, stride: 0 }));
    await expect(zeroStride.forward(input, offset, { mask })).rejects.toThrow(strideError.message);
    zeroStride.dispose();
    expectClose((await layer.forward(input, offset, { mask })).data, c.output, FORWARD_TOLERANCE, 'after the errors');
    layer.dispose();

    const [x, w, offsets, kernelSize, strides, padding, mo] = mindsporeArgs(c);
    const msLayer = await dc.prepareDeformableConv2d(w, kernelSize, strides, padding, mo);
    await expect(msLayer.forward(x, offsets, { mask })).rejects.toThrow('the mask is part of offsets');
    expectClose((await msLayer.forward(x, offsets)).data, c.output, FORWARD_TOLERANCE, 'MindSpore after the errors');
    msLayer.dispose();
  });

  test('dispose frees the packed weights; many calls leave the heap flat', async () => {
    const rand = random(14);
    const input = randomTensor(rand, [1, 16, 12, 12]), offset = randomTensor(rand, [1, 18, 12, 12], -2, 2);
    const weight = randomTensor(rand, [24, 16, 3, 3]), bias = randomTensor(rand, [24]);
    const before = dc._runner.wasm.heapStats().allocatedBytes;
    const layer = await dc.prepareDeformConv2d(weight, { bias, padding: 1 });
    await layer.forward(input, offset);
    const held = dc._runner.wasm.heapStats().allocatedBytes;
    expect(held).toBeGreaterThanOrEqual(before + 24 * 16 * 9 * 4); // the packed weights stay in the heap
    for (let i = 0; i < 200; i++) await layer.forward(input, offset);
    expect(dc._runner.wasm.heapStats().allocatedBytes).toBe(held);
    layer.dispose();
    expect(dc._runner.wasm.heapStats().allocatedBytes).toBe(before);
    await expect(layer.forward(input, offset)).rejects.toThrow('this prepared layer was disposed');
    layer.dispose(); // a second dispose does nothing
  });
});

test('a layer of a disposed instance rejects, and its dispose() does not throw', async () => {
  const dc = await api.createDeformConv({ wasmBuild: 'simd' });
  const rand = random(15);
  const weight = randomTensor(rand, [4, 3, 3, 3]);
  const layer = await dc.prepareDeformConv2d(weight, { padding: 1 });
  const input = randomTensor(rand, [1, 3, 5, 5]), offset = randomTensor(rand, [1, 18, 5, 5]);
  await layer.forward(input, offset);
  dc.dispose();
  await expect(layer.forward(input, offset)).rejects.toThrow('this DeformConv instance was disposed');
  await expect(dc.prepareDeformConv2d(weight)).rejects.toThrow('this DeformConv instance was disposed');
  expect(() => layer.dispose()).not.toThrow();
});
