// deformconv-wasm/onnx on the GPU path in a Chromium page (tests/js/webgpu-chromium.test.js, suite 'onnx'):
// onnxruntime-web's WebGPU build (node_modules, served with the repository) on 'webgpu' and this package's WebGPU
// backend on one device, against the CPU path (onnxruntime on 'wasm', this package on WebAssembly), with the
// maps of GPUBuffers counted. The models are the demo page's (web/models/, written by npm run build).
import { InferenceSession } from '../../dist/onnx-browser.mjs';
import { assert, check } from './checks.mjs';

const TOLERANCE = 1e-4;

function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** names: checks.json "onnxBrowser"; models: [{ file, name }] of web/models/. */
export async function run({ names, models }) {
  const results = [];
  const ort = await import('/node_modules/onnxruntime-web/dist/ort.webgpu.min.mjs');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  let maps = 0;
  const probe = await (await navigator.gpu.requestAdapter()).requestDevice();
  const proto = Object.getPrototypeOf(probe.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
  probe.destroy();
  const mapAsync = proto.mapAsync;
  proto.mapAsync = function countedMapAsync(...args) {
    maps += 1;
    return mapAsync.apply(this, args);
  };
  try {
    for (const [i, model] of models.entries()) {
      await check(results, names[i], async () => {
        const bytes = new Uint8Array(await (await fetch(`/web/models/${model.file}`)).arrayBuffer());
        const cpu = await InferenceSession.create(bytes, { ort, executionProviders: ['wasm'], backend: 'wasm', threads: 1 });
        const rand = random(7);
        const feeds = {};
        for (const m of cpu.inputMetadata) {
          const dims = m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
          feeds[m.name] = new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1), dims);
        }
        const expected = await cpu.run(feeds);
        await cpu.release();
        const gpu = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'], backend: 'webgpu' });
        try {
          const plan = gpu.partition.map((p) => `${p.runsOn}:${p.backend}`).join(' -> ');
          assert(gpu.partition.every((p) => p.backend === 'webgpu'), `partition ${plan}`);
          maps = 0;
          const out = await gpu.run(feeds);
          const outputs = Object.keys(out).length;
          assert(maps === outputs, `${maps} maps for ${outputs} outputs in CPU memory: a tensor was read back between the steps`);
          for (const name of Object.keys(expected)) {
            const a = out[name].data, b = expected[name].data;
            assert(a.length === b.length, `${name}: ${a.length} elements, expected ${b.length}`);
            for (let k = 0; k < b.length; k++) {
              assert(Math.abs(a[k] - b[k]) <= TOLERANCE * (1 + Math.abs(b[k])), `${name}[${k}]: ${a[k]}, the CPU path gives ${b[k]}`);
            }
          }
        } finally {
          await gpu.release();
        }
      });
    }
  } finally {
    proto.mapAsync = mapAsync;
  }
  return results;
}
