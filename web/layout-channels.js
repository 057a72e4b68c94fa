// Where one offset/mask value lives in each layout (docs/semantics.md), as pure functions the page draws from.
// A value is named by its offset group g, kernel tap t = i·kw + j and part ('dy', 'dx' or 'mask'); K = kh·kw.
//   torchvision offset (N, 2·G·K, Ho, Wo): channel 2·(g·K + t) = dy, 2·(g·K + t) + 1 = dx
//   torchvision mask   (N, G·K, Ho, Wo):   channel g·K + t
//   MindSpore offsets  (N, 3·G·K, Ho, Wo): channel b·G·K + g·K + t, block b = 0 dx, 1 dy, 2 mask

const MINDSPORE_BLOCK = { dx: 0, dy: 1, mask: 2 };

/** The torchvision tensor ('offset' or 'mask') and channel of a value. */
export function torchvisionChannel({ g, t, part }, { kh, kw }) {
  const K = kh * kw;
  if (part === 'mask') return { tensor: 'mask', channel: g * K + t };
  return { tensor: 'offset', channel: 2 * (g * K + t) + (part === 'dx' ? 1 : 0) };
}

/** The MindSpore offsets channel of a value. */
export function mindsporeChannel({ g, t, part }, { kh, kw, G }) {
  const K = kh * kw;
  return { tensor: 'offsets', channel: MINDSPORE_BLOCK[part] * G * K + g * K + t };
}

/** Every value of torchvision's two tensors, in channel order: offset, then mask. */
export function torchvisionCells(shape) {
  const { kh, kw, G } = shape;
  const K = kh * kw;
  const offset = [], mask = [];
  for (let g = 0; g < G; g++) {
    for (let t = 0; t < K; t++) {
      offset.push({ g, t, part: 'dy' }, { g, t, part: 'dx' });
      mask.push({ g, t, part: 'mask' });
    }
  }
  return { offset, mask };
}

/** Every value of MindSpore's offsets tensor, in channel order, grouped by block. */
export function mindsporeCells(shape) {
  const { kh, kw, G } = shape;
  const blocks = { dx: [], dy: [], mask: [] };
  for (const part of Object.keys(blocks)) {
    for (let g = 0; g < G; g++) for (let t = 0; t < kh * kw; t++) blocks[part].push({ g, t, part });
  }
  return blocks;
}

/** Kernel row and column of tap t. */
export function tapPosition(t, { kw }) {
  return { i: Math.floor(t / kw), j: t % kw };
}

/**
 * The channel index formulas with this value's numbers filled in, as text:
 * { torchvision: '2·(g·kh·kw + i·kw + j) = 2·(1·3·3 + 1·3 + 2) = 28', mindspore: '...' }.
 */
export function channelFormulas(value, shape) {
  const { kh, kw, G } = shape;
  const { g, part } = value;
  const { i, j } = tapPosition(value.t, shape);
  const tv = torchvisionChannel(value, shape).channel;
  const ms = mindsporeChannel(value, shape).channel;
  const inner = `${g}·${kh}·${kw} + ${i}·${kw} + ${j}`;
  let torchvision;
  if (part === 'mask') torchvision = `mask channel = g·kh·kw + i·kw + j = ${inner} = ${tv}`;
  else if (part === 'dy') torchvision = `offset channel = 2·(g·kh·kw + i·kw + j) = 2·(${inner}) = ${tv}`;
  else torchvision = `offset channel = 2·(g·kh·kw + i·kw + j) + 1 = 2·(${inner}) + 1 = ${tv}`;
  const b = MINDSPORE_BLOCK[part];
  const mindspore = `offsets channel = b·G·kh·kw + g·kh·kw + i·kw + j = ${b}·${G}·${kh}·${kw} + ${inner} = ${ms}` +
    `   (block b = ${b}: ${part})`;
  return { torchvision, mindspore };
}

/** A short name for a value: 'g1 t5 (1,2) dy'. */
export function valueLabel({ g, t, part }, shape) {
  const { i, j } = tapPosition(t, shape);
  return `group ${g}, tap ${t} (row ${i}, column ${j}), ${part}`;
}
