// node --expose-gc tests/webgpu/node-runner.mjs OUT.json [CASE...]
// DCN_WEBGPU_CHECKS=REGEX (while working on one check): only the checks whose name matches, the golden, split and
// hostile and resident blocks counting as one check each ('golden checks', 'split checks', 'hostile checks',
// 'resident checks').
// Runs the WebGPU checks of checks.json that belong to Node.js (golden, split, node, resident, hostile) on the WebGPU backend
// through the npm package `webgpu` (Dawn) and SwiftShader's Vulkan driver from Debian's chromium package
// (docs/toolchain.md), and writes [{ name, ok, message }] to OUT.json. A separate process, so that
// Jest does not have to load Dawn's ES module and a crash of the driver cannot take a Jest worker with it.
// CASE...: only these golden cases (for debugging); default every case.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  assert, check as recordCheck, checkBackward, checkForward, expectClose, FORWARD_TOLERANCE, goldenChecks, GRADIENT_TOLERANCE,
  largestTensorBytes, limitedDevice, mindsporeArgs, random, randomConfiguration, runNamedCheck, torchvisionArgs,
  toNHWC, withoutWasmSimd,
} from './checks.mjs';
import { hostileChecks } from './hostile-checks.mjs';
import { residentChecks } from './resident-checks.mjs';

// The Vulkan loader reads these when Dawn first looks for adapters, so they are set before it loads.
process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.XDG_RUNTIME_DIR ||= '/tmp';
const { create } = await import('webgpu');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldenDir = process.env.DCN_GOLDEN_DIR || join(root, 'tests', 'golden');
const CHECKS = JSON.parse(readFileSync(join(root, 'tests', 'webgpu', 'checks.json'), 'utf8'));
const api = await import(join(root, 'dist', 'index.mjs'));

const [out, ...only] = process.argv.slice(2);
const filter = process.env.DCN_WEBGPU_CHECKS ? new RegExp(process.env.DCN_WEBGPU_CHECKS) : null;
const wanted = (name) => !filter || filter.test(name);
const check = (list, name, fn) => (wanted(name) ? recordCheck(list, name, fn) : undefined);
const cases = readdirSync(goldenDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(join(goldenDir, f), 'utf8')))
  .filter((c) => !only.length || only.includes(c.name));
const named = (name) => cases.find((c) => c.name === name) || JSON.parse(readFileSync(join(goldenDir, `${name}.json`), 'utf8'));

const gpu = create([]);
async function newDevice() {
  const adapter = await gpu.requestAdapter();
  assert(adapter, 'SwiftShader gave no WebGPU adapter: is the chromium package installed (VK_ICD_FILENAMES)?');
  return adapter.requestDevice();
}

async function rejects(promise, pattern, label) {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert(error, `${label}: expected a rejection`);
  assert(pattern.test(error.message), `${label}: the message '${error.message}' does not match ${pattern}`);
  return error;
}

const results = [];
const t0 = performance.now();

// ---------------------------------------------------------------- golden: every case, both layouts
if (wanted('golden checks')) {
  const dc = await api.createDeformConv({ backend: 'webgpu', gpu });
  results.push(...await goldenChecks(dc, cases, CHECKS.golden));
  dc.dispose();
}
console.log(`golden checks: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------- split: a device that claims small buffers
if (wanted('split checks')) {
  // One instance (its pipelines compile once) on a device whose reported limit is set per call: about a
  // quarter of the case's largest tensor (at least 4 KiB), so every larger case is split into a few chunks
  // in several dimensions; the backward keeps the whole weight in one buffer, so it gets room for that.
  const settings = { maxBytes: 0 };
  const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: limitedDevice(await newDevice(), settings) });
  const round = (bytes) => Math.ceil(bytes / 256) * 256;
  for (const c of cases) {
    for (const name of CHECKS.split) {
      await recordCheck(results, `${c.name}: ${name}`, async () => {
        const weightBytes = 4 * c.shapes.weight.reduce((a, b) => a * b, 1);
        settings.maxBytes = Math.max(4096, round(largestTensorBytes(c) / 4), name.includes('backward') ? round(weightBytes) : 0);
        const before = settings.submits;
        await runNamedCheck(dc, c, name);
        // Unsplit, a forward call is 2 submits (work, read-back) and a backward call 4 (clear, clear, work,
        // read-back): more means the call really was split.
        const unsplit = name.includes('backward') ? 4 : 2;
        if (largestTensorBytes(c) > settings.maxBytes) {
          assert(settings.submits - before > unsplit, `${settings.submits - before} submits: the call was not split`);
        }
      });
    }
  }
  dc.dispose();
}
console.log(`split checks: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------- selection and fallback
const small = named('tiny_1x1_input'), basic = named('basic_3x3'), medium = named('medium_64ch');
const [names] = [CHECKS.node];

await check(results, names[0], async () => {
  const dc = await api.createDeformConv({ backend: 'auto', threads: 1, gpu });
  try {
    assert(dc.backend === 'wasm', `backend ${dc.backend}`);
    assert(dc.info().webgpu === null, 'info().webgpu should be null');
    assert(/fallback/.test(dc.info().fallbackReason), `fallbackReason: ${dc.info().fallbackReason}`);
    await checkForward(dc, small, 'torchvision', 'NCHW');
  } finally {
    dc.dispose();
  }
});

await check(results, names[1], async () => {
  const device = await newDevice();
  const dc = await api.createDeformConv({ backend: 'auto', threads: 1, gpuDevice: device });
  try {
    assert(dc.backend === 'webgpu', `a caller's device should be used by 'auto' without threads, got ${dc.backend}`);
    await checkForward(dc, basic, 'torchvision', 'NCHW');
    device.destroy();
    await checkForward(dc, basic, 'torchvision', 'NCHW');
    await checkForward(dc, basic, 'MindSpore', 'NHWC');
    assert(dc.backend === 'wasm', `after the loss the backend should be wasm, got ${dc.backend}`);
    assert(/lost/.test(dc.info().fallbackReason), `fallbackReason: ${dc.info().fallbackReason}`);
    assert(dc.info().webgpu === null, 'info().webgpu should be null after the fallback');
  } finally {
    dc.dispose();
  }
});

await check(results, names[2], async () => {
  const device = await newDevice();
  const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: device });
  try {
    await checkBackward(dc, basic, 'torchvision', 'NCHW');
    device.destroy();
    const e = await rejects(dc.deformConv2d(...(await import('./checks.mjs')).torchvisionArgs(basic)), /WebGPU.*lost/, 'after destroy()');
    assert(e.constructor === Error, `a backend failure is an Error, got ${e.constructor.name}`);
    await rejects(dc.deformConv2dBackward({ data: Float32Array.from(basic.grad_output), shape: basic.shapes.output },
      ...(await import('./checks.mjs')).torchvisionArgs(basic)), /lost/, 'backward after destroy()');
  } finally {
    dc.dispose();
  }
});

await check(results, names[3], async () => {
  const counters = { maxBytes: 1024 };
  // 1 KiB: medium_64ch's sampling plan needs 1152 bytes for a single pixel, so it cannot be split to fit.
  const dc = await api.createDeformConv({ backend: 'auto', threads: 1, gpuDevice: limitedDevice(await newDevice(), counters) });
  try {
    assert(dc.backend === 'webgpu', `backend ${dc.backend}`);
    await checkForward(dc, medium, 'torchvision', 'NCHW');
    assert(/1024/.test(dc.info().fallbackReason), `fallbackReason: ${dc.info().fallbackReason}`);
    assert(dc.backend === 'webgpu', 'a call too large for the device must not retire the GPU');
    const before = counters.submits;
    await checkForward(dc, small, 'torchvision', 'NCHW');
    assert(counters.submits > before, 'the next small call did not run on the GPU');
  } finally {
    dc.dispose();
  }
});

await check(results, names[4], async () => {
  const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: limitedDevice(await newDevice(), { maxBytes: 1024 }) });
  try {
    const { torchvisionArgs } = await import('./checks.mjs');
    const e = await rejects(dc.deformConv2d(...torchvisionArgs(medium)), /bytes.*1024/, 'a call above the limit');
    assert(e.constructor === Error, `a backend failure is an Error, got ${e.constructor.name}`);
    await checkForward(dc, small, 'MindSpore', 'NCHW'); // the instance keeps working
  } finally {
    dc.dispose();
  }
});

// A device whose shader modules do not compile: WGSL with a syntax error appended.
async function brokenShaderDevice() {
  const device = await newDevice();
  return new Proxy(device, {
    get: (t, k) => {
      if (k === 'createShaderModule') return (d) => t.createShaderModule({ ...d, code: `${d.code}\nfn broken( {` });
      const v = t[k];
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

await check(results, names[5], async () => {
  const dc = await api.createDeformConv({ backend: 'auto', threads: 1, gpuDevice: await brokenShaderDevice() });
  try {
    assert(dc.backend === 'webgpu', `backend ${dc.backend}`);
    await checkForward(dc, basic, 'MindSpore', 'NCHW');
    assert(dc.backend === 'wasm', `after a shader error the backend should be wasm, got ${dc.backend}`);
    assert(/compile|WGSL|[Ss]hader/.test(dc.info().fallbackReason), `fallbackReason: ${dc.info().fallbackReason}`);
  } finally {
    dc.dispose();
  }
});

await check(results, names[6], async () => {
  const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: await brokenShaderDevice() });
  try {
    const { mindsporeArgs } = await import('./checks.mjs');
    await rejects(dc.deformableConv2d(...mindsporeArgs(basic)), /WebGPU backend failed.*(compile|WGSL|[Ss]hader)/, 'a broken shader');
  } finally {
    dc.dispose();
  }
});

await check(results, names[7], async () => {
  const { torchvisionArgs, mindsporeArgs } = await import('./checks.mjs');
  const wasm = await api.createDeformConv({ backend: 'wasm', wasmBuild: 'simd' });
  const webgpu = await api.createDeformConv({ backend: 'webgpu', gpu });
  try {
    const [input, offset, weight, o] = torchvisionArgs(basic);
    const [x, w, offsets, k, s, p, mo] = mindsporeArgs(basic);
    const bad = [
      ['offset channels', (dc) => dc.deformConv2d(input, { data: offset.data.subarray(0, offset.data.length / 2), shape: [2, 9, 7, 9] }, weight, o)],
      ['mask shape', (dc) => dc.deformConv2d(input, offset, weight, { ...o, mask: { data: new Float32Array(2 * 9 * 7 * 8), shape: [2, 9, 7, 8] } })],
      ['data length', (dc) => dc.deformConv2d({ data: input.data.subarray(1), shape: input.shape }, offset, weight, o)],
      ['data type', (dc) => dc.deformConv2d({ data: Array.from(input.data), shape: input.shape }, offset, weight, o)],
      ['strides', (dc) => dc.deformableConv2d(x, w, offsets, k, [2, 1, 1, 1], p, mo)],
      ['kernel size', (dc) => dc.deformableConv2d(x, w, offsets, [5, 5], s, p, mo)],
      ['gradOutput shape', (dc) => dc.deformConv2dBackward({ data: new Float32Array(8), shape: [2, 4] }, input, offset, weight, o)],
    ];
    for (const [label, call] of bad) {
      const expected = await rejects(call(wasm), /./, `${label} on wasm`);
      const got = await rejects(call(webgpu), /./, `${label} on webgpu`);
      assert(got.constructor === expected.constructor && got.message === expected.message,
        `${label}: webgpu rejected with ${got.constructor.name} '${got.message}', wasm with ${expected.constructor.name} '${expected.message}'`);
      assert(expected.constructor === RangeError || expected.constructor === TypeError, `${label}: ${expected.constructor.name}`);
    }
    await checkForward(webgpu, basic, 'torchvision', 'NCHW'); // still usable
  } finally {
    wasm.dispose();
    webgpu.dispose();
  }
});

await check(results, names[8], async () => {
  const device = await newDevice();
  const counters = { maxBytes: device.limits.maxStorageBufferBindingSize };
  const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: limitedDevice(device, counters) });
  await checkForward(dc, basic, 'torchvision', 'NCHW');
  await checkBackward(dc, basic, 'torchvision', 'NCHW');
  const created = counters.created;
  assert(created > 0, 'no buffers were made');
  await checkForward(dc, basic, 'torchvision', 'NCHW');
  await checkBackward(dc, basic, 'torchvision', 'NCHW');
  assert(counters.created === created, `repeating the calls made ${counters.created - created} new buffers`);
  dc.dispose();
  assert(counters.destroyed === counters.created, `dispose() destroyed ${counters.destroyed} of ${counters.created} buffers`);
  await rejects(dc.deformConv2d(...(await import('./checks.mjs')).torchvisionArgs(basic)), /disposed/, 'a call after dispose()');
  // check 9: the caller's device survives dispose() and serves another instance.
  await check(results, names[9], async () => {
    let lost = false;
    device.lost.then(() => { lost = true; });
    await device.queue.onSubmittedWorkDone();
    assert(!lost, "dispose() destroyed the caller's device");
    const again = await api.createDeformConv({ backend: 'webgpu', gpuDevice: device });
    try {
      await checkForward(again, small, 'torchvision', 'NCHW');
    } finally {
      again.dispose();
    }
    assert(!lost, "dispose() destroyed the caller's device");
    device.destroy();
  });
});

await check(results, names[10], async () => {
  const dc = await api.createDeformConv({ backend: 'webgpu', gpu });
  try {
    await Promise.all([
      checkForward(dc, basic, 'torchvision', 'NCHW'),
      checkBackward(dc, medium, 'MindSpore', 'NCHW'),
      checkForward(dc, named('batch3_groups3'), 'MindSpore', 'NHWC'),
      checkForward(dc, small, 'torchvision', 'NHWC'),
    ]);
  } finally {
    dc.dispose();
  }
});
await check(results, names[11], async () => {
  assert(typeof globalThis.gc === 'function', 'run the runner with node --expose-gc');
  // The GPU object of create([]) is passed inline and dropped: Dawn tears its instance down when that object is
  // collected, so the backend must hold it for as long as its device lives.
  const dc = await api.createDeformConv({ backend: 'webgpu', gpu: create([]) });
  try {
    for (let i = 0; i < 3; i++) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await checkForward(dc, basic, 'torchvision', 'NCHW');
  } finally {
    dc.dispose();
  }
});
// ---------------------------------------------------------------- an engine without WebAssembly SIMD
const offsetOfWrongSize = (c) => {
  const [input, offset, weight, o] = torchvisionArgs(c);
  return [input, { data: offset.data.subarray(0, offset.data.length / 2), shape: [offset.shape[0], offset.shape[1] / 2, ...offset.shape.slice(2)] }, weight, o];
};

await check(results, names[12], async () => {
  const wasm = await api.createDeformConv({ backend: 'wasm', wasmBuild: 'simd' });
  const expected = await rejects(wasm.deformConv2d(...offsetOfWrongSize(basic)), /./, 'wasm');
  wasm.dispose();
  await withoutWasmSimd(async () => {
    const dc = await api.createDeformConv({ backend: 'webgpu', gpu });
    try {
      const info = dc.info();
      assert(info.backend === 'webgpu' && info.simd === false && info.simdInstructions === 'none' && info.wasmBuild === 'validate', JSON.stringify(info));
      const got = await rejects(dc.deformConv2d(...offsetOfWrongSize(basic)), /./, 'webgpu without SIMD');
      assert(got.constructor === expected.constructor && got.message === expected.message, `${got.constructor.name} '${got.message}' vs '${expected.message}'`);
      await checkForward(dc, basic, 'MindSpore', 'NHWC');
      await checkBackward(dc, basic, 'torchvision', 'NCHW');
    } finally {
      dc.dispose();
    }
  });
});

await check(results, names[13], async () => {
  await withoutWasmSimd(async () => {
    const dc = await api.createDeformConv({ backend: 'auto', threads: 2, gpu });
    try {
      assert(dc.backend === 'webgpu' && dc.info().webgpu.isFallbackAdapter === true, JSON.stringify(dc.info()));
      await checkForward(dc, small, 'torchvision', 'NCHW');
    } finally {
      dc.dispose();
    }
    await rejects(api.createDeformConv({ backend: 'wasm' }), /does not support WebAssembly SIMD/, "backend 'wasm'");
    await rejects(api.createDeformConv({ backend: 'auto', gpu: { requestAdapter: async () => null } }),
      /does not support WebAssembly SIMD.*WebGPU is not available either.*no WebGPU adapter/, "'auto' without an adapter");
  });
});

await check(results, names[14], async () => {
  const device = await newDevice();
  await withoutWasmSimd(async () => {
    const dc = await api.createDeformConv({ backend: 'auto', gpuDevice: device });
    try {
      await checkForward(dc, small, 'torchvision', 'NCHW');
      device.destroy();
      await rejects(dc.deformableConv2d(...mindsporeArgs(small)), /no fallback.*lost/, 'after the loss');
    } finally {
      dc.dispose();
    }
  });
});
// ---------------------------------------------------------------- WebGPU against WebAssembly
await check(results, names[15], async () => {
  // Shapes the golden cases do not have (1-row kernels, depthwise with few taps, odd groups) reach the other
  // tile shapes of the kernels. Both backends approximate the same float64 sum in float32: the golden
  // tolerances apply between them.
  const wasm = await api.createDeformConv({ backend: 'wasm', wasmBuild: 'simd' });
  const webgpu = await api.createDeformConv({ backend: 'webgpu', gpu });
  try {
    const rand = random(20260);
    for (let i = 0; i < 24; i++) {
      const { label, args, gradOutput } = randomConfiguration(rand);
      const [yGpu, yWasm] = [await webgpu.deformConv2d(...args), await wasm.deformConv2d(...args)];
      expectClose(yGpu.data, yWasm.data, FORWARD_TOLERANCE, `${label}: output`);
      const [gGpu, gWasm] = [await webgpu.deformConv2dBackward(gradOutput, ...args), await wasm.deformConv2dBackward(gradOutput, ...args)];
      for (const key of ['gradInput', 'gradOffset', 'gradMask', 'gradWeight', 'gradBias']) {
        assert((gGpu[key] === null) === (gWasm[key] === null), `${label}: ${key} present on one backend only`);
        if (gWasm[key]) expectClose(gGpu[key].data, gWasm[key].data, GRADIENT_TOLERANCE, `${label}: ${key}`);
      }
    }
  } finally {
    wasm.dispose();
    webgpu.dispose();
  }
});

await check(results, names[16], async () => {
  const wasm = await api.createDeformConv({ backend: 'wasm', wasmBuild: 'simd' });
  const webgpu = await api.createDeformConv({ backend: 'webgpu', gpu });
  try {
    const [input, offset, weight, o] = torchvisionArgs(basic);
    const poisoned = { data: offset.data.slice(), shape: offset.shape };
    for (let i = 0; i < poisoned.data.length; i += 97) poisoned.data[i] = NaN;
    const mask = { data: o.mask.data.slice(), shape: o.mask.shape };
    for (let i = 5; i < mask.data.length; i += 101) mask.data[i] = NaN;
    for (let i = 0; i < poisoned.data.length; i += 89) poisoned.data[i] = 1e6; // far outside, some with a NaN mask
    for (let i = 3; i < mask.data.length; i += 103) mask.data[i] = Infinity;
    // (dy, dx) = (NaN, 1e30): outside, so 0 times the mask; (Inf, 0.5) and (0.5, -Inf): outside.
    const P = offset.shape[2] * offset.shape[3];
    const pair = (k, p, dy, dx) => { poisoned.data[2 * k * P + p] = dy; poisoned.data[(2 * k + 1) * P + p] = dx; };
    pair(0, 5, NaN, 1e30);
    pair(4, 17, Infinity, 0.5);
    pair(8, 30, 0.5, -Infinity);
    const options = { ...o, mask };
    const [yGpu, yWasm] = [await webgpu.deformConv2d(input, poisoned, weight, options), await wasm.deformConv2d(input, poisoned, weight, options)];
    const nanGpu = yGpu.data.filter(Number.isNaN).length, nanWasm = yWasm.data.filter(Number.isNaN).length;
    assert(nanWasm > 0, 'the WebAssembly result has no NaN: the check tests nothing');
    expectClose(yGpu.data, yWasm.data, FORWARD_TOLERANCE, `output (${nanGpu} NaN on WebGPU, ${nanWasm} on WebAssembly)`);
    const gradOutput = { data: Float32Array.from(basic.grad_output), shape: basic.shapes.output };
    // The backward without the infinite mask values: their offset gradients are ±Inf or NaN depending on the
    // order of the products (torchvision's own order gives either), which neither README nor torchvision fix.
    const finiteMask = { data: mask.data.map((v) => (v === Infinity ? NaN : v)), shape: mask.shape };
    const backwardOptions = { ...options, mask: finiteMask };
    const [gGpu, gWasm] = [await webgpu.deformConv2dBackward(gradOutput, input, poisoned, weight, backwardOptions),
      await wasm.deformConv2dBackward(gradOutput, input, poisoned, weight, backwardOptions)];
    for (const key of ['gradInput', 'gradOffset', 'gradMask', 'gradWeight', 'gradBias']) {
      expectClose(gGpu[key].data, gWasm[key].data, GRADIENT_TOLERANCE, `${key} (${gGpu[key].data.filter(Number.isNaN).length} NaN on WebGPU, ${gWasm[key].data.filter(Number.isNaN).length} on WebAssembly)`);
    }
  } finally {
    wasm.dispose();
    webgpu.dispose();
  }
});
await check(results, names[17], async () => {
  // A prepared layer on the WebGPU backend runs the one-shot forward pass with the layer's weights.
  const dc = await api.createDeformConv({ backend: 'webgpu', gpu });
  try {
    for (const c of cases) {
      for (const format of ['NCHW', 'NHWC']) {
        const expected = format === 'NHWC' ? toNHWC({ data: Float32Array.from(c.output), shape: c.shapes.output }).data : c.output;
        const [input, offset, weight, { mask, ...layerOptions }] = torchvisionArgs(c, format);
        const layer = await dc.prepareDeformConv2d(weight, layerOptions);
        expectClose((await layer.forward(input, offset, { mask })).data, expected, FORWARD_TOLERANCE, `${c.name} torchvision ${format}`);
        layer.dispose();
        const [x, w, offsets, kernelSize, strides, padding, o] = mindsporeArgs(c, format);
        const msLayer = await dc.prepareDeformableConv2d(w, kernelSize, strides, padding, o);
        expectClose((await msLayer.forward(x, offsets)).data, expected, FORWARD_TOLERANCE, `${c.name} MindSpore ${format}`);
        msLayer.dispose();
      }
    }
    assert(dc.backend === 'webgpu' && dc.info().fallbackReason === null, JSON.stringify(dc.info()));
  } finally {
    dc.dispose();
  }
  // The weights stay on the device: the second call uploads only the input, offsets, mask and uniforms, and
  // dispose() frees the layer's buffers.
  const device = await newDevice();
  const written = [], created = [];
  const writeBuffer = device.queue.writeBuffer.bind(device.queue);
  device.queue.writeBuffer = (buffer, offset, data, dataOffset, size) => {
    written.push(size === undefined ? data.byteLength : size);
    return writeBuffer(buffer, offset, data, dataOffset, size);
  };
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor) => {
    const buffer = createBuffer(descriptor);
    created.push({ label: descriptor.label, destroyed: false });
    const entry = created.at(-1), destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => { entry.destroyed = true; return destroy(); };
    return buffer;
  };
  const onDevice = await api.createDeformConv({ backend: 'webgpu', gpuDevice: device });
  try {
    const rand = random(4242);
    const tensor = (shape) => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1), shape });
    const weight = tensor([64, 16, 3, 3]), bias = tensor([64]), input = tensor([1, 16, 8, 8]), offset = tensor([1, 18, 8, 8]);
    const layer = await onDevice.prepareDeformConv2d(weight, { bias, padding: 1 });
    const expected = await onDevice.deformConv2d(input, offset, weight, { bias, padding: 1 });
    const weightBytes = weight.data.byteLength;
    for (let call = 0; call < 3; call++) {
      written.length = 0;
      expectClose((await layer.forward(input, offset)).data, expected.data, FORWARD_TOLERANCE, `call ${call}`);
      const total = written.reduce((a, b) => a + b, 0);
      assert(call === 0 ? total >= weightBytes : total < weightBytes, `call ${call} wrote ${total} bytes (weight ${weightBytes})`);
    }
    const preparedBuffers = () => created.filter((b) => String(b.label).startsWith('deformconv prepared'));
    const resident = preparedBuffers();
    assert(resident.length === 2 && resident.every((b) => !b.destroyed), JSON.stringify(resident));
    layer.dispose();
    assert(resident.every((b) => b.destroyed), `after dispose: ${JSON.stringify(resident)}`);
    // A call still queued when its layer is disposed computes the same and keeps nothing on the device.
    const late = await onDevice.prepareDeformConv2d(weight, { bias, padding: 1 });
    const pending = late.forward(input, offset);
    late.dispose();
    expectClose((await pending).data, expected.data, FORWARD_TOLERANCE, 'a call of a layer disposed meanwhile');
    assert(preparedBuffers().every((b) => b.destroyed), `after the late call: ${JSON.stringify(preparedBuffers())}`);
    // A layer left undisposed is freed with its instance.
    const kept = await onDevice.prepareDeformConv2d(weight, { bias, padding: 1 });
    await kept.forward(input, offset);
    const keptBuffers = preparedBuffers().filter((b) => !b.destroyed);
    onDevice.dispose();
    assert(keptBuffers.length === 2 && keptBuffers.every((b) => b.destroyed), `after the instance's dispose: ${JSON.stringify(keptBuffers)}`);
    kept.dispose();
  } finally {
    onDevice.dispose();
    device.destroy();
  }
});
// ---------------------------------------------------------------- a prepared layer disposed during its own call
/**
 * A device that runs `hook` once, at the first call of `method` ('createComputePipelineAsync' or 'submit' of its
 * queue), and records every buffer it makes: [{ label, destroyed }].
 */
function deviceWithHook(device, method, hook) {
  const buffers = [];
  let pending = hook;
  const fire = () => {
    const f = pending;
    pending = null;
    if (f) f();
  };
  const queue = new Proxy(device.queue, {
    get: (t, k) => {
      if (k === 'submit' && method === 'submit') return (commands) => { const r = t.submit(commands); fire(); return r; };
      const v = t[k];
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  const proxy = new Proxy(device, {
    get: (t, k) => {
      if (k === 'queue') return queue;
      if (k === 'createComputePipelineAsync' && method === k) return (d) => { fire(); return t.createComputePipelineAsync(d); };
      if (k === 'createBuffer') {
        return (descriptor) => {
          const buffer = t.createBuffer(descriptor);
          const entry = { label: descriptor.label, destroyed: false };
          buffers.push(entry);
          const destroy = buffer.destroy.bind(buffer);
          buffer.destroy = () => { entry.destroyed = true; return destroy(); };
          return buffer;
        };
      }
      const v = t[k];
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  return { proxy, buffers, fired: () => pending === null };
}

/** A torchvision layer's arguments (64 output channels, bias, padding 1) and its output computed on WebAssembly. */
async function layerCase() {
  const rand = random(777);
  const tensor = (shape) => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1), shape });
  const args = { weight: tensor([64, 16, 3, 3]), bias: tensor([64]), input: tensor([1, 16, 8, 8]), offset: tensor([1, 18, 8, 8]) };
  const wasm = await api.createDeformConv({ backend: 'wasm', wasmBuild: 'simd' });
  const expected = await wasm.deformConv2d(args.input, args.offset, args.weight, { bias: args.bias, padding: 1 });
  wasm.dispose();
  return { ...args, expected };
}

await check(results, names[18], async () => {
  // dispose() while the layer's call waits for its pipelines (a new instance compiles them): the call must
  // not register the layer's buffers again, nor make new ones that only the instance's dispose() would free.
  const c = await layerCase();
  let layer = null;
  const device = await newDevice();
  const hooked = deviceWithHook(device, 'createComputePipelineAsync', () => layer.dispose());
  const dc = await api.createDeformConv({ backend: 'auto', threads: 1, gpuDevice: hooked.proxy });
  try {
    layer = await dc.prepareDeformConv2d(c.weight, { bias: c.bias, padding: 1 });
    const y = await layer.forward(c.input, c.offset);
    assert(hooked.fired(), 'the layer was not disposed during its call');
    expectClose(y.data, c.expected.data, FORWARD_TOLERANCE, 'the call of a layer disposed meanwhile');
    const prepared = hooked.buffers.filter((b) => String(b.label).startsWith('deformconv prepared'));
    assert(prepared.every((b) => b.destroyed), `the layer's buffers outlive its call: ${JSON.stringify(prepared)}`);
    assert(dc.backend === 'webgpu' && dc.info().fallbackReason === null, JSON.stringify(dc.info()));
  } finally {
    dc.dispose();
    device.destroy();
  }
});

await check(results, names[19], async () => {
  // dispose() between the chunks of the layer's call (a device that claims 8 KiB buffers splits it into many):
  // the later chunks still use the layer's weight and bias, so they must not be destroyed before the call
  // ends; the call completes on the GPU, which stays in use ('auto' must not take a destroyed buffer for a
  // broken device), and the buffers are freed when the call ends.
  const c = await layerCase();
  let layer = null;
  const device = await newDevice();
  const hooked = deviceWithHook(device, 'submit', () => layer.dispose());
  const settings = { maxBytes: 8192 };
  const dc = await api.createDeformConv({ backend: 'auto', threads: 1, gpuDevice: limitedDevice(hooked.proxy, settings) });
  try {
    layer = await dc.prepareDeformConv2d(c.weight, { bias: c.bias, padding: 1 });
    const y = await layer.forward(c.input, c.offset);
    assert(hooked.fired(), 'the layer was not disposed during its call');
    assert(settings.submits > 4, `${settings.submits} submits: the call was not split`);
    assert(dc.backend === 'webgpu' && dc.info().fallbackReason === null, `the GPU was given up: ${JSON.stringify(dc.info())}`);
    expectClose(y.data, c.expected.data, FORWARD_TOLERANCE, 'the call of a layer disposed between its chunks');
    const prepared = hooked.buffers.filter((b) => String(b.label).startsWith('deformconv prepared'));
    assert(prepared.length > 2, `${prepared.length} prepared buffers: the weight was not cut into slices`);
    assert(prepared.every((b) => b.destroyed), `the layer's buffers outlive its call: ${JSON.stringify(prepared)}`);
  } finally {
    dc.dispose();
    device.destroy();
  }
});
// ---------------------------------------------------------------- dimensions of 0 that torchvision accepts
await check(results, names[20], async () => {
  // A batch of 0 images and 0 output channels (empty outputs: no GPU work at all), an input of height or width
  // 0 that padding makes room for (the output is the bias): the same results as WebAssembly, whose values
  // tests/js/empty-tensors.test.js checks, in both conventions and data formats, forward, backward and through
  // a prepared layer.
  const rand = random(31);
  const tensor = (shape) => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1), shape });
  const settings = { maxBytes: 1 << 30 };
  const device = await newDevice();
  const webgpu = await api.createDeformConv({ backend: 'webgpu', gpuDevice: limitedDevice(device, settings) });
  const wasm = await api.createDeformConv({ backend: 'wasm', wasmBuild: 'simd' });
  const same = (a, b, label) => {
    if (a === null || b === null) {
      assert(a === b, `${label}: present on one backend only`);
      return;
    }
    assert(JSON.stringify(a.shape) === JSON.stringify(b.shape), `${label}: shape ${a.shape} on WebGPU, ${b.shape} on WebAssembly`);
    expectClose(a.data, b.data, GRADIENT_TOLERANCE, label);
  };
  try {
    for (const [N, C, H, W, Co, padding] of [[0, 4, 5, 6, 3, 1], [2, 4, 5, 6, 0, 1], [2, 4, 0, 4, 3, 2], [1, 4, 3, 0, 3, 2]]) {
      for (const format of ['NCHW', 'NHWC']) {
        const label = `N ${N} C ${C} H ${H} W ${W} C_out ${Co} ${format}`;
        const Ho = H + 2 * padding - 2, Wo = W + 2 * padding - 2;
        const f = (s) => (format === 'NHWC' ? [s[0], s[2], s[3], s[1]] : s);
        const input = tensor(f([N, C, H, W])), offset = tensor(f([N, 18, Ho, Wo])), weight = tensor([Co, C, 3, 3]);
        const options = { mask: tensor(f([N, 9, Ho, Wo])), bias: tensor([Co]), padding, dataFormat: format };
        const gradOutput = tensor(f([N, Co, Ho, Wo]));
        const offsets = tensor(f([N, 27, Ho, Wo]));
        const ms = [input, weight, offsets, [3, 3], [1, 1, 1, 1], [padding, padding, padding, padding], { bias: options.bias, dataFormat: format }];
        const submits = settings.submits;
        same(await webgpu.deformConv2d(input, offset, weight, options), await wasm.deformConv2d(input, offset, weight, options), `${label}: output`);
        same(await webgpu.deformableConv2d(...ms), await wasm.deformableConv2d(...ms), `${label}: MindSpore output`);
        const [gGpu, gWasm] = [await webgpu.deformConv2dBackward(gradOutput, input, offset, weight, options),
          await wasm.deformConv2dBackward(gradOutput, input, offset, weight, options)];
        for (const key of Object.keys(gWasm)) same(gGpu[key], gWasm[key], `${label}: ${key}`);
        const [hGpu, hWasm] = [await webgpu.deformableConv2dBackward(gradOutput, ...ms), await wasm.deformableConv2dBackward(gradOutput, ...ms)];
        for (const key of Object.keys(hWasm)) same(hGpu[key], hWasm[key], `${label}: MindSpore ${key}`);
        const { mask, ...layerOptions } = options;
        const layer = await webgpu.prepareDeformConv2d(weight, layerOptions);
        same(await layer.forward(input, offset, { mask }), await wasm.deformConv2d(input, offset, weight, options), `${label}: prepared layer`);
        layer.dispose();
        if (N === 0 || Co === 0) assert(settings.submits === submits, `${label}: ${settings.submits - submits} submits for an empty output`);
      }
    }
    assert(webgpu.backend === 'webgpu' && webgpu.info().fallbackReason === null, JSON.stringify(webgpu.info()));
  } finally {
    webgpu.dispose();
    wasm.dispose();
    device.destroy();
  }
});
// ---------------------------------------------------------------- the 4 GiB of WebAssembly memory
await check(results, names[21], async () => {
  // Shapes whose tensors need more than 4 GiB: WebAssembly rejects them before anything else (its memory cannot
  // hold them); WebGPU is not held to that limit, and validates them alike with either module (the SIMD one, and
  // the SIMD-free one on an engine without SIMD): here the data, shorter than the shapes, is what is wrong.
  const tiny = (shape) => ({ data: new Float32Array(4), shape });
  const huge = (dc) => dc.deformConv2d(tiny([1, 1024, 1024, 1024]), tiny([1, 2, 1024, 1024]), tiny([1, 1024, 1, 1]));
  const wasm = await api.createDeformConv({ backend: 'wasm', wasmBuild: 'simd' });
  const onWasm = await rejects(huge(wasm), /more than the 4294967296 bytes \(4 GiB\) this build can address/, 'WebAssembly');
  wasm.dispose();
  assert(onWasm.constructor === RangeError, `WebAssembly: ${onWasm.constructor.name}`);
  const errors = [];
  for (const simd of [true, false]) {
    const run = async () => {
      const dc = await api.createDeformConv({ backend: 'webgpu', gpu });
      try {
        assert(dc.info().wasmBuild === (simd ? 'simd' : 'validate'), JSON.stringify(dc.info()));
        errors.push(await rejects(huge(dc), /^input\.data has 4 elements but shape \[1, 1024, 1024, 1024\] needs 1073741824$/, `WebGPU (SIMD: ${simd})`));
      } finally {
        dc.dispose();
      }
    };
    await (simd ? run() : withoutWasmSimd(run));
  }
  assert(errors.every((e) => e.constructor === RangeError), errors.map((e) => e.constructor.name).join(', '));
});

// ---------------------------------------------------------------- GPU-resident tensors (resident-checks.mjs)
if (wanted('resident checks')) {
  const started = performance.now();
  results.push(...await residentChecks({ api, newDevice, named, names: CHECKS.resident }));
  console.log(`resident checks: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------- hostile calls (hostile-checks.mjs)
if (wanted('hostile checks')) {
  const started = performance.now();
  const device = await newDevice();
  results.push(...await hostileChecks({ api, device, cases, names: CHECKS.hostile, goldenNames: CHECKS.golden }));
  device.destroy();
  console.log(`hostile checks: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
console.log(`all checks: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

writeFileSync(out, JSON.stringify(results, null, 1));
const failed = results.filter((r) => !r.ok);
console.log(`${results.length - failed.length} of ${results.length} checks passed`);
for (const r of failed) console.log(`FAILED ${r.name}\n  ${r.message.split('\n').slice(0, 3).join('\n  ')}`);
// Dawn's threads may outlive the checks; the results are written, so leave now.
process.exit(0);
