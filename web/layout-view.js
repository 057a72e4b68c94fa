// Section 1 of the page: torchvision's offset and mask channels and MindSpore's offsets channels drawn as strips of
// labelled cells, coloured by kernel tap, next to a kernel diagram. Pointing at a cell (hover, click or keyboard
// focus) marks the same value in the other layout and its tap on the kernel, and shows both channel formulas with
// the numbers filled in. Clicking or focusing pins that value (and tells the page, which selects the tap there too).
// Cells carry data-layout, data-tensor, data-channel, data-g, data-t and data-part, which the browser tests read.
import { channelFormulas, mindsporeCells, mindsporeChannel, tapPosition, torchvisionCells, torchvisionChannel, valueLabel } from './layout-channels.js';

/** The hue of tap t of K, shared by every view so a tap has one colour everywhere. */
export function tapHue(t, K) {
  return Math.round((360 * t) / K + 200) % 360;
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else if (name === 'className') node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

const sameValue = (a, b) => a && b && a.g === b.g && a.t === b.t && a.part === b.part;

export class LayoutView {
  /**
   * @param parts { kernel, torchvision, mindspore, formula }: the page's containers
   * @param onSelect (value) => void, called when a value is pinned by click or focus
   */
  constructor(parts, onSelect) {
    this.parts = parts;
    this.onSelect = onSelect;
    this.pinned = null;
    this.valueText = () => '';
  }

  /** Rebuilds every cell for shape { kh, kw, G }. */
  render(shape) {
    this.shape = shape;
    const K = shape.kh * shape.kw;
    this.cells = [];
    this.renderKernel(shape);

    const tv = torchvisionCells(shape);
    const G = shape.G;
    this.parts.torchvision.replaceChildren(
      this.tensorStrip('torchvision', 'offset', `(N, 2·G·kh·kw = ${2 * G * K}, Ho, Wo): (dy, dx) pairs, y first`,
        Array.from({ length: G }, (_, g) => [`group ${g}`, tv.offset.slice(g * 2 * K, (g + 1) * 2 * K)])),
      this.tensorStrip('torchvision', 'mask', `(N, G·kh·kw = ${G * K}, Ho, Wo): a separate tensor`,
        Array.from({ length: G }, (_, g) => [`group ${g}`, tv.mask.slice(g * K, (g + 1) * K)])),
    );
    const ms = mindsporeCells(shape);
    const blocks = [['dx', 0], ['dy', 1], ['mask', 2]];
    this.parts.mindspore.replaceChildren(
      this.tensorStrip('mindspore', 'offsets', `(N, 3·G·kh·kw = ${3 * G * K}, Ho, Wo): three planar blocks, x first`,
        blocks.map(([part, b]) => [`block ${b}: ${part}`, ms[part]])),
    );
    this.show(this.pinned && this.pinned.g < G && this.pinned.t < K ? this.pinned : { g: 0, t: Math.floor(K / 2), part: 'dy' }, { pin: true, notify: false });
  }

  renderKernel({ kh, kw }) {
    const K = kh * kw;
    const grid = element('div', { className: 'kernel-grid', role: 'group', 'aria-label': `kernel taps, ${kh} by ${kw}` });
    grid.style.gridTemplateColumns = `repeat(${kw}, minmax(0, 1fr))`;
    this.taps = [];
    for (let t = 0; t < K; t++) {
      const { i, j } = tapPosition(t, { kw });
      const button = element('button', {
        type: 'button', className: 'tap', 'data-t': t, tabindex: t === 0 ? '0' : '-1',
        'aria-label': `tap ${t}, row ${i}, column ${j}`,
      }, [element('span', { className: 'tap-index', text: `t${t}` }), element('span', { className: 'tap-position', text: `(${i},${j})` })]);
      button.style.setProperty('--tap-hue', tapHue(t, K));
      button.addEventListener('click', () => this.show({ ...this.pinned, t }, { pin: true }));
      button.addEventListener('pointerenter', () => this.show({ ...this.pinned, t }));
      button.addEventListener('pointerleave', () => this.show(this.pinned));
      this.taps.push(button);
      grid.append(button);
    }
    grid.addEventListener('keydown', (event) => this.moveFocus(event, this.taps, kw));
    this.parts.kernel.replaceChildren(grid);
  }

  /** One tensor: a heading and its channels in blocks. blocks: [[label, values], ...] */
  tensorStrip(layout, tensor, shapeText, blocks) {
    const strip = element('div', { className: 'strip', role: 'group', 'aria-label': `${layout} ${tensor} channels` });
    const cells = [];
    for (const [label, values] of blocks) {
      const row = element('div', { className: 'cells' });
      let previousGroup = null;
      for (const value of values) {
        const cell = this.cell(layout, value);
        if (previousGroup !== null && value.g !== previousGroup) cell.classList.add('group-start');
        previousGroup = value.g;
        cells.push(cell);
        row.append(cell);
      }
      strip.append(element('div', { className: 'block' }, [element('div', { className: 'block-label', text: label }), row]));
    }
    if (cells.length) cells[0].tabIndex = 0;
    strip.addEventListener('keydown', (event) => this.moveFocus(event, cells, 0));
    strip.addEventListener('pointerleave', () => this.show(this.pinned));
    return element('div', { className: 'tensor' }, [
      element('h4', {}, [element('code', { text: tensor }), ' ', element('span', { className: 'shape', text: shapeText })]),
      strip,
    ]);
  }

  cell(layout, value) {
    const where = layout === 'torchvision' ? torchvisionChannel(value, this.shape) : mindsporeChannel(value, this.shape);
    const K = this.shape.kh * this.shape.kw;
    const cell = element('button', {
      type: 'button', className: `cell part-${value.part}`, tabindex: '-1',
      'data-layout': layout, 'data-tensor': where.tensor, 'data-channel': where.channel,
      'data-g': value.g, 'data-t': value.t, 'data-part': value.part,
      'aria-label': `${layout} ${where.tensor} channel ${where.channel}: ${valueLabel(value, this.shape)}`,
    }, [
      element('span', { className: 'cell-channel', text: where.channel }),
      element('span', { className: 'cell-tap', text: `g${value.g}·t${value.t}` }),
      element('span', { className: 'cell-part', text: value.part === 'mask' ? 'm' : value.part }),
    ]);
    cell.style.setProperty('--tap-hue', tapHue(value.t, K));
    cell.addEventListener('pointerenter', () => this.show(value));
    cell.addEventListener('click', () => this.show(value, { pin: true }));
    cell.addEventListener('focus', () => this.show(value, { pin: true }));
    this.cells.push({ node: cell, value, layout });
    return cell;
  }

  /** Arrow keys, Home and End move the focus within one strip (columns = 0) or the kernel grid. */
  moveFocus(event, items, columns) {
    const from = items.indexOf(document.activeElement);
    if (from < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns || 1, ArrowUp: -(columns || 1) }[event.key];
    let to = from;
    if (step !== undefined) to = Math.min(items.length - 1, Math.max(0, from + step));
    else if (event.key === 'Home') to = 0;
    else if (event.key === 'End') to = items.length - 1;
    else if (columns && (event.key === 'Enter' || event.key === ' ')) return; // the button's own click
    else return;
    event.preventDefault();
    items[from].tabIndex = -1;
    items[to].tabIndex = 0;
    items[to].focus();
    if (columns) items[to].click();
  }

  /** Marks value everywhere; pin: keep it when the pointer leaves; notify: tell the page. */
  show(value, { pin = false, notify = true } = {}) {
    if (!value) return;
    if (pin) {
      const changed = !sameValue(this.pinned, value);
      this.pinned = { g: value.g, t: value.t, part: value.part };
      if (changed && notify) this.onSelect(this.pinned);
    }
    for (const { node, value: v, layout } of this.cells) {
      const match = sameValue(v, value);
      node.classList.toggle('is-match', match);
      node.classList.toggle('is-same-tap', !match && v.g === value.g && v.t === value.t);
      node.setAttribute('aria-pressed', String(match));
      if (match) this.scrollIntoStrip(node, layout);
    }
    this.taps.forEach((tap, t) => tap.classList.toggle('is-match', t === value.t));
    this.renderFormula(value);
  }

  /** Scrolls only the strip's own box (never the page) so a marked cell is visible. */
  scrollIntoStrip(node, layout) {
    const box = layout === 'torchvision' ? this.parts.torchvision : this.parts.mindspore;
    if (box.scrollHeight <= box.clientHeight) return;
    const top = node.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
    if (top < box.scrollTop) box.scrollTop = top - 8;
    else if (top + node.offsetHeight > box.scrollTop + box.clientHeight) box.scrollTop = top + node.offsetHeight - box.clientHeight + 8;
  }

  /** The formula panel; valueText(value) describes the value at the picked output pixel. */
  renderFormula(value) {
    const f = channelFormulas(value, this.shape);
    this.parts.formula.replaceChildren(
      element('p', { className: 'formula-title' }, [element('strong', { text: valueLabel(value, this.shape) }), this.valueText(value)]),
      element('p', {}, [element('span', { className: 'formula-layout', text: 'torchvision ' }), element('code', { text: f.torchvision })]),
      element('p', {}, [element('span', { className: 'formula-layout', text: 'MindSpore ' }), element('code', { text: f.mindspore })]),
    );
    this.parts.formula.dataset.g = value.g;
    this.parts.formula.dataset.t = value.t;
    this.parts.formula.dataset.part = value.part;
  }
}
