// InferenceSession: an ONNX model run by onnxruntime, except its DeformConv nodes, which this package's
// layers run. A drop-in for ort.InferenceSession: create(model, options), inputNames, outputNames,
// run(feeds, fetches?, options?) resolving to { name: ort.Tensor }, release(); and `partition`, the run plan.
// At create the model is decoded, its graph checked and split (partition.js) into onnxruntime steps, each a
// model of its own (partial-model.js) with its own onnxruntime session, and steps of DeformConv layers
// (deform-conv-layer.js), their constant weights packed once. A run goes through the steps in order, handing
// tensors from one to the next (tensor-handover.js): in CPU memory, or as GPU buffers when onnxruntime runs on
// 'webgpu' and this package on WebGPU, on one device (shared-device.js). A model without DeformConv runs in one
// onnxruntime session, from its own bytes.
import { DeformConvLayer } from './deform-conv-layer.js';
import { deformConvInputs, isDeformConv, readDeformConv } from './deform-conv-node.js';
import { errorAt } from './errors.js';
import { checkFeeds, runArguments } from './feeds.js';
import { analyseGraph, nodeName } from './graph.js';
import { DATA_TYPE_NAMES, DATA_TYPE_NUMBERS, FLOAT, decodeModel } from './onnx-model.js';
import { sessionOptions, splitModelOrtOptions } from './options.js';
import { partialModel } from './partial-model.js';
import { partitionGraph, stepsNeeded } from './partition.js';
import { onnxruntimeDevice, planSharedDevice, providerName, withSharedDevice } from './shared-device.js';
import { TensorHandover, locationOf } from './tensor-handover.js';

/** Thrown inside create when onnxruntime reports a DeformConv input that is not float32: that node goes to onnxruntime. */
class NotFloat32 {
  constructor(node, input, type) {
    this.node = node;
    this.input = input;
    this.type = type;
  }
}

/** The first execution provider asked for (what the partition reports as onnxruntime's backend). */
function ortBackend(ort, ortOptions) {
  const eps = ortOptions.executionProviders;
  const first = Array.isArray(eps) && eps.length ? providerName(eps[0]) : null;
  if (first) return first;
  return ort.env && ort.env.versions && ort.env.versions.web ? 'wasm' : 'cpu';
}

function defaultOpset(model) {
  const versions = model.opsetImports.filter((o) => o.domain === '' || o.domain === 'ai.onnx').map((o) => o.version);
  return versions.length ? Math.max(...versions) : 0;
}

/**
 * platform: { createDeformConv(options), loadModel(model) -> Promise<Uint8Array> } (node.js or browser.js).
 */
export async function createInferenceSession(platform, model, options) {
  const o = sessionOptions(options);
  const bytes = await platform.loadModel(model);
  const decoded = decodeModel(bytes);
  const analysis = analyseGraph(decoded.graph);
  const opset = defaultOpset(decoded);
  const typeOf = (name) => {
    const t = analysis.initializers.get(name);
    if (t) return t.dataType;
    const v = analysis.valueInfo.get(name);
    return v && v.kind === 'tensor' ? v.elemType : 0;
  };
  const shapeOf = (name) => declaredShape(analysis, name);
  const specs = new Map();
  const deformConvNodes = []; // what the session reports of each DeformConv node
  for (const node of analysis.order) {
    if (!isDeformConv(node)) continue;
    const spec = readDeformConv(node, { opset, typeOf, shapeOf, initializers: analysis.initializers });
    if (spec.runsHere) specs.set(node, spec);
    deformConvNodes.push({ node, spec });
  }
  // The session keeps plain data only (names, types, shapes), not the decoded model: views into the model's
  // bytes would keep them all alive, and onnxruntime has its own copy.
  const session = new InferenceSession(o.ort, describeGraph(decoded.graph, analysis, typeOf));
  // Nothing for this package: onnxruntime runs the model as it is, from its own bytes.
  const wholeModel = async () => {
    const ortSession = await o.ort.InferenceSession.create(bytes, o.ortOptions);
    const step = {
      runsOn: 'onnxruntime', nodes: analysis.order, session: ortSession, inputs: [...analysis.inputs.keys()],
      writes: decoded.graph.outputs.map((v) => v.name), reads: [],
    };
    session._setPlan({ steps: [step], dc: null, ownInstance: false, ortBackend: ortBackend(o.ort, o.ortOptions), deformConvNodes });
    return session;
  };
  if (!specs.size) return wholeModel();

  const ownInstance = !o.deformConv;
  const shared = planSharedDevice(o.ortOptions, o.ours, o.deformConv);
  // This package's instance: on the GPU path made when the first DeformConv step is built, since by then
  // onnxruntime may have made its device (shared-device.js); else now.
  const ours = { ...o.ours, allowSpinning: false };
  let dc = o.deformConv || (shared ? null : await platform.createDeformConv(ours));
  const instance = async (ortSessions) => {
    if (dc) return dc;
    if (shared) {
      if (!shared.device && ortSessions) shared.device = await onnxruntimeDevice(o.ort);
      // proxy: false: on a page's main thread the instance must run here, where the shared device and its
      // buffers are (the proxy's worker cannot reach them).
      Object.assign(ours, { backend: 'webgpu', proxy: false }, shared.device ? { gpuDevice: shared.device } : {});
    }
    dc = await platform.createDeformConv(ours);
    if (shared && !shared.device) shared.device = dc.gpuDevice; // ours, for onnxruntime's later sessions
    return dc;
  };
  const { preferredOutputLocation, ...ortOptions } = splitModelOrtOptions(o.ortOptions);
  const wanted = wantedLocations(preferredOutputLocation);
  try {
    // A DeformConv whose inputs onnxruntime reports as other than float32 goes to onnxruntime, and the split
    // is made again (at most once per such node).
    while (specs.size) {
      const steps = partitionGraph(analysis.order, new Set(specs.keys()), {
        outputs: decoded.graph.outputs.map((v) => v.name), initializers: analysis.initializers, sparseNames: analysis.sparseNames, inputs: analysis.inputs,
      });
      try {
        await buildSteps(steps, { decoded, analysis, specs, instance, ort: o.ort, ortOptions, shared, wanted, typeOf });
      } catch (e) {
        await releaseSteps(steps);
        if (!(e instanceof NotFloat32)) throw e;
        specs.delete(e.node);
        deformConvNodes.find((d) => d.node === e.node).spec = { runsHere: false, reason: `onnxruntime reports ${e.input} as ${e.type} (this package computes float32)` };
        continue;
      }
      session._setPlan({
        steps, dc, ownInstance, ortBackend: ortBackend(o.ort, ortOptions), deformConvNodes,
        gpuDevice: shared && dc.backend === 'webgpu' ? shared.device : null, wanted,
      });
      return session;
    }
  } catch (e) {
    if (ownInstance && dc) dc.dispose();
    throw e;
  }
  if (ownInstance && dc) dc.dispose();
  return wholeModel();
}

/** The caller's preferredOutputLocation (a location, or { outputName: location }) as name -> location ('cpu' by default). */
function wantedLocations(preferred) {
  if (preferred === undefined) return () => 'cpu';
  if (typeof preferred === 'string') return () => preferred;
  if (typeof preferred === 'object' && preferred !== null) return (name) => preferred[name] || 'cpu';
  throw new TypeError(`preferredOutputLocation must be a location ('cpu', 'gpu-buffer', ...) or { outputName: location }, got ${typeof preferred}`);
}

/**
 * Creates the onnxruntime sessions and prepares the layers of the steps, in run order. instance(ortSessions):
 * this package's instance (made at its first use; ortSessions: whether an onnxruntime session exists already).
 * shared: the GPU hand-over's device plan (shared-device.js), or null. wanted(name): the location the caller
 * wants a graph output in.
 */
async function buildSteps(steps, { decoded, analysis, specs, instance, ort, ortOptions, shared, wanted, typeOf }) {
  // Element types and shapes of the tensors steps hand on: onnxruntime's sessions say theirs; ours are
  // float32, [N of X, C_out of W, Ho and Wo of the offset].
  const produced = new Map();
  const shapes = new Map();
  const known = (name) => ({ elemType: produced.get(name) || typeOf(name) || FLOAT, shape: shapes.get(name) || declaredShape(analysis, name) });
  const ortCount = steps.filter((s) => s.runsOn === 'onnxruntime').length;
  let ortIndex = 0;
  // Where each step leaves what it writes: a value a later step reads stays in the hand-over's memory (GPU
  // buffers on the GPU path, else CPU); one only the caller reads goes where the caller wants it.
  const readLater = steps.map((_, i) => new Set(steps.slice(i + 1).flatMap((s) => s.reads)));
  const locationFor = (i, name, onGpu) => (readLater[i].has(name) ? (onGpu ? 'gpu-buffer' : 'cpu') : wanted(name));
  let onGpu = !!shared;
  const graphName = decoded.graph.name || 'graph';
  for (const step of steps) {
    if (step.runsOn === 'onnxruntime') {
      ortIndex++;
      step.label = `part ${ortIndex} of ${ortCount}`;
      const bytes = partialModel(decoded, analysis, step, `${graphName} (${step.label}, deformconv-wasm/onnx)`, known);
      const preferredOutputLocation = Object.fromEntries(step.writes.map((name) => [name, locationFor(steps.indexOf(step), name, onGpu)]));
      try {
        step.session = await ort.InferenceSession.create(bytes, {
          ...(shared ? withSharedDevice(ortOptions, shared.device) : ortOptions), preferredOutputLocation,
        });
      } catch (e) {
        throw new Error(`onnxruntime could not load ${step.label} of the model (nodes ${step.nodes.slice(0, 3).map(nodeName).join(', ')}${step.nodes.length > 3 ? ', ...' : ''}): ${e && e.message}`, { cause: e });
      }
      for (const meta of step.session.outputMetadata || []) {
        if (!meta.isTensor || !DATA_TYPE_NUMBERS[meta.type]) continue;
        produced.set(meta.name, DATA_TYPE_NUMBERS[meta.type]);
        const shape = metadataShape(meta.shape);
        if (shape) shapes.set(meta.name, shape);
      }
    } else {
      const dc = await instance(ortIndex > 0);
      onGpu = onGpu && dc.backend === 'webgpu';
      step.layers = [];
      for (const node of step.nodes) {
        const spec = specs.get(node);
        for (const key of ['X', 'offset', 'mask', 'W', 'B']) {
          const name = spec.inputs[key];
          if (name && produced.has(name) && produced.get(name) !== FLOAT) throw new NotFloat32(node, key, DATA_TYPE_NAMES[produced.get(name)] || `data type ${produced.get(name)}`);
        }
        // On WebAssembly a layer's result is in CPU memory whatever the caller wants (run() returns it there).
        const layer = new DeformConvLayer(dc, spec, onGpu ? locationFor(steps.indexOf(step), node.outputs[0], true) : 'cpu');
        step.layers.push(layer);
        await layer.prepare();
        produced.set(layer.output, FLOAT);
        const x = known(spec.inputs.X).shape, w = spec.weightDims || known(spec.inputs.W).shape, offset = known(spec.inputs.offset).shape;
        if (x && w && offset && x.length === 4 && w.length === 4 && offset.length === 4) shapes.set(layer.output, [x[0], w[0], offset[2], offset[3]]);
      }
    }
  }
}

/** The shape the model declares for a tensor (graph input, output, value_info, initializer), or null. */
function declaredShape(analysis, name) {
  const t = analysis.initializers.get(name);
  if (t) return t.dims;
  const v = analysis.valueInfo.get(name);
  return v && v.kind === 'tensor' && v.shape ? v.shape : null;
}

/**
 * onnxruntime's metadata shape as one for a ValueInfo: sizes, symbolic names, null for unknown (onnxruntime-web
 * reports an unknown size as -1 read unsigned); null when it gives no rank (an empty list also stands for that).
 */
function metadataShape(shape) {
  if (!Array.isArray(shape) || !shape.length) return null;
  return shape.map((d) => (typeof d === 'string' && d ? d : typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= 2147483647 ? d : null));
}

function releaseSteps(steps) {
  const pending = [];
  for (const step of steps) {
    const session = step.session;
    // A release that fails (onnxruntime's module already torn down) leaves nothing else to do.
    if (session) pending.push(Promise.resolve().then(() => session.release()).catch(() => {}));
    step.session = null;
    for (const layer of step.layers || []) layer.dispose();
    step.layers = [];
  }
  return Promise.all(pending);
}

// Set by the entry point (node.js or browser.js).
let platform = null;
export function setPlatform(p) {
  platform = p;
}

export class InferenceSession {
  /**
   * Loads a model (Uint8Array, ArrayBuffer, or a URL; in Node.js also a file path) and prepares it to run.
   * options: { ort (required), this package's backend, threads, wasmBuild, gpuDevice, gpu (or deformConv: an
   * instance to share), and onnxruntime's session options }.
   */
  static create(model, options) {
    return createInferenceSession(platform, model, options);
  }

  /** @internal use InferenceSession.create(); graph: describeGraph(...) */
  constructor(ort, graph) {
    this._ort = ort;
    this._handover = new TensorHandover(ort);
    this._wanted = () => 'cpu';
    this._inputs = graph.inputs;
    this._outputs = graph.outputs;
    this.inputNames = graph.inputNames;
    this.outputNames = graph.outputNames;
    this._steps = null;
    this._deformConvNodes = [];
    this._queue = Promise.resolve();
    this._released = false;
  }

  /**
   * The inputs as onnxruntime's inputMetadata describes them: [{ name, isTensor, type, shape }], shape
   * entries a size, a symbolic name, or -1 (unknown); [] when the model does not give the rank.
   */
  get inputMetadata() {
    return this.inputNames.map((name) => valueMetadata(this._inputs.get(name)));
  }

  /** The outputs, as inputMetadata (an output the model leaves untyped: the type its producer gives it). */
  get outputMetadata() {
    return this.outputNames.map((name) => {
      const v = this._outputs.get(name);
      if (v.kind !== 'none') return valueMetadata(v);
      const step = (this._steps || []).find((s) => s.writes.includes(name));
      const fromOrt = step && step.session && (step.session.outputMetadata || []).find((m) => m.name === name);
      if (fromOrt) return { ...fromOrt, shape: [...(fromOrt.shape || [])] };
      return { name, isTensor: true, type: step && step.runsOn === 'deformconv-wasm' ? 'float32' : v.fallbackType, shape: [] };
    });
  }

  /**
   * Every DeformConv node of the main graph (those the outputs need), in run order, with what runs it:
   * [{ name, runsOn: 'deformconv-wasm' | 'onnxruntime', reason (why onnxruntime runs it, else null), inputs:
   * { X, W, offset, B, mask } (tensor names, null when absent), and for ours kernelShape, strides, pads (ONNX's
   * order: [top, left, bottom, right]), dilations, group, offsetGroup, weights: 'constant' (initializers,
   * packed once; a feed that overrides them is used as it comes) | 'per run' (read at every run) }].
   */
  get deformConvNodes() {
    return this._deformConvNodes.map((n) => structuredCloneOf(n));
  }

  /**
   * The run plan: steps (with their onnxruntime sessions and layers), this package's instance (and whether
   * the session made it), onnxruntime's backend name, and the DeformConv nodes ({ node, spec } each).
   */
  _setPlan({ steps, dc, ownInstance, ortBackend: ortBackendName, deformConvNodes, gpuDevice = null, wanted = null }) {
    this._handover = new TensorHandover(this._ort, gpuDevice);
    if (wanted) this._wanted = wanted;
    this._steps = steps.map((s) => ({
      runsOn: s.runsOn, nodeNames: s.nodes.map(nodeName), session: s.session || null, layers: s.layers || [],
      inputs: s.inputs || [], reads: s.reads, writes: s.writes, label: s.label,
    }));
    this._deformConvNodes = deformConvNodes.map(({ node, spec }) => describeDeformConv(node, spec));
    this._dc = dc;
    this._ownInstance = ownInstance;
    this._ortBackend = ortBackendName;
  }

  /**
   * The run plan: [{ runsOn: 'onnxruntime' | 'deformconv-wasm', nodes: [node names], backend }] in run order;
   * backend: onnxruntime's first execution provider, or this package's backend ('wasm' | 'webgpu').
   */
  get partition() {
    if (!this._steps) return [];
    return this._steps.map((s) => ({
      runsOn: s.runsOn,
      nodes: s.nodeNames.slice(),
      backend: s.runsOn === 'onnxruntime' ? this._ortBackend : this._dc.backend,
    }));
  }

  /**
   * Runs the model: run(feeds), run(feeds, fetches), run(feeds, options) or run(feeds, fetches, options), as
   * onnxruntime's run. Resolves to { outputName: ort.Tensor }. Runs of one session go one at a time.
   */
  run(feeds, arg1, arg2) {
    let args;
    try {
      if (this._released) throw new Error('this InferenceSession was released; create a new one');
      args = runArguments(this.outputNames, feeds, arg1, arg2);
      checkFeeds(args.feeds, this._inputs, this.inputNames);
      for (const [name, tensor] of Object.entries(args.fetches)) {
        if (tensor && locationOf(tensor) !== 'cpu') {
          throw new TypeError(`fetches.${name} is a tensor in '${locationOf(tensor)}' memory; a preallocated output must be in CPU memory ` +
            "(for outputs in GPU buffers, ask for them with preferredOutputLocation: 'gpu-buffer')");
        }
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const result = this._queue.then(() => this._run(args));
    this._queue = result.catch(() => {});
    return result;
  }

  // A run accepted before release() still completes: release() waits for it.
  async _run({ feeds, fetches, options }) {
    const wanted = Object.keys(fetches);
    const values = new Map(Object.entries(feeds));
    const { run, needed } = stepsNeeded(this._steps, wanted);
    // The GPU-resident tensors this run made (onnxruntime's 'gpu-buffer' outputs, the layers' results): each is
    // disposed after the last step that reads it, unless run() returns it; all of them if the run fails.
    const lastReader = new Map();
    this._steps.forEach((step, i) => {
      if (run[i]) for (const name of step.reads) lastReader.set(name, i);
    });
    const made = new Map();
    const keep = (name, tensor) => {
      values.set(name, tensor);
      if (locationOf(tensor) === 'gpu-buffer') made.set(name, tensor);
    };
    const disposeMade = (filter) => {
      for (const [name, tensor] of made) {
        if (!filter(name)) continue;
        made.delete(name);
        tensor.dispose();
      }
    };
    try {
      for (let i = 0; i < this._steps.length; i++) {
        if (!run[i]) continue;
        const step = this._steps[i];
        if (step.runsOn === 'onnxruntime') {
          const stepFeeds = {};
          for (const name of step.inputs) if (values.has(name)) stepFeeds[name] = values.get(name);
          const stepFetches = step.writes.filter((name) => needed.has(name));
          let out;
          try {
            out = await step.session.run(stepFeeds, stepFetches, options);
          } catch (e) {
            throw onnxruntimeError(e, step);
          }
          for (const name of stepFetches) keep(name, out[name]);
        } else {
          for (const layer of step.layers) {
            if (needed.has(layer.output)) keep(layer.output, await layer.run(values, this._handover));
          }
        }
        disposeMade((name) => !Object.prototype.hasOwnProperty.call(fetches, name) && (lastReader.get(name) === undefined || lastReader.get(name) <= i));
      }
      const out = {};
      for (const name of wanted) out[name] = await this._deliver(values.get(name), fetches[name], name, made);
      return out;
    } finally {
      disposeMade(() => true);
    }
  }

  /**
   * An output as run() returns it: in the memory the caller wants it (a GPU buffer that must end in CPU memory
   * is read back now, the run's only read-back on the GPU path), or copied into the caller's preallocated
   * tensor. made: the run's GPU tensors still to dispose; an output returned in a GPU buffer leaves it (the
   * caller disposes it).
   */
  async _deliver(value, preallocated, name, made) {
    const onGpu = locationOf(value) === 'gpu-buffer';
    if (onGpu && !preallocated && this._wanted(name) === 'gpu-buffer') {
      made.delete(name);
      return value;
    }
    if (onGpu) {
      made.delete(name);
      value = await this._handover.toCpu(value);
    }
    return intoFetch(value, preallocated, name);
  }

  /** Releases the onnxruntime sessions, the layers and this package's instance (unless the caller's). */
  async release() {
    if (this._released) return;
    this._released = true;
    await this._queue;
    if (this._steps) await releaseSteps(this._steps);
    if (this._ownInstance && this._dc) this._dc.dispose();
    this._dc = null;
  }
}

/** What the session keeps of the graph: inputs and outputs as plain data. */
function describeGraph(graph, analysis, typeOf) {
  const plain = (v) => ({ name: v.name, kind: v.kind, elemType: v.elemType, shape: v.shape ? v.shape.slice() : null });
  return {
    inputs: new Map(graph.inputs.map((v) => [v.name, plain(v)])),
    // An output the model leaves untyped gets its producer's type; an initializer or input its own.
    outputs: new Map(graph.outputs.map((v) => [v.name, { ...plain(v), fallbackType: DATA_TYPE_NAMES[typeOf(v.name)] || 'float32' }])),
    // As onnxruntime lists them: graph inputs that are not initializers (those are optional feeds).
    inputNames: graph.inputs.map((v) => v.name).filter((name) => !analysis.initializers.has(name) && !analysis.sparseNames.has(name)),
    outputNames: graph.outputs.map((v) => v.name),
  };
}

/** A DeformConv node as deformConvNodes reports it (plain data). */
function describeDeformConv(node, spec) {
  const inputs = deformConvInputs(node);
  const base = { name: nodeName(node), runsOn: spec.runsHere ? 'deformconv-wasm' : 'onnxruntime', reason: spec.runsHere ? null : spec.reason, inputs };
  if (!spec.runsHere) return base;
  const [top, bottom, left, right] = spec.padding;
  return {
    ...base,
    kernelShape: spec.weightDims ? spec.weightDims.slice(2) : spec.kernelShape ? spec.kernelShape.slice() : null,
    strides: spec.strides.slice(), pads: [top, left, bottom, right], dilations: spec.dilations.slice(),
    group: spec.group, offsetGroup: spec.offsetGroup,
    weights: spec.weightDims && (!spec.inputs.B || spec.biasDims) ? 'constant' : 'per run',
  };
}

/** A copy of a plain object of arrays and values (so that callers cannot change the session's). */
function structuredCloneOf(x) {
  if (Array.isArray(x)) return x.map(structuredCloneOf);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, structuredCloneOf(v)]));
  return x;
}

/** A graph input or output's ValueInfo as onnxruntime's value metadata. */
function valueMetadata(v) {
  if (v.kind === 'other') return { name: v.name, isTensor: false };
  return {
    name: v.name, isTensor: true, type: DATA_TYPE_NAMES[v.elemType] || 'float32',
    shape: v.shape ? v.shape.map((d) => (d === null || (typeof d === 'number' && d < 0) ? -1 : d)) : [],
  };
}

/** onnxruntime's error from a step of a split model, saying which step (a whole model has no label). */
function onnxruntimeError(e, step) {
  return step.label ? errorAt(e, `onnxruntime, ${step.label} of the model`) : e;
}

/** A result into a tensor the caller allocated for it (fetches { name: tensor }), or the result itself. */
function intoFetch(value, preallocated, name) {
  if (!preallocated) return value;
  const same = preallocated.type === value.type && preallocated.dims.length === value.dims.length && preallocated.dims.every((d, i) => d === value.dims[i]);
  if (!same) {
    throw new RangeError(`fetches.${name} is a ${preallocated.type} tensor [${preallocated.dims.join(', ')}], but the output is ${value.type} [${value.dims.join(', ')}]`);
  }
  if (preallocated !== value) preallocated.data.set(value.data);
  return preallocated;
}
