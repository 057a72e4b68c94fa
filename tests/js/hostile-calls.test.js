// Malformed calls: for every entry point (prepared layers included), at least 1,000 calls from a seeded
// generator (malformed-calls.js: wrong ranks, zero and negative sizes, shape mismatches between the tensors,
// non-integer, NaN and huge parameters, wrong typed-array kinds, data shorter or longer than its shape in
// plain, shared and offset views, detached buffers, plain arrays, null and undefined in every position). Each
// must reject with exactly TypeError or RangeError whose message names the argument; afterwards the same
// instance still computes every golden case, and its heap holds no more than before. Valid but unusual inputs
// (unusual-tensors.js: views with an offset, SharedArrayBuffer, resizable buffers, onnxruntime-style tensors,
// typed-array shapes, arrays from another realm) give the same results as plain ones. The WebGPU backend gets
// the same generator and forms in tests/webgpu/node-runner.mjs.
const {
  api, goldenCases, torchvisionArgs: goldenTv, mindsporeArgs: goldenMs, expectClose, FORWARD_TOLERANCE, GRADIENT_TOLERANCE,
} = require('./helpers');
const {
  ENTRY_POINTS, makeCase, checkMalformedCalls, seedOf, torchvisionArgs, mindsporeArgs, random,
} = require('./malformed-calls');
const { FORMS } = require('./unusual-tensors');

const CALLS_PER_ENTRY_POINT = 1000;
// Both WebAssembly builds, each as [name, createDeformConv options].
const { WASM_BUILDS: BUILDS } = require('./helpers');

/** Runs the generator's calls for one entry point on target; returns { count, failures }. */
const runMalformed = (entry, target) => checkMalformedCalls(entry, target, { seed: seedOf(entry.name), count: CALLS_PER_ENTRY_POINT });

async function expectGoldenCases(dc) {
  for (const c of goldenCases()) {
    expectClose((await dc.deformConv2d(...goldenTv(c))).data, c.output, FORWARD_TOLERANCE, `${c.name} forward`);
    expectClose((await dc.deformableConv2d(...goldenMs(c))).data, c.output, FORWARD_TOLERANCE, `${c.name} MindSpore forward`);
    const gradOutput = { data: Float32Array.from(c.grad_output), shape: c.shapes.output };
    const g = await dc.deformConv2dBackward(gradOutput, ...goldenTv(c));
    expectClose(g.gradInput.data, c.grad_input, GRADIENT_TOLERANCE, `${c.name} gradInput`);
    expectClose(g.gradOffset.data, c.grad_offset, GRADIENT_TOLERANCE, `${c.name} gradOffset`);
    expectClose(g.gradWeight.data, c.grad_weight, GRADIENT_TOLERANCE, `${c.name} gradWeight`);
  }
}

describe.each(BUILDS)('malformed calls on the %s build', (build, options) => {
  let dc, heapBefore;
  beforeAll(async () => {
    dc = await api.createDeformConv(options);
    await expectGoldenCases(dc); // warm up: every lazily made structure exists before the heap is measured
    heapBefore = dc._runner.wasm.heapStats();
  });
  afterAll(() => dc.dispose());

  const onInstance = ENTRY_POINTS.filter((e) => !e.layouts && !e.creates);
  test.each(onInstance.map((e) => [e.name, e]))(`%s: ${CALLS_PER_ENTRY_POINT} malformed calls reject with the argument named`, async (name, entry) => {
    const { count, failures } = await runMalformed(entry, dc);
    expect(failures.slice(0, 15)).toEqual([]);
    expect(count).toBeGreaterThanOrEqual(CALLS_PER_ENTRY_POINT);
  });

  test('afterwards the same instance computes every golden case, and its heap is as before', async () => {
    await expectGoldenCases(dc);
    const heapAfter = dc._runner.wasm.heapStats();
    expect(heapAfter.allocatedBytes).toBe(heapBefore.allocatedBytes);
    expect(heapAfter.heapBytes).toBe(heapBefore.heapBytes);
  });
});

describe('malformed calls without an instance', () => {
  test.each(ENTRY_POINTS.filter((e) => e.layouts || e.creates).map((e) => [e.name, e]))(
    `%s: ${CALLS_PER_ENTRY_POINT} malformed calls reject with the argument named`, async (name, entry) => {
      const { count, failures } = await runMalformed(entry, api);
      expect(failures.slice(0, 15)).toEqual([]);
      expect(count).toBeGreaterThanOrEqual(CALLS_PER_ENTRY_POINT);
    });
});

describe('valid but unusual inputs work and give the plain results', () => {
  let dc;
  beforeAll(async () => { dc = await api.createDeformConv({ threads: 2 }); });
  afterAll(() => dc.dispose());

  const rand = random(77);
  const cases = Array.from({ length: 4 }, () => makeCase(rand, false));

  test.each(Object.keys(FORMS))('%s', async (form) => {
    const wrap = FORMS[form];
    for (const c of cases) {
      const tv = torchvisionArgs(c);
      const plain = await dc.deformConv2d(...tv);
      const [input, offset, weight, o] = tv;
      const wrapped = await dc.deformConv2d(wrap(input), wrap(offset), wrap(weight), {
        ...o, mask: o.mask && wrap(o.mask), bias: o.bias && wrap(o.bias),
      });
      expect(wrapped.shape).toEqual(plain.shape);
      expect(Array.from(wrapped.data)).toEqual(Array.from(plain.data));

      const ms = mindsporeArgs(c);
      const plainMs = await dc.deformableConv2d(...ms);
      const wrappedMs = await dc.deformableConv2d(wrap(ms[0]), wrap(ms[1]), wrap(ms[2]), ms[3], ms[4], ms[5], { ...ms[6], bias: ms[6].bias && wrap(ms[6].bias) });
      expect(Array.from(wrappedMs.data)).toEqual(Array.from(plainMs.data));

      const gradOutput = { data: c.gradOutput.data, shape: [...c.gradOutput.shape] };
      const plainGrad = await dc.deformConv2dBackward(gradOutput, ...tv);
      const wrappedGrad = await dc.deformConv2dBackward(wrap(gradOutput), wrap(input), wrap(offset), wrap(weight), {
        ...o, mask: o.mask && wrap(o.mask), bias: o.bias && wrap(o.bias),
      });
      // With several threads grad_input and grad_weight are sums in a varying order: equal to the last bits.
      expectClose(wrappedGrad.gradInput.data, plainGrad.gradInput.data, 1e-6, `${form} gradInput`);
      expect(Array.from(wrappedGrad.gradOffset.data)).toEqual(Array.from(plainGrad.gradOffset.data));
      expectClose(wrappedGrad.gradWeight.data, plainGrad.gradWeight.data, 1e-6, `${form} gradWeight`);

      const off = { data: c.offsetNCHW.data, shape: [...c.offsetNCHW.shape] };
      const mask = { data: c.maskNCHW.data, shape: [...c.maskNCHW.shape] };
      const a = api.layouts.toMindSpore(off, mask, [c.kh, c.kw]);
      const b = api.layouts.toMindSpore(wrap(off), wrap(mask), [c.kh, c.kw]);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      const back = api.layouts.fromMindSpore(wrap(a), [c.kh, c.kw]);
      expect(Array.from(back.offset.data)).toEqual(Array.from(off.data));
    }
  });

  test('inputs are left as they were, shared and offset views included', async () => {
    const c = cases[0];
    const [input, offset, weight, o] = torchvisionArgs(c);
    const shared = FORMS['a SharedArrayBuffer view with an offset'](input);
    const before = Array.from(shared.data);
    await dc.deformConv2d(shared, offset, weight, o);
    await dc.deformConv2dBackward({ data: c.gradOutput.data, shape: [...c.gradOutput.shape] }, shared, offset, weight, o);
    expect(Array.from(shared.data)).toEqual(before);
  });
});
