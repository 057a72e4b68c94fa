// The code the page shows for its current settings: the JS calls in both conventions, and the same call in Python
// for torchvision and for MindSpore. Each snippet writes the (dy, dx, mask) values edited on the page into that
// API's own layout, so the three differ exactly where the layouts differ.

/** Numbers as short literals: 0.5, -1.25, 1. */
function num(value) {
  return String(Math.round(value * 1e4) / 1e4);
}

/**
 * @param s { kh, kw, G, H, W, Ho, Wo, ph, pw, ho, wo, everyPixel, edits: [{ g, t, dy, dx, mask }] }
 *   edits: the (group, tap) values that differ from the defaults (offset 0, mask 1) at the picked pixel.
 */
export function javascriptSnippet(s) {
  const edits = s.edits.map((e) => `  [${e.g}, ${e.t}, ${num(e.dy)}, ${num(e.dx)}, ${num(e.mask)}],`);
  const where = s.everyPixel
    ? ['  for (let p = 0; p < Ho * Wo; p++) {   // the same offsets at every output pixel',
      '    offset.data[2 * c * Ho * Wo + p] = dy;',
      '    offset.data[(2 * c + 1) * Ho * Wo + p] = dx;',
      '    mask.data[c * Ho * Wo + p] = m;',
      '  }']
    : ['  offset.data[(2 * c * Ho + ho) * Wo + wo] = dy;         // channel 2·(g·kh·kw + t): dy',
      '  offset.data[((2 * c + 1) * Ho + ho) * Wo + wo] = dx;   // the next channel: dx',
      '  mask.data[(c * Ho + ho) * Wo + wo] = m;'];
  return [
    "import { createDeformConv, layouts } from 'deformconv-wasm';",
    '',
    `const [kh, kw, G] = [${s.kh}, ${s.kw}, ${s.G}];   // kernel size, offset groups`,
    `const [H, W, Ho, Wo] = [${s.H}, ${s.W}, ${s.Ho}, ${s.Wo}];   // stride 1, padding [${s.ph}, ${s.pw}]`,
    s.everyPixel ? null : `const [ho, wo] = [${s.ho}, ${s.wo}];   // the output pixel picked on the page`,
    'const zeros = (...shape) => ({ data: new Float32Array(shape.reduce((a, b) => a * b)), shape });',
    '',
    'const input = zeros(1, 3 * G, H, W);              // your picture: RGB once per offset group',
    'const weight = zeros(6, 3 * G, kh, kw);           // your filters',
    'const offset = zeros(1, 2 * G * kh * kw, Ho, Wo); // torchvision layout: (dy, dx) pairs',
    'const mask = zeros(1, G * kh * kw, Ho, Wo);',
    'mask.data.fill(1);',
    '// [group, tap, dy, dx, mask] of the sampling points moved on the page',
    `for (const [g, t, dy, dx, m] of [${edits.length ? '' : ']) {   // none moved yet'}`,
    ...(edits.length ? [...edits, ']) {'] : []),
    '  const c = g * kh * kw + t;',
    ...where,
    '}',
    '',
    'const dc = await createDeformConv();',
    '// torchvision convention: deform_conv2d(input, offset, weight, bias, stride, padding, dilation, mask)',
    `const y = await dc.deformConv2d(input, offset, weight, { mask, padding: [${s.ph}, ${s.pw}] });`,
    '// MindSpore convention: one offsets tensor, [dx block | dy block | mask block]',
    'const offsets = layouts.toMindSpore(offset, mask, [kh, kw]);',
    `const y2 = await dc.deformableConv2d(input, weight, offsets, [kh, kw], [1, 1, 1, 1], [${s.ph}, ${s.ph}, ${s.pw}, ${s.pw}],`,
    '  { deformableGroups: G });',
    'console.log(y.shape, y2.shape);   // the same numbers',
  ].filter((line) => line !== null).join('\n');
}

function pythonEdits(s) {
  if (!s.edits.length) return 'for g, t, dy, dx, m in []:   # none moved yet';
  return ['for g, t, dy, dx, m in [', ...s.edits.map((e) => `    (${e.g}, ${e.t}, ${num(e.dy)}, ${num(e.dx)}, ${num(e.mask)}),`), ']:'].join('\n');
}

function pythonHeader(s) {
  return [
    `kh, kw, G = ${s.kh}, ${s.kw}, ${s.G}   # kernel size, offset groups`,
    `H, W, Ho, Wo = ${s.H}, ${s.W}, ${s.Ho}, ${s.Wo}   # stride 1, padding (${s.ph}, ${s.pw})`,
    s.everyPixel ? null : `ho, wo = ${s.ho}, ${s.wo}   # the output pixel picked on the page`,
  ].filter((line) => line !== null);
}

export function torchvisionSnippet(s) {
  const at = s.everyPixel ? '' : ', ho, wo';
  return [
    'import torch',
    'from torchvision.ops import deform_conv2d',
    '',
    ...pythonHeader(s),
    'x = torch.rand(1, 3 * G, H, W)            # your picture: RGB once per offset group',
    'weight = torch.randn(6, 3 * G, kh, kw)    # your filters',
    'offset = torch.zeros(1, 2 * G * kh * kw, Ho, Wo)   # channel 2*(g*kh*kw + t): dy, the next: dx',
    'mask = torch.ones(1, G * kh * kw, Ho, Wo)',
    `# (group, tap, dy, dx, mask) of the sampling points moved on the page${s.everyPixel ? ', at every output pixel' : ''}`,
    pythonEdits(s),
    '    c = g * kh * kw + t',
    `    offset[0, 2 * c${at}] = dy`,
    `    offset[0, 2 * c + 1${at}] = dx`,
    `    mask[0, c${at}] = m`,
    `y = deform_conv2d(x, offset, weight, padding=(${s.ph}, ${s.pw}), mask=mask)`,
    'print(y.shape)',
  ].join('\n');
}

export function mindsporeSnippet(s) {
  const at = s.everyPixel ? '' : ', ho, wo';
  return [
    'import numpy as np',
    'from mindspore import Tensor, ops',
    '',
    ...pythonHeader(s),
    'K = kh * kw',
    'x = np.random.rand(1, 3 * G, H, W).astype(np.float32)          # your picture: RGB once per offset group',
    'weight = np.random.randn(6, 3 * G, kh, kw).astype(np.float32)  # your filters',
    '# blocks [dx | dy | mask]: channel b*G*K + g*K + t, b = 0 dx, 1 dy, 2 mask',
    'offsets = np.zeros((1, 3 * G * K, Ho, Wo), np.float32)',
    'offsets[0, 2 * G * K:] = 1   # the mask block',
    `# (group, tap, dy, dx, mask) of the sampling points moved on the page${s.everyPixel ? ', at every output pixel' : ''}`,
    pythonEdits(s),
    `    offsets[0, 0 * G * K + g * K + t${at}] = dx`,
    `    offsets[0, 1 * G * K + g * K + t${at}] = dy`,
    `    offsets[0, 2 * G * K + g * K + t${at}] = m`,
    `y = ops.deformable_conv2d(Tensor(x), Tensor(weight), Tensor(offsets), (kh, kw), (1, 1, 1, 1),`,
    `                          (${s.ph}, ${s.ph}, ${s.pw}, ${s.pw}), deformable_groups=G)`,
    'print(y.shape)',
  ].join('\n');
}
