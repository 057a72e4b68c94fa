// Every class of bad argument rejects with the right Error class and a message naming the argument, what was
// expected and what was given; the instance keeps working afterwards.
const { api, goldenCases, torchvisionArgs, mindsporeArgs, expectClose, FORWARD_TOLERANCE } = require('./helpers');

const t = (shape, fill = 0.5) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), shape });
// A valid torchvision call: input (1, 4, 5, 5), 3x3 kernel, padding 1, one offset group, mask, bias.
function valid() {
  return {
    input: t([1, 4, 5, 5]), offset: t([1, 18, 5, 5], 0.25), weight: t([2, 4, 3, 3]),
    options: { mask: t([1, 9, 5, 5]), bias: t([2]), padding: 1 },
  };
}
// The same call in MindSpore's convention.
function validMs() {
  return { x: t([1, 4, 5, 5]), weight: t([2, 4, 3, 3]), offsets: t([1, 27, 5, 5], 0.25), kernelSize: [3, 3], strides: [1, 1, 1, 1], padding: [1, 1, 1, 1], options: { bias: t([2]) } };
}

let dc;
beforeAll(async () => { dc = await api.createDeformConv({ threads: 2 }); });
afterAll(() => dc && dc.dispose());

const tv = (change) => {
  const a = valid();
  change(a);
  return dc.deformConv2d(a.input, a.offset, a.weight, a.options);
};
const ms = (change) => {
  const a = validMs();
  change(a);
  return dc.deformableConv2d(a.x, a.weight, a.offsets, a.kernelSize, a.strides, a.padding, a.options);
};

describe('deformConv2d rejects', () => {
  test.each([
    ['a Float64Array', (a) => { a.input = { data: new Float64Array(100), shape: [1, 4, 5, 5] }; }, TypeError, /^input\.data must be a Float32Array, got a Float64Array of length 100$/],
    ['a plain array as data', (a) => { a.weight = { data: [1, 2], shape: [2, 4, 3, 3] }; }, TypeError, /^weight\.data must be a Float32Array, got an array of length 2$/],
    ['a typed array instead of a tensor', (a) => { a.offset = new Float32Array(450); }, TypeError, /^offset must be a tensor \{ data: Float32Array, shape: number\[\] \}, got a Float32Array/],
    ['a missing tensor', (a) => { a.input = undefined; }, TypeError, /^input must be a tensor .* got undefined$/],
    ['a shape that is not an array', (a) => { a.input = { data: a.input.data, shape: '1,4,5,5' }; }, TypeError, /^input\.shape must be an array of integers, got the string/],
    ['a non-integer dimension', (a) => { a.input = { data: a.input.data, shape: [1, 4, 5.5, 5] }; }, RangeError, /^input\.shape must contain integers between 0 and 2147483647, got \[1, 4, 5\.5, 5\]$/],
    ['a 3-D input', (a) => { a.input = t([4, 5, 5]); }, RangeError, /^input must be a 4-D tensor \(N, C_in, H, W\), got shape \[4, 5, 5\] \(3-D\)$/],
    ['zero input channels', (a) => { a.input = t([1, 0, 5, 5]); }, RangeError, /^input: C_in \(shape\[1\]\) must be between 1 and 2147483647, got shape \[1, 0, 5, 5\]$/],
    ['a 2-D weight', (a) => { a.weight = t([2, 36]); }, RangeError, /^weight must be a 4-D tensor \(C_out, C_in \/ groups, kh, kw\), got shape \[2, 36\]/],
    ['data shorter than its shape', (a) => { a.input = { data: new Float32Array(99), shape: [1, 4, 5, 5] }; }, RangeError, /^input\.data has 99 elements but shape \[1, 4, 5, 5\] needs 100$/],
    ['offset channels not a multiple of 2*kh*kw', (a) => { a.offset = t([1, 10, 5, 5]); }, RangeError, /^offset: shape\[1\] = 10 must be a multiple of 2 \* kh \* kw = 18/],
    ['offset groups not dividing C_in', (a) => { a.offset = t([1, 54, 5, 5]); a.options.mask = t([1, 27, 5, 5]); }, RangeError, /^offset groups = 3 \(offset\.shape\[1\] \/ \(2 \* kh \* kw\)\) must divide the input channels C_in = 4$/],
    ['an offset batch mismatch', (a) => { a.offset = t([2, 18, 5, 5]); }, RangeError, /^offset: the batch size \(shape\[0\]\) must equal the input's, 1, got 2$/],
    ['an offset spatial mismatch', (a) => { a.offset = t([1, 18, 4, 5]); }, RangeError, /^offset: the spatial size must equal the output size \(Ho, Wo\) = \(5, 5\), got \(4, 5\); \(Ho, Wo\) follows from input, weight, stride, padding and dilation$/],
    ['mask channels', (a) => { a.options.mask = t([1, 8, 5, 5]); }, RangeError, /^mask: shape\[1\] must be offset_groups \* kh \* kw = 9, got 8$/],
    ['a mask spatial mismatch', (a) => { a.options.mask = t([1, 9, 5, 4]); }, RangeError, /^mask: the spatial size must equal the output size \(Ho, Wo\) = \(5, 5\), got \(5, 4\); \(Ho, Wo\) follows from input, weight, stride, padding and dilation$/],
    ['weight channels not dividing C_in', (a) => { a.weight = t([2, 3, 3, 3]); }, RangeError, /^weight: shape\[1\] = 3 must divide the input channels C_in = 4 \(groups = C_in \/ weight\.shape\[1\]\)$/],
    ['C_out not divisible by groups', (a) => { a.weight = t([3, 2, 3, 3]); a.options.bias = t([3]); }, RangeError, /^weight: shape\[0\] \(C_out = 3\) must be divisible by groups = 2$/],
    ['a bias of the wrong size', (a) => { a.options.bias = t([5]); }, RangeError, /^bias must have shape \[C_out\] = \[2\], got \[5\]$/],
    ['a 2-D bias', (a) => { a.options.bias = t([1, 2]); }, RangeError, /^bias must be a 1-D tensor \(C_out\), got shape \[1, 2\]$/],
    ['stride 0', (a) => { a.options.stride = [0, 1]; }, RangeError, /^stride must be positive \(at most 2147483647\), got \[0, 1\]$/],
    ['a non-integer stride', (a) => { a.options.stride = 1.5; }, RangeError, /^stride must contain integers between -2147483647 and 2147483647, got \[1\.5\]$/],
    ['a NaN stride', (a) => { a.options.stride = [NaN, 1]; }, RangeError, /^stride must contain integers .* got \[NaN, 1\]$/],
    ['a string stride', (a) => { a.options.stride = '2'; }, TypeError, /^stride must be a number or an array of integers, got the string "2"$/],
    ['three stride entries', (a) => { a.options.stride = [1, 1, 1]; }, RangeError, /^stride must be a number or 2 entries \(h, w\), got \[1, 1, 1\]$/],
    ['negative padding', (a) => { a.options.padding = [-1, 1]; }, RangeError, /^padding must be non-negative \(at most 2147483647\), got \[-1, 1\]$/],
    ['three padding entries', (a) => { a.options.padding = [1, 1, 1]; }, RangeError, /^padding must be a number, 2 entries \(ph, pw\) or 4 entries \(top, bottom, left, right\), got \[1, 1, 1\]$/],
    ['dilation 0', (a) => { a.options.dilation = 0; }, RangeError, /^dilation must be positive \(at most 2147483647\), got \[0\]$/],
    ['an output size below 1', (a) => { a.options.padding = 0; a.input = t([1, 4, 2, 2]); a.offset = t([1, 18, 1, 1]); a.options.mask = undefined; }, RangeError, /^output size too small: the padded input is 2x2 but the dilated kernel spans 3x3/],
    ['an unknown option', (a) => { a.options.strides = [1, 1]; }, TypeError, /^options has an unknown option 'strides'; the options are bias, mask, stride, padding, dilation, dataFormat, output$/],
    ['a bad dataFormat', (a) => { a.options.dataFormat = 'NWHC'; }, RangeError, /^dataFormat must be 'NCHW' or 'NHWC', got the string "NWHC"$/],
    ['options that are not an object', (a) => { a.options = 3; }, TypeError, /^options must be an object, got number 3$/],
    ['element counts above 2^31 - 1', (a) => { a.input = { data: new Float32Array(4), shape: [1, 65536, 65536, 1] }; a.weight = t([2, 65536, 1, 1]); a.offset = t([1, 2, 65536, 1]); a.options = {}; }, RangeError, /^input of shape \[1, 65536, 65536, 1\] has 4294967296 elements \(17179869184 bytes as float32\), more than the limit of 2147483647 elements$/],
    ['an output above 2^31 - 1 elements', (a) => { a.input = { data: new Float32Array(4), shape: [1, 1, 65536, 65536] }; a.weight = { data: new Float32Array(2), shape: [2, 1, 1, 1] }; a.offset = { data: new Float32Array(2), shape: [1, 2, 65536, 65536] }; a.options = {}; }, RangeError, /has 4294967296 elements/],
  ])('%s', async (_, change, ErrorClass, message) => {
    const promise = tv(change);
    await expect(promise).rejects.toThrow(message);
    await expect(promise).rejects.toBeInstanceOf(ErrorClass);
  });
});

describe('deformableConv2d rejects', () => {
  test.each([
    ['x of the wrong kind', (a) => { a.x = { data: new Int32Array(100), shape: [1, 4, 5, 5] }; }, TypeError, /^x\.data must be a Float32Array, got an Int32Array/],
    ['offsets channels not 3*G*kh*kw', (a) => { a.offsets = t([1, 18, 5, 5]); }, RangeError, /^offsets: shape\[1\] must be 3 \* deformableGroups \* kh \* kw = 27, got 18$/],
    ['deformableGroups not dividing C_in', (a) => { a.options.deformableGroups = 3; }, RangeError, /^deformableGroups = 3 must divide the input channels C_in = 4$/],
    ['deformableGroups 0', (a) => { a.options.deformableGroups = 0; }, RangeError, /^deformableGroups must be a positive integer, got 0$/],
    ['groups not dividing C_in', (a) => { a.options.groups = 3; }, RangeError, /^groups = 3 must divide the input channels C_in = 4$/],
    ['a weight that does not match groups', (a) => { a.options.groups = 2; }, RangeError, /^weight: shape\[1\] must be C_in \/ groups = 2, got 4$/],
    ['kernelSize not matching the weight', (a) => { a.kernelSize = [5, 5]; }, RangeError, /^kernelSize must equal the weight's kernel \(kh, kw\) = \(3, 3\), got \[5, 5\] \(weight shape \[2, 4, 3, 3\]\)$/],
    ['strides with N or C not 1', (a) => { a.strides = [2, 1, 1, 1]; }, RangeError, /^strides: the N and C entries must be 1, got \[2, 1, 1, 1\]$/],
    ['strides with 2 entries', (a) => { a.strides = [1, 1]; }, RangeError, /^strides must have 4 entries \(1, 1, sh, sw\), got \[1, 1\]$/],
    ['strides as a number', (a) => { a.strides = 1; }, TypeError, /^strides must be an array of integers, got number 1$/],
    ['dilations with N or C not 1', (a) => { a.options.dilations = [1, 2, 1, 1]; }, RangeError, /^dilations: the N and C entries must be 1, got \[1, 2, 1, 1\]$/],
    ['padding with 2 entries', (a) => { a.padding = [1, 1]; }, RangeError, /^padding must have 4 entries \(top, bottom, left, right\), got \[1, 1\]$/],
    ['modulated not a boolean', (a) => { a.options.modulated = 'yes'; }, TypeError, /^modulated must be a boolean, got the string "yes"$/],
    ['a torchvision option name', (a) => { a.options.mask = t([1, 9, 5, 5]); }, TypeError, /^options has an unknown option 'mask'/],
    ['offsets data shorter than its shape', (a) => { a.offsets = { data: new Float32Array(10), shape: [1, 27, 5, 5] }; }, RangeError, /^offsets\.data has 10 elements but shape \[1, 27, 5, 5\] needs 675$/],
  ])('%s', async (_, change, ErrorClass, message) => {
    const promise = ms(change);
    await expect(promise).rejects.toThrow(message);
    await expect(promise).rejects.toBeInstanceOf(ErrorClass);
  });
});

describe('createDeformConv rejects', () => {
  test.each([
    [{ backend: 'cuda' }, RangeError, /^backend must be 'auto', 'wasm' or 'webgpu', got the string "cuda"$/],
    [{ threads: 0 }, RangeError, /^threads must be an integer between 1 and 256, got 0$/],
    [{ threads: '2' }, TypeError, /^threads must be a number, got the string "2"$/],
    [{ wasmBuild: 'fast' }, RangeError, /^wasmBuild must be 'auto', 'threads' or 'simd'/],
    [{ thread: 2 }, TypeError, /^createDeformConv has an unknown option 'thread'/],
  ])('%p', async (options, ErrorClass, message) => {
    const promise = api.createDeformConv(options);
    await expect(promise).rejects.toThrow(message);
    await expect(promise).rejects.toBeInstanceOf(ErrorClass);
  });
});

test('the instance still computes every golden case correctly after all those errors', async () => {
  for (const c of goldenCases()) {
    expectClose((await dc.deformConv2d(...torchvisionArgs(c))).data, c.output, FORWARD_TOLERANCE, c.name);
    expectClose((await dc.deformableConv2d(...mindsporeArgs(c))).data, c.output, FORWARD_TOLERANCE, c.name);
  }
});

test('a disposed instance rejects clearly, and dispose() twice is harmless', async () => {
  const other = await api.createDeformConv({ wasmBuild: 'simd' });
  other.dispose();
  other.dispose();
  const a = valid();
  await expect(other.deformConv2d(a.input, a.offset, a.weight, a.options)).rejects.toThrow(/^this DeformConv instance was disposed; create a new one with createDeformConv\(\)$/);
  expect(() => other.info()).toThrow(/disposed/);
});
