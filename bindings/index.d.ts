// Type declarations for deformconv-wasm (hand-written; shipped as dist/index.d.ts for require and as
// dist/index.d.mts for import). The package has named exports only, the same in every entry point (Node.js
// require and import, browsers): no default export.
//
// Errors. Every call returns a promise; it rejects with
// - TypeError: a value of the wrong kind (a tensor that is not { data: Float32Array, shape }, data detached, an
//   unknown option name, a shape entry or parameter that is not a number);
// - RangeError: shapes, sizes and parameters (ranks, dimensions, tensors that disagree, data longer or shorter
//   than its shape, a call that runs on WebAssembly and does not fit its 4 GiB);
// - Error: the backend could not do a valid call: out of memory (the WebAssembly heap cannot grow, or JavaScript
//   memory for a WebGPU result), the instance (or prepared layer) was disposed, a WebGPU failure with backend
//   'webgpu' (or one that 'auto' cannot fall back from); createDeformConv() also rejects with an Error when a
//   module fails to load or does not load within 30 s, and when backend 'webgpu' finds no device.
// Each message names the argument, what was expected and what was given. After a rejection the instance keeps
// working. An instance whose calls run in the proxy's Web Worker (CreateOptions.proxy) rejects with the same
// classes and messages.

/** A float32 tensor in row-major (C) order. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/** Anything accepted as a tensor in CPU memory: { data, shape }, or an onnxruntime-web Tensor ({ data, dims }). */
export type TensorLike = { data: Float32Array; shape: readonly number[] } | { data: Float32Array; dims: readonly number[] };

/**
 * A GPU-resident tensor (WebGPU backend only): float32 elements in row-major order at the start of a GPUBuffer
 * of the instance's device (dc.gpuDevice), read in place, never mapped or copied to the CPU. The buffer needs
 * the usage STORAGE, and COPY_SRC too when the call is split into chunks (larger than the device's
 * maxStorageBufferBindingSize); it must hold at least 4 bytes per element (it may be larger), not be mapped and
 * not be destroyed. An onnxruntime-web Tensor whose location is 'gpu-buffer' is one. The caller keeps owning it.
 */
export type GpuTensorLike = { gpuBuffer: GPUBufferLike; shape: readonly number[] } | { gpuBuffer: GPUBufferLike; dims: readonly number[] };

/** A tensor argument of a call: in CPU memory, or (WebGPU backend) in a GPU buffer. */
export type AnyTensor = TensorLike | GpuTensorLike;

/** The part of a WebGPU GPUBuffer this package uses (a GPUBuffer is one). */
export interface GPUBufferLike {
  readonly size: number;
  /** GPUBufferUsage flags. */
  readonly usage: number;
  readonly mapState?: string;
  destroy(): void;
  mapAsync(mode: number, offset?: number, size?: number): Promise<unknown>;
}

/**
 * The result of a forward call with output: 'gpu-buffer' (WebGPU backend only): a new GPUBuffer of the
 * instance's device (usage STORAGE | COPY_SRC | COPY_DST, size rounded up to 16 bytes) holding the output's
 * float32 elements in row-major order. The caller owns it: read it (copyBufferToBuffer into a MAP_READ buffer),
 * bind it, hand it to onnxruntime (ort.Tensor.fromGpuBuffer), and call dispose(), which destroys the buffer
 * (a second dispose() does nothing). It outlives the instance: dc.dispose() does not destroy it.
 */
export interface GpuTensor {
  gpuBuffer: GPUBufferLike;
  shape: number[];
  dispose(): void;
}

/** Where a forward call leaves its output: 'cpu' (default: a Tensor) or 'gpu-buffer' (WebGPU only: a GpuTensor). */
export type OutputLocation = 'cpu' | 'gpu-buffer';

export interface CreateOptions {
  /**
   * Which backend runs the calls:
   * - 'auto' (default): threaded WebAssembly when it can run (threads > 1 and SharedArrayBuffer usable: Node.js,
   *   or a cross-origin isolated page); otherwise WebGPU on a hardware adapter (a fallback/software adapter such
   *   as SwiftShader is not used) or on the caller's `gpuDevice`; otherwise single-threaded WebAssembly, with
   *   info().fallbackReason saying why WebGPU was not used. A WebGPU failure during a call (lost device,
   *   shader error, a buffer above the device's limits) runs that call on WebAssembly instead.
   * - 'wasm': WebAssembly only.
   * - 'webgpu': WebGPU on any adapter (software ones included) or on `gpuDevice`; rejects with an Error when
   *   there is none, and a call rejects with an Error when WebGPU fails.
   * Both backends validate arguments with the same core, so they reject the same inputs with the same errors.
   * One limit belongs to WebAssembly alone: a call that runs there (every call of a 'wasm' instance, and a
   * WebGPU call that falls back) must fit its 4 GiB of memory, tensors, results and workspace together
   * (RangeError before anything is allocated; an Error for a fallback that does not fit). A call on WebGPU is
   * split to fit the device's buffers instead.
   */
  backend?: 'auto' | 'wasm' | 'webgpu';
  /**
   * Threads for the WebAssembly backend, the calling thread included, 1 to 256. Default: logical cores
   * (os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers), at most 8: every worker
   * spins for up to 2 ms after each step of a call, starts with the instance and has its own workspace in the
   * 4 GiB heap, so a many-core machine should choose more explicitly (README, Performance). More than 1 needs
   * SharedArrayBuffer: always in Node, only on cross-origin isolated pages in browsers. A WebGPU instance runs
   * WebAssembly (validation, fallback) on one thread.
   */
  threads?: number;
  /**
   * A GPUDevice to run on, shared with other libraries (onnxruntime-web, TensorFlow.js). The instance never
   * destroys it; dispose() frees only its own buffers. With 'auto' it is used whenever threaded WebAssembly
   * cannot run, software adapter or not (you chose it). Checked whatever backend is chosen: anything but a
   * GPUDevice rejects createDeformConv() with a TypeError.
   */
  gpuDevice?: GPUDeviceLike;
  /**
   * Where to find WebGPU when no gpuDevice is given: a GPU object (what navigator.gpu is). Default:
   * navigator.gpu. Node.js has none: pass the one of the npm package `webgpu`:
   * `import { create } from 'webgpu'; createDeformConv({ backend: 'webgpu', gpu: create([]) })`.
   */
  gpu?: GPULike;
  /**
   * Which WebAssembly build to load: 'threads' (SIMD + pthreads), 'simd' (SIMD, one thread) or 'auto'
   * (default: 'threads' when threads > 1 and SharedArrayBuffer is usable, else 'simd').
   */
  wasmBuild?: 'auto' | 'threads' | 'simd';
  /**
   * Relaxed SIMD: every WebAssembly build also comes in a form whose GEMM micro-kernel uses relaxed SIMD's
   * fused multiply-add (f32x4.relaxed_madd), faster where the CPU has FMA. Engines that support it: Chromium
   * 114+, Firefox 145+, Node.js 22+; Safari and Node.js 20 reject such modules.
   * - 'auto' (default): the relaxed form where the engine validates it (a tiny probe module), else the plain one.
   * - true: the relaxed form; createDeformConv rejects with an Error where the engine rejects relaxed SIMD.
   * - false: the plain form everywhere (results identical on every engine and CPU: relaxed_madd may be fused
   *   or not, depending on the CPU, which changes the last bits).
   * info().relaxedSimd says which form was loaded.
   */
  relaxedSimd?: 'auto' | boolean;
  /**
   * Whether the worker threads spin for up to 2 ms after a call, waiting for the next one (default true: a
   * model's layers called back to back start sooner). false: they sleep as soon as a call ends, which frees
   * the cores for other thread pools running between the calls (onnxruntime's, in deformconv-wasm/onnx,
   * which sets it). Within a call they always spin.
   */
  allowSpinning?: boolean;
  /**
   * Where the calls run, as onnxruntime-web's env.wasm.proxy: in a dedicated module Web Worker that the package
   * starts itself (dist/proxy-worker.mjs, found as new URL('./proxy-worker.mjs', import.meta.url)), or on the
   * calling thread. In the worker, no call (nor the threaded build's wait for its threads) keeps the page's main
   * thread from responding; each call's tensors are copied to the worker (made before the call returns its
   * promise, as always) and the results come back without a copy; the API, the results and the errors are the
   * same. Prepared layers send their weights once.
   * - 'auto' (default): the worker on a browser page's main thread; the calling thread in a Web Worker, in
   *   Node.js, and with a `gpuDevice` or `gpu` object (those belong to the calling thread). If the worker
   *   cannot start (a Content-Security-Policy without worker-src, a bundle missing proxy-worker.mjs), the calls
   *   run on the calling thread, with a console warning and info().proxyReason saying why.
   * - true: the worker wherever Web Workers exist (a page or a worker); createDeformConv rejects with an Error
   *   where they do not (Node.js) or the worker does not start, and with a TypeError together with `gpuDevice`
   *   or `gpu`.
   * - false: the calling thread.
   * info().proxy says which, and info().proxyReason why not.
   */
  proxy?: 'auto' | boolean;
}

/** The part of a WebGPU GPUDevice this package uses (declared here so that no WebGPU types are needed). */
export interface GPUDeviceLike {
  readonly queue: unknown;
  readonly limits: unknown;
  readonly lost: Promise<unknown>;
  createBuffer(descriptor: unknown): unknown;
}

/** The part of a WebGPU GPU object (navigator.gpu) this package uses. */
export interface GPULike {
  requestAdapter(options?: unknown): Promise<unknown>;
}

export interface Info {
  /** The backend that runs the calls. */
  backend: 'wasm' | 'webgpu';
  /** Package version. */
  version: string;
  /**
   * WebAssembly SIMD is in use: true for both builds of the core; false only for a WebGPU instance on an engine
   * without WebAssembly SIMD (wasmBuild 'validate').
   */
  simd: boolean;
  /**
   * The instruction set of the core's kernels: 'wasm-simd128', 'wasm-relaxed-simd' (the relaxed-SIMD builds),
   * or 'none' (the validation-only module).
   */
  simdInstructions: string;
  /** Threads the WebAssembly backend runs, the calling thread included. */
  threads: number;
  /**
   * The WebAssembly build that was loaded. A WebGPU instance loads 'simd' (one thread) for validation and as
   * its fallback, or 'validate' (the validator alone, no fallback) where WebAssembly SIMD is missing.
   */
  wasmBuild: 'threads' | 'simd' | 'validate';
  /** The loaded build is the relaxed-SIMD form of wasmBuild (fused multiply-add in the GEMM); see CreateOptions. */
  relaxedSimd: boolean;
  /**
   * The WebGPU adapter in use (its vendor, architecture, device and description as one string; whether it is a
   * software fallback), or null when WebGPU is not used.
   */
  webgpu: { adapter: string; isFallbackAdapter: boolean } | null;
  /**
   * Why 'auto' is not using WebGPU (no navigator.gpu, no adapter, only a fallback adapter) or why the latest
   * call that fell back to WebAssembly did; null otherwise.
   */
  fallbackReason: string | null;
  /** The calls run in the proxy's Web Worker (CreateOptions.proxy); the other fields describe what runs there. */
  proxy: boolean;
  /** Why the calls run on the calling thread (proxy: false, Node.js, a Web Worker, a gpuDevice); null with the proxy. */
  proxyReason: string | null;
}

/** Padding: one value for all sides, [ph, pw], or [top, bottom, left, right]. */
export type Padding = number | [number, number] | [number, number, number, number];

export interface DeformConv2dOptions {
  /** (C_out) */
  bias?: AnyTensor | null;
  /** DCNv2 modulation, (N, offset_groups·kh·kw, Ho, Wo): a raw multiplier (no sigmoid). Omit for DCNv1. */
  mask?: AnyTensor | null;
  /** number or [sh, sw]; default 1. */
  stride?: number | [number, number];
  /** default 0. */
  padding?: Padding;
  /** number or [dh, dw]; default 1. */
  dilation?: number | [number, number];
  /**
   * Memory order of input, offset, mask and output: 'NCHW' (default) or 'NHWC' (channels-last, as in
   * TensorFlow.js). The weight is always (C_out, C_in/groups, kh, kw).
   */
  dataFormat?: 'NCHW' | 'NHWC';
}

export interface DeformableConv2dOptions {
  /** (C_out) */
  bias?: AnyTensor | null;
  /** [1, 1, dh, dw]; default [1, 1, 1, 1]. */
  dilations?: [number, number, number, number];
  /** Weight groups; default 1. */
  groups?: number;
  /** Offset groups G; default 1. */
  deformableGroups?: number;
  /**
   * true (default, DCNv2): the third block of offsets is the mask. false: DCNv1, the mask block is ignored
   * (MindSpore itself rejects false).
   */
  modulated?: boolean;
  /** As in DeformConv2dOptions. */
  dataFormat?: 'NCHW' | 'NHWC';
}

/**
 * Where a forward call leaves its output. 'gpu-buffer' (WebGPU backend only; a WebAssembly instance rejects it
 * with a TypeError) resolves to a GpuTensor instead of a Tensor: nothing is read back. Backward calls have no
 * such option: their gradients come back in CPU memory.
 */
export interface ForwardOutputOption<O extends OutputLocation = OutputLocation> {
  output?: O;
}

/** The layer half of DeformConv2dOptions, given once to prepareDeformConv2d (mask comes with each input). The
 * layer's weight and bias are in CPU memory (the layer keeps its own copy). */
export type DeformConv2dLayerOptions = Omit<DeformConv2dOptions, 'mask' | 'bias'> & { bias?: TensorLike | null };
/** The layer half of DeformableConv2dOptions (bias in CPU memory). */
export type DeformableConv2dLayerOptions = Omit<DeformableConv2dOptions, 'bias'> & { bias?: TensorLike | null };

/**
 * A layer prepared for many forward calls: its weight, bias and parameters were checked and copied when it was
 * prepared (later changes to the caller's arrays do not reach it). On WebAssembly its weights stay in the heap
 * packed for the GEMM (packed at the first call, again only if an input implies other weight groups), so a call
 * copies in only the input, offsets and mask; on WebGPU they stay in device buffers filled at the first call.
 * Each call is validated as the one-shot call is.
 */
export interface DeformConv2dLayer {
  readonly convention: 'torchvision';
  /**
   * deformConv2d(input, offset, weight, { ...layer options, mask, output }). Resolves to (N, C_out, Ho, Wo), or
   * (N, Ho, Wo, C_out) for a layer prepared with dataFormat 'NHWC'; a GpuTensor with output 'gpu-buffer'.
   * Rejects as deformConv2d does, and with an Error after dispose().
   */
  forward(input: AnyTensor, offset: AnyTensor, options: { mask?: AnyTensor | null; output: 'gpu-buffer' }): Promise<GpuTensor>;
  forward(input: AnyTensor, offset: AnyTensor, options?: { mask?: AnyTensor | null; output?: 'cpu' }): Promise<Tensor>;
  /** Frees the layer's packed weights and GPU buffers; later calls reject with an Error. Idempotent. */
  dispose(): void;
}

/** A MindSpore layer prepared for many forward calls (see DeformConv2dLayer). */
export interface DeformableConv2dLayer {
  readonly convention: 'mindspore';
  /**
   * deformableConv2d(x, weight, offsets, kernelSize, strides, padding, options) with the layer's arguments.
   * Resolves to (N, C_out, Ho, Wo), or (N, Ho, Wo, C_out) with dataFormat 'NHWC'; a GpuTensor with output
   * 'gpu-buffer'.
   */
  forward(x: AnyTensor, offsets: AnyTensor, options: { output: 'gpu-buffer' }): Promise<GpuTensor>;
  forward(x: AnyTensor, offsets: AnyTensor, options?: { output?: 'cpu' }): Promise<Tensor>;
  /** Frees the layer's packed weights and GPU buffers; later calls reject with an Error. Idempotent. */
  dispose(): void;
}

/** An instance: what createDeformConv() resolves to (the class has no public constructor). */
export declare class DeformConv {
  private constructor();
  /** The backend that was chosen. */
  readonly backend: 'wasm' | 'webgpu';
  /** What this instance runs on. Throws an Error after dispose(). */
  info(): Info;
  /**
   * The GPUDevice the WebGPU backend runs on (the gpuDevice given, or the one the instance made), or null on
   * WebAssembly and when the calls run in the proxy's Web Worker (which rejects GPU-resident tensors with a
   * TypeError: create the instance with gpuDevice). GPU-resident tensors must be buffers of this device; share
   * it with onnxruntime-web (executionProviders: [{ name: 'webgpu', device }]) to hand tensors over without
   * copies.
   */
  readonly gpuDevice: GPUDeviceLike | null;
  /**
   * torchvision.ops.deform_conv2d(input, offset, weight, bias, stride, padding, dilation, mask).
   * input (N, C_in, H, W); offset (N, 2·G·kh·kw, Ho, Wo) with (dy, dx) pairs; weight (C_out, C_in/groups, kh, kw);
   * with dataFormat 'NHWC', input (N, H, W, C_in), offset and mask channels-last too.
   * Groups and offset groups are inferred from the shapes. Resolves to (N, C_out, Ho, Wo), or (N, Ho, Wo, C_out)
   * with dataFormat 'NHWC'.
   * N = 0, C_out = 0, and H or W = 0 with padding that makes room for the kernel are valid, as in torchvision
   * (empty outputs; an input without pixels gives the bias).
   * Rejects with TypeError (wrong kinds of value), RangeError (shapes, sizes, parameters) or Error (out of
   * memory, disposed, a backend failure): see the top of this file.
   * On WebGPU any tensor may be GPU-resident ({ gpuBuffer, shape }: GpuTensorLike), and output 'gpu-buffer'
   * resolves to a GpuTensor the caller owns. A bad buffer (another device's, destroyed, mapped, without STORAGE)
   * is a TypeError naming the argument; one too small for its shape a RangeError. Such calls never fall back to
   * WebAssembly (a GPU failure rejects with an Error); a WebAssembly instance rejects them with a TypeError.
   */
  deformConv2d(input: AnyTensor, offset: AnyTensor, weight: AnyTensor, options: DeformConv2dOptions & { output: 'gpu-buffer' }): Promise<GpuTensor>;
  deformConv2d(input: AnyTensor, offset: AnyTensor, weight: AnyTensor, options?: DeformConv2dOptions & ForwardOutputOption<'cpu'>): Promise<Tensor>;
  /**
   * mindspore.ops.deformable_conv2d(x, weight, offsets, kernel_size, strides, padding, bias, dilations,
   * groups, deformable_groups, modulated). offsets (N, 3·G·kh·kw, Ho, Wo) = [dx block | dy block | mask block].
   * strides [1, 1, sh, sw]; padding [top, bottom, left, right]. Resolves to (N, C_out, Ho, Wo), or
   * (N, Ho, Wo, C_out) with dataFormat 'NHWC'. Rejects as deformConv2d does; takes GPU-resident tensors and
   * output 'gpu-buffer' as deformConv2d does.
   */
  deformableConv2d(
    x: AnyTensor,
    weight: AnyTensor,
    offsets: AnyTensor,
    kernelSize: number | [number, number],
    strides: [number, number, number, number],
    padding: [number, number, number, number],
    options: DeformableConv2dOptions & { output: 'gpu-buffer' },
  ): Promise<GpuTensor>;
  deformableConv2d(
    x: AnyTensor,
    weight: AnyTensor,
    offsets: AnyTensor,
    kernelSize: number | [number, number],
    strides: [number, number, number, number],
    padding: [number, number, number, number],
    options?: DeformableConv2dOptions & ForwardOutputOption<'cpu'>,
  ): Promise<Tensor>;
  /**
   * A torchvision layer prepared for many forward calls (a model's layer run on frame after frame): the weights
   * are copied and packed once instead of at every call. Rejects with TypeError/RangeError for what can be
   * checked without an input (shape errors come with the first forward call), with an Error when the instance
   * was disposed or the copy of the weights does not fit in memory. The weight and bias are in CPU memory (a
   * GPU-resident one is a TypeError); the forward calls take GPU-resident tensors on WebGPU.
   */
  prepareDeformConv2d(weight: TensorLike, options?: DeformConv2dLayerOptions): Promise<DeformConv2dLayer>;
  /** A MindSpore layer prepared for many forward calls (see prepareDeformConv2d). */
  prepareDeformableConv2d(
    weight: TensorLike,
    kernelSize: number | [number, number],
    strides: [number, number, number, number],
    padding: [number, number, number, number],
    options?: DeformableConv2dLayerOptions,
  ): Promise<DeformableConv2dLayer>;
  /**
   * Gradients of deformConv2d for a given gradient of its output (same shape as the output), with the same
   * arguments as the forward call. Each gradient has the shape (and data format) of its input. Rejects as
   * deformConv2d does. On WebGPU the tensors may be GPU-resident; the gradients come back in CPU memory.
   */
  deformConv2dBackward(
    gradOutput: AnyTensor,
    input: AnyTensor,
    offset: AnyTensor,
    weight: AnyTensor,
    options?: DeformConv2dOptions,
  ): Promise<{ gradInput: Tensor; gradOffset: Tensor; gradMask: Tensor | null; gradWeight: Tensor; gradBias: Tensor | null }>;
  /**
   * Gradients of deformableConv2d. gradOffsets has the layout of offsets: [grad dx | grad dy | grad mask]
   * blocks (the mask block is 0 when modulated is false).
   */
  deformableConv2dBackward(
    gradOutput: AnyTensor,
    x: AnyTensor,
    weight: AnyTensor,
    offsets: AnyTensor,
    kernelSize: number | [number, number],
    strides: [number, number, number, number],
    padding: [number, number, number, number],
    options?: DeformableConv2dOptions,
  ): Promise<{ gradX: Tensor; gradWeight: Tensor; gradOffsets: Tensor; gradBias: Tensor | null }>;
  /**
   * Frees WebAssembly memory, ends worker threads (and the proxy's worker), frees the GPU buffers (kept between
   * calls) and destroys the GPU device if the instance made it (never a gpuDevice you passed). Later calls, and
   * calls of a proxied instance still in flight, reject with an Error. Idempotent.
   */
  dispose(): void;
}

/**
 * Creates an instance (loads and instantiates the WebAssembly module, opens the WebGPU device), in the proxy's
 * Web Worker on a browser page's main thread (CreateOptions.proxy). Rejects with a TypeError or RangeError for a
 * bad option (gpuDevice included, whatever backend is chosen), and with an Error when a module fails to load or
 * does not load within 30 s, when the engine lacks WebAssembly SIMD (and has no WebGPU), when backend 'webgpu'
 * finds no device, or when proxy: true cannot start its worker.
 */
export function createDeformConv(options?: CreateOptions): Promise<DeformConv>;

/** Pure layout conversions (NCHW), no instance needed. Copies only: a round trip is exact. */
export const layouts: {
  /** torchvision (offset, mask or null for ones) -> MindSpore offsets (N, 3·G·kh·kw, Ho, Wo). */
  toMindSpore(offset: TensorLike, mask: TensorLike | null, kernelSize: number | [number, number]): Tensor;
  /** MindSpore offsets -> torchvision { offset (N, 2·G·kh·kw, Ho, Wo), mask (N, G·kh·kw, Ho, Wo) }. */
  fromMindSpore(offsets: TensorLike, kernelSize: number | [number, number]): { offset: Tensor; mask: Tensor };
};

/** Package version. */
export const version: string;
