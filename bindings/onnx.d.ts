// Types of deformconv-wasm/onnx: ONNX models with DeformConv nodes, onnxruntime running the other nodes.
// The onnxruntime module is the caller's (a peer dependency): the types follow the module passed as
// options.ort, so run() resolves to that module's Tensor.
import type { CreateOptions, DeformConv } from './index.js';

/** What this entry uses of an onnxruntime module (onnxruntime-web or onnxruntime-node). */
export interface OrtModule {
  InferenceSession: { create(buffer: Uint8Array, options?: any): Promise<unknown> };
  Tensor: new (type: any, data: any, dims?: readonly number[]) => OrtTensorLike;
}

/** An onnxruntime Tensor, as far as this entry reads it. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  readonly location?: string;
}

/** The Tensor class instances of the onnxruntime module O. */
export type OrtTensorOf<O extends OrtModule> = InstanceType<O['Tensor']>;

/** onnxruntime's own session options (InferenceSession.SessionOptions of the module O). */
export type OrtSessionOptionsOf<O extends OrtModule> =
  O['InferenceSession'] extends { create(buffer: Uint8Array, options?: infer S): Promise<unknown> } ? NonNullable<S> : Record<string, unknown>;

/** This entry's own options. */
export interface OwnSessionOptions<O extends OrtModule> extends Omit<CreateOptions, 'allowSpinning'> {
  /** Required: your onnxruntime module (import * as ort from 'onnxruntime-web', or 'onnxruntime-node'). */
  ort: O;
  /**
   * An instance from createDeformConv() to run the DeformConv nodes on, shared with your other calls or
   * sessions; release() leaves it alone. Instead of backend, threads, wasmBuild, gpuDevice, gpu.
   */
  deformConv?: DeformConv;
}

/**
 * InferenceSession.create's options: `ort`, this package's (as createDeformConv takes them), and
 * onnxruntime's session options (executionProviders, graphOptimizationLevel, extra, ...), which apply to every
 * onnxruntime session the model is split into. With executionProviders ['webgpu'] (first) and backend 'webgpu'
 * or none, both sides share one GPUDevice and tensors cross as GPU buffers (README, Models, WebGPU);
 * preferredOutputLocation then says where run() leaves the graph's outputs ('gpu-buffer': yours to dispose()).
 */
export type SessionOptions<O extends OrtModule> = OwnSessionOptions<O> & Omit<OrtSessionOptionsOf<O>, keyof OwnSessionOptions<O>>;

/** One step of a session's run plan. */
export interface PartitionStep {
  /** Who runs the step's nodes. */
  runsOn: 'onnxruntime' | 'deformconv-wasm';
  /** The nodes' names (an unnamed node is called `<op_type>_<index in the file>`). */
  nodes: string[];
  /** onnxruntime: the first execution provider asked for ('wasm' by default); ours: 'wasm' | 'webgpu'. */
  backend: string;
}

/** A graph input or output, as onnxruntime's inputMetadata / outputMetadata describe it. */
export type ValueMetadata =
  | { readonly name: string; readonly isTensor: false }
  | { readonly name: string; readonly isTensor: true; readonly type: string; readonly shape: ReadonlyArray<number | string> };

/** A DeformConv node of the model and what runs it. */
export interface DeformConvNodeInfo {
  name: string;
  runsOn: 'deformconv-wasm' | 'onnxruntime';
  /** Why onnxruntime runs it (not 2-D, not float32), or null. */
  reason: string | null;
  /** The tensors it reads (null: absent). */
  inputs: { X: string; W: string; offset: string; B: string | null; mask: string | null };
  /** For nodes this package runs: */
  kernelShape?: [number, number] | null;
  strides?: [number, number];
  /** ONNX's order: [top, left, bottom, right]. */
  pads?: [number, number, number, number];
  dilations?: [number, number];
  group?: number;
  offsetGroup?: number;
  /** 'constant': initializers, packed once at create; 'per run': read at every run. */
  weights?: 'constant' | 'per run';
}

/** A model: Uint8Array, ArrayBuffer, or a URL (fetched; in Node.js also a file path or file: URL). */
export type ModelSource = Uint8Array | ArrayBuffer | string | URL;

/** onnxruntime's run options (logSeverityLevel, tag, ...), passed to every onnxruntime step. */
export type RunOptions = { [option: string]: unknown };

/**
 * An ONNX model whose DeformConv nodes run on this package, everything else on onnxruntime: a drop-in for
 * ort.InferenceSession.
 */
export declare class InferenceSession<O extends OrtModule = OrtModule> {
  private constructor();
  /**
   * Loads the model, splits it at its DeformConv nodes, creates onnxruntime's sessions and this package's
   * layers (their constant weights packed once). Rejects for a malformed model, a missing or wrong `ort`, or
   * a DeformConv node whose parameters or shapes disagree (the message names the node); whatever was
   * created is released.
   */
  static create<O extends OrtModule>(model: ModelSource, options: SessionOptions<O>): Promise<InferenceSession<O>>;
  /** The inputs to feed (graph inputs that are not initializers), as onnxruntime lists them. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The inputs and outputs as onnxruntime describes them (shape: sizes, symbolic names, -1 when unknown). */
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** The run plan, in run order. */
  readonly partition: readonly PartitionStep[];
  /** Every DeformConv node of the main graph, in run order, with what runs it and its parameters. */
  readonly deformConvNodes: readonly DeformConvNodeInfo[];
  /** Runs the model; resolves to { outputName: Tensor } of your onnxruntime module, as its own run does. */
  run(feeds: Record<string, OrtTensorOf<O>>, options?: RunOptions): Promise<Record<string, OrtTensorOf<O>>>;
  run(feeds: Record<string, OrtTensorOf<O>>, fetches: readonly string[] | Record<string, OrtTensorOf<O> | null>, options?: RunOptions): Promise<Record<string, OrtTensorOf<O>>>;
  /** Releases onnxruntime's sessions, the layers, and the instance this session made. */
  release(): Promise<void>;
}
