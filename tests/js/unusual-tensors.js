// Valid but unusual tensors: forms of { data, shape } that the API takes (views with an offset,
// SharedArrayBuffer, resizable buffers, onnxruntime-style { data, dims }, typed-array shapes, frozen objects,
// getters, arrays from another realm) and that must give exactly the results of the plain form. Shared by
// hostile-calls.test.js (WebAssembly) and tests/webgpu/node-runner.mjs (WebGPU).
const vm = require('vm');

const otherRealm = vm.runInNewContext('({ f32: (n) => new Float32Array(n) })');

// Each form rewraps one tensor { data, shape } without changing its numbers.
const FORMS = {
  'a subarray view with a non-zero byteOffset': ({ data, shape }) => {
    const big = new Float32Array(data.length + 7);
    big.set(data, 5);
    return { data: big.subarray(5, 5 + data.length), shape };
  },
  'SharedArrayBuffer-backed data': ({ data, shape }) => {
    const shared = new Float32Array(new SharedArrayBuffer(data.byteLength));
    shared.set(data);
    return { data: shared, shape };
  },
  'a SharedArrayBuffer view with an offset': ({ data, shape }) => {
    const shared = new Float32Array(new SharedArrayBuffer(data.byteLength + 12), 12, data.length);
    shared.set(data);
    return { data: shared, shape };
  },
  'a length-tracking view of a resizable ArrayBuffer': ({ data, shape }) => {
    const resizable = new Float32Array(new ArrayBuffer(data.byteLength, { maxByteLength: 2 * data.byteLength + 4 }));
    resizable.set(data);
    return { data: resizable, shape };
  },
  'an onnxruntime-style { data, dims }': ({ data, shape }) => ({ data, dims: shape }),
  'a typed-array shape': ({ data, shape }) => ({ data, shape: Int32Array.from(shape) }),
  'a frozen tensor with extra fields': ({ data, shape }) => Object.freeze({ data, shape: Object.freeze([...shape]), name: 'x', type: 'float32' }),
  'a class instance with getters': ({ data, shape }) => new (class Tensor { get data() { return data; } get shape() { return shape; } })(),
  'a Float32Array from another realm': ({ data, shape }) => {
    const foreign = otherRealm.f32(data.length);
    foreign.set(data);
    return { data: foreign, shape };
  },
};

module.exports = { FORMS };
