// createDeformConv({ allowSpinning }): false sends the worker threads to sleep at the end of each call (what
// deformconv-wasm/onnx asks for, since onnxruntime's threads work on the same cores between our calls). The
// results are the same bit for bit, calls after a sleep wake the workers, and a wrong value is a TypeError.
// That the workers do stop spinning is checked natively (tests/native/thread_pool_test.cpp).
const { api, goldenCases, torchvisionArgs, expectClose, FORWARD_TOLERANCE } = require('./helpers');

test('allowSpinning must be a boolean', async () => {
  await expect(api.createDeformConv({ allowSpinning: 'no' })).rejects.toThrow(TypeError);
  await expect(api.createDeformConv({ allowSpinning: 0 })).rejects.toThrow(/^allowSpinning must be a boolean, got number 0$/);
});

test('with allowSpinning false, two threads compute the golden cases as with spinning, call after call', async () => {
  const spinning = await api.createDeformConv({ threads: 2, wasmBuild: 'threads' });
  const sleeping = await api.createDeformConv({ threads: 2, wasmBuild: 'threads', allowSpinning: false });
  try {
    expect(sleeping.info().threads).toBe(2);
    for (const c of goldenCases()) {
      const a = await spinning.deformConv2d(...torchvisionArgs(c));
      // Twice in a row, then after a pause long enough for any spinning to have ended.
      const b = await sleeping.deformConv2d(...torchvisionArgs(c));
      const b2 = await sleeping.deformConv2d(...torchvisionArgs(c));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const b3 = await sleeping.deformConv2d(...torchvisionArgs(c));
      for (const y of [b, b2, b3]) expect(Buffer.compare(Buffer.from(y.data.buffer), Buffer.from(a.data.buffer))).toBe(0);
      expectClose(b.data, c.output, FORWARD_TOLERANCE, c.name);
    }
  } finally {
    spinning.dispose();
    sleeping.dispose();
  }
});
