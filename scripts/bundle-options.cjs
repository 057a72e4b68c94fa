// The esbuild options every bundle of bindings/ shares: scripts/build-js.mjs uses them for dist/, and the tests
// that bundle a single module (tests/js/internal-modules.js) use them too. The WGSL kernels go in as text, and
// the package's version comes from package.json, its one source (__DCN_VERSION__ in bindings/api/deform-conv.js).
const fs = require('fs');
const path = require('path');

function bundleOptions() {
  const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  return {
    loader: { '.wgsl': 'text' },
    define: { __DCN_VERSION__: JSON.stringify(version) },
  };
}

module.exports = { bundleOptions };
