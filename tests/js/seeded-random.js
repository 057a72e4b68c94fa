// The seeded generator of the test suites, in a file of its own without dependencies: helpers.js loads the
// package, and malformed-calls.js is also loaded by the WebGPU runner (tests/webgpu/node-runner.mjs), which
// has the package as an ES module of its own.

/** Seeded generator (LCG) returning floats in [0, 1). */
function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

module.exports = { random };
