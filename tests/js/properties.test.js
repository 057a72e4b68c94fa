// Property tests: zero offsets equal a plain convolution; random shapes agree with a double-precision
// reference and with the native build; unusual-but-valid tensors work; results belong to the caller.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { api, ROOT, random, randomTensor, randomCase, referenceForward, expectClose, FORWARD_TOLERANCE } = require('./helpers');

let threaded, simd;
beforeAll(async () => {
  threaded = await api.createDeformConv({ wasmBuild: 'threads', threads: 3 });
  simd = await api.createDeformConv({ wasmBuild: 'simd' });
});
afterAll(() => { threaded.dispose(); simd.dispose(); });

function call(dc, c) {
  const p = c.params;
  return dc.deformConv2d(c.input, c.offset, c.weight, { mask: c.mask, bias: c.bias, stride: p.stride, padding: p.padding, dilation: p.dilation });
}

/** Plain grouped convolution in double precision, written independently of the deformable reference. */
function plainConv(input, weight, bias, p) {
  const [N, C, H, W] = input.shape, [Co, Cg, kh, kw] = weight.shape, groups = C / Cg;
  const Ho = Math.floor((H + p.padding[0] + p.padding[1] - (p.dilation[0] * (kh - 1) + 1)) / p.stride[0]) + 1;
  const Wo = Math.floor((W + p.padding[2] + p.padding[3] - (p.dilation[1] * (kw - 1) + 1)) / p.stride[1]) + 1;
  const out = new Float64Array(N * Co * Ho * Wo);
  for (let n = 0; n < N; n++) for (let co = 0; co < Co; co++) for (let ho = 0; ho < Ho; ho++) for (let wo = 0; wo < Wo; wo++) {
    let acc = bias ? bias.data[co] : 0;
    const gw = Math.floor(co / (Co / groups));
    for (let cl = 0; cl < Cg; cl++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const y = ho * p.stride[0] - p.padding[0] + i * p.dilation[0], x = wo * p.stride[1] - p.padding[2] + j * p.dilation[1];
      if (y < 0 || y >= H || x < 0 || x >= W) continue;
      acc += weight.data[((co * Cg + cl) * kh + i) * kw + j] * input.data[((n * C + gw * Cg + cl) * H + y) * W + x];
    }
    out[((n * Co + co) * Ho + ho) * Wo + wo] = acc;
  }
  return out;
}

test('zero offsets without a mask equal a plain convolution (random configurations)', async () => {
  const rand = random(11);
  for (let trial = 0; trial < 25; trial++) {
    const c = randomCase(rand);
    c.offset.data.fill(0);
    c.mask = null;
    const want = plainConv(c.input, c.weight, c.bias, c.params);
    expectClose((await call(threaded, c)).data, want, FORWARD_TOLERANCE, `trial ${trial} threads`);
    expectClose((await call(simd, c)).data, want, FORWARD_TOLERANCE, `trial ${trial} simd`);
  }
});

test('random configurations match the double-precision reference on both builds', async () => {
  const rand = random(12);
  for (let trial = 0; trial < 40; trial++) {
    const c = randomCase(rand);
    const want = referenceForward(c.input, c.offset, c.weight, c.mask, c.bias, c.params);
    const y = await call(threaded, c);
    expect(y.shape).toEqual(want.shape);
    expectClose(y.data, want.data, FORWARD_TOLERANCE, `trial ${trial} threads`);
    expectClose((await call(simd, c)).data, want.data, FORWARD_TOLERANCE, `trial ${trial} simd`);
  }
});

test('native and WebAssembly builds agree on random shapes', async () => {
  const tool = path.join(ROOT, 'build', 'native', 'dcn_run_case');
  expect(fs.existsSync(tool)).toBe(true);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcn-cases-'));
  const rand = random(13);
  try {
    for (let trial = 0; trial < 15; trial++) {
      const c = randomCase(rand, { maxChannels: 24, maxSize: 14 });
      const file = path.join(dir, `case${trial}.json`);
      const arr = (x) => (x ? Array.from(x.data) : null);
      fs.writeFileSync(file, JSON.stringify({
        params: c.params,
        shapes: { input: c.input.shape, weight: c.weight.shape, offset: c.offset.shape, mask: c.mask && c.mask.shape, bias: c.bias && c.bias.shape },
        input: arr(c.input), weight: arr(c.weight), offset: arr(c.offset), mask: arr(c.mask), bias: arr(c.bias),
      }));
      const native = JSON.parse(execFileSync(tool, [file, '2'], { encoding: 'utf8', maxBuffer: 1 << 26 }));
      const y = await call(threaded, c);
      expect(native.shape).toEqual(y.shape);
      expectClose(y.data, native.output, FORWARD_TOLERANCE, `trial ${trial}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the threaded build gives the same result with 1, 2 and 3 threads', async () => {
  const rand = random(14);
  const c = randomCase(rand, { maxChannels: 16, maxSize: 20 });
  const one = await api.createDeformConv({ wasmBuild: 'threads', threads: 1 });
  const two = await api.createDeformConv({ wasmBuild: 'threads', threads: 2 });
  try {
    const y3 = await call(threaded, c);
    for (const dc of [one, two]) expect(Array.from((await call(dc, c)).data)).toEqual(Array.from(y3.data));
  } finally {
    one.dispose();
    two.dispose();
  }
});

describe('tensor forms', () => {
  const rand = random(15);
  const c = randomCase(rand);
  let want;
  beforeAll(async () => { want = Array.from((await call(threaded, c)).data); });

  test('onnxruntime-web style { data, dims } tensors are accepted', async () => {
    const asOrt = (x) => x && { data: x.data, dims: Object.freeze([...x.shape]), type: 'float32' };
    const y = await call(threaded, { ...c, input: asOrt(c.input), offset: asOrt(c.offset), weight: asOrt(c.weight), mask: asOrt(c.mask), bias: asOrt(c.bias) });
    expect(Array.from(y.data)).toEqual(want);
  });

  test('subarray views with a non-zero byteOffset work', async () => {
    const view = (x) => {
      if (!x) return x;
      const big = new Float32Array(x.data.length + 7);
      big.set(x.data, 5);
      return { data: big.subarray(5, 5 + x.data.length), shape: x.shape };
    };
    const y = await call(threaded, { ...c, input: view(c.input), offset: view(c.offset), weight: view(c.weight), mask: view(c.mask), bias: view(c.bias) });
    expect(Array.from(y.data)).toEqual(want);
  });

  test('SharedArrayBuffer-backed data works', async () => {
    const shared = (x) => {
      if (!x) return x;
      const data = new Float32Array(new SharedArrayBuffer(x.data.byteLength));
      data.set(x.data);
      return { data, shape: x.shape };
    };
    const y = await call(simd, { ...c, input: shared(c.input), offset: shared(c.offset), weight: shared(c.weight), mask: shared(c.mask), bias: shared(c.bias) });
    expect(Array.from(y.data)).toEqual(want);
  });

  test('results belong to the caller: not views of WebAssembly memory, unchanged by later calls', async () => {
    const y1 = await call(threaded, c);
    expect(y1.data.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(y1.data.byteOffset).toBe(0);
    expect(y1.data.buffer.byteLength).toBe(y1.data.length * 4);
    const copy = Array.from(y1.data);
    await call(threaded, randomCase(random(99)));
    expect(Array.from(y1.data)).toEqual(copy);
  });
});

test('inputs are not modified by a call', async () => {
  const c = randomCase(random(16));
  const before = [c.input, c.offset, c.weight, c.mask, c.bias].map((x) => x && Array.from(x.data));
  await call(threaded, c);
  expect([c.input, c.offset, c.weight, c.mask, c.bias].map((x) => x && Array.from(x.data))).toEqual(before);
});
