// The relaxed-SIMD builds through the public API, in an engine that takes them (Node.js 26 through
// node-runner.mjs, Chromium through browser.html): every golden case, forward and gradients, both conventions
// and both data formats (the golden checks of tests/webgpu/checks.mjs, which take any instance), on each
// relaxed build, and what relaxedSimd 'auto' and false load. Plain ES module without Node APIs; one
// { name, ok, message } per check of checks.json (passed in), the golden ones named '<suite>: <case>: <check>'.
import { assert, check, checkForward, goldenChecks } from '../webgpu/checks.mjs';

/** The suites: createDeformConv options, and what info() must say. */
export const SUITES = {
  'threads-relaxed': { options: { backend: 'wasm', wasmBuild: 'threads', threads: 2, relaxedSimd: true }, info: { wasmBuild: 'threads', threads: 2 } },
  'simd-relaxed': { options: { backend: 'wasm', wasmBuild: 'simd', relaxedSimd: true }, info: { wasmBuild: 'simd', threads: 1 } },
};

function infoMatches(info, expected) {
  for (const [key, value] of Object.entries(expected)) {
    assert(info[key] === value, `info().${key} is ${JSON.stringify(info[key])}, expected ${JSON.stringify(value)}: ${JSON.stringify(info)}`);
  }
}

/**
 * suite: a SUITES name (every golden case on that build), 'selection-threads' (SharedArrayBuffer usable) or
 * 'selection-plain' (a page that is not cross-origin isolated); cases: golden cases (parsed JSON); names:
 * tests/relaxed/checks.json; golden: the golden check names (tests/webgpu/checks.json's "golden").
 */
export async function runSuite(createDeformConv, suite, cases, names, golden) {
  const results = [];
  if (SUITES[suite]) {
    let dc = null;
    await check(results, `${suite}: ${names.load}`, async () => {
      dc = await createDeformConv(SUITES[suite].options);
      infoMatches(dc.info(), { ...SUITES[suite].info, backend: 'wasm', relaxedSimd: true, simdInstructions: 'wasm-relaxed-simd' });
    });
    if (dc) {
      try {
        for (const r of await goldenChecks(dc, cases, golden)) results.push({ ...r, name: `${suite}: ${r.name}` });
      } finally {
        dc.dispose();
      }
    }
  } else if (suite === 'selection-threads') {
    const [auto, off] = names.selectionThreads;
    await check(results, auto, async () => {
      const dc = await createDeformConv({ threads: 2 });
      try {
        infoMatches(dc.info(), { backend: 'wasm', wasmBuild: 'threads', relaxedSimd: true, simdInstructions: 'wasm-relaxed-simd' });
        await checkForward(dc, cases[0], 'torchvision', 'NCHW');
      } finally {
        dc.dispose();
      }
    });
    await check(results, off, async () => {
      const plain = await createDeformConv({ threads: 2, relaxedSimd: false });
      const relaxed = await createDeformConv({ threads: 2, relaxedSimd: true });
      try {
        infoMatches(plain.info(), { wasmBuild: 'threads', relaxedSimd: false, simdInstructions: 'wasm-simd128' });
        for (const c of cases) {
          const args = [{ data: Float32Array.from(c.input), shape: c.shapes.input }, { data: Float32Array.from(c.offset), shape: c.shapes.offset },
            { data: Float32Array.from(c.weight), shape: c.shapes.weight }, { padding: c.params.padding, stride: c.params.stride, dilation: c.params.dilation,
              mask: c.mask ? { data: Float32Array.from(c.mask), shape: c.shapes.mask } : null, bias: c.bias ? { data: Float32Array.from(c.bias), shape: c.shapes.bias } : null }];
          const a = (await plain.deformConv2d(...args)).data, b = (await relaxed.deformConv2d(...args)).data;
          // Fused and unfused multiply-adds round differently: equal within the forward tolerance, not bit for bit.
          for (let i = 0; i < a.length; i++) assert(Math.abs(a[i] - b[i]) <= 2e-5 * (1 + Math.abs(a[i])), `${c.name}[${i}]: plain ${a[i]}, relaxed ${b[i]}`);
        }
      } finally {
        plain.dispose();
        relaxed.dispose();
      }
    });
  } else if (suite === 'selection-plain') {
    await check(results, names.selectionPlain[0], async () => {
      assert(globalThis.crossOriginIsolated !== true, 'the page is cross-origin isolated');
      const dc = await createDeformConv({ backend: 'wasm', threads: 2 });
      try {
        infoMatches(dc.info(), { backend: 'wasm', wasmBuild: 'simd', threads: 1, relaxedSimd: true });
        await checkForward(dc, cases[0], 'MindSpore', 'NHWC');
      } finally {
        dc.dispose();
      }
    });
  } else {
    throw new Error(`unknown suite ${suite}`);
  }
  return results;
}
