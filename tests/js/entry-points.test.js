// The package loads the way users load it: require and import in Node (by package name too), and a
// process that disposes its instance exits on its own (no worker thread keeps it alive).
const { execFileSync } = require('child_process');
const { ROOT } = require('./helpers');

const run = (args, input) => execFileSync(process.execPath, args, { cwd: ROOT, input, encoding: 'utf8', timeout: 60000 });

const SCRIPT_BODY = `
  const dc = await createDeformConv({ threads: 2 });
  const y = await dc.deformConv2d(
    { data: new Float32Array(18).fill(1), shape: [1, 2, 3, 3] },
    { data: new Float32Array(18), shape: [1, 2, 3, 3] },
    { data: new Float32Array([1, 2]), shape: [1, 2, 1, 1] });
  const info = dc.info();
  dc.dispose();
  console.log(JSON.stringify({ y: Array.from(y.data), backend: info.backend, threads: info.threads, layouts: typeof layouts.toMindSpore }));
`;
const EXPECTED = { y: [3, 3, 3, 3, 3, 3, 3, 3, 3], backend: 'wasm', threads: 2, layouts: 'function' };

test('require("deformconv-wasm") works and the process exits after dispose()', () => {
  const out = run(['-e', `const { createDeformConv, layouts } = require('deformconv-wasm'); (async () => { ${SCRIPT_BODY} })();`]);
  expect(JSON.parse(out)).toEqual(EXPECTED);
});

test('import from "deformconv-wasm" works and the process exits after dispose()', () => {
  const out = run(['--input-type=module', '-e', `import { createDeformConv, layouts } from 'deformconv-wasm'; ${SCRIPT_BODY}`]);
  expect(JSON.parse(out)).toEqual(EXPECTED);
});

test('the single-threaded build also lets the process exit', () => {
  const out = run(['-e', `const { createDeformConv } = require('deformconv-wasm'); (async () => { const dc = await createDeformConv({ wasmBuild: 'simd' }); console.log(dc.info().threads); dc.dispose(); })();`]);
  expect(out.trim()).toBe('1');
});

test('every entry point has the same named exports and no default export; instances are DeformConv instances', () => {
  const names = (entry) => `Object.keys(${entry}).filter((k) => k !== '__esModule').sort()`;
  const script = `
    import { createRequire } from 'node:module';
    import * as imported from 'deformconv-wasm';
    import * as browser from '${require('url').pathToFileURL(require('path').join(ROOT, 'dist', 'browser.mjs')).href}';
    const required = createRequire(import.meta.url)('deformconv-wasm');
    const dc = await imported.createDeformConv({ wasmBuild: 'simd' });
    console.log(JSON.stringify({
      imported: ${names('imported')}, browser: ${names('browser')}, required: ${names('required')},
      instance: dc instanceof imported.DeformConv && dc instanceof required.DeformConv,
      sameClass: imported.DeformConv === required.DeformConv,
    }));
    dc.dispose();
  `;
  const out = JSON.parse(run(['--input-type=module', '-e', script]));
  const expected = ['DeformConv', 'createDeformConv', 'layouts', 'version'];
  expect(out).toEqual({ imported: expected, browser: expected, required: expected, instance: true, sameClass: true });
});
