// 1,000 seeded mutated models through deformconv-wasm/onnx: bit flips, truncation, and edits made through
// onnx-proto's decoder (attribute values and types, node inputs renamed to nothing or into cycles, operators
// swapped, huge or negative dims, removed initializers, other opsets and element types...), alone or
// combined. Each model must either run or reject cleanly: a TypeError, RangeError or plain Error with a
// message, within a time limit, never a crash, and with every onnxruntime session and prepared layer it made
// released. Memory stays flat: the thousand models run a third time leave the process (rss), the JS heap and
// the shared instance's heap where the second pass left them (WebAssembly memories only grow, and the pages
// of a heap show in rss once first touched, so the first passes may grow; a later one that needs more leaks).
// The shared instance computes correctly at the end.
import { createRequire } from 'node:module';

import {
  MODEL_TOLERANCE, assert, countingInstance, countingOrt, expectSameOutputs, models, random, randomTensor, reference,
} from './harness.mjs';

const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto');

const MODELS = 1000;
const GROUP = 100;
const TIME_LIMIT_MS = 30000;

// Small models, so that a thousand create quickly.
const BASES = [
  () => models.chainModel({ channels: 8, width: 4, size: 6, seed: 41 }),
  () => models.branchyModel({ seed: 42, shuffle: true }),
  () => ({ ...models.directModel({ seed: 43 }), inputs: { X: [1, 6, 9, 11], offset: [1, 36, 5, 8], mask: [1, 18, 5, 8] } }),
  () => ({ ...models.directModel({ seed: 44, withBias: false, withMask: false, weights: 'inputs', batch: 1 }), inputs: { X: [1, 6, 9, 11], offset: [1, 36, 5, 8], W: [4, 3, 3, 3] } }),
];

const HUGE = [-1, 0, 1, 2, 3, 7, 255, 65536, 2147483647, 2147483648, 2 ** 40, -(2 ** 40), 2 ** 53 - 1];
const pick = (rand, list) => list[Math.floor(rand() * list.length)];

/** One edit of the decoded model (onnx-proto's ModelProto object), chosen by rand; returns its description. */
function edit(m, rand) {
  const g = m.graph;
  const node = g.node.length ? pick(rand, g.node) : null;
  const kinds = [
    'attribute value', 'attribute type', 'input to nothing', 'input into a cycle', 'empty input', 'operator swapped',
    'output duplicated', 'initializer dims', 'initializer data', 'declared dims', 'initializer removed', 'node removed',
    'opset', 'element type', 'inputs reordered', 'output renamed', 'attribute removed', 'attribute added',
  ];
  const kind = pick(rand, kinds);
  switch (kind) {
    case 'attribute value': {
      const a = node && node.attribute.length ? pick(rand, node.attribute) : null;
      if (!a) return 'nothing';
      if (a.ints && a.ints.length) a.ints = a.ints.map((v) => (rand() < 0.5 ? pick(rand, HUGE) : v));
      else a.i = pick(rand, HUGE);
      return `${kind}: ${node.name}.${a.name}`;
    }
    case 'attribute type': {
      const a = node && node.attribute.length ? pick(rand, node.attribute) : null;
      if (!a) return 'nothing';
      a.type = pick(rand, [0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 99]);
      if (rand() < 0.5) {
        a.f = 1.5;
        a.s = new TextEncoder().encode('x');
      }
      return `${kind}: ${node.name}.${a.name} -> ${a.type}`;
    }
    case 'input to nothing':
      if (!node || !node.input.length) return 'nothing';
      node.input[Math.floor(rand() * node.input.length)] = 'nowhere';
      return `${kind}: ${node.name}`;
    case 'input into a cycle': {
      if (g.node.length < 2) return 'nothing';
      const early = g.node[Math.floor(rand() * g.node.length)];
      const late = g.node[Math.floor(rand() * g.node.length)];
      if (!early.input.length || !late.output.length) return 'nothing';
      early.input[0] = late.output[0];
      return `${kind}: ${early.name} reads ${late.output[0]}`;
    }
    case 'empty input':
      if (!node || !node.input.length) return 'nothing';
      node.input[Math.floor(rand() * node.input.length)] = '';
      return `${kind}: ${node.name}`;
    case 'operator swapped':
      if (!node) return 'nothing';
      node.opType = pick(rand, ['DeformConv', 'Conv', 'Relu', 'Split', 'NoSuchOp', '']);
      return `${kind}: ${node.name} -> ${node.opType}`;
    case 'output duplicated':
      if (!node || g.node.length < 2) return 'nothing';
      node.output[0] = pick(rand, g.node).output[0];
      return `${kind}: ${node.name}`;
    case 'initializer dims': {
      if (!g.initializer.length) return 'nothing';
      const t = pick(rand, g.initializer);
      t.dims = t.dims.map((d) => (rand() < 0.5 ? pick(rand, HUGE) : d));
      if (rand() < 0.3) t.dims.push(pick(rand, [1, 2, 2 ** 31]));
      return `${kind}: ${t.name}`;
    }
    case 'initializer data': {
      if (!g.initializer.length) return 'nothing';
      const t = pick(rand, g.initializer);
      if (t.rawData && t.rawData.length) t.rawData = t.rawData.subarray(0, Math.floor(rand() * t.rawData.length));
      if (rand() < 0.3) t.dataType = pick(rand, [0, 2, 7, 10, 11, 16, 99]);
      return `${kind}: ${t.name}`;
    }
    case 'declared dims': {
      const v = pick(rand, [...g.input, ...g.output]);
      const dims = v && v.type && v.type.tensorType && v.type.tensorType.shape ? v.type.tensorType.shape.dim : null;
      if (!dims || !dims.length) return 'nothing';
      const d = pick(rand, dims);
      if (rand() < 0.5) {
        d.dimValue = pick(rand, HUGE);
        d.dimParam = '';
      } else {
        dims.pop();
      }
      return `${kind}: ${v.name}`;
    }
    case 'initializer removed':
      if (!g.initializer.length) return 'nothing';
      return `${kind}: ${g.initializer.splice(Math.floor(rand() * g.initializer.length), 1)[0].name}`;
    case 'node removed':
      if (!g.node.length) return 'nothing';
      return `${kind}: ${g.node.splice(Math.floor(rand() * g.node.length), 1)[0].name}`;
    case 'opset':
      m.opsetImport = [{ domain: pick(rand, ['', 'ai.onnx', 'com.example']), version: pick(rand, [1, 11, 17, 18, 19, 22, 23, 99]) }];
      return `${kind}: ${m.opsetImport[0].domain}:${m.opsetImport[0].version}`;
    case 'element type': {
      const v = pick(rand, [...g.input, ...g.output]);
      if (!v || !v.type || !v.type.tensorType) return 'nothing';
      v.type.tensorType.elemType = pick(rand, [0, 6, 7, 9, 10, 11, 16, 99]);
      return `${kind}: ${v.name} -> ${v.type.tensorType.elemType}`;
    }
    case 'inputs reordered':
      if (!node || node.input.length < 2) return 'nothing';
      node.input = rand() < 0.5 ? node.input.slice().reverse() : node.input.slice(0, Math.floor(rand() * node.input.length));
      return `${kind}: ${node.name}`;
    case 'output renamed': {
      if (!g.output.length) return 'nothing';
      const v = pick(rand, g.output);
      v.name = pick(rand, ['renamed', '', v.name + '_x']);
      return `${kind}`;
    }
    case 'attribute removed':
      if (!node || !node.attribute.length) return 'nothing';
      node.attribute.splice(Math.floor(rand() * node.attribute.length), 1);
      return `${kind}: ${node.name}`;
    case 'attribute added':
      if (!node) return 'nothing';
      node.attribute.push(pick(rand, [
        { name: 'pads', type: 7, ints: [1, 1, 1, 1] }, { name: 'group', type: 2, i: 2 }, { name: 'offset_group', type: 2, i: 3 },
        { name: 'bogus', type: 2, i: 1 }, { name: 'kernel_shape', type: 7, ints: [5, 5] }, { name: 'strides', type: 7, ints: [2, 2] },
      ]));
      return `${kind}: ${node.name}`;
    default:
      return 'nothing';
  }
}

/** The mutated model number i: { bytes, what, inputs }. */
export function mutatedModel(i) {
  // Consecutive seeds of a linear congruential generator start alike: scramble them, and skip the first values.
  const rand = random(Math.imul(i + 1, 0x9e3779b1) >>> 0);
  rand();
  rand();
  const base = BASES[i % BASES.length]();
  let bytes = base.bytes;
  const what = [];
  const kind = rand();
  if (kind < 0.55 || kind >= 0.9) {
    const m = onnx.ModelProto.decode(bytes);
    const edits = 1 + Math.floor(rand() * 3);
    for (let e = 0; e < edits; e++) what.push(edit(m, rand));
    bytes = onnx.ModelProto.encode(m).finish();
  }
  if (kind >= 0.55 && kind < 0.8 || kind >= 0.9) {
    bytes = bytes.slice();
    const flips = 1 + Math.floor(rand() * 8);
    for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * bytes.length)] ^= 1 << Math.floor(rand() * 8);
    what.push(`${flips} bit flips`);
  } else if (kind >= 0.8 && kind < 0.9) {
    const at = Math.floor(rand() * bytes.length);
    bytes = bytes.subarray(0, at);
    what.push(`truncated at ${at}`);
  }
  return { bytes, what: what.join('; '), inputs: base.inputs };
}

function withTimeout(promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Hang(`${what} did not settle within ${TIME_LIMIT_MS / 1000} s`)), TIME_LIMIT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
class Hang extends Error {}

/** A rejection is clean when it is an Error, TypeError or RangeError itself with a message. */
function cleanRejection(e) {
  return e instanceof Error && [Error, TypeError, RangeError].includes(e.constructor) && typeof e.message === 'string' && e.message.length > 10 && !(e instanceof Hang);
}

function memory() {
  if (global.gc) global.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

export function hostileChecks(env) {
  const { ort, InferenceSession } = env;
  const counted = countingOrt(ort);
  const stats = { created: 0, ran: 0, rejectedAtCreate: 0, rejectedAtRun: 0, kinds: {} };
  let instance = null, layers = null;
  const checks = [];

  const one = async (i) => {
    const model = mutatedModel(i);
    const label = `model ${i} (${model.what || 'unchanged'})`;
    // Every 50th model gets an instance of its own (made and disposed by the session).
    const options = i % 50 === 49 ? { ort: counted.ort, threads: 1 } : { ort: counted.ort, deformConv: layers.deformConv };
    let session = null;
    try {
      session = await withTimeout(InferenceSession.create(model.bytes, options), `${label}: create`);
      stats.created++;
    } catch (e) {
      if (!cleanRejection(e)) throw new Error(`${label}: create did not reject cleanly: ${e && e.constructor && e.constructor.name}: ${e && e.stack}`);
      stats.rejectedAtCreate++;
      const key = `${e.constructor.name}: ${e.message.replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N').slice(0, 60)}`;
      stats.kinds[key] = (stats.kinds[key] || 0) + 1;
    }
    if (session) {
      const rand = random(i);
      const feeds = {};
      for (const name of session.inputNames) {
        const dims = model.inputs[name];
        if (dims) feeds[name] = randomTensor(ort, rand, dims);
      }
      try {
        await withTimeout(session.run(feeds), `${label}: run`);
        stats.ran++;
      } catch (e) {
        if (!cleanRejection(e)) throw new Error(`${label}: run did not reject cleanly: ${e && e.constructor && e.constructor.name}: ${e && e.stack}`);
        stats.rejectedAtRun++;
      }
      await withTimeout(session.release(), `${label}: release`);
    }
    assert(counted.live() === 0, `${label}: ${counted.live()} onnxruntime sessions left after ${session ? 'release' : 'the failed create'}`);
    assert(layers.live() === 0, `${label}: ${layers.live()} prepared layers left after ${session ? 'release' : 'the failed create'}`);
  };

  for (let start = 0; start < MODELS; start += GROUP) {
    checks.push({
      name: `mutated models ${start + 1}-${start + GROUP} run or reject cleanly, within ${TIME_LIMIT_MS / 1000} s, leaving nothing behind`,
      run: async () => {
        if (!instance) {
          instance = await env.createDeformConv({ threads: 1 });
          layers = countingInstance(instance);
        }
        for (let i = start; i < start + GROUP; i++) await one(i);
        return `so far: ${stats.created} created (${stats.ran} ran, ${stats.rejectedAtRun} rejected at run), ${stats.rejectedAtCreate} rejected at create`;
      },
    });
  }

  checks.push({
    name: 'memory stays flat: run twice more, the thousand models leave the process, the JS heap and the shared instance\'s heap as they were',
    run: async () => {
      assert(instance, 'the mutated models did not run');
      const pass = async () => {
        const counts = { ...stats };
        for (let i = 0; i < MODELS; i++) await one(i);
        assert(stats.created - counts.created === counts.created / pass.done && stats.ran - counts.ran === counts.ran / pass.done,
          `a later pass went otherwise: ${stats.created - counts.created} created, ${stats.ran - counts.ran} ran`);
        pass.done++;
      };
      pass.done = 1;
      // The second pass settles what the first left (memory pages a WebAssembly heap touches for the first
      // time show in rss); the third must not need more.
      await pass();
      const before = memory();
      const heap = instance._runner.wasm.heapStats();
      await pass();
      const after = memory();
      const grew = (key) => (after[key] - before[key]) / 2 ** 20;
      const heapNow = instance._runner.wasm.heapStats();
      assert(heapNow.allocatedBytes === heap.allocatedBytes, `the instance holds ${heapNow.allocatedBytes - heap.allocatedBytes} more bytes after the third pass`);
      assert(heapNow.heapBytes === heap.heapBytes, `the instance's heap grew from ${heap.heapBytes} to ${heapNow.heapBytes} bytes`);
      assert(grew('heapUsed') < 8, `the JS heap grew by ${grew('heapUsed').toFixed(1)} MiB`);
      // Not 'external': it counts the 64 MiB WebAssembly memory of every instance a session made and disposed
      // until the garbage collector gets round to it, which is not memory the process holds (rss says that).
      assert(grew('rss') < 16, `the process grew by ${grew('rss').toFixed(1)} MiB`);
      const top = Object.entries(stats.kinds).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${n / 3}x ${k}`).join(' | ');
      return `third pass: heap ${grew('heapUsed').toFixed(1)} MiB, rss ${grew('rss').toFixed(1)} MiB (external ${grew('external').toFixed(1)} MiB); most frequent rejections: ${top}`;
    },
  });

  checks.push({
    name: 'the shared instance and onnxruntime still compute a real model correctly afterwards',
    run: async () => {
      const model = models.branchyModel();
      const feeds = { x: randomTensor(ort, random(77), [1, 4, 12, 12]) };
      const session = await InferenceSession.create(model.bytes, { ort, deformConv: instance });
      expectSameOutputs(await session.run(feeds), await reference(ort, model.bytes, feeds), MODEL_TOLERANCE, 'branchy model');
      await session.release();
      instance.dispose();
      return `${stats.created} of ${MODELS} mutated models were created; ${stats.ran} ran`;
    },
  });
  return checks;
}
