// Every case of tests/golden through both entry points (torchvision and MindSpore conventions), both
// data formats, on the threaded and the SIMD-only WebAssembly builds, at 2e-5 * (1 + |ref|).
const { api, goldenCases, torchvisionArgs, mindsporeArgs, expectClose, toNHWC, fromNHWC, FORWARD_TOLERANCE } = require('./helpers');

// Both WebAssembly builds, each as [name, createDeformConv options].
const { WASM_BUILDS: BUILDS, buildName } = require('./helpers');

describe.each(BUILDS)('forward on the %s build', (build, options) => {
  let dc;
  beforeAll(async () => {
    dc = await api.createDeformConv(options);
    expect(buildName(dc.info())).toBe(build);
  });
  afterAll(() => dc.dispose());

  const cases = goldenCases();
  test.each(cases.map((c) => [c.name, c]))('%s: deformConv2d (torchvision layout)', async (name, c) => {
    const y = await dc.deformConv2d(...torchvisionArgs(c));
    expect(y.shape).toEqual(c.shapes.output);
    expect(y.data).toBeInstanceOf(Float32Array);
    expectClose(y.data, c.output, FORWARD_TOLERANCE, name);
  });

  test.each(cases.map((c) => [c.name, c]))('%s: deformableConv2d (MindSpore layout)', async (name, c) => {
    const y = await dc.deformableConv2d(...mindsporeArgs(c));
    expect(y.shape).toEqual(c.shapes.output);
    expectClose(y.data, c.output, FORWARD_TOLERANCE, name);
  });

  test.each(cases.map((c) => [c.name, c]))('%s: dataFormat NHWC, both conventions', async (name, c) => {
    const [input, offset, weight, o] = torchvisionArgs(c);
    const y = await dc.deformConv2d(toNHWC(input), toNHWC(offset), weight, { ...o, mask: o.mask && toNHWC(o.mask), dataFormat: 'NHWC' });
    const [N, Co, Ho, Wo] = c.shapes.output;
    expect(y.shape).toEqual([N, Ho, Wo, Co]);
    expectClose(fromNHWC(y).data, c.output, FORWARD_TOLERANCE, `${name} torchvision NHWC`);
    const ms = mindsporeArgs(c);
    const y2 = await dc.deformableConv2d(toNHWC(ms[0]), ms[1], toNHWC(ms[2]), ms[3], ms[4], ms[5], { ...ms[6], dataFormat: 'NHWC' });
    expectClose(fromNHWC(y2).data, c.output, FORWARD_TOLERANCE, `${name} MindSpore NHWC`);
  });

  test('the seed example prints -0.0022044 and 0 in both conventions', async () => {
    const c = cases.find((x) => x.name === 'seed_example');
    for (const y of [await dc.deformConv2d(...torchvisionArgs(c)), await dc.deformableConv2d(...mindsporeArgs(c))]) {
      expect(y.data[0].toFixed(7)).toBe('-0.0022044');
      expect(y.data[1]).toBe(0);
    }
  });
});
