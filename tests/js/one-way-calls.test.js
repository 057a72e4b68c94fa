// One call, one way: its arguments are read by the core once (validate), and what runs is what was validated.
// The embind Engine holds no state between validate() and the run: validate() hands back the call it accepted,
// which the JS layer passes to forward/packWeights/backward/checkMemory and then deletes, so two calls validated
// one after the other each run with their own parameters.
const { api, WASM_BUILDS, goldenCases, torchvisionArgs, expectClose, FORWARD_TOLERANCE, GRADIENT_TOLERANCE } = require('./helpers');

/** Wraps the engine's methods so that every read of a property of an arguments object is counted. */
function countArgumentReads(engine) {
  const reads = { count: 0 };
  const counted = (value) => (value && typeof value === 'object' && 'inputShape' in value
    ? new Proxy(value, { get: (t, k) => { if (k === 'inputShape') reads.count += 1; return t[k]; } })
    : value);
  for (const name of ['validate', 'forward', 'backward', 'packWeights', 'checkMemory']) {
    const original = engine[name];
    if (typeof original !== 'function') continue;
    engine[name] = (...args) => original.apply(engine, args.map(counted));
  }
  return reads;
}

describe.each(WASM_BUILDS)('on the %s build', (build, options) => {
  let dc;
  beforeAll(async () => { dc = await api.createDeformConv(options); });
  afterAll(() => dc.dispose());

  const c = goldenCases().find((x) => x.name === 'basic_3x3');
  const other = goldenCases().find((x) => x.name === 'batch3_groups3');

  test('a forward and a backward call read their arguments once', async () => {
    const reads = countArgumentReads(dc._runner.wasm.engine);
    const y = await dc.deformConv2d(...torchvisionArgs(c));
    expectClose(y.data, c.output, FORWARD_TOLERANCE, 'forward');
    expect(reads.count).toBe(1);
    const g = await dc.deformConv2dBackward({ data: Float32Array.from(c.grad_output), shape: c.shapes.output }, ...torchvisionArgs(c));
    expectClose(g.gradInput.data, c.grad_input, GRADIENT_TOLERANCE, 'gradInput');
    expect(reads.count).toBe(2);
  });

  test('validate A, validate B, run A: A runs with its own parameters', async () => {
    const engine = dc._runner.wasm.engine;
    const argsOf = (x) => {
      const [input, offset, weight, o] = torchvisionArgs(x);
      return {
        convention: 'torchvision', dataFormat: 'NCHW', inputShape: input.shape, weightShape: weight.shape, offsetShape: offset.shape,
        maskShape: o.mask ? o.mask.shape : null, biasShape: o.bias ? o.bias.shape : null, stride: o.stride, padding: o.padding,
        dilation: o.dilation, gradOutputShape: null,
      };
    };
    const a = engine.validate(argsOf(c));
    const b = engine.validate(argsOf(other));
    expect(a.ok && b.ok).toBe(true);
    try {
      const [input, offset, weight, o] = torchvisionArgs(c);
      const wasm = dc._runner.wasm;
      const pointers = {};
      try {
        pointers.input = wasm.copyIn(input.data, 'input');
        pointers.offset = wasm.copyIn(offset.data, 'offset');
        pointers.weight = wasm.copyIn(weight.data, 'weight');
        if (o.mask) pointers.mask = wasm.copyIn(o.mask.data, 'mask');
        if (o.bias) pointers.bias = wasm.copyIn(o.bias.data, 'bias');
        pointers.output = wasm.allocate(a.outputElements, 'the output');
        const answer = engine.forward(a.call, pointers, false);
        expect(answer).toMatchObject({ ok: true });
        expectClose(wasm.copyOut(pointers.output, a.outputElements), c.output, FORWARD_TOLERANCE, 'A after B was validated');
      } finally {
        for (const p of Object.values(pointers)) wasm.module._free(p);
      }
    } finally {
      a.call.delete();
      b.call.delete();
    }
  });

  test('a forward call cannot run a backward validation, nor a deleted one', async () => {
    const [input, offset, weight, o] = torchvisionArgs(c);
    const g = await dc.deformConv2dBackward({ data: Float32Array.from(c.grad_output), shape: c.shapes.output }, input, offset, weight, o);
    expect(g.gradWeight.shape).toEqual(weight.shape);
    const engine = dc._runner.wasm.engine;
    const validated = engine.validate({
      convention: 'torchvision', dataFormat: 'NCHW', inputShape: input.shape, weightShape: weight.shape, offsetShape: offset.shape,
      maskShape: null, biasShape: null, stride: o.stride, padding: o.padding, dilation: o.dilation, gradOutputShape: c.shapes.output,
    });
    expect(validated.ok).toBe(true);
    const answer = engine.forward(validated.call, {}, false);
    expect(answer).toMatchObject({ ok: false, errorKind: 'Error' });
    expect(answer.message).toMatch(/validated as a backward call/);
    validated.call.delete();
    expect(() => engine.forward(validated.call, {}, false)).toThrow(/deleted/);
  });
});
