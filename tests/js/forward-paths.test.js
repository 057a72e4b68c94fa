// The WebAssembly forward pass on shapes the golden cases are too small for: the channels-last copy-in of an
// NCHW input in several staging blocks (channels and pixels), several K blocks with full and partial weight
// panels of the 8-column WASM tile, narrow weight groups gathered several at a time, output-channel slices, and the
// depthwise kernel, in both builds. Also the memory the last call reports (the benchmark's source).
const { api, expectClose, FORWARD_TOLERANCE, random, randomTensor, referenceForward, toNHWC, fromNHWC } = require('./helpers');

const builds = [['threads', 2], ['simd', 1]];

function layer(rand, [N, C, H, W], [Co, kh, kw], { groups = 1, G = 1, pad = 1, mask = true, bias = true } = {}) {
  const Ho = H + 2 * pad - kh + 1, Wo = W + 2 * pad - kw + 1;
  return {
    input: randomTensor(rand, [N, C, H, W]),
    weight: randomTensor(rand, [Co, C / groups, kh, kw], -0.3, 0.3),
    offset: randomTensor(rand, [N, 2 * G * kh * kw, Ho, Wo], -3, 3),
    mask: mask ? randomTensor(rand, [N, G * kh * kw, Ho, Wo], 0, 1) : null,
    bias: bias ? randomTensor(rand, [Co]) : null,
    params: { stride: [1, 1], padding: [pad, pad, pad, pad], dilation: [1, 1] },
  };
}

function run(dc, l, dataFormat = 'NCHW') {
  const nhwc = dataFormat === 'NHWC';
  const t = (x) => (x && nhwc ? toNHWC(x) : x);
  return dc.deformConv2d(t(l.input), t(l.offset), l.weight, {
    bias: l.bias, mask: t(l.mask), padding: l.params.padding, dataFormat,
  }).then((y) => (nhwc ? fromNHWC(y) : y));
}

describe.each(builds)('forward paths, %s build', (wasmBuild, threads) => {
  let dc;
  beforeAll(async () => { dc = await api.createDeformConv({ wasmBuild, threads }); });
  afterAll(() => dc.dispose());

  test('an NCHW input copied in through several staging blocks equals the NHWC call', async () => {
    const rand = random(11);
    // 8 x 40000 floats: two blocks of channels; 2 x 266240: two blocks of pixels per channel.
    for (const shape of [[1, 8, 200, 200], [2, 2, 512, 520]]) {
      const l = layer(rand, shape, [3, 1, 1], { pad: 0 });
      const a = await run(dc, l, 'NCHW');
      const b = await run(dc, l, 'NHWC');
      expect(a.shape).toEqual(b.shape);
      expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    }
  });

  test('several K blocks, full and partial weight panels, offset groups across blocks', async () => {
    const l = layer(random(12), [1, 96, 9, 8], [20, 3, 3], { G: 3 });
    const ref = referenceForward(l.input, l.offset, l.weight, l.mask, l.bias, l.params);
    for (const format of ['NCHW', 'NHWC']) expectClose((await run(dc, l, format)).data, ref.data, FORWARD_TOLERANCE, format);
  });

  test('narrow weight groups gathered several at a time, and output-channel slices', async () => {
    // 2 x 2 channels per group (16 groups per K block, runs cut at 4 offset groups); 3 x 2 per group (runs
    // of 3); 1 x 2 (a channel multiplier: runs of 1); 1 x 4 channels in 64 groups, 256 output channels on one
    // small tile (sliced by blocks of groups at two threads).
    const cases = [
      [[1, 32, 9, 8], [32, 3, 3], { groups: 16, G: 4 }],
      [[2, 18, 6, 5], [12, 3, 2], { groups: 6, G: 3, bias: false }],
      [[1, 8, 9, 7], [16, 3, 3], { groups: 8, mask: false }],
      [[1, 64, 5, 6], [256, 3, 3], { groups: 64, G: 2 }],
    ];
    const rand = random(16);
    for (const [shape, kernel, options] of cases) {
      const l = layer(rand, shape, kernel, options);
      const ref = referenceForward(l.input, l.offset, l.weight, l.mask, l.bias, l.params);
      for (const format of ['NCHW', 'NHWC']) expectClose((await run(dc, l, format)).data, ref.data, FORWARD_TOLERANCE, `${format} ${shape} groups ${options.groups}`);
    }
  });

  test('depthwise layer (one channel per group) with offset groups', async () => {
    const l = layer(random(13), [2, 24, 9, 10], [24, 3, 3], { groups: 24, G: 4, mask: false });
    const ref = referenceForward(l.input, l.offset, l.weight, l.mask, l.bias, l.params);
    for (const format of ['NCHW', 'NHWC']) expectClose((await run(dc, l, format)).data, ref.data, FORWARD_TOLERANCE, format);
  });

  test('the last call reports its workspace and staging memory', async () => {
    const l = layer(random(14), [1, 16, 24, 24], [16, 3, 3]);
    await run(dc, l, 'NCHW');
    const m = dc._runner.wasm.lastForwardMemoryStats();
    expect(m.workspacePeakBytes).toBeGreaterThan(16 * 16 * 9 * 4); // at least the packed weights
    expect(m.workspacePeakBytes).toBeLessThan(4 << 20);
    expect(m.stagingBytes).toBe(16 * 24 * 24 * 4);
    await run(dc, l, 'NHWC');
    expect(dc._runner.wasm.lastForwardMemoryStats().stagingBytes).toBe(0);
  });
});
