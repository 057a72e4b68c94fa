// Hostile calls on the WebGPU backend in Node.js (node-runner.mjs runs these; the names are checks.json's
// "hostile" list, in order). One instance with backend 'webgpu' on a Dawn device seen through
// limitedDevice() (its real limits, so that submits and buffers are counted):
//   1. at least 1,000 malformed calls per entry point from the seeded generator of the WebAssembly suite
//      (tests/js/malformed-calls.js, seeds of their own), each rejecting with exactly TypeError or RangeError
//      whose message names the argument;
//   2. none of them reached the GPU (no submit, no new buffer) and the validator's heap is as before;
//   3. the instance is still on WebGPU: info().backend 'webgpu', fallbackReason null (no silent fallback);
//   4. the same instance then passes every golden check (forward and gradients, both conventions, both data
//      formats) and is still on WebGPU;
//   5. valid but unusual tensors (tests/js/unusual-tensors.js: shared, resizable, offset views, another
//      realm, ...) give exactly the results of plain ones;
//   6. a call means what its arrays held when it was made: arrays changed, transferred or shrunk while the
//      call waits behind another one give the same results as untouched ones, on WebGPU and on the
//      WebAssembly fallback of 'auto'.
import malformed from '../js/malformed-calls.js';
import unusual from '../js/unusual-tensors.js';
import { assert, check, goldenChecks, limitedDevice, random } from './checks.mjs';

const { ENTRY_POINTS, checkMalformedCalls, seedOf, makeCase, torchvisionArgs, mindsporeArgs } = malformed;
const { FORMS } = unusual;

export const CALLS_PER_ENTRY_POINT = 1000;

const plainTensor = (x) => (x ? { data: x.data, shape: [...x.shape] } : x);

/** The results of a call as a list of Float32Arrays (null for an absent gradient), whatever the entry point. */
function arraysOf(result) {
  if (result.data) return [result.data];
  return Object.keys(result).sort().map((key) => (result[key] ? result[key].data : null));
}

function sameBits(a, b, label) {
  assert(a.length === b.length, `${label}: ${a.length} results, expected ${b.length}`);
  a.forEach((x, i) => {
    const y = b[i];
    assert((x === null) === (y === null), `${label}: result ${i} is present on one side only`);
    if (x === null) return;
    assert(x.length === y.length, `${label}: result ${i} has ${x.length} elements, expected ${y.length}`);
    const bad = x.findIndex((v, j) => !Object.is(v, y[j]));
    assert(bad < 0, `${label}: result ${i} differs at [${bad}]: ${x[bad]} instead of ${y[bad]}`);
  });
}

/** The four entry points on a case of malformed-calls.js, each a function (instance, wrap) -> promise. */
function entryCalls(c) {
  const tv = torchvisionArgs(c), ms = mindsporeArgs(c), gradOutput = plainTensor(c.gradOutput);
  const wrapOptions = (o, wrap) => Object.fromEntries(Object.entries(o).map(([key, v]) => [key, (key === 'mask' || key === 'bias') && v ? wrap(v) : v]));
  return {
    deformConv2d: (dc, wrap) => dc.deformConv2d(wrap(tv[0]), wrap(tv[1]), wrap(tv[2]), wrapOptions(tv[3], wrap)),
    deformableConv2d: (dc, wrap) => dc.deformableConv2d(wrap(ms[0]), wrap(ms[1]), wrap(ms[2]), ms[3], ms[4], ms[5], wrapOptions(ms[6], wrap)),
    deformConv2dBackward: (dc, wrap) => dc.deformConv2dBackward(wrap(gradOutput), wrap(tv[0]), wrap(tv[1]), wrap(tv[2]), wrapOptions(tv[3], wrap)),
    deformableConv2dBackward: (dc, wrap) => dc.deformableConv2dBackward(wrap(gradOutput), wrap(ms[0]), wrap(ms[1]), wrap(ms[2]), ms[3], ms[4], ms[5], wrapOptions(ms[6], wrap)),
  };
}

/**
 * Calls every entry point with arrays spoiled (filled with NaN, transferred, shrunk) as soon as the call has
 * returned its promise, behind another call that keeps the instance busy, so the spoiled call runs later.
 * Returns the calls whose results differ from those of the untouched arrays.
 */
async function spoiledCallFailures(dc) {
  const rand = random(78);
  const c = makeCase(rand, false);
  // The call in front runs on other values: a spoiled call must not pass by reading what the call in front
  // left in the GPU's buffers.
  const other = entryCalls(makeCase(rand, false));
  const spoil = {
    'filled with NaN': (data) => data.fill(NaN),
    'transferred (detached)': (data) => structuredClone(data.buffer, { transfer: [data.buffer] }),
    'shrunk to nothing': (data) => data.buffer.resize(0),
  };
  const failures = [];
  for (const [entryName, call] of Object.entries(entryCalls(c))) {
    const plain = arraysOf(await call(dc, plainTensor));
    const plainInFront = arraysOf(await other[entryName](dc, plainTensor));
    for (const [how, act] of Object.entries(spoil)) {
      // Every tensor in a resizable buffer of its own, so that it can be shrunk.
      const given = [];
      const own = (t) => {
        const data = new Float32Array(new ArrayBuffer(t.data.byteLength, { maxByteLength: t.data.byteLength }));
        data.set(t.data);
        given.push(data);
        return { data, shape: [...t.shape] };
      };
      const busy = other[entryName](dc, plainTensor);
      const spoiled = call(dc, own);
      given.forEach(act);
      const [first, second] = await Promise.allSettled([busy, spoiled]);
      try {
        if (first.status === 'rejected') throw first.reason;
        if (second.status === 'rejected') throw second.reason;
        sameBits(arraysOf(second.value), plain, `${entryName}, arrays ${how}`);
        sameBits(arraysOf(first.value), plainInFront, `${entryName} in front of it`);
      } catch (e) {
        failures.push(`${entryName}, arrays ${how} after the call: ${e.constructor.name}: ${e.message}`);
      }
    }
  }
  return failures;
}

/**
 * Runs the checks; names: checks.json's "hostile" list; cases: the golden cases; goldenNames: checks.json's
 * "golden" list. Returns a result for every name: when the instance cannot even be set up, every check that
 * did not run fails with the reason.
 */
export async function hostileChecks(options) {
  const results = [];
  try {
    await runHostileChecks(results, options);
  } catch (e) {
    const reason = String(e && e.stack ? e.stack : e).slice(0, 2000);
    for (const name of options.names) {
      if (!results.some((r) => r.name === name)) results.push({ name, ok: false, message: `not run: ${reason}` });
    }
  }
  return results;
}

async function runHostileChecks(results, { api, device, cases, names, goldenNames }) {
  const limits = device.limits;
  const counters = { maxBytes: Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) };
  const dc = await api.createDeformConv({ backend: 'webgpu', gpuDevice: limitedDevice(device, counters) });
  try {
    assert(dc._runner.wasm.build === 'simd', `the validator is the ${dc._runner.wasm.build} build, which has no heapStats()`);
    // Warm up: one golden case through every check, so that every pipeline and lazily made structure exists.
    const warmUp = (await goldenChecks(dc, cases.slice(0, 1), goldenNames)).filter((r) => !r.ok);
    assert(!warmUp.length, `the warm-up calls failed: ${warmUp.map((r) => `${r.name}: ${r.message}`).join('\n')}`);
    const heapBefore = dc._runner.wasm.heapStats();
    const gpuBefore = { submits: counters.submits, created: counters.created };

    // 1. the malformed calls, one entry point per check
    const entryNames = names.slice(0, 4);
    for (const name of entryNames) {
      await check(results, name, async () => {
        const entry = ENTRY_POINTS.find((e) => name.startsWith(`${e.name}:`));
        assert(entry, `no entry point of malformed-calls.js for the check '${name}'`);
        const { count, failures } = await checkMalformedCalls(entry, dc, { seed: seedOf(`webgpu ${entry.name}`), count: CALLS_PER_ENTRY_POINT });
        assert(!failures.length, `${failures.length} of ${count} calls failed:\n${failures.slice(0, 10).join('\n')}`);
        assert(count >= CALLS_PER_ENTRY_POINT, `only ${count} calls were made`);
      });
    }

    // 2. nothing reached the GPU, nothing stayed on the validator's heap
    await check(results, names[4], async () => {
      assert(counters.submits === gpuBefore.submits, `the malformed calls submitted ${counters.submits - gpuBefore.submits} command buffers`);
      assert(counters.created === gpuBefore.created, `the malformed calls made ${counters.created - gpuBefore.created} buffers`);
      const heapAfter = dc._runner.wasm.heapStats();
      assert(heapAfter.allocatedBytes === heapBefore.allocatedBytes && heapAfter.heapBytes === heapBefore.heapBytes,
        `the validator's heap was ${JSON.stringify(heapBefore)} and is ${JSON.stringify(heapAfter)}`);
    });

    // 3. no fallback
    const expectStillOnWebGpu = (when) => {
      const info = dc.info();
      assert(dc.backend === 'webgpu' && info.backend === 'webgpu' && info.webgpu !== null,
        `${when} the instance runs on ${info.backend} (webgpu: ${JSON.stringify(info.webgpu)})`);
      assert(info.fallbackReason === null, `${when} fallbackReason is ${JSON.stringify(info.fallbackReason)}`);
    };
    await check(results, names[5], async () => expectStillOnWebGpu('after the malformed calls'));

    // 4. every golden check on the same instance
    await check(results, names[6], async () => {
      const failed = (await goldenChecks(dc, cases, goldenNames)).filter((r) => !r.ok);
      assert(!failed.length, `${failed.length} golden checks failed:\n${failed.slice(0, 5).map((r) => `${r.name}: ${r.message.split('\n')[0]}`).join('\n')}`);
      expectStillOnWebGpu('after the golden cases');
    });

    // 5. valid but unusual tensors
    await check(results, names[7], async () => {
      const rand = random(77);
      const failures = [];
      for (const c of Array.from({ length: 2 }, () => makeCase(rand, false))) {
        for (const [entryName, call] of Object.entries(entryCalls(c))) {
          const plain = arraysOf(await call(dc, plainTensor));
          for (const [form, wrap] of Object.entries(FORMS)) {
            try {
              sameBits(arraysOf(await call(dc, wrap)), plain, `${entryName} with ${form}`);
            } catch (e) {
              failures.push(`${entryName} with ${form}: ${e.constructor.name}: ${e.message}`);
            }
          }
        }
      }
      assert(!failures.length, `${failures.length} calls failed:\n${failures.slice(0, 10).join('\n')}`);
      expectStillOnWebGpu('after the unusual tensors');
    });

    // 6. arrays changed after the call, on WebGPU and on the WebAssembly fallback of an 'auto' instance whose
    // device takes no buffer above 64 bytes (every call falls back, and the instance stays on WebGPU)
    await check(results, names[8], async () => {
      const failures = await spoiledCallFailures(dc);
      const auto = await api.createDeformConv({ backend: 'auto', threads: 1, gpuDevice: limitedDevice(device, { maxBytes: 64 }) });
      try {
        assert(auto.backend === 'webgpu', `the 'auto' instance runs on ${auto.backend}`);
        failures.push(...(await spoiledCallFailures(auto)).map((f) => `on the fallback: ${f}`));
        assert(/this call ran on WebAssembly/.test(auto.info().fallbackReason), `the 'auto' instance did not fall back: ${auto.info().fallbackReason}`);
      } finally {
        auto.dispose();
      }
      assert(!failures.length, `${failures.length} calls failed:\n${failures.join('\n')}`);
      expectStillOnWebGpu('after the spoiled arrays');
    });
  } finally {
    dc.dispose();
  }
}
