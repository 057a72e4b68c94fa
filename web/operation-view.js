// Section 2 of the page: the picked output pixel's sampling points over the picture, and the outputs.
// Two views of the picture: the whole of it (click to pick an output pixel; a frame shows the kernel), and a zoom
// around the picked pixel where the points are big enough to drag. Each is a canvas (one canvas pixel per input
// pixel, scaled up without smoothing; outside the picture is black, the zeros the operation samples there) under
// an SVG whose coordinates are input pixel indices (pixel centres at integers). For every (group, tap) the zoom
// draws the regular grid position, a line, and the sampled position (y0 + dy, x0 + dx). Pointer: press near a
// point of the group being edited and drag it; press elsewhere to pick the output pixel there. Keyboard: the
// selected point is a button (one tab stop); arrow keys move it by 0.1 px (with Shift 1 px), Delete puts it back. The
// outputs are drawn as small maps and the values at the picked pixel listed (data-channel / data-value hold them).
import { FILTERS } from './filters.js';
import { tapHue } from './layout-view.js';

const SVG = 'http://www.w3.org/2000/svg';
const GRAB_RADIUS_CSS_PX = 18;
const round2 = (v) => Math.round(v * 100) / 100;

function svgElement(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

export class OperationView {
  /**
   * @param parts { canvas, overlay (svg), maps (container), values (tbody), pointText }
   * @param operation the Operation (operation.js) whose tensors are shown
   * @param callbacks { onEdit(g, t, values), onPickPixel(ho, wo), onSelectPoint(g, t) }
   */
  constructor(parts, operation, callbacks) {
    this.parts = parts;
    this.operation = operation;
    this.callbacks = callbacks;
    this.pixel = { ho: 0, wo: 0 };
    this.group = 0;
    this.selected = { g: 0, t: 0 };
    this.dragging = null;
    this.drawPicture(parts.thumbnailCanvas, 0, 0, operation.picture.width, operation.picture.height);
    const svg = parts.overlay;
    svg.addEventListener('pointerdown', (event) => this.pointerDown(event));
    svg.addEventListener('pointermove', (event) => this.pointerMove(event));
    svg.addEventListener('pointerup', (event) => this.pointerUp(event));
    svg.addEventListener('pointercancel', (event) => this.pointerUp(event));
    parts.thumbnailOverlay.addEventListener('pointerdown', (event) => {
      if (event.button === 0) this.pickAt(this.toPicture(event, parts.thumbnailOverlay));
    });
  }

  /** Draws the picture's rows y0.. and columns x0.. (size width x height; black outside the picture) into canvas. */
  drawPicture(canvas, y0, x0, width, height) {
    const picture = this.operation.picture;
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    const image = context.createImageData(width, height);
    const plane = picture.width * picture.height;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const py = y0 + y, px = x0 + x, p = 4 * (y * width + x);
        const inside = py >= 0 && py < picture.height && px >= 0 && px < picture.width;
        for (let c = 0; c < 3; c++) image.data[p + c] = inside ? Math.round(picture.data[c * plane + py * picture.width + px] * 255) : 0;
        image.data[p + 3] = 255;
      }
    }
    context.putImageData(image, 0, 0);
  }

  /** The zoom window: ZOOM x ZOOM input pixels around the picked pixel's kernel. */
  zoomWindow() {
    const op = this.operation;
    const size = Math.max(op.kh, op.kw) + 8;
    const cy = this.pixel.ho - op.ph + (op.kh - 1) / 2, cx = this.pixel.wo - op.pw + (op.kw - 1) / 2;
    return { y0: Math.round(cy - (size - 1) / 2), x0: Math.round(cx - (size - 1) / 2), size };
  }

  /** Builds the overlay and the output maps for the operation's current shape. */
  render() {
    const op = this.operation;
    const svg = this.parts.overlay;
    this.border = svgElement('rect', { class: 'picture-border', x: -0.5, y: -0.5, width: op.W, height: op.H });
    this.footprint = svgElement('rect', { class: 'footprint' });
    this.centre = svgElement('rect', { class: 'pixel-centre' });
    const thumbnail = this.parts.thumbnailOverlay;
    thumbnail.setAttribute('viewBox', `-0.5 -0.5 ${op.W} ${op.H}`);
    this.thumbnailFootprint = svgElement('rect', { class: 'footprint' });
    this.thumbnailWindow = svgElement('rect', { class: 'zoom-window' });
    thumbnail.replaceChildren(this.thumbnailWindow, this.thumbnailFootprint);
    this.points = new Map();
    const layer = svgElement('g', { class: 'points' });
    for (let g = 0; g < op.G; g++) {
      for (let t = 0; t < op.K; t++) {
        const hue = tapHue(t, op.K);
        const group = svgElement('g', { class: 'point', 'data-g': g, 'data-t': t, role: 'button' });
        group.style.setProperty('--tap-hue', hue);
        const home = svgElement('rect', { class: 'point-home', width: 0.16, height: 0.16 });
        const line = svgElement('line', { class: 'point-line' });
        const dot = svgElement('circle', { class: 'point-dot', r: 0.2 });
        const label = svgElement('text', { class: 'point-label' });
        group.append(home, line, dot, label);
        group.addEventListener('keydown', (event) => this.keyDown(event, g, t));
        group.addEventListener('focus', () => this.callbacks.onSelectPoint(g, t));
        layer.append(group);
        this.points.set(`${g},${t}`, { group, home, line, dot, label });
      }
    }
    this.layer = layer;
    this.layerOnTop = null;
    this.shownWindow = null;
    svg.replaceChildren(this.border, this.footprint, this.centre, layer);
    this.renderMaps();
    this.update();
  }

  renderMaps() {
    const op = this.operation;
    this.maps = FILTERS.map((filter) => {
      const canvas = document.createElement('canvas');
      canvas.width = op.Wo * 4;
      canvas.height = op.Ho * 4;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${filter.name} output, ${op.Ho} by ${op.Wo}`);
      const figure = document.createElement('figure');
      const caption = document.createElement('figcaption');
      caption.textContent = filter.name;
      figure.append(canvas, caption);
      return { filter, canvas, figure };
    });
    this.parts.maps.replaceChildren(...this.maps.map((m) => m.figure));
  }

  /** Moves every drawn point to the operation's current values at the picked pixel. */
  update() {
    const op = this.operation;
    const { ho, wo } = this.pixel;
    const points = op.samplingPoints(ho, wo);
    const y0 = ho - op.ph, x0 = wo - op.pw;
    const footprint = { x: x0 - 0.5, y: y0 - 0.5, width: op.kw, height: op.kh };
    setAttributes(this.footprint, footprint);
    setAttributes(this.thumbnailFootprint, footprint);
    // The output pixel (ho, wo) drawn where its kernel is centred.
    setAttributes(this.centre, { x: x0 + (op.kw - 1) / 2 - 0.5, y: y0 + (op.kh - 1) / 2 - 0.5, width: 1, height: 1 });
    const zoom = this.zoomWindow();
    if (!this.shownWindow || this.shownWindow.y0 !== zoom.y0 || this.shownWindow.x0 !== zoom.x0 || this.shownWindow.size !== zoom.size) {
      this.drawPicture(this.parts.canvas, zoom.y0, zoom.x0, zoom.size, zoom.size);
      this.parts.overlay.setAttribute('viewBox', `${zoom.x0 - 0.5} ${zoom.y0 - 0.5} ${zoom.size} ${zoom.size}`);
      setAttributes(this.thumbnailWindow, { x: zoom.x0 - 0.5, y: zoom.y0 - 0.5, width: zoom.size, height: zoom.size });
      this.shownWindow = zoom;
    }
    for (const p of points) {
      const { group, home, line, dot, label } = this.points.get(`${p.g},${p.t}`);
      const active = p.g === this.group;
      const selected = active && p.t === this.selected.t;
      group.classList.toggle('is-active', active);
      group.classList.toggle('is-selected', selected);
      group.classList.toggle('is-masked', p.mask !== 1);
      // One tab stop: the selected point (the kernel diagram and the strips pick another tap).
      if (active) group.setAttribute('tabindex', selected ? '0' : '-1');
      else group.removeAttribute('tabindex');
      group.setAttribute('aria-hidden', String(!active));
      group.setAttribute('aria-label', `group ${p.g}, tap ${p.t} (row ${p.i}, column ${p.j}): dy ${p.dy.toFixed(2)}, dx ${p.dx.toFixed(2)}, ` +
        `mask ${p.mask.toFixed(2)}. Arrow keys move it, Delete puts it back.`);
      group.dataset.dy = p.dy;
      group.dataset.dx = p.dx;
      home.setAttribute('x', p.x0 - 0.08);
      home.setAttribute('y', p.y0 - 0.08);
      line.setAttribute('x1', p.x0);
      line.setAttribute('y1', p.y0);
      line.setAttribute('x2', p.x);
      line.setAttribute('y2', p.y);
      dot.setAttribute('cx', p.x);
      dot.setAttribute('cy', p.y);
      label.setAttribute('x', p.x + 0.28);
      label.setAttribute('y', p.y - 0.28);
      label.textContent = selected ? `t${p.t}` : '';
    }
    // The edited group's points on top (moved only when that group changes: moving a node takes its focus away).
    if (this.layerOnTop !== this.group) {
      for (const [key, { group }] of this.points) if (key.startsWith(`${this.group},`)) this.layer.append(group);
      this.layerOnTop = this.group;
    }
  }

  /** The pointer's position in input pixel coordinates of svg (the zoom by default). */
  toPicture(event, svg = this.parts.overlay) {
    const matrix = svg.getScreenCTM().inverse();
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix);
    return { x: p.x, y: p.y };
  }

  /** The edited group's point nearest to the pointer, if within reach. */
  nearestPoint(position) {
    const op = this.operation;
    const pixelsPerUnit = this.parts.overlay.getBoundingClientRect().width / this.zoomWindow().size;
    let best = null, bestDistance = Math.max(GRAB_RADIUS_CSS_PX / pixelsPerUnit, 0.6);
    for (const p of op.samplingPoints(this.pixel.ho, this.pixel.wo)) {
      if (p.g !== this.group) continue;
      const d = Math.hypot(p.x - position.x, p.y - position.y);
      if (d < bestDistance) [best, bestDistance] = [p, d];
    }
    return best;
  }

  pointerDown(event) {
    if (event.button !== 0) return;
    const position = this.toPicture(event);
    const point = this.nearestPoint(position);
    event.preventDefault();
    if (point) {
      this.dragging = { point, pointerId: event.pointerId };
      this.parts.overlay.setPointerCapture(event.pointerId);
      this.callbacks.onSelectPoint(point.g, point.t);
      this.points.get(`${point.g},${point.t}`).group.focus({ preventScroll: true });
    } else {
      this.pickAt(position);
    }
  }

  /** Picks the output pixel whose kernel is centred nearest to position. */
  pickAt(position) {
    const op = this.operation;
    const ho = Math.round(position.y - ((op.kh - 1) / 2 - op.ph));
    const wo = Math.round(position.x - ((op.kw - 1) / 2 - op.pw));
    this.callbacks.onPickPixel(Math.min(op.Ho - 1, Math.max(0, ho)), Math.min(op.Wo - 1, Math.max(0, wo)));
  }

  pointerMove(event) {
    if (!this.dragging || event.pointerId !== this.dragging.pointerId) return;
    const { point } = this.dragging;
    const position = this.toPicture(event);
    const op = this.operation;
    // Keep the point within a pixel of the picture: further out it samples zeros anyway.
    const y = Math.min(op.H, Math.max(-1, position.y)), x = Math.min(op.W, Math.max(-1, position.x));
    this.callbacks.onEdit(point.g, point.t, { dy: round2(y - point.y0), dx: round2(x - point.x0) });
  }

  pointerUp(event) {
    if (!this.dragging || event.pointerId !== this.dragging.pointerId) return;
    this.dragging = null;
  }

  keyDown(event, g, t) {
    const step = event.shiftKey ? 1 : 0.1;
    const move = { ArrowUp: [-step, 0], ArrowDown: [step, 0], ArrowLeft: [0, -step], ArrowRight: [0, step] }[event.key];
    const current = this.operation.valueAt(g, t, this.pixel.ho, this.pixel.wo);
    if (move) {
      event.preventDefault();
      this.callbacks.onEdit(g, t, { dy: round2(current.dy + move[0]), dx: round2(current.dx + move[1]) });
    } else if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      this.callbacks.onEdit(g, t, { dy: 0, dx: 0 });
    }
  }

  /** Draws the output maps and lists the values at the picked pixel. output: { data, shape: [1, 6, Ho, Wo] }. */
  renderOutput(output) {
    const [, , Ho, Wo] = output.shape;
    const plane = Ho * Wo;
    const { ho, wo } = this.pixel;
    for (const { filter, canvas } of this.maps) {
      const small = new ImageData(Wo, Ho);
      for (let p = 0; p < plane; p++) {
        let rgb;
        if (filter.kind === 'colour') rgb = filter.channels.map((c) => output.data[c * plane + p]);
        else rgb = divergingColour(output.data[filter.channels[0] * plane + p]);
        for (let c = 0; c < 3; c++) small.data[4 * p + c] = Math.round(Math.min(1, Math.max(0, rgb[c])) * 255);
        small.data[4 * p + 3] = 255;
      }
      const scale = canvas.width / Wo;
      const context = canvas.getContext('2d');
      const staging = new OffscreenCanvas(Wo, Ho);
      staging.getContext('2d').putImageData(small, 0, 0);
      context.imageSmoothingEnabled = false;
      context.drawImage(staging, 0, 0, canvas.width, canvas.height);
      context.lineWidth = 2;
      context.strokeStyle = '#000';
      context.strokeRect(wo * scale - 1, ho * scale - 1, scale + 2, scale + 2);
      context.strokeStyle = '#fff';
      context.strokeRect(wo * scale - 3, ho * scale - 3, scale + 6, scale + 6);
    }
    const rows = FILTERS.map((filter) => {
      const row = document.createElement('tr');
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = filter.name;
      const cell = document.createElement('td');
      for (const c of filter.channels) {
        const value = output.data[c * plane + ho * Wo + wo];
        const span = document.createElement('span');
        span.className = 'output-value';
        span.dataset.channel = c;
        span.dataset.value = String(value);
        span.textContent = value.toFixed(4);
        cell.append(span);
      }
      row.append(name, cell);
      return row;
    });
    this.parts.values.replaceChildren(...rows);
  }
}

function setAttributes(node, attributes) {
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
}

/** Blue for negative, white for 0, orange for positive; ±0.5 saturates. */
function divergingColour(value) {
  const s = Math.max(-1, Math.min(1, value / 0.5));
  const white = [0.97, 0.97, 0.97], positive = [0.85, 0.37, 0.01], negative = [0.13, 0.4, 0.67];
  const end = s >= 0 ? positive : negative;
  return white.map((w, c) => w + (end[c] - w) * Math.abs(s));
}
