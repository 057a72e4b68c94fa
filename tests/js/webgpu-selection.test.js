// Backend selection without a WebGPU implementation at hand: what 'auto' and 'webgpu' do when there is no
// navigator.gpu, no adapter, or an adapter that fails, and the checks on the gpu option. (With a real
// WebGPU, see webgpu-node.test.js and webgpu-chromium.test.js.)
const { api, goldenCases, torchvisionArgs, expectClose, FORWARD_TOLERANCE } = require('./helpers');

const noAdapter = { requestAdapter: async () => null };
const failingAdapter = { requestAdapter: async () => { throw new Error('adapter exploded'); } };
const basic = goldenCases().find((c) => c.name === 'basic_3x3');

test("'webgpu' without navigator.gpu rejects and says how to pass one in Node.js", async () => {
  expect(globalThis.navigator && globalThis.navigator.gpu).toBeFalsy();
  await expect(api.createDeformConv({ backend: 'webgpu' })).rejects.toThrow(/backend 'webgpu' is not available: WebGPU is not available.*npm package 'webgpu'/);
});

test("'webgpu' with no adapter rejects with a clear Error", async () => {
  const e = await api.createDeformConv({ backend: 'webgpu', gpu: noAdapter }).catch((x) => x);
  expect(e.constructor).toBe(Error);
  expect(e.message).toMatch(/no WebGPU adapter: requestAdapter\(\) returned null/);
  await expect(api.createDeformConv({ backend: 'webgpu', gpu: failingAdapter })).rejects.toThrow(/requestAdapter\(\) failed: adapter exploded/);
});

test("'auto' without threads and without an adapter runs single-threaded WebAssembly and says why", async () => {
  for (const [gpu, reason] of [[noAdapter, /no WebGPU adapter/], [failingAdapter, /adapter exploded/], [undefined, /navigator\.gpu is missing/]]) {
    const dc = await api.createDeformConv({ backend: 'auto', threads: 1, gpu });
    try {
      expect(dc.backend).toBe('wasm');
      expect(dc.info()).toMatchObject({ backend: 'wasm', wasmBuild: 'simd', threads: 1, webgpu: null });
      expect(dc.info().fallbackReason).toMatch(reason);
      const y = await dc.deformConv2d(...torchvisionArgs(basic));
      expectClose(y.data, basic.output, FORWARD_TOLERANCE, 'basic_3x3');
    } finally {
      dc.dispose();
    }
  }
});

test("'auto' with threads runs threaded WebAssembly and does not even ask for an adapter", async () => {
  let asked = 0;
  const counting = { requestAdapter: async () => { asked += 1; return null; } };
  const dc = await api.createDeformConv({ backend: 'auto', threads: 2, gpu: counting });
  try {
    expect(dc.info()).toMatchObject({ backend: 'wasm', wasmBuild: 'threads', threads: 2, fallbackReason: null });
    expect(asked).toBe(0);
  } finally {
    dc.dispose();
  }
});

test('gpu and gpuDevice options are checked', async () => {
  await expect(api.createDeformConv({ backend: 'webgpu', gpu: 42 })).rejects.toThrow(TypeError);
  await expect(api.createDeformConv({ backend: 'webgpu', gpu: {} })).rejects.toThrow(/gpu must be a GPU object with requestAdapter\(\)/);
  await expect(api.createDeformConv({ backend: 'webgpu', gpuDevice: {} })).rejects.toThrow(/gpuDevice must be a GPUDevice/);
});

test('a wrong gpuDevice is a TypeError whatever backend wins the choice', async () => {
  // With threads, 'auto' picks threaded WebAssembly and never opens the device: the option is checked anyway.
  for (const options of [{ threads: 2 }, { backend: 'wasm' }, { backend: 'auto', threads: 1, gpu: noAdapter }, { backend: 'webgpu' }]) {
    for (const gpuDevice of [{}, 42, 'device', { createBuffer() {} }]) {
      const e = await api.createDeformConv({ ...options, gpuDevice }).then((dc) => { dc.dispose(); return null; }, (x) => x);
      expect(e).toBeInstanceOf(TypeError);
      expect(e.message).toMatch(/^gpuDevice must be a GPUDevice \(from adapter\.requestDevice\(\)\), got /);
    }
  }
});
