// What deformconv-wasm/onnx must compute: models built with onnx-proto (tools/onnx-models.cjs), each run
// through InferenceSession and compared with onnxruntime-web running the whole model (1e-4), and the session's
// surface (partition, names, fetches, options, model sources, sharing, release) as onnxruntime's own.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  MODEL_TOLERANCE, assert, countingInstance, countingOrt, expectSameOutputs, models, random, randomFeeds, randomTensor,
  reference, rejects,
} from './harness.mjs';

const { GraphBuilder, chainModel, branchyModel, directModel, directOutputSize, plainModel, dcnV2, valueInfo } = models;

/** Feeds of directModel for an input of batch N, H x W (offsets of a few pixels, mask in [0, 1]). */
function directFeeds(ort, rand, { N = 1, H = 9, W = 11, kernel = [3, 3], withMask = true, weights = 'initializers', withBias = true } = {}) {
  const [Ho, Wo] = directOutputSize(H, W, kernel);
  const taps = kernel[0] * kernel[1];
  const feeds = {
    X: randomTensor(ort, rand, [N, 6, H, W]),
    offset: randomTensor(ort, rand, [N, 2 * 2 * taps, Ho, Wo], -2, 2),
  };
  if (withMask) feeds.mask = randomTensor(ort, rand, [N, 2 * taps, Ho, Wo], 0, 1);
  if (weights === 'inputs') {
    feeds.W = randomTensor(ort, rand, [4, 3, ...kernel], -0.3, 0.3);
    if (withBias) feeds.B = randomTensor(ort, rand, [4]);
  }
  return feeds;
}

/** Runs the model through a session and through onnxruntime-web; returns { session, worst }. */
async function compareWithOrt(env, bytes, feedsList, options = {}) {
  const { ort, InferenceSession } = env;
  const session = await InferenceSession.create(bytes, { ort, threads: env.threads, ...options });
  let worst = 0;
  try {
    for (const [i, feeds] of feedsList.entries()) {
      const ours = await session.run(feeds);
      const ref = await reference(ort, bytes, feeds);
      worst = Math.max(worst, expectSameOutputs(ours, ref, MODEL_TOLERANCE, `run ${i}`));
    }
  } catch (e) {
    await session.release();
    throw e;
  }
  return { session, worst };
}

function expectPartition(session, expected, label) {
  const got = session.partition.map((s) => ({ runsOn: s.runsOn, nodes: [...s.nodes].sort() }));
  const want = expected.map((s) => ({ runsOn: s.runsOn, nodes: [...s.nodes].sort() }));
  assert(JSON.stringify(got) === JSON.stringify(want), `${label}: partition ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

/** The steps' kinds in order, e.g. 'ort dcn ort'. */
const kinds = (session) => session.partition.map((s) => (s.runsOn === 'onnxruntime' ? 'ort' : 'dcn')).join(' ');

/** A model where a DeformConv's weight is also a Conv's weight (an initializer both sides read). */
function sharedWeightModel() {
  const b = new GraphBuilder(11);
  const x = b.input('x', [1, 8, 9, 9]);
  const w = b.initializer('shared.w', [8, 8, 3, 3], { scale: 1 / Math.sqrt(72) });
  const offW = b.initializer('off.w', [18, 8, 3, 3], { scale: 0.05 });
  const off = b.node('Conv', [x, offW], ['off'], { pads: [1, 1, 1, 1] });
  const d = b.node('DeformConv', [x, w, off], ['d'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'dcn');
  const c = b.node('Conv', [d, w], ['c'], { pads: [1, 1, 1, 1] }, 'conv.same.weight');
  b.output(c, [1, 8, 9, 9]);
  return { bytes: b.encode(), inputs: { x: [1, 8, 9, 9] } };
}

/**
 * An If node after a DeformConv whose branches read tensors of the outer graph without listing them (the
 * stem, and the DeformConv's output), one branch holding a DeformConv of its own (onnxruntime runs it).
 */
function ifModel() {
  const b = new GraphBuilder(12);
  const x = b.input('x', [1, 4, 7, 7]);
  b.input('cond', [], 9);
  const stemW = b.initializer('stem.w', [4, 4, 3, 3], { scale: 0.3 });
  const stem = b.node('Relu', [b.node('Conv', [x, stemW], ['stem.c'], { pads: [1, 1, 1, 1] })], ['stem']);
  const offW = b.initializer('off.w', [18, 4, 3, 3], { scale: 0.05 });
  const off = b.node('Conv', [stem, offW], ['off'], { pads: [1, 1, 1, 1] });
  const w = b.initializer('dcn.w', [4, 4, 3, 3], { scale: 0.3 });
  const d = b.node('DeformConv', [stem, w, off], ['d'], { pads: [1, 1, 1, 1] }, 'dcn');
  const thenBranch = { name: 'then', node: [{ opType: 'Add', input: [stem, d], output: ['t'] }], output: [valueInfo('t', [1, 4, 7, 7])] };
  const elseBranch = {
    name: 'else',
    node: [{ opType: 'DeformConv', input: [stem, w, off], output: ['e.d'], attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }] },
      { opType: 'Sub', input: ['e.d', stem], output: ['e'] }],
    output: [valueInfo('e', [1, 4, 7, 7])],
  };
  b.nodes.push({ opType: 'If', input: ['cond'], output: ['y'], name: 'if', attribute: [{ name: 'then_branch', type: 5, g: thenBranch }, { name: 'else_branch', type: 5, g: elseBranch }] });
  b.output('y', [1, 4, 7, 7]);
  return { bytes: b.encode() };
}

/** A DeformConv on float16 tensors the model does not declare (onnxruntime's types tell), between casts. */
function float16Model() {
  const b = new GraphBuilder(13);
  const x = b.input('x', [1, 2, 6, 6]);
  const w = b.initializer('w32', [3, 2, 3, 3], { scale: 0.3 });
  const off = b.input('offset', [1, 18, 4, 4]);
  const cast = (name) => b.node('Cast', [name], [`${name}.f16`], { to: 10 });
  const d = b.node('DeformConv', [cast(x), cast(w), cast(off)], ['d16'], {}, 'dcn.f16');
  b.output(b.node('Cast', [d], ['y'], { to: 1 }), [1, 3, 4, 4]);
  return { bytes: b.encode({ opset: 22 }), inputs: { x: [1, 2, 6, 6], offset: [1, 18, 4, 4] } };
}

/** A model whose outputs include an initializer and a graph input, beside a DeformConv's. */
function passThroughModel() {
  const b = new GraphBuilder(14);
  b.input('X', [1, 2, 5, 5]);
  b.input('offset', [1, 18, 3, 3]);
  b.initializer('W', [3, 2, 3, 3], { scale: 0.3 });
  b.initializer('constant', [2, 2], { data: [1, 2, 3, 4] });
  b.node('DeformConv', ['X', 'W', 'offset'], ['Y'], {}, 'dcn');
  b.output('Y', [1, 3, 3, 3]);
  b.output('constant', [2, 2]);
  b.output('offset', [1, 18, 3, 3]);
  return { bytes: b.encode(), inputs: { X: [1, 2, 5, 5], offset: [1, 18, 3, 3] } };
}

/** Serves bytes at http://127.0.0.1:port/model.onnx until close(). */
async function serve(bytes) {
  const server = http.createServer((req, res) => {
    if (req.url === '/model.onnx') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(Buffer.from(bytes));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/model.onnx`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** env: { ort, InferenceSession, createDeformConv, threads }. Returns [{ name, run }]. */
export function sessionChecks(env) {
  const { ort, InferenceSession } = env;
  const checks = [];
  const check = (name, run) => checks.push({ name, run });

  check('chain of two DCN bottlenecks (opset 19, nodes shuffled in the file) equals onnxruntime-web', async () => {
    const model = chainModel({ shuffle: true });
    const rand = random(21);
    const { session, worst } = await compareWithOrt(env, model.bytes, [randomFeeds(ort, rand, model.inputs), randomFeeds(ort, rand, model.inputs)]);
    assert(kinds(session) === 'ort dcn ort dcn ort', `steps ${kinds(session)}`);
    assert(JSON.stringify(session.partition.filter((s) => s.runsOn === 'deformconv-wasm').map((s) => s.nodes)) === JSON.stringify([[model.dcnNodes[0]], [model.dcnNodes[1]]]), 'our steps hold the two DeformConv nodes in order');
    assert(session.partition.every((s) => s.backend === (s.runsOn === 'onnxruntime' ? 'wasm' : 'wasm')), 'backends');
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check('chain of two DCN bottlenecks, opset 22', async () => {
    const model = chainModel({ opset: 22, seed: 5 });
    const { session, worst } = await compareWithOrt(env, model.bytes, [randomFeeds(ort, random(22), model.inputs)]);
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check('branchy graph: parallel DeformConv branches share a step, skip connections, three outputs', async () => {
    const model = branchyModel();
    const { session, worst } = await compareWithOrt(env, model.bytes, [randomFeeds(ort, random(23), model.inputs)]);
    assert(kinds(session) === 'ort dcn ort dcn ort', `steps ${kinds(session)}`);
    const ours = session.partition.filter((s) => s.runsOn === 'deformconv-wasm').map((s) => [...s.nodes].sort());
    assert(JSON.stringify(ours) === JSON.stringify([['a.dcn', 'b.dcn'], ['c.dcn']]), `our steps ${JSON.stringify(ours)}`);
    const ref = await ort.InferenceSession.create(model.bytes);
    assert(JSON.stringify(session.inputNames) === JSON.stringify(ref.inputNames), `inputNames ${session.inputNames} vs ${ref.inputNames}`);
    assert(JSON.stringify(session.outputNames) === JSON.stringify(ref.outputNames), `outputNames ${session.outputNames} vs ${ref.outputNames}`);
    await ref.release();
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check('branchy graph, opset 22, batch 2', async () => {
    const model = branchyModel({ opset: 22, batch: 2, seed: 8 });
    const { session, worst } = await compareWithOrt(env, model.bytes, [randomFeeds(ort, random(24), model.inputs)]);
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check("DCNv1's 3-input form (X, W, offset) fed straight from graph inputs", async () => {
    const model = directModel({ withBias: false, withMask: false, batch: 1 });
    const rand = random(25);
    const { session, worst } = await compareWithOrt(env, model.bytes, [directFeeds(ort, rand, { withMask: false })]);
    expectPartition(session, [{ runsOn: 'deformconv-wasm', nodes: ['dcn'] }], 'partition');
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check("B left out as '' before mask; strides, dilations, asymmetric pads, group 2, offset_group 2; opsets 19 and 22", async () => {
    let worst = 0;
    for (const opset of [19, 22]) {
      const model = directModel({ withBias: false, withMask: true, opset });
      const r = await compareWithOrt(env, model.bytes, [directFeeds(ort, random(26), {})]);
      worst = Math.max(worst, r.worst);
      await r.session.release();
    }
    return `worst ${worst.toExponential(1)}`;
  });

  check('W and B as graph inputs: read at every run, different weights each time', async () => {
    const model = directModel({ weights: 'inputs' });
    const rand = random(27);
    const { session, worst } = await compareWithOrt(env, model.bytes, [0, 1, 2].map(() => directFeeds(ort, rand, { weights: 'inputs' })));
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check('symbolic batch and sizes: one session runs batch 1, 3 and 2 at other sizes', async () => {
    const model = directModel({});
    const rand = random(28);
    const feeds = [directFeeds(ort, rand, { N: 1 }), directFeeds(ort, rand, { N: 3 }), directFeeds(ort, rand, { N: 2, H: 6, W: 14 })];
    const { session, worst } = await compareWithOrt(env, model.bytes, feeds);
    await session.release();
    const chain = chainModel({ batch: 'N', seed: 9 });
    const r = await compareWithOrt(env, chain.bytes, [1, 2].map((n) => randomFeeds(ort, rand, { image: [n, 16, 10, 10] })));
    await r.session.release();
    return `worst ${Math.max(worst, r.worst).toExponential(1)}`;
  });

  check('inputMetadata, outputMetadata and deformConvNodes describe the model', async () => {
    const branchy = branchyModel();
    const session = await InferenceSession.create(branchy.bytes, { ort });
    const ref = await ort.InferenceSession.create(branchy.bytes);
    const json = (x) => JSON.stringify(x);
    assert(json(session.inputMetadata) === json(ref.inputMetadata), `inputMetadata ${json(session.inputMetadata)} vs ${json(ref.inputMetadata)}`);
    const types = (m) => json(m.map((x) => [x.name, x.type]));
    assert(types(session.outputMetadata) === types(ref.outputMetadata), `outputMetadata ${json(session.outputMetadata)} vs ${json(ref.outputMetadata)}`);
    await Promise.all([session.release(), ref.release()]);
    const direct = await InferenceSession.create(directModel({}).bytes, { ort });
    assert(json(direct.inputMetadata[0]) === json({ name: 'X', isTensor: true, type: 'float32', shape: ['N', 6, 'H', 'W'] }), json(direct.inputMetadata[0]));
    const [node] = direct.deformConvNodes;
    const want = {
      name: 'dcn', runsOn: 'deformconv-wasm', reason: null, inputs: { X: 'X', W: 'W', offset: 'offset', B: 'B', mask: 'mask' },
      kernelShape: [3, 3], strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 2], group: 2, offsetGroup: 2, weights: 'constant',
    };
    assert(json(node) === json(want), `deformConvNodes ${json(node)}`);
    await direct.release();
    const perRun = await InferenceSession.create(directModel({ weights: 'inputs', withBias: false, withMask: false }).bytes, { ort });
    const [p] = perRun.deformConvNodes;
    assert(p.weights === 'per run' && p.inputs.B === null && p.inputs.mask === null, json(p));
    await perRun.release();
    const f16 = await InferenceSession.create(float16Model().bytes, { ort });
    const [h] = f16.deformConvNodes;
    assert(h.runsOn === 'onnxruntime' && /float16/.test(h.reason), json(h));
    await f16.release();
  });

  check('non-square kernel without kernel_shape (taken from W)', async () => {
    const model = directModel({ kernel: [2, 3] });
    const { session, worst } = await compareWithOrt(env, model.bytes, [directFeeds(ort, random(29), { kernel: [2, 3] })]);
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check('a model without DeformConv runs in one onnxruntime session, as onnxruntime-web alone', async () => {
    const model = plainModel();
    const feeds = randomFeeds(ort, random(30), model.inputs);
    const session = await InferenceSession.create(model.bytes, { ort });
    expectPartition(session, [{ runsOn: 'onnxruntime', nodes: ['Conv_0', 'Relu_1'] }], 'partition');
    const ours = await session.run(feeds);
    const ref = await reference(ort, model.bytes, feeds);
    expectSameOutputs(ours, ref, 0, 'plain model');
    await session.release();
  });

  check('a weight shared by a DeformConv and a Conv reaches both', async () => {
    const model = sharedWeightModel();
    const { session, worst } = await compareWithOrt(env, model.bytes, [randomFeeds(ort, random(31), model.inputs)]);
    assert(kinds(session) === 'ort dcn ort', `steps ${kinds(session)}`);
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check('an If node reads outer tensors across a step boundary; a DeformConv inside its branch runs in onnxruntime', async () => {
    const model = ifModel();
    const rand = random(32);
    const feedsFor = (c) => ({ x: randomTensor(ort, rand, [1, 4, 7, 7]), cond: new ort.Tensor('bool', new Uint8Array([c]), []) });
    const { session, worst } = await compareWithOrt(env, model.bytes, [feedsFor(1), feedsFor(0)]);
    assert(kinds(session) === 'ort dcn ort', `steps ${kinds(session)}`);
    assert(session.partition[2].nodes.includes('if'), 'the If node runs in the last onnxruntime step');
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check('a DeformConv that onnxruntime reports as float16 goes to onnxruntime', async () => {
    const model = float16Model();
    const feeds = randomFeeds(ort, random(33), model.inputs);
    const session = await InferenceSession.create(model.bytes, { ort });
    assert(session.partition.length === 1 && session.partition[0].runsOn === 'onnxruntime', `partition ${JSON.stringify(session.partition)}`);
    expectSameOutputs(await session.run(feeds), await reference(ort, model.bytes, feeds), 0, 'float16 model');
    await session.release();
  });

  check('outputs that are an initializer and a graph input come back as onnxruntime gives them', async () => {
    const model = passThroughModel();
    const { session, worst } = await compareWithOrt(env, model.bytes, [randomFeeds(ort, random(34), model.inputs)]);
    await session.release();
    return `worst ${worst.toExponential(1)}`;
  });

  check('fetches: names, { name: null }, a preallocated tensor, options in second place; only the steps needed run', async () => {
    const model = branchyModel();
    const feeds = randomFeeds(ort, random(35), model.inputs);
    const counted = countingOrt(ort);
    const session = await InferenceSession.create(model.bytes, { ort: counted.ort });
    const ref = await reference(ort, model.bytes, feeds);
    const one = await session.run(feeds, ['b.out']);
    assert(JSON.stringify(Object.keys(one)) === '["b.out"]', `fetched ${Object.keys(one)}`);
    assert(counted.runs() === 1, `b.out needs the first onnxruntime step only, but ${counted.runs()} ran`);
    expectSameOutputs(one, { 'b.out': ref['b.out'] }, MODEL_TOLERANCE, 'fetch by name');
    const two = await session.run(feeds, { 'out.pooled': null, 'out.main': null }, { logSeverityLevel: 3 });
    expectSameOutputs(two, { 'out.pooled': ref['out.pooled'], 'out.main': ref['out.main'] }, MODEL_TOLERANCE, 'fetch by object');
    const target = new ort.Tensor('float32', new Float32Array(8), [1, 8, 1, 1]);
    const three = await session.run(feeds, { 'out.pooled': target });
    assert(three['out.pooled'] === target, 'a preallocated tensor is returned');
    expectSameOutputs(three, { 'out.pooled': ref['out.pooled'] }, MODEL_TOLERANCE, 'preallocated');
    const all = await session.run(feeds, { logSeverityLevel: 3 });
    expectSameOutputs(all, ref, MODEL_TOLERANCE, 'options in second place');
    await session.release();
  });

  check('runs of one session go one at a time: 4 at once equal 4 in turn', async () => {
    const model = chainModel({ seed: 3 });
    const rand = random(36);
    const feeds = [0, 1, 2, 3].map(() => randomFeeds(ort, rand, model.inputs));
    const session = await InferenceSession.create(model.bytes, { ort, threads: env.threads });
    const together = await Promise.all(feeds.map((f) => session.run(f)));
    for (const [i, f] of feeds.entries()) expectSameOutputs(together[i], await session.run(f), 0, `run ${i}`);
    await session.release();
  });

  check('the model from a file path, a file: URL, an http: URL, an ArrayBuffer and a Uint8Array view', async () => {
    const model = chainModel({ seed: 4 });
    const feeds = randomFeeds(ort, random(37), model.inputs);
    const ref = await reference(ort, model.bytes, feeds);
    const dir = mkdtempSync(join(os.tmpdir(), 'deformconv-onnx-'));
    const file = join(dir, 'model.onnx');
    writeFileSync(file, model.bytes);
    const server = await serve(model.bytes);
    const padded = new Uint8Array(model.bytes.length + 7);
    padded.set(model.bytes, 3);
    try {
      const copy = model.bytes.slice();
      for (const [label, source] of [['path', file], ['file URL', pathToFileURL(file).href], ['URL object', pathToFileURL(file)],
        ['http', server.url], ['ArrayBuffer', copy.buffer], ['view at byte 3', padded.subarray(3, 3 + model.bytes.length)]]) {
        const session = await InferenceSession.create(source, { ort });
        expectSameOutputs(await session.run(feeds), ref, MODEL_TOLERANCE, label);
        await session.release();
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  check("onnxruntime's session options pass through to every step", async () => {
    const model = chainModel({ seed: 6 });
    const feeds = randomFeeds(ort, random(38), model.inputs);
    const ref = await reference(ort, model.bytes, feeds);
    for (const options of [{ graphOptimizationLevel: 'disabled' }, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' },
      { extra: { session: { intra_op: { allow_spinning: '1' } } }, enableCpuMemArena: false }, { logSeverityLevel: 3, logId: 'dcn' }]) {
      const session = await InferenceSession.create(model.bytes, { ort, ...options });
      expectSameOutputs(await session.run(feeds), ref, MODEL_TOLERANCE, JSON.stringify(options));
      await session.release();
    }
    // A bad onnxruntime option is onnxruntime's error.
    await rejects(InferenceSession.create(model.bytes, { ort, graphOptimizationLevel: 'very' }), Error, /graphOptimizationLevel|very|unsupported/i, 'bad option');
  });

  check('a shared instance (deformConv option) runs the layers and outlives release()', async () => {
    const dc = await env.createDeformConv({ threads: env.threads });
    const counted = countingInstance(dc);
    const model = chainModel({ seed: 7 });
    const feeds = randomFeeds(ort, random(39), model.inputs);
    const session = await InferenceSession.create(model.bytes, { ort, deformConv: counted.deformConv });
    assert(counted.live() === 2, `${counted.live()} prepared layers, expected 2`);
    expectSameOutputs(await session.run(feeds), await reference(ort, model.bytes, feeds), MODEL_TOLERANCE, 'shared instance');
    await session.release();
    assert(counted.live() === 0, `${counted.live()} prepared layers left after release`);
    const y = await dc.deformConv2d({ data: new Float32Array(9).fill(1), shape: [1, 1, 3, 3] }, { data: new Float32Array(18), shape: [1, 18, 1, 1] },
      { data: new Float32Array(9).fill(1), shape: [1, 1, 3, 3] });
    assert(y.data[0] === 9, 'the instance still works after release()');
    dc.dispose();
  });

  check("a session does not keep the model's bytes alive (onnxruntime and the layers have their own copies)", async () => {
    assert(typeof global.gc === 'function', 'run node with --expose-gc');
    let bytes = chainModel({ seed: 8, channels: 32, width: 16, size: 8 }).bytes;
    const buffer = new WeakRef(bytes.buffer);
    const session = await InferenceSession.create(bytes, { ort });
    bytes = null;
    for (let i = 0; i < 5 && buffer.deref(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      global.gc();
    }
    assert(buffer.deref() === undefined, 'the model bytes are still reachable from the session');
    const feeds = randomFeeds(ort, random(41), { image: [1, 32, 8, 8] });
    assert(Object.keys(await session.run(feeds)).length === 1, 'the session still runs');
    await session.release();
  });

  check('release(): later runs reject, a second release does nothing, onnxruntime sessions are all released', async () => {
    const model = branchyModel();
    const counted = countingOrt(ort);
    const session = await InferenceSession.create(model.bytes, { ort: counted.ort });
    assert(counted.live() === 3, `${counted.live()} onnxruntime sessions, expected 3`);
    const feeds = randomFeeds(ort, random(40), model.inputs);
    const pending = session.run(feeds);
    const released = session.release();
    await pending; // a run already queued finishes
    await released;
    assert(counted.live() === 0, `${counted.live()} onnxruntime sessions left`);
    await rejects(session.run(feeds), Error, /released/, 'run after release');
    await session.release();
  });

  return checks;
}
