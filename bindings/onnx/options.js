// InferenceSession.create's options: `ort` (the caller's onnxruntime module), this package's own (as
// createDeformConv takes them, or an instance to share), and onnxruntime's session options, which pass through
// to every onnxruntime session the model is split into.
import { describe } from '../api/tensors.js';

const OURS = ['backend', 'threads', 'wasmBuild', 'gpuDevice', 'gpu'];

/**
 * Returns { ort, ours (createDeformConv's options), deformConv (an instance the caller shares, or null),
 * ortOptions (the rest, for onnxruntime) }.
 */
export function sessionOptions(options) {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError("InferenceSession.create needs options with your onnxruntime module: create(model, { ort }) " +
      `(import * as ort from 'onnxruntime-web'), got ${describe(options)}`);
  }
  const { ort, deformConv, ...rest } = options;
  if (ort === undefined || ort === null) {
    throw new TypeError("options.ort is required: pass your onnxruntime module, e.g. import * as ort from 'onnxruntime-web' " +
      "(or 'onnxruntime-node') and create(model, { ort })");
  }
  const okOrt = (typeof ort === 'object' || typeof ort === 'function') && ort.InferenceSession &&
    typeof ort.InferenceSession.create === 'function' && typeof ort.Tensor === 'function';
  if (!okOrt) {
    throw new TypeError('options.ort must be the onnxruntime module (with InferenceSession.create and Tensor), ' +
      `as import * as ort from 'onnxruntime-web' gives it, got ${describe(ort)}` +
      (ort && typeof ort === 'object' && ort.default && ort.default.InferenceSession ? " (its 'default' export looks right: pass that)" : ''));
  }
  const ours = {};
  for (const key of OURS) if (rest[key] !== undefined) ours[key] = rest[key];
  const ortOptions = Object.fromEntries(Object.entries(rest).filter(([key]) => !OURS.includes(key)));
  if (deformConv !== undefined && deformConv !== null) {
    if (typeof deformConv !== 'object' || typeof deformConv.prepareDeformConv2d !== 'function' || typeof deformConv.deformConv2d !== 'function') {
      throw new TypeError(`options.deformConv must be an instance from createDeformConv(), got ${describe(deformConv)}`);
    }
    if (Object.keys(ours).length) {
      throw new TypeError(`options.deformConv is an instance already made, so ${Object.keys(ours).join(', ')} cannot be given too (they are createDeformConv's options)`);
    }
  }
  return { ort, ours, deformConv: deformConv || null, ortOptions };
}

/**
 * onnxruntime's options for the sessions of a split model: the caller's, and unless the caller set how
 * onnxruntime's threads spin, session.force_spinning_stop = '1': they spin within a run, between its
 * operators, as usual, but stop as soon as the run returns, because this package's threads work on the same
 * cores right after (the session's own instance likewise stops its threads at the end of each call).
 * (session.intra_op.allow_spinning = '0' would stop them too, but makes them sleep and wake at every
 * operator.) onnxruntime-node honours it; onnxruntime-web's WebAssembly build runs all sessions on one
 * global thread pool, which these per-session options do not reach.
 */
export function splitModelOrtOptions(ortOptions) {
  const extra = ortOptions.extra && typeof ortOptions.extra === 'object' ? ortOptions.extra : {};
  const session = extra.session && typeof extra.session === 'object' ? extra.session : {};
  const intraOp = session.intra_op && typeof session.intra_op === 'object' ? session.intra_op : {};
  const callerSet = intraOp.allow_spinning !== undefined || session.force_spinning_stop !== undefined ||
    extra['session.intra_op.allow_spinning'] !== undefined || extra['session.force_spinning_stop'] !== undefined;
  if (callerSet) return ortOptions;
  return { ...ortOptions, extra: { ...extra, session: { ...session, force_spinning_stop: '1' } } };
}
