// InferenceSession: an ONNX model run by onnxruntime, except its DeformConv nodes, which this package's
// layers run. A drop-in for ort.InferenceSession: create(model, options), inputNames, outputNames,
// run(feeds, fetches?, options?) resolving to { name: ort.Tensor }, release(); and `partition`, the run plan.
// At create the model is decoded, its graph checked and split (partition.js) into onnxruntime steps, each a
// model of its own (partial-model.js) with its own onnxruntime session, and steps of DeformConv layers
// (deform-conv-layer.js), their constant weights packed once. A run goes through the steps in order, handing
// tensors from one to the next (tensor-handover.js). A model without DeformConv runs in one onnxruntime
// session, from its own bytes.
import { DeformConvLayer } from './deform-conv-layer.js';
import { isDeformConv, readDeformConv } from './deform-conv-node.js';
import { checkFeeds, runArguments } from './feeds.js';
import { analyseGraph, nodeName } from './graph.js';
import { DATA_TYPE_NAMES, DATA_TYPE_NUMBERS, FLOAT, decodeModel } from './onnx-model.js';
import { sessionOptions, splitModelOrtOptions } from './options.js';
import { partialModel } from './partial-model.js';
import { partitionGraph, stepsNeeded } from './partition.js';
import { TensorHandover } from './tensor-handover.js';

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
  const first = Array.isArray(eps) && eps.length ? eps[0] : null;
  if (typeof first === 'string') return first;
  if (first && typeof first.name === 'string') return first.name;
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
  const shapeOf = (name) => {
    const t = analysis.initializers.get(name);
    if (t) return t.dims;
    const v = analysis.valueInfo.get(name);
    return v && v.kind === 'tensor' ? v.shape : null;
  };
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
  const dc = o.deformConv || await platform.createDeformConv({ ...o.ours, allowSpinning: false });
  const ortOptions = splitModelOrtOptions(o.ortOptions);
  try {
    // A DeformConv whose inputs onnxruntime reports as other than float32 goes to onnxruntime, and the split
    // is made again (at most once per such node).
    while (specs.size) {
      const steps = partitionGraph(analysis.order, new Set(specs.keys()), {
        outputs: decoded.graph.outputs.map((v) => v.name), initializers: analysis.initializers, sparseNames: analysis.sparseNames, inputs: analysis.inputs,
      });
      try {
        await buildSteps(steps, { decoded, analysis, specs, dc, ort: o.ort, ortOptions, typeOf });
      } catch (e) {
        await releaseSteps(steps);
        if (!(e instanceof NotFloat32)) throw e;
        specs.delete(e.node);
        deformConvNodes.find((d) => d.node === e.node).spec = { runsHere: false, reason: `onnxruntime reports ${e.input} as ${e.type} (this package computes float32)` };
        continue;
      }
      session._setPlan({ steps, dc, ownInstance, ortBackend: ortBackend(o.ort, ortOptions), deformConvNodes });
      return session;
    }
  } catch (e) {
    if (ownInstance) dc.dispose();
    throw e;
  }
  if (ownInstance) dc.dispose();
  return wholeModel();
}

/** Creates the onnxruntime sessions and prepares the layers of the steps, in run order. */
async function buildSteps(steps, { decoded, analysis, specs, dc, ort, ortOptions, typeOf }) {
  // Element types and shapes of the tensors steps hand on: onnxruntime's sessions say theirs; ours are
  // float32, [N of X, C_out of W, Ho and Wo of the offset].
  const produced = new Map();
  const shapes = new Map();
  const known = (name) => ({ elemType: produced.get(name) || typeOf(name) || FLOAT, shape: shapes.get(name) || declaredShape(analysis, name) });
  const ortCount = steps.filter((s) => s.runsOn === 'onnxruntime').length;
  let ortIndex = 0;
  const graphName = decoded.graph.name || 'graph';
  for (const step of steps) {
    if (step.runsOn === 'onnxruntime') {
      ortIndex++;
      step.label = `part ${ortIndex} of ${ortCount}`;
      const bytes = partialModel(decoded, analysis, step, `${graphName} (${step.label}, deformconv-wasm/onnx)`, known);
      try {
        step.session = await ort.InferenceSession.create(bytes, ortOptions);
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
      step.layers = [];
      for (const node of step.nodes) {
        const spec = specs.get(node);
        for (const key of ['X', 'offset', 'mask', 'W', 'B']) {
          const name = spec.inputs[key];
          if (name && produced.has(name) && produced.get(name) !== FLOAT) throw new NotFloat32(node, key, DATA_TYPE_NAMES[produced.get(name)] || `data type ${produced.get(name)}`);
        }
        const layer = new DeformConvLayer(dc, spec);
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
  _setPlan({ steps, dc, ownInstance, ortBackend: ortBackendName, deformConvNodes }) {
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
        for (const name of stepFetches) values.set(name, out[name]);
      } else {
        for (const layer of step.layers) {
          if (needed.has(layer.output)) values.set(layer.output, await layer.run(values, this._handover));
        }
      }
    }
    const out = {};
    for (const name of wanted) out[name] = intoFetch(values.get(name), fetches[name], name);
    return out;
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
  const inputs = Object.fromEntries(['X', 'W', 'offset', 'B', 'mask'].map((k, i) => [k, node.inputs[i] || null]));
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

/** onnxruntime's error from a step of a split model, saying which step, of the same kind. */
function onnxruntimeError(e, step) {
  if (!(e instanceof Error) || !step.label) return e;
  const Kind = e instanceof TypeError ? TypeError : e instanceof RangeError ? RangeError : Error;
  return new Kind(`onnxruntime, ${step.label} of the model: ${e.message}`, { cause: e });
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
