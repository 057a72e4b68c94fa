// CommonJS consumer: require('deformconv-wasm'), run the case, print the result as JSON. Node must exit by itself.
const api = require('deformconv-wasm');
const c = require('./case.json');

import('./run-case.mjs')
  .then(({ runCase }) => runCase(api, c, { threads: 2 }))
  .then((result) => console.log(JSON.stringify({ resolved: require.resolve('deformconv-wasm'), ...result })));
