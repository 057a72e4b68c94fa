// The WebGPU checks of checks.json that run in a browser page (tests/webgpu/browser.html, opened by
// tests/js/webgpu-chromium.test.js): every golden case on backend 'webgpu' (navigator.gpu of headless
// Chromium: SwiftShader), what backend 'auto' picks with and without cross-origin isolation, and WebGPU in
// an engine without WebAssembly SIMD (the SIMD-free validation module), GPU-resident tensors
// (resident-checks.mjs), and deformconv-wasm/onnx with onnxruntime on 'webgpu' (onnx-browser-checks.mjs).
// The repository is served under /; the test passes checks.json and the golden cases in.
import { createDeformConv } from '../../dist/browser.mjs';
import * as api from '../../dist/browser.mjs';
import { assert, check, checkBackward, checkForward, goldenChecks, withoutWasmSimd } from './checks.mjs';
import { residentChecks } from './resident-checks.mjs';

/** suite: 'golden' | 'auto-isolated' | 'auto-plain' | 'no-simd' | 'resident' | 'onnx'; checks: checks.json; cases: golden cases (parsed JSON). */
export async function run({ suite, checks, cases }) {
  const results = [];
  if (suite === 'golden') {
    const dc = await createDeformConv({ backend: 'webgpu' });
    try {
      results.push(...await goldenChecks(dc, cases, checks.golden));
    } finally {
      dc.dispose();
    }
  } else if (suite === 'auto-isolated') {
    await check(results, checks.browser[0], async () => {
      assert(globalThis.crossOriginIsolated === true, 'the page is not cross-origin isolated');
      const dc = await createDeformConv({ backend: 'auto', threads: 2 });
      try {
        const info = dc.info();
        assert(info.backend === 'wasm' && info.wasmBuild === 'threads' && info.threads === 2, JSON.stringify(info));
        await checkForward(dc, cases[0], 'torchvision', 'NCHW');
      } finally {
        dc.dispose();
      }
    });
  } else if (suite === 'auto-plain') {
    await check(results, checks.browser[1], async () => {
      assert(globalThis.crossOriginIsolated !== true, 'the page is cross-origin isolated');
      const adapter = await navigator.gpu.requestAdapter();
      const fallback = adapter.info ? adapter.info.isFallbackAdapter : adapter.isFallbackAdapter;
      assert(fallback === true, 'this check expects the only adapter to be a fallback one (SwiftShader)');
      const dc = await createDeformConv({ backend: 'auto', threads: 2 });
      try {
        const info = dc.info();
        assert(info.backend === 'wasm' && info.wasmBuild === 'simd' && info.threads === 1, JSON.stringify(info));
        assert(/fallback/.test(info.fallbackReason), `fallbackReason: ${info.fallbackReason}`);
        await checkForward(dc, cases[0], 'MindSpore', 'NHWC');
      } finally {
        dc.dispose();
      }
    });
  } else if (suite === 'resident') {
    const newDevice = async () => (await navigator.gpu.requestAdapter()).requestDevice();
    const named = (name) => cases.find((c) => c.name === name);
    results.push(...await residentChecks({ api, newDevice, named, names: checks.resident }));
  } else if (suite === 'onnx') {
    const { run: runOnnx } = await import('./onnx-browser-checks.mjs');
    results.push(...await runOnnx({ names: checks.onnxBrowser, models: [{ file: 'branchy.onnx' }] }));
  } else if (suite === 'no-simd') {
    await check(results, checks.browser[2], () => withoutWasmSimd(async () => {
      // On the page's thread: the engine without SIMD is this page's (WebAssembly.validate faked here), which the
      // proxy's worker would not see.
      const dc = await createDeformConv({ backend: 'webgpu', proxy: false });
      try {
        const info = dc.info();
        assert(info.backend === 'webgpu' && info.simd === false && info.wasmBuild === 'validate', JSON.stringify(info));
        await checkForward(dc, cases[0], 'torchvision', 'NHWC');
        await checkBackward(dc, cases[0], 'MindSpore', 'NCHW');
      } finally {
        dc.dispose();
      }
    }));
  }
  return results;
}
