// Numbers: NaN in the input, weight, mask, offset or bias reaches exactly the outputs it touches (as
// torchvision's CPU kernel on x86: a sample whose other coordinate is outside stays 0, a corner read with
// weight 0 still passes its NaN on); offsets of 1e30, -1e30 and +-Inf sample outside (0). Checked against
// the double-precision reference (helpers.referenceForward) in both conventions, both data formats and
// both builds. Offsets sit on a 1/8 grid so float and double place every sample identically.
const { api, random, randomCase, referenceForward, expectClose, toNHWC, fromNHWC, FORWARD_TOLERANCE } = require('./helpers');

// Both WebAssembly builds, each as [name, createDeformConv options].
const { WASM_BUILDS: BUILDS } = require('./helpers');
const HUGE = [1e30, -1e30, Infinity, -Infinity];

/** A random valid case (mask and bias present) with offsets on a 1/8 grid. */
function gridCase(rand) {
  let c;
  do c = randomCase(rand, { maxChannels: 6, maxSize: 7 }); while (!c.mask || !c.bias);
  for (let i = 0; i < c.offset.data.length; i++) c.offset.data[i] = Math.round(c.offset.data[i] * 8) / 8;
  return c;
}

const clone = (x) => ({ data: Float32Array.from(x.data), shape: [...x.shape] });

async function runAllLayouts(dc, c) {
  const p = c.params;
  const [kh, kw] = p.kernel_size;
  const options = { mask: c.mask, bias: c.bias, stride: p.stride, padding: p.padding, dilation: p.dilation };
  const outputs = { 'torchvision NCHW': (await dc.deformConv2d(c.input, c.offset, c.weight, options)).data };
  const nhwc = await dc.deformConv2d(toNHWC(c.input), toNHWC(c.offset), c.weight, { ...options, mask: toNHWC(c.mask), dataFormat: 'NHWC' });
  outputs['torchvision NHWC'] = fromNHWC(nhwc).data;
  const offsets = api.layouts.toMindSpore(c.offset, c.mask, [kh, kw]);
  const ms = await dc.deformableConv2d(c.input, c.weight, offsets, [kh, kw], [1, 1, ...p.stride], p.padding, {
    bias: c.bias, dilations: [1, 1, ...p.dilation], groups: p.groups, deformableGroups: p.offset_groups,
  });
  outputs['MindSpore NCHW'] = ms.data;
  return outputs;
}

function compare(outputs, ref, label) {
  for (const [layout, out] of Object.entries(outputs)) {
    const ourNaN = Array.from(out, Number.isNaN), refNaN = Array.from(ref.data, Number.isNaN);
    expect({ label: `${label}, ${layout}`, nan: ourNaN }).toEqual({ label: `${label}, ${layout}`, nan: refNaN });
    expectClose(out, ref.data, FORWARD_TOLERANCE, `${label}, ${layout}`);
  }
}

describe.each(BUILDS)('non-finite numbers on the %s build', (build, options) => {
  let dc;
  beforeAll(async () => { dc = await api.createDeformConv(options); });
  afterAll(() => dc.dispose());

  test('NaN in each tensor reaches exactly the outputs it touches', async () => {
    const rand = random(31);
    let partlyNaN = 0;
    for (let trial = 0; trial < 12; trial++) {
      const base = gridCase(rand);
      for (const name of ['input', 'weight', 'offset', 'mask', 'bias']) {
        const c = { ...base, input: clone(base.input), weight: clone(base.weight), offset: clone(base.offset), mask: clone(base.mask), bias: clone(base.bias) };
        c[name].data[Math.floor(rand() * c[name].data.length)] = NaN;
        const p = c.params;
        const ref = referenceForward(c.input, c.offset, c.weight, c.mask, c.bias, { stride: p.stride, padding: p.padding, dilation: p.dilation });
        compare(await runAllLayouts(dc, c), ref, `trial ${trial}, NaN in ${name}`);
        const nans = ref.data.filter(Number.isNaN).length;
        if (nans > 0 && nans < ref.data.length) partlyNaN++;
      }
    }
    expect(partlyNaN).toBeGreaterThan(20); // most NaNs touch some outputs and not others
  });

  test('offsets of 1e30, -1e30 and +-Inf sample outside; with NaN in the other coordinate too', async () => {
    const rand = random(57);
    for (let trial = 0; trial < 12; trial++) {
      const c = gridCase(rand);
      const off = c.offset.data;
      for (let k = 0; k < Math.max(1, off.length / 4); k++) off[Math.floor(rand() * off.length)] = HUGE[k % 4];
      const p = c.params;
      const opts = { stride: p.stride, padding: p.padding, dilation: p.dilation };
      const ref = referenceForward(c.input, c.offset, c.weight, c.mask, c.bias, opts);
      expect(ref.data.every(Number.isFinite)).toBe(true);
      compare(await runAllLayouts(dc, c), ref, `trial ${trial}, huge offsets`);
      // NaN next to a huge partner: the sample is outside all the same (torchvision's window test).
      const [N, C2, Ho, Wo] = c.offset.shape, P = Ho * Wo;
      for (let n = 0; n < N; n++) for (let pair = 0; pair < C2 / 2; pair++) for (let q = 0; q < P; q++) {
        const dy = (n * C2 + 2 * pair) * P + q, dx = dy + P;
        if (!Number.isFinite(off[dy]) || Math.abs(off[dy]) >= 1e30) off[dx] = NaN;
        else if (!Number.isFinite(off[dx]) || Math.abs(off[dx]) >= 1e30) off[dy] = NaN;
      }
      const ref2 = referenceForward(c.input, c.offset, c.weight, c.mask, c.bias, opts);
      expect(ref2.data.every(Number.isFinite)).toBe(true);
      compare(await runAllLayouts(dc, c), ref2, `trial ${trial}, huge offsets with NaN partners`);
    }
  });

  test('the documented examples: (NaN, 0) gives NaN, (NaN, 1e30) gives the bias, (0, Inf) gives the bias', async () => {
    const input = { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), shape: [1, 1, 3, 3] };
    const weight = { data: Float32Array.from([2]), shape: [1, 1, 1, 1] };
    const bias = { data: Float32Array.from([0.5]), shape: [1] };
    const at = async (dy, dx) => {
      const offset = { data: new Float32Array(18), shape: [1, 2, 3, 3] };
      offset.data[4] = dy; // pixel (1, 1)
      offset.data[9 + 4] = dx;
      return (await dc.deformConv2d(input, offset, weight, { bias })).data[4];
    };
    expect(await at(0, 0)).toBe(2 * 5 + 0.5);
    expect(await at(NaN, 0)).toBeNaN();
    expect(await at(0, NaN)).toBeNaN();
    expect(await at(NaN, 1e30)).toBe(0.5);
    expect(await at(-Infinity, NaN)).toBe(0.5);
    expect(await at(0, Infinity)).toBe(0.5);
    expect(await at(-1e30, 0)).toBe(0.5);
    expect(await at(-2, 0)).toBe(0.5); // y = -1 exactly: outside
    expect(await at(0.5, 0)).toBe(2 * (5 + 8) / 2 + 0.5);
  });
});
