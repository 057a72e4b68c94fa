// The checks of GPU-resident tensors ({ gpuBuffer, shape } arguments, output: 'gpu-buffer'), names in checks.json
// "resident": run in Node.js (node-runner.mjs, Dawn) and in Chromium (browser-checks.mjs), both on SwiftShader.
// Kept small (SwiftShader is slow): a few golden cases, not all of them. Plain ES module without Node APIs.
import {
  assert, check, expectClose, FORWARD_TOLERANCE, GRADIENT_TOLERANCE, limitedDevice, mindsporeArgs, outputShape, reference,
  torchvisionArgs,
} from './checks.mjs';

const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01; // GPUBufferUsage (no global in Node.js)
/** What onnxruntime's WebGPU buffers have, and what output: 'gpu-buffer' returns. */
const USUAL = STORAGE | COPY_SRC | COPY_DST;

const roundUp = (bytes) => Math.max(16, Math.ceil(bytes / 16) * 16);

/** A CPU tensor { data, shape } copied into a new buffer of device: { gpuBuffer, shape }. No map. */
export function toGpu(device, t, usage = USUAL) {
  if (!t) return t;
  const gpuBuffer = device.createBuffer({ size: roundUp(4 * t.data.length), usage: usage | COPY_DST, label: 'test tensor' });
  device.queue.writeBuffer(gpuBuffer, 0, t.data);
  return { gpuBuffer, shape: t.shape };
}

/** The first `elements` floats of a buffer (it needs COPY_SRC), through a staging buffer: one map. */
export async function fromGpu(device, gpuBuffer, elements) {
  const staging = device.createBuffer({ size: roundUp(4 * elements), usage: MAP_READ | COPY_DST, label: 'test read-back' });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(gpuBuffer, 0, staging, 0, 4 * elements);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(1 /* GPUMapMode.READ */);
  const data = new Float32Array(staging.getMappedRange().slice(0, 4 * elements));
  staging.destroy();
  return data;
}

/** Counts GPUBuffer.prototype.mapAsync calls (every map of any buffer) until restore(). */
export function countMaps(device) {
  const probe = device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST });
  const proto = Object.getPrototypeOf(probe);
  probe.destroy();
  const original = proto.mapAsync;
  let count = 0;
  proto.mapAsync = function mapAsync(...args) {
    count += 1;
    return original.apply(this, args);
  };
  return { get count() { return count; }, restore: () => { proto.mapAsync = original; } };
}

const elementsOf = (shape) => shape.reduce((a, b) => a * b, 1);

/** Every tensor of a call's arguments (a CPU tensor is { data, shape }) moved to GPU buffers; options too. */
function onGpu(device, args, usage = USUAL) {
  const move = (v) => (v && v.data instanceof Float32Array ? toGpu(device, v, usage) : v);
  return args.map((a) => (a && !(a.data instanceof Float32Array) && typeof a === 'object' && !Array.isArray(a)
    ? Object.fromEntries(Object.entries(a).map(([k, v]) => [k, move(v)])) : move(a)));
}

/** The GPU buffers among a call's arguments (to destroy after the check). */
function buffersOf(args) {
  const found = [];
  const visit = (v) => {
    if (!v || typeof v !== 'object') return;
    if (v.gpuBuffer) found.push(v.gpuBuffer);
    else if (!Array.isArray(v) && !ArrayBuffer.isView(v)) Object.values(v).forEach(visit);
  };
  args.forEach(visit);
  return found;
}

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

async function expectRejection(promise, Type, pattern, label) {
  const e = await rejection(promise);
  assert(e.constructor === Type, `${label}: ${e.constructor.name} '${e.message}', expected a ${Type.name}`);
  assert(pattern.test(e.message), `${label}: the message '${e.message}' does not match ${pattern}`);
}

/**
 * One forward call of golden case c with every tensor in a GPU buffer and output 'gpu-buffer'; the result read
 * back and compared with the reference. Returns nothing; destroys what it made.
 */
async function residentForward(dc, device, c, convention, format) {
  const args = convention === 'torchvision' ? torchvisionArgs(c, format) : mindsporeArgs(c, format);
  const gpuArgs = onGpu(device, args);
  const last = gpuArgs.length - 1;
  gpuArgs[last] = { ...gpuArgs[last], output: 'gpu-buffer' };
  try {
    const y = convention === 'torchvision' ? await dc.deformConv2d(...gpuArgs) : await dc.deformableConv2d(...gpuArgs);
    assert(JSON.stringify(y.shape) === JSON.stringify(outputShape(c, format)), `output shape ${y.shape}`);
    assert(y.data === undefined && typeof y.dispose === 'function', 'a gpu-buffer result is { gpuBuffer, shape, dispose() }');
    assert(y.gpuBuffer.usage === USUAL, `the output's usage is ${y.gpuBuffer.usage}, expected STORAGE | COPY_SRC | COPY_DST`);
    assert(y.gpuBuffer.size >= 4 * elementsOf(y.shape), `the output buffer has ${y.gpuBuffer.size} bytes`);
    expectClose(await fromGpu(device, y.gpuBuffer, elementsOf(y.shape)), reference(c, 'output', format), FORWARD_TOLERANCE,
      `${c.name} ${convention} ${format}: output`);
    y.dispose();
  } finally {
    buffersOf(gpuArgs).forEach((b) => b.destroy());
  }
}

/**
 * The resident checks (names: checks.json "resident", in order). api: the package; newDevice(): a fresh
 * GPUDevice; named(caseName): a golden case.
 */
export async function residentChecks({ api, newDevice, named, names }) {
  const results = [];
  const basic = named('basic_3x3'), groups = named('batch3_groups3'), noMask = named('dcnv1_no_mask'), medium = named('medium_64ch');

  await check(results, names[0], async () => {
    const device = await newDevice();
    const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: device });
    try {
      assert(dc.gpuDevice === device, 'dc.gpuDevice is not the device the instance was given');
      for (const c of [basic, groups, noMask]) {
        await residentForward(dc, device, c, 'torchvision', 'NCHW');
        await residentForward(dc, device, c, 'MindSpore', 'NHWC');
      }
      // Mixed: the input on the GPU, the rest in CPU memory, the output back in CPU memory.
      const [input, offset, weight, o] = torchvisionArgs(basic);
      const gpuInput = toGpu(device, input);
      const y = await dc.deformConv2d(gpuInput, offset, weight, o);
      expectClose(y.data, reference(basic, 'output', 'NCHW'), FORWARD_TOLERANCE, 'mixed CPU and GPU tensors');
      gpuInput.gpuBuffer.destroy();
    } finally {
      dc.dispose();
      device.destroy();
    }
  });

  await check(results, names[1], async () => {
    const device = await newDevice();
    const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: device });
    try {
      // The backward: tensors on the GPU, gradients in CPU memory.
      const [input, offset, weight, o] = torchvisionArgs(basic);
      const gradOutput = { data: Float32Array.from(basic.grad_output), shape: basic.shapes.output };
      const gpuArgs = onGpu(device, [gradOutput, input, offset, weight, o]);
      const g = await dc.deformConv2dBackward(...gpuArgs);
      expectClose(g.gradInput.data, reference(basic, 'grad_input', 'NCHW', 'input'), GRADIENT_TOLERANCE, 'gradInput');
      expectClose(g.gradOffset.data, reference(basic, 'grad_offset', 'NCHW', 'offset'), GRADIENT_TOLERANCE, 'gradOffset');
      expectClose(g.gradMask.data, reference(basic, 'grad_mask', 'NCHW', 'mask'), GRADIENT_TOLERANCE, 'gradMask');
      expectClose(g.gradWeight.data, Float64Array.from(basic.grad_weight), GRADIENT_TOLERANCE, 'gradWeight');
      expectClose(g.gradBias.data, Float64Array.from(basic.grad_bias), GRADIENT_TOLERANCE, 'gradBias');
      await expectRejection(dc.deformConv2dBackward(...gpuArgs.slice(0, 4), { ...gpuArgs[4], output: 'gpu-buffer' }), TypeError,
        /^options\.output is an option of the forward calls/, 'output on a backward call');
      buffersOf(gpuArgs).forEach((b) => b.destroy());
      // Prepared layers: weights from CPU memory, per-call tensors from GPU buffers, output in a GPU buffer.
      const layer = await dc.prepareDeformConv2d(weight, { bias: o.bias, stride: o.stride, padding: o.padding, dilation: o.dilation });
      const [gi, goff, gmask] = [toGpu(device, input), toGpu(device, offset), toGpu(device, o.mask)];
      for (let i = 0; i < 2; i++) {
        const y = await layer.forward(gi, goff, { mask: gmask, output: 'gpu-buffer' });
        expectClose(await fromGpu(device, y.gpuBuffer, elementsOf(y.shape)), reference(basic, 'output', 'NCHW'), FORWARD_TOLERANCE,
          `prepared torchvision layer, call ${i + 1}`);
        y.dispose();
      }
      layer.dispose();
      [gi, goff, gmask].forEach((t) => t.gpuBuffer.destroy());
      const [x, w, offsets, k, s, p, mo] = mindsporeArgs(groups, 'NHWC');
      const msLayer = await dc.prepareDeformableConv2d(w, k, s, p, mo);
      const [gx, goffsets] = [toGpu(device, x), toGpu(device, offsets)];
      const y = await msLayer.forward(gx, goffsets, { output: 'gpu-buffer' });
      expectClose(await fromGpu(device, y.gpuBuffer, elementsOf(y.shape)), reference(groups, 'output', 'NHWC'), FORWARD_TOLERANCE,
        'prepared MindSpore layer, NHWC');
      y.dispose();
      msLayer.dispose();
      [gx, goffsets].forEach((t) => t.gpuBuffer.destroy());
      const weightLayer = await rejection(dc.prepareDeformConv2d(toGpu(device, weight), {}));
      assert(weightLayer instanceof TypeError && /weight of a prepared layer must be in CPU memory/.test(weightLayer.message),
        `a prepared layer's weight in a GPU buffer: ${weightLayer.message}`);
    } finally {
      dc.dispose();
      device.destroy();
    }
  });

  await check(results, names[2], async () => {
    // A device that claims small bindings (8 KiB; buffers up to 1 MiB): the call is split; the slices of the
    // caller's buffers are copied on the GPU and each output chunk copied into its place in the result buffer.
    const settings = { maxBytes: 8192, maxBufferSize: 1 << 20 };
    const device = await newDevice();
    const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: limitedDevice(device, settings) });
    const maps = countMaps(device);
    try {
      for (const [convention, format] of [['torchvision', 'NCHW'], ['MindSpore', 'NHWC']]) {
        const before = settings.submits, mapsBefore = maps.count;
        const args = convention === 'torchvision' ? torchvisionArgs(medium, format) : mindsporeArgs(medium, format);
        const gpuArgs = onGpu(device, args);
        gpuArgs[gpuArgs.length - 1] = { ...gpuArgs[gpuArgs.length - 1], output: 'gpu-buffer' };
        const y = convention === 'torchvision' ? await dc.deformConv2d(...gpuArgs) : await dc.deformableConv2d(...gpuArgs);
        assert(settings.submits - before > 4, `${settings.submits - before} submits: the call was not split`);
        assert(maps.count === mapsBefore, `${maps.count - mapsBefore} maps during a split call on GPU buffers`);
        expectClose(await fromGpu(device, y.gpuBuffer, elementsOf(y.shape)), reference(medium, 'output', format), FORWARD_TOLERANCE,
          `split ${convention} ${format}`);
        y.dispose();
        buffersOf(gpuArgs).forEach((b) => b.destroy());
      }
      // Split, a buffer without COPY_SRC cannot be sliced: a TypeError that says so, and the instance keeps working.
      const [input, offset, weight, o] = torchvisionArgs(medium);
      const noCopy = toGpu(device, input, STORAGE);
      await expectRejection(dc.deformConv2d(noCopy, offset, weight, o), TypeError,
        /^input\.gpuBuffer needs the usage COPY_SRC too: this call is split into chunks .*its usage is COPY_DST \| STORAGE$/, 'no COPY_SRC');
      noCopy.gpuBuffer.destroy();
      const y = await dc.deformConv2d(input, offset, weight, o);
      expectClose(y.data, reference(medium, 'output', 'NCHW'), FORWARD_TOLERANCE, 'after the rejection');
    } finally {
      maps.restore();
      dc.dispose();
      device.destroy();
    }
  });

  await check(results, names[3], async () => {
    const device = await newDevice(), other = await newDevice();
    const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: device });
    const made = [];
    const gpu = (t, usage, d = device) => {
      const g = toGpu(d, t, usage);
      made.push(g.gpuBuffer);
      return g;
    };
    try {
      const [input, offset, weight, o] = torchvisionArgs(basic);
      const [x, w, offsets, k, s, p, mo] = mindsporeArgs(basic);
      const tooSmall = { gpuBuffer: gpu({ data: input.data.subarray(0, 8), shape: [8] }).gpuBuffer, shape: input.shape };
      const destroyed = gpu(offset);
      destroyed.gpuBuffer.destroy();
      const mapped = device.createBuffer({ size: roundUp(4 * input.data.length), usage: STORAGE | COPY_SRC, mappedAtCreation: true });
      made.push(mapped);
      const cases = [
        ['not a GPUBuffer', () => dc.deformConv2d({ gpuBuffer: { size: 4 }, shape: input.shape }, offset, weight, o), TypeError,
          /^input\.gpuBuffer must be a GPUBuffer, got /],
        ['both data and gpuBuffer', () => dc.deformConv2d({ ...gpu(input), data: input.data }, offset, weight, o), TypeError,
          /^input has both data and gpuBuffer; give one of them$/],
        ['without STORAGE', () => dc.deformConv2d(input, offset, gpu(weight, COPY_SRC), o), TypeError,
          /^weight\.gpuBuffer must have the usage STORAGE \(GPUBufferUsage\.STORAGE\) for the WebGPU backend to read it; its usage is COPY_SRC \| COPY_DST$/],
        ['too small', () => dc.deformConv2d(tooSmall, offset, weight, o), RangeError,
          /^input\.gpuBuffer has 32 bytes but shape \[2, 6, 7, 9\] needs 3024 \(756 float32 elements\)$/],
        ['of another device', () => dc.deformableConv2d(gpu(x, USUAL, other), w, offsets, k, s, p, mo), TypeError,
          /^x\.gpuBuffer cannot be used with this instance's GPUDevice: it belongs to another device/],
        ['destroyed', () => dc.deformConv2d(input, destroyed, weight, o), TypeError, /^offset\.gpuBuffer cannot be read: it was destroyed/],
        ['mapped', () => dc.deformConv2d({ gpuBuffer: mapped, shape: input.shape }, offset, weight, o), TypeError,
          /^input\.gpuBuffer is mapped \(mapState 'mapped'\); a mapped buffer cannot be read by the GPU: unmap\(\) it before the call$/],
        ['a bad output option', () => dc.deformConv2d(input, offset, weight, { ...o, output: 'gpu' }), RangeError,
          /^output must be 'cpu' or 'gpu-buffer', got the string "gpu"$/],
        ['the mask of another device', () => dc.deformConv2d(input, offset, weight, { ...o, mask: gpu(o.mask, USUAL, other) }),
          TypeError, /^mask\.gpuBuffer cannot be used with this instance's GPUDevice/],
      ];
      for (const [label, call, Type, pattern] of cases) {
        await expectRejection(call(), Type, pattern, label);
        // The instance keeps working after each.
        const y = await dc.deformConv2d(input, offset, weight, o);
        expectClose(y.data, reference(basic, 'output', 'NCHW'), FORWARD_TOLERANCE, `after '${label}'`);
      }
      assert(dc.backend === 'webgpu' && dc.info().fallbackReason === null, JSON.stringify(dc.info()));
    } finally {
      made.forEach((b) => b.destroy());
      dc.dispose();
      device.destroy();
      other.destroy();
    }
  });

  await check(results, names[4], async () => {
    const device = await newDevice();
    // On this thread (proxy: false): a proxied instance's message is the proxy's (tests/browser/proxy.test.js).
    const wasm = await api.createDeformConv({ backend: 'wasm', proxy: false });
    const auto = await api.createDeformConv({ backend: 'auto', threads: 1, proxy: false });
    const made = [];
    try {
      const [input, offset, weight, o] = torchvisionArgs(basic);
      const gi = toGpu(device, input), go = toGpu(device, offset);
      made.push(gi.gpuBuffer, go.gpuBuffer);
      assert(wasm.gpuDevice === null, 'a WebAssembly instance has no gpuDevice');
      await expectRejection(wasm.deformConv2d(gi, go, weight, o), TypeError,
        /^input, offset are GPU-resident tensors \(\{ gpuBuffer, shape \}\), which only the WebGPU backend can take; this instance runs on WebAssembly/,
        'GPU tensors on WebAssembly');
      await expectRejection(wasm.deformConv2d(input, offset, weight, { ...o, output: 'gpu-buffer' }), TypeError,
        /^output: 'gpu-buffer' asks for the result in a GPU buffer, which only the WebGPU backend can take/, "output 'gpu-buffer' on WebAssembly");
      const layer = await wasm.prepareDeformConv2d(weight, { bias: o.bias, padding: o.padding, stride: o.stride, dilation: o.dilation });
      await expectRejection(layer.forward(gi, offset, { mask: o.mask }), TypeError, /^input is a GPU-resident tensor/, 'a prepared layer on WebAssembly');
      layer.dispose();
      // 'auto' on SwiftShader (a fallback adapter) runs on WebAssembly: the same TypeError.
      assert(auto.backend === 'wasm', `auto picked ${auto.backend}`);
      await expectRejection(auto.deformConv2d(gi, offset, weight, o), TypeError, /^input is a GPU-resident tensor/, "GPU tensors on 'auto'");
      const y = await wasm.deformConv2d(input, offset, weight, o);
      expectClose(y.data, reference(basic, 'output', 'NCHW'), FORWARD_TOLERANCE, 'WebAssembly after the rejections');
    } finally {
      made.forEach((b) => b.destroy());
      wasm.dispose();
      auto.dispose();
      device.destroy();
    }
  });

  await check(results, names[5], async () => {
    // Ownership: the instance's own buffers are reused and freed by dispose(); each 'gpu-buffer' result is the
    // caller's until dispose(), which destroys it (once); no call maps a buffer.
    const settings = { maxBytes: 1 << 30 };
    const device = await newDevice();
    const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: limitedDevice(device, settings) });
    const maps = countMaps(device);
    try {
      const args = onGpu(device, torchvisionArgs(basic));
      const call = () => dc.deformConv2d(...args.slice(0, 3), { ...args[3], output: 'gpu-buffer' });
      const first = await call();
      const afterFirst = settings.created;
      const results2 = [await call(), await call(), await call()];
      assert(settings.created === afterFirst + 3, `3 more calls made ${settings.created - afterFirst} buffers, expected 3 (their outputs)`);
      assert(maps.count === 0, `${maps.count} maps in calls with GPU tensors and output 'gpu-buffer'`);
      const destroyedBefore = settings.destroyed;
      first.dispose();
      first.dispose();
      assert(settings.destroyed === destroyedBefore + 1, `two dispose() destroyed ${settings.destroyed - destroyedBefore} buffers`);
      const outputs = new Set([first, ...results2].map((r) => r.gpuBuffer));
      assert(outputs.size === 4, 'two results share a buffer');
      dc.dispose();
      // Disposing the instance leaves the caller's results alone: read one now.
      maps.restore();
      expectClose(await fromGpu(device, results2[0].gpuBuffer, elementsOf(results2[0].shape)), reference(basic, 'output', 'NCHW'),
        FORWARD_TOLERANCE, 'a result read after the instance was disposed');
      results2.forEach((r) => r.dispose());
      assert(settings.destroyed === settings.created, `${settings.created - settings.destroyed} of the instance's ${settings.created} buffers leaked`);
      buffersOf(args).forEach((b) => b.destroy());
    } finally {
      maps.restore();
      dc.dispose();
      device.destroy();
    }
  });

  await check(results, names[6], async () => {
    // What onnxruntime's WebGPU provider does around a DeformConv node, imitated: a pipeline of "another library"
    // writes the input (x * 2 - 0.5) into its own buffer; our call reads it in place and leaves its output in a
    // GPU buffer; a second foreign pipeline reads that (y + 1). The only map is the final read-back.
    const device = await newDevice();
    const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: device });
    const cpu = await api.createDeformConv({ backend: 'wasm' });
    const maps = countMaps(device);
    const made = [];
    const pipeline = (expression) => device.createComputePipeline({
      layout: 'auto',
      compute: {
        entryPoint: 'main',
        module: device.createShaderModule({
          code: `@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&dst)) { dst[id.x] = ${expression}; }
}`,
        }),
      },
    });
    const runForeign = (p, src, elements) => {
      const dst = device.createBuffer({ size: roundUp(4 * elements), usage: USUAL, label: 'foreign output' });
      made.push(dst);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(p);
      pass.setBindGroup(0, device.createBindGroup({
        layout: p.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: src, size: 4 * elements } }, { binding: 1, resource: { buffer: dst, size: 4 * elements } }],
      }));
      pass.dispatchWorkgroups(Math.ceil(elements / 64));
      pass.end();
      device.queue.submit([encoder.finish()]);
      return dst;
    };
    try {
      const [input, offset, weight, o] = torchvisionArgs(groups);
      const raw = toGpu(device, input);
      made.push(raw.gpuBuffer);
      const produced = runForeign(pipeline('src[id.x] * 2.0 - 0.5'), raw.gpuBuffer, input.data.length);
      const y = await dc.deformConv2d({ gpuBuffer: produced, shape: input.shape }, offset, weight, { ...o, output: 'gpu-buffer' });
      const consumed = runForeign(pipeline('src[id.x] + 1.0'), y.gpuBuffer, elementsOf(y.shape));
      assert(maps.count === 0, `${maps.count} maps before the final read-back`);
      const got = await fromGpu(device, consumed, elementsOf(y.shape));
      assert(maps.count === 1, `${maps.count} maps in all; expected 1 (the final read-back)`);
      y.dispose();
      const doubled = { data: input.data.map((v) => Math.fround(v * 2 - 0.5)), shape: input.shape };
      const expected = (await cpu.deformConv2d(doubled, offset, weight, o)).data.map((v) => v + 1);
      expectClose(got, expected, FORWARD_TOLERANCE, 'foreign pipeline -> deformConv2d -> foreign pipeline');
    } finally {
      maps.restore();
      made.forEach((b) => b.destroy());
      dc.dispose();
      cpu.dispose();
      device.destroy();
    }
  });
  return results;
}
