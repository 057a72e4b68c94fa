// node tests/differential/webgpu-runner.mjs OUT.json CASE.json...
// The differential test's configurations (files made by make_cases.py) through every variant of calls.js on
// the WebGPU backend in Node.js: the npm package `webgpu` (Dawn) on SwiftShader's Vulkan driver from Debian's
// chromium package (docs/toolchain.md). Writes [{ case, problems }] to OUT.json, one entry per case in the
// order given. A separate process, as tests/webgpu/node-runner.mjs is: Jest does not load Dawn's ES module,
// and a crash of the driver cannot take a Jest worker with it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The Vulkan loader reads these when Dawn first looks for adapters, so they are set before it loads.
process.env.VK_ICD_FILENAMES ||= '/usr/lib/chromium/vk_swiftshader_icd.json';
process.env.XDG_RUNTIME_DIR ||= '/tmp';
const { create } = await import('webgpu');

const here = dirname(fileURLToPath(import.meta.url));
const api = await import(join(here, '..', '..', 'dist', 'index.mjs'));
const { checkCase } = createRequire(import.meta.url)('./calls.js');

const [out, ...files] = process.argv.slice(2);
const dc = await api.createDeformConv({ backend: 'webgpu', gpu: create([]) });
if (dc.info().backend !== 'webgpu') throw new Error(`asked for WebGPU, got ${JSON.stringify(dc.info())}`);
const results = [];
for (const file of files) {
  const c = JSON.parse(readFileSync(file, 'utf8'));
  const t0 = performance.now();
  results.push({ case: c.name, problems: await checkCase(api, dc, c) });
  console.log(`${c.name}: ${results.at(-1).problems.length ? 'FAILED' : 'ok'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
dc.dispose();
writeFileSync(out, JSON.stringify(results));
