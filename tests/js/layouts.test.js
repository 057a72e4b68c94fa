// layouts.toMindSpore / layouts.fromMindSpore: exact conversions, checked against the golden data's own
// MindSpore offsets and by round trips.
const { api, goldenCases, random, randomTensor } = require('./helpers');

const { layouts } = api;

test.each(goldenCases().map((c) => [c.name, c]))('%s: toMindSpore(offset, mask) equals the golden offsets_mindspore exactly', (_, c) => {
  const offset = { data: Float32Array.from(c.offset), shape: c.shapes.offset };
  const mask = c.mask ? { data: Float32Array.from(c.mask), shape: c.shapes.mask } : null;
  const ms = layouts.toMindSpore(offset, mask, c.params.kernel_size);
  expect(ms.shape).toEqual(c.shapes.offsets_mindspore);
  expect(Array.from(ms.data)).toEqual(Array.from(Float32Array.from(c.offsets_mindspore)));
});

test.each(goldenCases().map((c) => [c.name, c]))('%s: fromMindSpore inverts it exactly', (_, c) => {
  const { offset, mask } = layouts.fromMindSpore({ data: Float32Array.from(c.offsets_mindspore), shape: c.shapes.offsets_mindspore }, c.params.kernel_size);
  expect(offset.shape).toEqual(c.shapes.offset);
  expect(Array.from(offset.data)).toEqual(Array.from(Float32Array.from(c.offset)));
  if (c.mask) expect(Array.from(mask.data)).toEqual(Array.from(Float32Array.from(c.mask)));
  else expect(mask.data.every((v) => v === 1)).toBe(true);
});

test('random round trips are bit-exact, NaN and -0 included', () => {
  const rand = random(7);
  for (let trial = 0; trial < 20; trial++) {
    const kh = 1 + Math.floor(rand() * 4), kw = 1 + Math.floor(rand() * 4), G = 1 + Math.floor(rand() * 3);
    const N = 1 + Math.floor(rand() * 2), Ho = 1 + Math.floor(rand() * 5), Wo = 1 + Math.floor(rand() * 5);
    const offset = randomTensor(rand, [N, 2 * G * kh * kw, Ho, Wo], -5, 5);
    const mask = randomTensor(rand, [N, G * kh * kw, Ho, Wo]);
    offset.data[0] = NaN;
    mask.data[mask.data.length - 1] = -0;
    const back = layouts.fromMindSpore(layouts.toMindSpore(offset, mask, [kh, kw]), [kh, kw]);
    expect(Buffer.from(back.offset.data.buffer).equals(Buffer.from(offset.data.buffer))).toBe(true);
    expect(Buffer.from(back.mask.data.buffer).equals(Buffer.from(mask.data.buffer))).toBe(true);
  }
});

test('the seed example: the same numbers in both layouts', () => {
  const c = goldenCases().find((x) => x.name === 'seed_example');
  // torchvision: (dy, dx) pairs; MindSpore: dx block, dy block, mask block.
  const ms = layouts.toMindSpore({ data: Float32Array.from(c.offset), shape: c.shapes.offset }, { data: Float32Array.from(c.mask), shape: c.shapes.mask }, 1);
  expect(ms.shape).toEqual([1, 3, 1, 2]);
  expect(Array.from(ms.data)).toEqual(Array.from(Float32Array.from(c.offsets_mindspore)));
});

test('bad arguments are rejected with the argument named', () => {
  const offset = { data: new Float32Array(18), shape: [1, 18, 1, 1] };
  expect(() => layouts.toMindSpore(offset, null, [2, 2])).toThrow(new RangeError('offset: shape[1] = 18 must be a positive multiple of 2·kh·kw = 8'));
  expect(() => layouts.toMindSpore(offset, { data: new Float32Array(8), shape: [1, 8, 1, 1] }, 3)).toThrow(new RangeError('mask must have shape [1, 9, 1, 1] to match offset, got [1, 8, 1, 1]'));
  expect(() => layouts.toMindSpore({ data: new Float32Array(18), shape: [18] }, null, 3)).toThrow(RangeError);
  expect(() => layouts.toMindSpore(offset, null, [0, 3])).toThrow(/kernelSize must be a positive integer or \[kh, kw\]/);
  expect(() => layouts.toMindSpore(offset, null, 'three')).toThrow(TypeError);
  expect(() => layouts.fromMindSpore({ data: new Float32Array(18), shape: [1, 18, 1, 1] }, 3)).toThrow(new RangeError('offsets: shape[1] = 18 must be a positive multiple of 3·kh·kw = 27'));
  expect(() => layouts.fromMindSpore({ data: new Float32Array(26), shape: [1, 27, 1, 1] }, 3)).toThrow(new RangeError('offsets.data has 26 elements but shape [1, 27, 1, 1] needs 27'));
});
