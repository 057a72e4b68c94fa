// The small harness of the deformconv-wasm/onnx checks: named checks that throw on failure, comparisons
// with onnxruntime-web running the whole model, seeded random feeds, and a wrapper of the onnxruntime module
// that counts the sessions created and released.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const { random } = require('../js/seeded-random.js');
export const models = require('../../tools/onnx-models.cjs');

/** The tolerance of a whole model against onnxruntime-web (several layers deep). */
export const MODEL_TOLERANCE = 1e-4;

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Elementwise |a - b| <= tol (1 + |b|); returns the worst relative difference. */
export function expectClose(a, b, tol, label) {
  assert(a.length === b.length, `${label}: ${a.length} elements, expected ${b.length}`);
  let worst = 0, at = -1;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert(worst <= tol, `${label}: element ${at} is ${a[at]}, onnxruntime-web says ${b[at]} (|difference|/(1+|ref|) = ${worst})`);
  return worst;
}

/** Every output of ours equals the reference's: same names, types, dims, values within tol. */
export function expectSameOutputs(ours, ref, tol, label) {
  assert(JSON.stringify(Object.keys(ours).sort()) === JSON.stringify(Object.keys(ref).sort()),
    `${label}: outputs [${Object.keys(ours)}], onnxruntime-web gives [${Object.keys(ref)}]`);
  let worst = 0;
  for (const name of Object.keys(ref)) {
    assert(ours[name].type === ref[name].type, `${label}: ${name} is ${ours[name].type}, expected ${ref[name].type}`);
    assert(JSON.stringify(ours[name].dims) === JSON.stringify(ref[name].dims), `${label}: ${name} has dims [${ours[name].dims}], expected [${ref[name].dims}]`);
    worst = Math.max(worst, expectClose(ours[name].data, ref[name].data, tol, `${label}: ${name}`));
  }
  return worst;
}

/** Awaits a promise that must reject with an error of class Kind whose message matches pattern. */
export async function rejects(promise, Kind, pattern, label) {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert(error, `${label}: expected a rejection`);
  assert(error instanceof Kind && error.constructor === Kind, `${label}: expected a ${Kind.name}, got ${error && error.constructor && error.constructor.name}: ${error && error.message}`);
  assert(pattern.test(error.message), `${label}: the message "${error.message}" does not match ${pattern}`);
  return error;
}

/** A float32 tensor of the given dims, uniform in [lo, hi). */
export function randomTensor(ort, rand, dims, lo = -1, hi = 1) {
  const n = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor('float32', Float32Array.from({ length: n }, () => lo + (hi - lo) * rand()), dims);
}

/** Feeds { name: random tensor } for inputs { name: dims }. */
export function randomFeeds(ort, rand, inputs) {
  return Object.fromEntries(Object.entries(inputs).map(([name, dims]) => [name, randomTensor(ort, rand, dims)]));
}

/** onnxruntime-web running the whole model: the reference. */
export async function reference(ort, bytes, feeds, fetches) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * The onnxruntime module wrapped so that its sessions and their runs are counted: { ort, live() (sessions
 * created and not released), created(), runs() }.
 */
export function countingOrt(ort) {
  const live = new Set();
  let created = 0, runs = 0;
  const InferenceSession = {
    async create(...args) {
      const session = await ort.InferenceSession.create(...args);
      created++;
      live.add(session);
      const release = session.release.bind(session);
      const run = session.run.bind(session);
      session.run = (...a) => {
        runs++;
        return run(...a);
      };
      session.release = async () => {
        live.delete(session);
        return release();
      };
      return session;
    },
  };
  return { ort: { InferenceSession, Tensor: ort.Tensor, env: ort.env }, live: () => live.size, created: () => created, runs: () => runs };
}

/**
 * An instance from createDeformConv wrapped so that its prepared layers are counted: { deformConv, live() }.
 * Calls go to the real instance.
 */
export function countingInstance(dc) {
  const layers = new Set();
  const deformConv = {
    get backend() {
      return dc.backend;
    },
    info: () => dc.info(),
    deformConv2d: (...args) => dc.deformConv2d(...args),
    async prepareDeformConv2d(...args) {
      const layer = await dc.prepareDeformConv2d(...args);
      layers.add(layer);
      return {
        forward: (...a) => layer.forward(...a),
        dispose: () => {
          layers.delete(layer);
          layer.dispose();
        },
      };
    },
    dispose: () => dc.dispose(),
  };
  return { deformConv, live: () => layers.size };
}
