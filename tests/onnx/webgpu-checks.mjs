// deformconv-wasm/onnx on the GPU end to end (suite 'webgpu' of node-runner.mjs): onnxruntime-web on its 'webgpu'
// execution provider and this package's WebGPU backend on one GPUDevice, in Node.js through the npm package
// `webgpu` (Dawn) on SwiftShader. The test models (tools/onnx-models.cjs) give what the CPU path (onnxruntime
// on 'wasm', this package on WebAssembly) gives, to 1e-4; between the steps tensors stay in GPU buffers: the
// maps of GPUBuffers are counted (only a CPU output of run() is read back), and the buffers this package makes
// for the layers' results are all destroyed once no step reads them.
// loadWebGpu() prepares the process: Dawn as navigator.gpu, and a work-around for Dawn's Node.js binding, whose
// GPUQueue.writeBuffer does not take a view of a SharedArrayBuffer (a plain SharedArrayBuffer crashes the process
// with a segmentation fault; a shared WebAssembly.Memory, what onnxruntime-web's build always has, throws
// "Invalid argument"): such views are copied into a plain ArrayBuffer first. Chromium needs none of this.
import { MODEL_TOLERANCE, assert, expectSameOutputs, models, random, randomFeeds } from './harness.mjs';

const { chainModel, branchyModel, GraphBuilder } = models;

/** DeformConv straight from the graph's inputs, then onnxruntime's nodes (Relu, a 1x1 Conv). */
function deformConvFirstModel() {
  const b = new GraphBuilder(21);
  const x = b.input('x', [1, 4, 8, 8]);
  const offset = b.input('offset', [1, 18, 8, 8]);
  const w = b.initializer('dcn.w', [6, 4, 3, 3], { scale: 1 / 6 });
  const y = b.node('DeformConv', [x, w, offset], ['dcn.out'], { pads: [1, 1, 1, 1] }, 'dcn');
  const cw = b.initializer('head.w', [3, 6, 1, 1], { scale: 0.4 });
  b.output(b.node('Conv', [b.node('Relu', [y], ['dcn.relu']), cw], ['head']), [1, 3, 8, 8]);
  return { bytes: b.encode(), inputs: { x: [1, 4, 8, 8], offset: [1, 18, 8, 8] } };
}
const OUR_OUTPUT_LABEL = 'deformconv output (owned by the caller)'; // bindings/webgpu/forward.js

/** Dawn as navigator.gpu (with the writeBuffer work-around) and onnxruntime-web's WebGPU build: { ort, gpu }. */
export async function loadWebGpu() {
  process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
  process.env.XDG_RUNTIME_DIR ||= '/tmp';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const device = await (await gpu.requestAdapter()).requestDevice();
  const queue = Object.getPrototypeOf(device.queue);
  const writeBuffer = queue.writeBuffer;
  queue.writeBuffer = function writeBufferFromPlainMemory(buffer, offset, data, dataOffset, size) {
    if (ArrayBuffer.isView(data) && !(data.buffer instanceof ArrayBuffer)) {
      const copy = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      data = new data.constructor(copy.buffer, 0, data.length);
    }
    return writeBuffer.call(this, buffer, offset, data, dataOffset, size);
  };
  device.destroy();
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  const ort = await import('onnxruntime-web/webgpu');
  return { ort, gpu };
}

/**
 * Counts, until stop(): maps (GPUBuffer.prototype.mapAsync, any buffer of any device) and this package's result
 * buffers (created with its label through GPUDevice.prototype.createBuffer, and how many are destroyed).
 */
function gpuCounters(gpu) {
  let maps = 0;
  const ours = [];
  const stops = [];
  const patch = (proto, name, wrap) => {
    const original = proto[name];
    proto[name] = wrap(original);
    stops.push(() => { proto[name] = original; });
  };
  return (async () => {
    const device = await (await gpu.requestAdapter()).requestDevice();
    const buffer = device.createBuffer({ size: 16, usage: 0x01 | 0x08 });
    patch(Object.getPrototypeOf(buffer), 'mapAsync', (original) => function mapAsync(...args) {
      maps += 1;
      return original.apply(this, args);
    });
    patch(Object.getPrototypeOf(device), 'createBuffer', (original) => function createBuffer(descriptor) {
      const made = original.call(this, descriptor);
      if (descriptor && descriptor.label === OUR_OUTPUT_LABEL) {
        const entry = { destroyed: false };
        ours.push(entry);
        const destroy = made.destroy.bind(made);
        made.destroy = () => {
          entry.destroyed = true;
          destroy();
        };
      }
      return made;
    });
    buffer.destroy();
    device.destroy();
    return {
      get maps() { return maps; },
      get made() { return ours.length; },
      get live() { return ours.filter((e) => !e.destroyed).length; },
      reset() { maps = 0; },
      stop: () => stops.forEach((s) => s()),
    };
  })();
}

/** The CPU path's outputs of a model: onnxruntime on 'wasm', this package on WebAssembly. */
async function cpuOutputs(env, bytes, feeds) {
  const session = await env.InferenceSession.create(bytes, { ort: env.ort, executionProviders: ['wasm'], backend: 'wasm', threads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** A model on the GPU path against the CPU path; returns a detail line. */
async function gpuAgainstCpu(env, model, label) {
  const { ort, InferenceSession, gpu } = env;
  const feeds = randomFeeds(ort, random(11), model.inputs);
  const expected = await cpuOutputs(env, model.bytes, feeds);
  const counters = await gpuCounters(gpu);
  try {
    const session = await InferenceSession.create(model.bytes, { ort, executionProviders: ['webgpu'], backend: 'webgpu', gpu });
    try {
      const backends = session.partition.map((p) => `${p.runsOn}:${p.backend}`);
      assert(session.partition.every((p) => p.backend === 'webgpu'), `${label}: partition ${backends.join(', ')}`);
      assert(session.partition.some((p) => p.runsOn === 'deformconv-wasm'), `${label}: no DeformConv step`);
      let worst = 0;
      for (let i = 0; i < 2; i++) {
        counters.reset();
        const made = counters.made;
        const out = await session.run(feeds);
        const cpuOutputsCount = Object.keys(out).length;
        assert(counters.maps === cpuOutputsCount, `${label}, run ${i + 1}: ${counters.maps} maps for ${cpuOutputsCount} outputs in CPU memory ` +
          '(one read-back per output; more means a tensor was read back between the steps)');
        assert(counters.made > made, `${label}: the DeformConv layers left no result in a GPU buffer`);
        assert(counters.live === 0, `${label}: ${counters.live} of this package's result buffers outlive the run`);
        for (const t of Object.values(out)) assert(t.location === 'cpu', `${label}: an output in '${t.location}'`);
        worst = Math.max(worst, expectSameOutputs(out, expected, MODEL_TOLERANCE, label));
      }
      return `${backends.join(' -> ')}; worst ${worst.toExponential(1)}`;
    } finally {
      await session.release();
    }
  } finally {
    counters.stop();
  }
}

export function webgpuChecks(env) {
  return [
    {
      name: "a chain of DCN bottlenecks on onnxruntime 'webgpu' and this package's WebGPU: the CPU path's outputs, GPU buffers between the steps (one map per CPU output), no result buffer left",
      run: () => gpuAgainstCpu(env, chainModel(), 'chain'),
    },
    {
      name: "a branchy graph (parallel DeformConv steps, skips, three outputs) on the GPU path: the CPU path's outputs, no map between the steps",
      run: () => gpuAgainstCpu(env, branchyModel(), 'branchy'),
    },
    {
      name: "a model that starts with a DeformConv: this package's device, given to onnxruntime's later part; the CPU path's outputs, no map between the steps",
      run: () => gpuAgainstCpu(env, deformConvFirstModel(), 'DeformConv first'),
    },
    {
      name: "preferredOutputLocation 'gpu-buffer': run() returns GPU tensors the caller disposes, and nothing is mapped",
      run: async () => {
        const { ort, InferenceSession, gpu } = env;
        const model = chainModel({ seed: 6 });
        const feeds = randomFeeds(ort, random(12), model.inputs);
        const expected = await cpuOutputs(env, model.bytes, feeds);
        const counters = await gpuCounters(gpu);
        try {
          const session = await InferenceSession.create(model.bytes, {
            ort, executionProviders: ['webgpu'], backend: 'webgpu', gpu, preferredOutputLocation: 'gpu-buffer',
          });
          try {
            counters.reset();
            const out = await session.run(feeds);
            assert(counters.maps === 0, `${counters.maps} maps in a run whose outputs stay on the GPU`);
            const y = out.features;
            assert(y.location === 'gpu-buffer', `the output is in '${y.location}'`);
            const data = await y.getData(true); // reads it back (one map) and disposes it
            assert(counters.maps === 1, `${counters.maps} maps after reading the output`);
            expectSameOutputs({ features: new ort.Tensor('float32', data, y.dims) }, expected, MODEL_TOLERANCE, 'gpu-buffer output');
          } finally {
            await session.release();
          }
        } finally {
          counters.stop();
        }
        return '';
      },
    },
  ];
}
