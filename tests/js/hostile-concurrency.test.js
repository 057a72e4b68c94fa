// 50 overlapping calls on one instance (Promise.all), of different shapes and kinds (forward and backward
// in both conventions, with bad calls among them), give the same results as the same calls made one by one.
const { api, expectClose } = require('./helpers');
const { makeCase, torchvisionArgs, mindsporeArgs, random } = require('./malformed-calls');

// Both WebAssembly builds, each as [name, createDeformConv options].
const { WASM_BUILDS: BUILDS } = require('./helpers');

// The calls, each a function of the instance that resolves to a list of Float32Arrays (or rejects).
function calls(seed) {
  const rand = random(seed);
  const list = [];
  for (let i = 0; i < 50; i++) {
    const c = makeCase(rand, false);
    const gradOutput = { data: c.gradOutput.data, shape: [...c.gradOutput.shape] };
    switch (i % 5) {
      case 0: list.push({ kind: 'forward', run: (dc) => dc.deformConv2d(...torchvisionArgs(c)).then((y) => [y.data]) }); break;
      case 1: list.push({ kind: 'forward', run: (dc) => dc.deformableConv2d(...mindsporeArgs(c)).then((y) => [y.data]) }); break;
      case 2: list.push({
        kind: 'backward',
        run: (dc) => dc.deformConv2dBackward(gradOutput, ...torchvisionArgs(c)).then((g) => [g.gradOffset.data, g.gradMask ? g.gradMask.data : null, g.gradInput.data, g.gradWeight.data, g.gradBias ? g.gradBias.data : null]),
      }); break;
      case 3: list.push({
        kind: 'backward',
        run: (dc) => dc.deformableConv2dBackward(gradOutput, ...mindsporeArgs(c)).then((g) => [g.gradOffsets.data, null, g.gradX.data, g.gradWeight.data, g.gradBias ? g.gradBias.data : null]),
      }); break;
      default: list.push({ kind: 'bad', run: (dc) => dc.deformConv2d(...torchvisionArgs(c).map((a, k) => (k === 1 ? { ...a, shape: [a.shape[0] + 1, ...a.shape.slice(1)] } : a))) });
    }
  }
  return list;
}

const settle = (p) => p.then((value) => ({ value }), (error) => ({ error }));

describe.each(BUILDS)('concurrency on the %s build', (build, options) => {
  let dc;
  beforeAll(async () => { dc = await api.createDeformConv(options); });
  afterAll(() => dc.dispose());

  test('50 overlapping calls equal the same calls one by one', async () => {
    const list = calls(99);
    const oneByOne = [];
    for (const call of list) oneByOne.push(await settle(call.run(dc)));
    const together = await Promise.all(list.map((call) => settle(call.run(dc))));
    expect(together).toHaveLength(50);
    together.forEach((got, i) => {
      const want = oneByOne[i];
      if (list[i].kind === 'bad') {
        expect(got.error).toBeInstanceOf(RangeError);
        expect(got.error.message).toBe(want.error.message);
        return;
      }
      expect(got.error).toBeUndefined();
      got.value.forEach((data, k) => {
        if (data === null) return expect(want.value[k]).toBeNull();
        // The forward pass and the per-pixel gradients (offset, mask) are exact; grad_input, grad_weight and
        // grad_bias are sums whose order varies with the threads' schedule: equal to the last bits.
        if (list[i].kind === 'forward' || k < 2 || build === 'simd') expect(Array.from(data)).toEqual(Array.from(want.value[k]));
        else expectClose(data, want.value[k], 1e-6, `call ${i} part ${k}`);
      });
    });
  });
});
