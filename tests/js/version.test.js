// The version has one source, package.json: the JS bundles get it from esbuild (scripts/bundle-options.cjs),
// the core's dcn::kVersion from CMake (which reads package.json; tests/native/version_test.cpp checks the
// native build). Here: the exported version, info().version and every WebAssembly module's version().
const fs = require('fs');
const path = require('path');
const { ROOT, api, WASM_BUILDS } = require('./helpers');

const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('the exported version is package.json\'s', () => {
  expect(api.version).toBe(version);
});

test.each(WASM_BUILDS)('info().version of an instance on the %s build is package.json\'s', async (build, options) => {
  const dc = await api.createDeformConv(options);
  try {
    expect(dc.info().version).toBe(version);
  } finally {
    dc.dispose();
  }
});

test.each(['threads', 'simd', 'validate'])('the %s module\'s version() is package.json\'s', async (build) => {
  const base = path.join(ROOT, 'dist', 'wasm', `deformconv-${build}-node`);
  const module = await require(`${base}.cjs`)({ wasmBinary: fs.readFileSync(`${base}.wasm`), pthreadPoolSize: build === 'threads' ? 1 : 0 });
  try {
    expect(module.version()).toBe(version);
  } finally {
    if (module.terminateWorkers) module.terminateWorkers();
  }
});
