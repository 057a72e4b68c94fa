// Gradients: every golden case's grad_* arrays through deformConv2dBackward (torchvision layout) and
// deformableConv2dBackward (MindSpore layout: gradOffsets in [dx | dy | mask] blocks), on the threaded and
// the SIMD-only builds, at 1e-4 * (1 + |ref|); NHWC; batched calls equal the sum of per-image calls.
const { api, goldenCases, torchvisionArgs, mindsporeArgs, expectClose, toNHWC, fromNHWC, random, randomCase, GRADIENT_TOLERANCE } = require('./helpers');

// Both WebAssembly builds, each as [name, createDeformConv options].
const { WASM_BUILDS: BUILDS } = require('./helpers');

const gradOutputOf = (c) => ({ data: Float32Array.from(c.grad_output), shape: c.shapes.output });

/** The golden torchvision-layout gradients rearranged into MindSpore's [dx | dy | mask] blocks. */
function mindsporeGradOffsets(c) {
  const [N, C2, Ho, Wo] = c.shapes.offset, GK = C2 / 2, P = Ho * Wo;
  const out = new Float64Array(N * 3 * GK * P); // no mask: the mask block's gradient is 0 (modulated false)
  for (let n = 0; n < N; n++) for (let k = 0; k < GK; k++) for (let p = 0; p < P; p++) {
    const dst = n * 3 * GK * P;
    out[dst + k * P + p] = c.grad_offset[(n * C2 + 2 * k + 1) * P + p];
    out[dst + (GK + k) * P + p] = c.grad_offset[(n * C2 + 2 * k) * P + p];
    if (c.grad_mask) out[dst + (2 * GK + k) * P + p] = c.grad_mask[(n * GK + k) * P + p];
  }
  return out;
}

describe.each(BUILDS)('backward on the %s build', (build, options) => {
  let dc;
  beforeAll(async () => { dc = await api.createDeformConv(options); });
  afterAll(() => dc.dispose());
  const cases = goldenCases();

  test.each(cases.map((c) => [c.name, c]))('%s: deformConv2dBackward (torchvision layout)', async (name, c) => {
    const [input, offset, weight, o] = torchvisionArgs(c);
    const g = await dc.deformConv2dBackward(gradOutputOf(c), input, offset, weight, o);
    expect(g.gradInput.shape).toEqual(c.shapes.input);
    expectClose(g.gradInput.data, c.grad_input, GRADIENT_TOLERANCE, `${name} gradInput`);
    expectClose(g.gradOffset.data, c.grad_offset, GRADIENT_TOLERANCE, `${name} gradOffset`);
    expectClose(g.gradWeight.data, c.grad_weight, GRADIENT_TOLERANCE, `${name} gradWeight`);
    if (c.grad_mask) expectClose(g.gradMask.data, c.grad_mask, GRADIENT_TOLERANCE, `${name} gradMask`);
    else expect(g.gradMask).toBeNull();
    if (c.grad_bias) expectClose(g.gradBias.data, c.grad_bias, GRADIENT_TOLERANCE, `${name} gradBias`);
    else expect(g.gradBias).toBeNull();
  });

  test.each(cases.map((c) => [c.name, c]))('%s: deformableConv2dBackward (MindSpore layout)', async (name, c) => {
    const [x, weight, offsets, kernelSize, strides, padding, o] = mindsporeArgs(c);
    const g = await dc.deformableConv2dBackward(gradOutputOf(c), x, weight, offsets, kernelSize, strides, padding, o);
    expect(Object.keys(g).sort()).toEqual(['gradBias', 'gradOffsets', 'gradWeight', 'gradX']);
    expect(g.gradOffsets.shape).toEqual(c.shapes.offsets_mindspore);
    expectClose(g.gradX.data, c.grad_input, GRADIENT_TOLERANCE, `${name} gradX`);
    expectClose(g.gradOffsets.data, mindsporeGradOffsets(c), GRADIENT_TOLERANCE, `${name} gradOffsets`);
    expectClose(g.gradWeight.data, c.grad_weight, GRADIENT_TOLERANCE, `${name} gradWeight`);
    if (c.grad_bias) expectClose(g.gradBias.data, c.grad_bias, GRADIENT_TOLERANCE, `${name} gradBias`);
  });
});

describe('backward, other forms', () => {
  let dc;
  beforeAll(async () => { dc = await api.createDeformConv({ threads: 2 }); });
  afterAll(() => dc.dispose());

  test.each(goldenCases().map((c) => [c.name, c]))('%s: dataFormat NHWC', async (name, c) => {
    const [input, offset, weight, o] = torchvisionArgs(c);
    const g = await dc.deformConv2dBackward(toNHWC(gradOutputOf(c)), toNHWC(input), toNHWC(offset), weight,
      { ...o, mask: o.mask && toNHWC(o.mask), dataFormat: 'NHWC' });
    expectClose(fromNHWC(g.gradInput).data, c.grad_input, GRADIENT_TOLERANCE, `${name} gradInput`);
    expectClose(fromNHWC(g.gradOffset).data, c.grad_offset, GRADIENT_TOLERANCE, `${name} gradOffset`);
    if (c.grad_mask) expectClose(fromNHWC(g.gradMask).data, c.grad_mask, GRADIENT_TOLERANCE, `${name} gradMask`);
    expectClose(g.gradWeight.data, c.grad_weight, GRADIENT_TOLERANCE, `${name} gradWeight`);
  });

  test('gradients of a batched call equal the per-image calls (summed for weight and bias)', async () => {
    const rand = random(21);
    for (let trial = 0; trial < 6; trial++) {
      const c = randomCase(rand);
      if (c.input.shape[0] === 1) continue;
      const p = c.params, opts = (mask, bias) => ({ mask, bias, stride: p.stride, padding: p.padding, dilation: p.dilation });
      const y = await dc.deformConv2d(c.input, c.offset, c.weight, opts(c.mask, c.bias));
      const gradOutput = { data: y.data.map((_, i) => Math.sin(i)), shape: y.shape };
      const whole = await dc.deformConv2dBackward(gradOutput, c.input, c.offset, c.weight, opts(c.mask, c.bias));
      const image = (t, n) => t && { data: t.data.subarray(n * t.data.length / t.shape[0], (n + 1) * t.data.length / t.shape[0]), shape: [1, ...t.shape.slice(1)] };
      const parts = [];
      for (let n = 0; n < 2; n++) {
        parts.push(await dc.deformConv2dBackward(image(gradOutput, n), image(c.input, n), image(c.offset, n), c.weight, opts(image(c.mask, n), c.bias)));
      }
      const concat = (key) => Float32Array.from([...parts[0][key].data, ...parts[1][key].data]);
      const sum = (key) => parts[0][key].data.map((v, i) => v + parts[1][key].data[i]);
      expectClose(whole.gradInput.data, concat('gradInput'), 1e-6, 'gradInput');
      expectClose(whole.gradOffset.data, concat('gradOffset'), 1e-6, 'gradOffset');
      if (c.mask) expectClose(whole.gradMask.data, concat('gradMask'), 1e-6, 'gradMask');
      expectClose(whole.gradWeight.data, sum('gradWeight'), 1e-5, 'gradWeight');
      if (c.bias) expectClose(whole.gradBias.data, sum('gradBias'), 1e-5, 'gradBias');
    }
  });

  test('bad gradOutput is rejected and the instance keeps working', async () => {
    const c = goldenCases().find((x) => x.name === 'basic_3x3');
    const [input, offset, weight, o] = torchvisionArgs(c);
    await expect(dc.deformConv2dBackward(undefined, input, offset, weight, o)).rejects.toThrow(new TypeError('gradOutput must be a tensor { data: Float32Array, shape: number[] }, got undefined'));
    await expect(dc.deformConv2dBackward({ data: new Float32Array(3), shape: [3] }, input, offset, weight, o)).rejects.toThrow(new RangeError("gradOutput must have the output's shape [2, 4, 7, 9] (NCHW), got [3]"));
    await expect(dc.deformConv2dBackward({ data: new Float32Array(10), shape: c.shapes.output }, input, offset, weight, o)).rejects.toThrow(new RangeError('gradOutput.data has 10 elements but shape [2, 4, 7, 9] needs 504'));
    const ms = mindsporeArgs(c);
    await expect(dc.deformableConv2dBackward({ data: new Float32Array(504), shape: [2, 4, 9, 7] }, ...ms)).rejects.toThrow(/^gradOutput must have the output's shape \[2, 4, 7, 9\]/);
    const g = await dc.deformConv2dBackward(gradOutputOf(c), input, offset, weight, o);
    expectClose(g.gradInput.data, c.grad_input, GRADIENT_TOLERANCE, 'after errors');
  });
});
