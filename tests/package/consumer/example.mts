// Type-checked (never run) against the shipped declarations: the calls a TypeScript user writes, and misuses the
// declarations must reject (each @ts-expect-error fails the check if its line stops being an error).
import { createDeformConv, layouts, version, DeformConv, type DeformConv2dLayer, type DeformableConv2dLayer, type Info, type Tensor } from 'deformconv-wasm';
// @ts-expect-error the package has named exports only, in every entry point
import noDefault from 'deformconv-wasm';

const dc: DeformConv = await createDeformConv({ backend: 'wasm', threads: 2, wasmBuild: 'auto' });
// DeformConv is a class: instances come from createDeformConv(), and instanceof works.
if (!(dc instanceof DeformConv)) throw new Error('not a DeformConv');
// @ts-expect-error DeformConv has no public constructor
new DeformConv();
const info: Info = dc.info();
const build: 'threads' | 'simd' | 'validate' = info.wasmBuild;
const threads: number = info.threads;
const relaxed: boolean = info.relaxedSimd;
const plainEverywhere: DeformConv = await createDeformConv({ relaxedSimd: false });
const relaxedOrError: DeformConv = await createDeformConv({ relaxedSimd: true, wasmBuild: 'simd' });
// @ts-expect-error relaxedSimd is 'auto' or a boolean
await createDeformConv({ relaxedSimd: 'yes' });
// The proxy: where the calls run (a Web Worker of the package's, on a page's main thread by default).
const inWorker: DeformConv = await createDeformConv({ proxy: true });
const onThisThread: DeformConv = await createDeformConv({ proxy: false });
const proxied: boolean = inWorker.info().proxy;
const whyNot: string | null = onThisThread.info().proxyReason;
console.log(proxied, whyNot, (await createDeformConv({ proxy: 'auto' })).backend);
// @ts-expect-error proxy is 'auto' or a boolean
await createDeformConv({ proxy: 'worker' });

const zeros = (...shape: number[]): Tensor => ({ data: new Float32Array(shape.reduce((a, b) => a * b)), shape });
const input = zeros(1, 4, 8, 8), weight = zeros(6, 4, 3, 3), offset = zeros(1, 18, 8, 8), mask = zeros(1, 9, 8, 8);

const y: Tensor = await dc.deformConv2d(input, offset, weight, { mask, padding: 1, stride: [1, 1], dataFormat: 'NCHW' });
const offsets: Tensor = layouts.toMindSpore(offset, mask, [3, 3]);
const back: { offset: Tensor; mask: Tensor } = layouts.fromMindSpore(offsets, 3);
const y2: Tensor = await dc.deformableConv2d(input, weight, offsets, [3, 3], [1, 1, 1, 1], [1, 1, 1, 1], { deformableGroups: 1, modulated: true });
const ortTensor = { data: new Float32Array(4 * 64), dims: [1, 4, 8, 8] as const };
await dc.deformConv2d(ortTensor, offset, weight);
console.log(version, build, threads, y.shape, y2.data.length, back.mask.shape);

// Prepared layers: weights given once, forward on many inputs.
const layer: DeformConv2dLayer = await dc.prepareDeformConv2d(weight, { padding: 1, dataFormat: 'NCHW' });
const y3: Tensor = await layer.forward(input, offset, { mask });
const msLayer: DeformableConv2dLayer = await dc.prepareDeformableConv2d(weight, 3, [1, 1, 1, 1], [1, 1, 1, 1], { modulated: true });
const y4: Tensor = await msLayer.forward(input, offsets);
console.log(y3.shape, y4.shape, layer.convention, msLayer.convention);
// @ts-expect-error the mask comes with each input, not with the layer
await dc.prepareDeformConv2d(weight, { mask });
// @ts-expect-error a MindSpore layer's mask is part of offsets
await msLayer.forward(input, offsets, { mask });
layer.dispose();
msLayer.dispose();

// WebGPU: a GPU object (navigator.gpu, or the npm package webgpu's create([])) or a device to share.
const gpu = { requestAdapter: async () => null };
const onGpu: DeformConv = await createDeformConv({ backend: 'webgpu', gpu });
const adapter: { adapter: string; isFallbackAdapter: boolean } | null = onGpu.info().webgpu;
const reason: string | null = onGpu.info().fallbackReason;
console.log(adapter, reason);

// @ts-expect-error backend is 'auto' | 'wasm' | 'webgpu'
await createDeformConv({ backend: 'cuda' });
// @ts-expect-error gpu must have requestAdapter()
await createDeformConv({ backend: 'webgpu', gpu: {} });
// @ts-expect-error tensor data must be a Float32Array
await dc.deformConv2d({ data: [1, 2], shape: [1, 1, 1, 2] }, offset, weight);
// @ts-expect-error MindSpore's call takes strides as an argument, not a stride option
await dc.deformableConv2d(input, weight, offsets, 3, [1, 1, 1, 1], [0, 0, 0, 0], { stride: 2 });
// @ts-expect-error results are plain tensors, not promises of numbers
const wrong: number = await dc.deformConv2d(input, offset, weight);
dc.dispose();
export { wrong, noDefault };
