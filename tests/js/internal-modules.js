// The package's own modules, below its public entry points, for tests that must reach what the entry points
// do not export (a platform with a slow loader or a faked core count, the pieces of one call's path). Each
// module of bindings/ is bundled on demand with the options of the package's own bundles
// (scripts/bundle-options.cjs) into a CommonJS file under the system's temporary folder, and required from
// there.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { buildSync } = require('esbuild');
const { ROOT } = require('./helpers');
const { bundleOptions } = require('../../scripts/bundle-options.cjs');

const bundled = new Map();

/** The path of the CommonJS bundle of bindings/<relative>, made on the first request. */
function pathOf(relative) {
  if (bundled.has(relative)) return bundled.get(relative);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deformconv-internal-')), 'module.cjs');
  buildSync({
    entryPoints: [path.join(ROOT, 'bindings', relative)],
    outfile: out,
    bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning',
    ...bundleOptions(),
  });
  bundled.set(relative, out);
  return out;
}

/** The exports of bindings/<relative> (e.g. 'api/deform-conv.js'), bundled as the package bundles it. */
function internalModule(relative) {
  return require(pathOf(relative));
}
internalModule.pathOf = pathOf;

module.exports = { internalModule };
