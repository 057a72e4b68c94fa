// Sizes, memory and lifetime: shapes that cannot fit in WebAssembly's 4 GiB are RangeErrors before any
// allocation; a real out-of-memory during a call (heap filled on purpose) is an Error and the instance
// keeps working, with its tensors above 2 GiB; 10,000 calls leave the heap and the process memory flat;
// dispose() ends the worker threads and later calls reject; two instances do not interfere.
const { execFileSync } = require('child_process');
const path = require('path');
const { api, goldenCases, torchvisionArgs, mindsporeArgs, expectClose, FORWARD_TOLERANCE, random } = require('./helpers');
const { makeCase, torchvisionArgs: caseTv, mindsporeArgs: caseMs } = require('./malformed-calls');

// Both WebAssembly builds, each as [name, createDeformConv options].
const { WASM_BUILDS: BUILDS } = require('./helpers');
const filled = (shape, value = 0.5) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape });
const tiny = (shape) => ({ data: new Float32Array(4), shape }); // data never read: the shapes are rejected first

describe.each(BUILDS)('sizes and out-of-memory on the %s build', (build, options) => {
  let dc;
  beforeAll(async () => {
    dc = await api.createDeformConv(options);
    // A first call: the worker threads have started (and made their own allocations) once it returns.
    await dc.deformConv2d(...torchvisionArgs(goldenCases()[0]));
  });
  afterAll(() => dc.dispose());

  test('tensors beyond 2^31 - 1 elements are RangeErrors saying how many bytes they need', async () => {
    const before = dc._runner.wasm.heapStats();
    const cases = [
      [() => dc.deformConv2d(tiny([1, 65536, 65536, 1]), tiny([1, 2, 65536, 1]), tiny([2, 65536, 1, 1])),
        /^input of shape \[1, 65536, 65536, 1\] has 4294967296 elements \(17179869184 bytes as float32\), more than the limit of 2147483647 elements$/],
      [() => dc.deformConv2d(tiny([1, 1, 46341, 46340]), tiny([1, 2, 46341, 46340]), tiny([2, 1, 1, 1])),
        /^offset of shape \[1, 2, 46341, 46340\] has 4294883880 elements \(17179535520 bytes as float32\)/],
      [() => dc.deformableConv2d(tiny([3, 1, 2147483647, 1]), tiny([1, 1, 1, 1]), tiny([3, 3, 2147483647, 1]), [1, 1], [1, 1, 1, 1], [0, 0, 0, 0]),
        /^x of shape \[3, 1, 2147483647, 1\] has 6442450941 elements \(25769803764 bytes as float32\)/],
      [() => dc.deformConv2dBackward(tiny([1, 65536, 1, 65536]), tiny([1, 1, 1, 65536]), tiny([1, 2, 1, 65536]), tiny([65536, 1, 1, 1])),
        /^the output of shape \[1, 65536, 1, 65536\] has 4294967296 elements/],
    ];
    for (const [call, message] of cases) {
      const p = call();
      await expect(p).rejects.toThrow(message);
      await expect(p).rejects.toBeInstanceOf(RangeError);
    }
    expect(dc._runner.wasm.heapStats()).toEqual(before); // nothing was allocated
  });

  test('calls whose tensors fit the element limit but not 4 GiB are RangeErrors before any allocation', async () => {
    const before = dc._runner.wasm.heapStats();
    const calls = [
      // input alone: 2^30 floats = 4 GiB
      ['input', () => dc.deformConv2d(tiny([1, 1024, 1024, 1024]), tiny([1, 2, 1024, 1024]), tiny([1, 1024, 1, 1]))],
      // 2 GiB of input and 2 GiB of output
      ['input', () => dc.deformConv2d(tiny([1, 512, 1024, 1024]), tiny([1, 2, 1024, 1024]), tiny([512, 512, 1, 1]))],
      ['x', () => dc.deformableConv2d(tiny([1, 512, 1024, 1024]), tiny([512, 512, 1, 1]), tiny([1, 3, 1024, 1024]), [1, 1], [1, 1, 1, 1], [0, 0, 0, 0])],
      // 1.5 GiB of input is fine forward, but the backward pass needs its gradient too
      ['input', () => dc.deformConv2dBackward(tiny([1, 1, 768, 1024]), tiny([1, 512, 768, 1024]), tiny([1, 2, 768, 1024]), tiny([1, 512, 1, 1]))],
    ];
    for (const [largest, call] of calls) {
      const p = call();
      await expect(p).rejects.toBeInstanceOf(RangeError);
      await expect(p).rejects.toThrow(new RegExp(`^${largest} of shape \\[[0-9, ]+\\] takes [0-9]+ bytes; the call needs [0-9]+ bytes \\([0-9.]+ GiB: [0-9]+ for its tensors and results, [0-9]+ of workspace\\), more than the 4294967296 bytes \\(4 GiB\\) this build can address \\(WebAssembly memory is at most 4 GiB\\)$`));
    }
    expect(dc._runner.wasm.heapStats()).toEqual(before);
  });

  test('a real out-of-memory during a call is an Error and the instance keeps working', async () => {
    const m = dc._runner.wasm.module;
    const baseline = dc._runner.wasm.heapStats().allocatedBytes;
    const layerWeight = filled([1024, 1024, 3, 3], 0.001);
    const layer = await dc.prepareDeformConv2d(layerWeight, { padding: 1 });
    const blocks = [];
    const grab = (size) => {
      for (let p; (p = m._malloc(size) >>> 0);) blocks.push(p);
    };
    try {
      // Fill the whole 4 GiB heap (untouched pages cost no real memory), keeping 16 MiB blocks near its top.
      grab(1 << 28);
      m._free(blocks.pop());
      const top = [];
      for (let i = 0; i < 16; i++) top.push(m._malloc(16 << 20) >>> 0);
      for (let size = 1 << 27; size >= 16; size >>= 1) grab(size);
      blocks.push(...top);
      expect(dc._runner.wasm.heapStats().heapBytes).toBeGreaterThan(4 * 2 ** 30 - 2 ** 20);
      // A 32 MiB hole above 3 GiB: calls there get heap addresses that _malloc returns as negative numbers.
      const i = top.findIndex((p, k) => top[k + 1] === p + (16 << 20) + 8 || top[k + 1] === p + (16 << 20) + 16);
      const hole = i >= 0 ? [top[i], top[i + 1]] : [top[14], top[15]];
      for (const p of hole) m._free(p);
      blocks.splice(blocks.indexOf(hole[0]), 1);
      blocks.splice(blocks.indexOf(hole[1]), 1);
      const probe = m._malloc(16) >>> 0;
      m._free(probe);
      expect(probe).toBeGreaterThan(3 * 2 ** 30);

      // Fits: the result is right.
      const seed = goldenCases().find((c) => c.name === 'seed_example');
      const y = await dc.deformableConv2d(...mindsporeArgs(seed));
      expect(y.data[0].toFixed(7)).toBe('-0.0022044');

      // The inputs fit but the forward pass's workspace does not: 128 offset groups of a 7x7 kernel make a
      // sampling plan of 128 * 49 * 128 pixels * 32 bytes = 25.7 MB per thread, beside 13 MB of tensors.
      let p = dc.deformConv2d(filled([1, 128, 16, 16]), filled([1, 2 * 128 * 49, 16, 16], 0), filled([1, 128, 7, 7]), { padding: 3 });
      await expect(p).rejects.toThrow(/^out of memory: the forward pass needs [0-9]+ bytes of workspace beyond its inputs and output$/);
      await expect(p).rejects.toHaveProperty('constructor', Error);
      // The same for the backward pass (one image per thread and a channels-last copy).
      p = dc.deformConv2dBackward(filled([1, 1, 500, 500]), filled([1, 8, 500, 500]), filled([1, 2, 500, 500], 0), filled([1, 8, 1, 1]));
      await expect(p).rejects.toThrow(/^out of memory: the backward pass needs [0-9]+ bytes of workspace beyond its inputs and gradients$/);
      await expect(p).rejects.toHaveProperty('constructor', Error);
      // The inputs themselves do not fit.
      p = dc.deformableConv2d(filled([1, 40, 500, 500]), filled([1, 40, 1, 1]), filled([1, 3, 500, 500], 0), [1, 1], [1, 1, 1, 1], [0, 0, 0, 0]);
      await expect(p).rejects.toThrow(/^out of memory: could not allocate 40000000 bytes of WebAssembly memory for x \(heap now 42949[0-9]+ bytes, at most 4 GiB\)$/);
      await expect(p).rejects.toHaveProperty('constructor', Error);

      // A prepared layer whose packed weights (37.8 MB: 128 panels of 8 bias values and 9216 rows) do not fit: its call rejects, and it packs later.
      p = layer.forward(filled([1, 1024, 2, 2]), filled([1, 18, 2, 2], 0.25));
      await expect(p).rejects.toThrow(/^out of memory: could not allocate 37752832 bytes of WebAssembly memory for the packed weights/);
      await expect(p).rejects.toHaveProperty('constructor', Error);

      // Still right in the hole after the failures.
      expect((await dc.deformableConv2d(...mindsporeArgs(seed))).data[0].toFixed(7)).toBe('-0.0022044');
    } finally {
      for (const p of blocks) m._free(p);
    }
    const x = filled([1, 1024, 2, 2]), offset = filled([1, 18, 2, 2], 0.25);
    const expected = await dc.deformConv2d(x, offset, layerWeight, { padding: 1 });
    expect((await layer.forward(x, offset)).data).toEqual(expected.data);
    layer.dispose();
    for (const c of goldenCases()) {
      expectClose((await dc.deformConv2d(...torchvisionArgs(c))).data, c.output, FORWARD_TOLERANCE, c.name);
    }
    expect(dc._runner.wasm.heapStats().allocatedBytes).toBe(baseline);
  });
});

describe('10,000 calls in a loop', () => {
  const loop = (build, threads) => JSON.parse(execFileSync(process.execPath,
    ['--expose-gc', path.join(__dirname, 'fixtures', 'call-loop.cjs'), build, String(threads), '10000'],
    { encoding: 'utf8', timeout: 120000 }));

  test.each([['threads', 2], ['simd', 1]])('%s build: heap and process memory flat after warm-up; dispose() lets Node exit; later calls reject', (build, threads) => {
    const r = loop(build, threads);
    expect(r.calls).toBe(10000);
    expect(r.rejected).toBe(625); // one bad call in 16, each a RangeError that left nothing behind
    expect(r.end.allocatedBytes).toBe(r.warm.allocatedBytes);
    expect(r.end.heapBytes).toBe(r.warm.heapBytes);
    expect(r.end.heapUsed - r.warm.heapUsed).toBeLessThan(2 * 2 ** 20);
    expect(r.end.arrayBuffers - r.warm.arrayBuffers).toBeLessThan(2 ** 20);
    expect(r.end.external - r.warm.external).toBeLessThan(2 ** 20);
    expect(r.end.rss - r.warm.rss).toBeLessThan(16 * 2 ** 20);
    expect(r.afterDispose).toBe('Error: this DeformConv instance was disposed; create a new one with createDeformConv()');
  });
});

describe('instances', () => {
  test('two (and three) instances in one process do not interfere', async () => {
    const rand = random(2024);
    const cases = Array.from({ length: 8 }, () => makeCase(rand, false));
    // One by one on a fresh instance.
    const ref = await api.createDeformConv({ wasmBuild: 'simd' });
    const want = [];
    for (const c of cases) want.push((await ref.deformConv2d(...caseTv(c))).data, (await ref.deformableConv2d(...caseMs(c))).data);
    ref.dispose();

    const [a, b, c3] = await Promise.all([
      api.createDeformConv({ wasmBuild: 'threads', threads: 2 }),
      api.createDeformConv({ wasmBuild: 'simd' }),
      api.createDeformConv({ wasmBuild: 'threads', threads: 3 }),
    ]);
    const instances = [a, b, c3];
    // Interleaved: every case on every instance, all in flight together, some bad calls among them.
    const pending = [];
    cases.forEach((c, i) => instances.forEach((dc) => {
      pending.push(dc.deformConv2d(...caseTv(c)).then((y) => ['ok', 2 * i, y.data]));
      pending.push(dc.deformableConv2d(...caseMs(c)).then((y) => ['ok', 2 * i + 1, y.data]));
      pending.push(dc.deformConv2d(null, null, null).then(() => ['resolved'], (e) => ['rejected', e]));
    }));
    for (const [status, index, data] of await Promise.all(pending)) {
      if (status === 'ok') expect(Array.from(data)).toEqual(Array.from(want[index]));
      else expect(index).toBeInstanceOf(TypeError);
    }
    // Disposing one leaves the others working.
    a.dispose();
    await expect(a.deformConv2d(...caseTv(cases[0]))).rejects.toThrow(/disposed/);
    expect(Array.from((await b.deformConv2d(...caseTv(cases[1]))).data)).toEqual(Array.from(want[2]));
    expect(Array.from((await c3.deformableConv2d(...caseMs(cases[2]))).data)).toEqual(Array.from(want[5]));
    expect(a._runner.wasm).toBeNull();
    expect(b._runner.wasm.module).not.toBe(c3._runner.wasm.module);
    b.dispose();
    c3.dispose();
  });
});
