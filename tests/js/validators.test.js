// The two validators agree: the SIMD module's Engine.validate (WebAssembly instances, and WebGPU instances
// where SIMD exists) and the SIMD-free module's (WebGPU instances without SIMD) accept and reject the same calls
// with the same answers, the calls beyond the 4 GiB of WebAssembly memory included: that limit belongs to the
// WebAssembly heap and is checked, by the full modules' checkMemory(), only for calls that run there.
const fs = require('fs');
const path = require('path');
const { ROOT, goldenCases, torchvisionArgs } = require('./helpers');

async function loadModule(build) {
  const base = path.join(ROOT, 'dist', 'wasm', `deformconv-${build}-node`);
  return require(`${base}.cjs`)({ wasmBinary: fs.readFileSync(`${base}.wasm`), pthreadPoolSize: build === 'threads' ? 1 : 0 });
}

const tv = (input, offset, weight, extra = {}) => ({
  convention: 'torchvision', dataFormat: 'NCHW', inputShape: input, weightShape: weight, offsetShape: offset,
  maskShape: null, biasShape: null, stride: [1], padding: [0], dilation: [1], gradOutputShape: null, ...extra,
});
const ms = (x, weight, offsets, extra = {}) => ({
  convention: 'mindspore', dataFormat: 'NCHW', inputShape: x, weightShape: weight, offsetShape: offsets,
  maskShape: null, biasShape: null, kernelSize: weight.slice(2), stride: [1, 1, 1, 1], padding: [0, 0, 0, 0],
  dilation: [1, 1, 1, 1], groups: 1, offsetGroups: 1, modulated: true, gradOutputShape: null, ...extra,
});

const CALLS = [
  // Within every limit.
  ['a golden case', (() => { const [i, o, w, opt] = torchvisionArgs(goldenCases()[0]); return tv(i.shape, o.shape, w.shape, { maskShape: opt.mask && opt.mask.shape, biasShape: opt.bias && opt.bias.shape, stride: opt.stride, padding: opt.padding, dilation: opt.dilation }); })()],
  // Beyond 4 GiB: input alone 4 GiB; 2 GiB of input and 2 of output; a backward call of 1.5 GiB of input.
  ['4 GiB of input', tv([1, 1024, 1024, 1024], [1, 2, 1024, 1024], [1, 1024, 1, 1])],
  ['2 + 2 GiB', ms([1, 512, 1024, 1024], [512, 512, 1, 1], [1, 3, 1024, 1024])],
  ['a large backward call', tv([1, 512, 768, 1024], [1, 2, 768, 1024], [1, 512, 1, 1], { gradOutputShape: [1, 1, 768, 1024] })],
  // Invalid.
  ['a tensor over 2^31 - 1 elements', tv([1, 65536, 65536, 1], [1, 2, 65536, 1], [2, 65536, 1, 1])],
  ['a bad offset', tv([1, 4, 5, 5], [1, 10, 5, 5], [2, 4, 3, 3])],
  ['a bad kernel size', ms([1, 4, 5, 5], [2, 4, 3, 3], [1, 27, 3, 3], { kernelSize: [5, 5] })],
];

let simd, validator;
beforeAll(async () => {
  simd = await loadModule('simd');
  validator = await loadModule('validate');
});

/** The answer without the embind handle of the accepted call (deleted here). */
function answerOf(module, args) {
  const engine = new module.Engine(1);
  try {
    const answer = engine.validate(args);
    if (answer.call) answer.call.delete();
    delete answer.call;
    return answer;
  } finally {
    engine.delete();
  }
}

test.each(CALLS)('%s: the same answer from the SIMD module and the SIMD-free module', (label, args) => {
  const a = answerOf(simd, args), b = answerOf(validator, args);
  // The full modules add what only they can compute (workspace and packed weight sizes for their kernels).
  delete a.workspaceBytes;
  delete a.packedWeightBytes;
  expect(b).toEqual(a);
});

test('calls beyond 4 GiB pass validation and fail the full modules\' memory check', () => {
  const engine = new simd.Engine(1);
  try {
    for (const [, args] of CALLS.slice(1, 4)) {
      const answer = engine.validate(args);
      expect(answer.ok).toBe(true);
      const memory = engine.checkMemory(answer.call);
      answer.call.delete();
      expect(memory.ok).toBe(false);
      expect(memory.errorKind).toBe('RangeError');
      expect(memory.message).toMatch(/more than the 4294967296 bytes \(4 GiB\) this build can address/);
    }
  } finally {
    engine.delete();
  }
});
