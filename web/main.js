// The demo page: wires the settings, the layout view (section 1), the picture and outputs (section 2) and the
// code (section 3) to one state, and runs the operation through the package's own browser build.
// Pipeline: load the library (threaded build when the page is cross-origin isolated, else SIMD-only; it runs in a
// Web Worker of its own, the proxy, so the page never waits for a call) and probe
// for WebGPU -> settings build the tensors (operation.js) -> every edit updates the views at once and asks for a
// recomputation; edits that arrive while one runs are folded into the next run, so dragging never queues up.
// window.deformconvDemo exposes the state and tensors to the browser tests (tests/browser/).
import { createDeformConv, layouts, version } from '../dist/browser.mjs';
import { javascriptSnippet, mindsporeSnippet, torchvisionSnippet } from './code-snippets.js';
import { LayoutView } from './layout-view.js';
import { Operation } from './operation.js';
import { OperationView } from './operation-view.js';
import { makePicture } from './picture.js';

const PICTURE_SIZE = 48;
const MAX_KERNEL = 7;
const MAX_GROUPS = 4;
const TIMINGS_KEPT = 21;

const $ = (id) => document.getElementById(id);

const state = {
  kh: 3, kw: 3, G: 1,
  pixel: { ho: 16, wo: 29 },          // on the roof's left edge: every filter has something to say
  selected: { g: 0, t: 4, part: 'dy' },
  everyPixel: false,
  backend: 'wasm',
};
const instances = { wasm: null, webgpu: null };
let webgpuReason = null;

const operation = new Operation(makePicture(PICTURE_SIZE, PICTURE_SIZE));
const layoutView = new LayoutView(
  { kernel: $('kernel-diagram'), torchvision: $('torchvision-strips'), mindspore: $('mindspore-strips'), formula: $('layout-formula') },
  (value) => select(value, { fromLayout: true }),
);
const operationView = new OperationView(
  {
    canvas: $('picture-canvas'), overlay: $('picture-overlay'), thumbnailCanvas: $('thumbnail-canvas'),
    thumbnailOverlay: $('thumbnail-overlay'), maps: $('output-maps'), values: $('output-values'),
  },
  operation,
  {
    onEdit: (g, t, values) => edit(g, t, values),
    onPickPixel: (ho, wo) => pickPixel(ho, wo),
    onSelectPoint: (g, t) => select({ g, t, part: state.selected.part === 'mask' ? 'dy' : state.selected.part }),
  },
);

// ---------------------------------------------------------------- recomputation, coalesced

const timings = { wasm: [], webgpu: [] };
let running = null;
let again = false;
let idleWaiters = [];
let computeCount = 0;
let lastOutput = null;

function recompute() {
  if (running) {
    again = true;
    return;
  }
  running = (async () => {
    do {
      again = false;
      const backend = state.backend;
      const dc = instances[backend];
      if (!dc) break;
      try {
        const result = await operation.run(dc, layouts);
        if (again) continue; // settings changed meanwhile: this output is already stale
        const kept = timings[backend];
        kept.push(result.milliseconds);
        if (kept.length > TIMINGS_KEPT) kept.shift();
        operationView.renderOutput(result.output);
        renderRunInfo(dc, result);
        computeCount++;
        lastOutput = result.output;
      } catch (error) {
        showError(`The ${backend} backend failed: ${error.message}`, error);
      }
    } while (again);
    running = null;
    const waiters = idleWaiters;
    idleWaiters = [];
    waiters.forEach((resolve) => resolve());
  })();
}
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function renderRunInfo(dc, result) {
  const info = dc.info();
  const kept = timings[state.backend];
  const perCall = median(kept);
  const parts = [];
  if (info.backend === 'webgpu') {
    const adapter = info.webgpu || {};
    parts.push('Backend: WebGPU', `adapter ${adapter.adapter || 'unnamed'}${adapter.isFallbackAdapter ? ' (software)' : ''}`);
  } else {
    parts.push('Backend: WebAssembly', `${info.wasmBuild === 'threads' ? 'threaded' : 'SIMD-only'} build`,
      `${info.threads} thread${info.threads === 1 ? '' : 's'}`, `SIMD: ${info.simd ? info.simdInstructions : 'no'}`);
  }
  parts.push(`${perCall < 1 ? perCall.toFixed(2) : perCall.toFixed(1)} ms per call (median of ${kept.length})`,
    result.conventionsAgree ? 'torchvision and MindSpore layouts agree' : `layouts differ by ${result.maxDifference}`);
  const line = $('run-info');
  line.textContent = parts.join(' · ');
  Object.assign(line.dataset, { backend: info.backend, threads: info.threads, wasmBuild: info.wasmBuild, milliseconds: perCall });
}

function showError(message, error) {
  const status = $('status');
  status.textContent = message;
  status.classList.add('is-error');
  console.error(error);
}

// ---------------------------------------------------------------- state changes

function configure() {
  operation.configure(state);
  state.pixel.ho = Math.min(state.pixel.ho, operation.Ho - 1);
  state.pixel.wo = Math.min(state.pixel.wo, operation.Wo - 1);
  const K = state.kh * state.kw;
  if (state.selected.t >= K || state.selected.g >= state.G) state.selected = { g: 0, t: Math.floor(K / 2), part: state.selected.part };
  fillSelect($('edit-group'), state.G, state.selected.g);
  $('edit-group-label').hidden = state.G === 1;
  $('pixel-row').max = operation.Ho - 1;
  $('pixel-column').max = operation.Wo - 1;
  $('settings-note').textContent = `input ${3 * state.G}×${operation.H}×${operation.W} (the picture's RGB once per offset group), ` +
    `weight 6×${3 * state.G}×${state.kh}×${state.kw}, output 6×${operation.Ho}×${operation.Wo}`;
  layoutView.pinned = state.selected;
  layoutView.render(state);
  operationView.render();
  refresh();
  recompute();
}

/** Views that follow the state without a new computation. */
function refresh() {
  const { ho, wo } = state.pixel;
  const { g, t } = state.selected;
  operationView.pixel = { ho, wo };
  operationView.group = g;
  operationView.selected = { g, t };
  operationView.update();
  $('pixel-row').value = ho;
  $('pixel-column').value = wo;
  $('pixel-text').textContent = `(${ho}, ${wo})`;
  $('values-pixel').textContent = `(${ho}, ${wo})`;
  $('edit-group').value = g;
  const v = operation.valueAt(g, t, ho, wo);
  const i = Math.floor(t / state.kw), j = t % state.kw;
  $('point-text').textContent = `Group ${g}, tap ${t} (row ${i}, column ${j}): dy ${v.dy.toFixed(2)}, dx ${v.dx.toFixed(2)}`;
  $('mask-range').value = v.mask;
  $('mask-output').textContent = v.mask.toFixed(2);
  layoutView.valueText = (value) => {
    const current = operation.valueAt(value.g, value.t, ho, wo);
    return ` — at output pixel (${ho}, ${wo}) it holds ${current[value.part].toFixed(2)}`;
  };
  layoutView.renderFormula(layoutView.pinned);
  renderCode();
}

function select(value, { fromLayout = false } = {}) {
  state.selected = { g: value.g, t: value.t, part: value.part };
  if (!fromLayout) layoutView.show(state.selected, { pin: true, notify: false });
  refresh();
}

function edit(g, t, values) {
  const { ho, wo } = state.pixel;
  operation.setValue(g, t, ho, wo, values, state.everyPixel);
  if (g !== state.selected.g || t !== state.selected.t) select({ g, t, part: state.selected.part });
  else refresh();
  recompute();
}

function pickPixel(ho, wo) {
  if (ho === state.pixel.ho && wo === state.pixel.wo) return;
  state.pixel = { ho, wo };
  refresh();
  recompute();
}

/** Writes offsets for the edited group's taps from a function of the tap's place relative to the kernel centre. */
function applyPreset(offsetOf) {
  const { ho, wo } = state.pixel;
  const g = state.selected.g;
  const ci = (state.kh - 1) / 2, cj = (state.kw - 1) / 2;
  for (let t = 0; t < state.kh * state.kw; t++) {
    const i = Math.floor(t / state.kw), j = t % state.kw;
    const [dy, dx] = offsetOf(i - ci, j - cj);
    operation.setValue(g, t, ho, wo, { dy: Math.round(dy * 100) / 100, dx: Math.round(dx * 100) / 100 }, state.everyPixel);
  }
  refresh();
  recompute();
}

// ---------------------------------------------------------------- code section

function renderCode() {
  const { ho, wo } = state.pixel;
  const edits = [];
  for (let g = 0; g < state.G; g++) {
    for (let t = 0; t < state.kh * state.kw; t++) {
      const v = operation.valueAt(g, t, ho, wo);
      if (v.dy !== 0 || v.dx !== 0 || v.mask !== 1) edits.push({ g, t, ...v });
    }
  }
  const settings = {
    kh: state.kh, kw: state.kw, G: state.G, H: operation.H, W: operation.W, Ho: operation.Ho, Wo: operation.Wo,
    ph: operation.ph, pw: operation.pw, ho, wo, everyPixel: state.everyPixel, edits,
  };
  $('code-js').textContent = javascriptSnippet(settings);
  $('code-torchvision').textContent = torchvisionSnippet(settings);
  $('code-mindspore').textContent = mindsporeSnippet(settings);
}

async function copyCode(button) {
  const code = $(button.dataset.target);
  try {
    await navigator.clipboard.writeText(code.textContent);
    button.textContent = 'Copied';
  } catch {
    // No clipboard permission: select the text so Ctrl-C copies it.
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = 'Selected: press Ctrl-C';
  }
  setTimeout(() => { button.textContent = 'Copy'; }, 2000);
}

// ---------------------------------------------------------------- controls

function fillSelect(select, count, value, first = 0) {
  select.replaceChildren(...Array.from({ length: count }, (_, k) => new Option(String(k + first), String(k + first))));
  select.value = String(value);
}

function wireControls() {
  fillSelect($('kernel-height'), MAX_KERNEL, state.kh, 1);
  fillSelect($('kernel-width'), MAX_KERNEL, state.kw, 1);
  fillSelect($('offset-groups'), MAX_GROUPS, state.G, 1);
  $('settings').addEventListener('submit', (event) => event.preventDefault());
  for (const [id, key] of [['kernel-height', 'kh'], ['kernel-width', 'kw'], ['offset-groups', 'G']]) {
    $(id).addEventListener('change', () => {
      state[key] = Number($(id).value);
      configure();
    });
  }
  $('edit-group').addEventListener('change', () => select({ ...state.selected, g: Number($('edit-group').value) }));
  const pixelInput = () => {
    const ho = Number($('pixel-row').value), wo = Number($('pixel-column').value);
    if (Number.isInteger(ho) && Number.isInteger(wo) && ho >= 0 && wo >= 0 && ho < operation.Ho && wo < operation.Wo) pickPixel(ho, wo);
  };
  $('pixel-row').addEventListener('input', pixelInput);
  $('pixel-column').addEventListener('input', pixelInput);
  $('mask-range').addEventListener('input', () => edit(state.selected.g, state.selected.t, { mask: Number($('mask-range').value) }));
  $('every-pixel').addEventListener('change', () => {
    state.everyPixel = $('every-pixel').checked;
    if (state.everyPixel) {
      // From now on one set of offsets for all output pixels: start from the picked pixel's.
      const { ho, wo } = state.pixel;
      for (let g = 0; g < state.G; g++) {
        for (let t = 0; t < state.kh * state.kw; t++) operation.setValue(g, t, ho, wo, operation.valueAt(g, t, ho, wo), true);
      }
    }
    refresh();
    recompute();
  });
  $('preset-spread').addEventListener('click', () => applyPreset((di, dj) => [di, dj]));
  $('preset-rotate').addEventListener('click', () => {
    const a = Math.PI / 6;
    applyPreset((di, dj) => [di * Math.cos(a) + dj * Math.sin(a) - di, -di * Math.sin(a) + dj * Math.cos(a) - dj]);
  });
  $('preset-random').addEventListener('click', () => applyPreset(() => [Math.random() * 3 - 1.5, Math.random() * 3 - 1.5]));
  $('preset-reset').addEventListener('click', () => {
    operation.reset(state.pixel.ho, state.pixel.wo, state.everyPixel);
    refresh();
    recompute();
  });
  for (const radio of document.querySelectorAll('input[name="backend"]')) {
    radio.addEventListener('change', () => {
      state.backend = radio.value;
      recompute();
    });
  }
  for (const button of document.querySelectorAll('button.copy')) button.addEventListener('click', () => copyCode(button));
}

// ---------------------------------------------------------------- start

function renderStatus() {
  const info = instances.wasm.info();
  const isolated = globalThis.crossOriginIsolated === true;
  const status = $('status');
  status.textContent = isolated
    ? `Cross-origin isolated: the threaded WebAssembly build runs with ${info.threads} threads (SIMD ${info.simdInstructions}).`
    : `Not cross-origin isolated (no SharedArrayBuffer): the SIMD-only WebAssembly build runs on 1 thread. ` +
      'Serve the page with the COOP/COEP headers (npm start does) for threads.';
  if (info.proxy) status.textContent += ' The calls run in a Web Worker the library starts (its proxy), so the page never waits for them.';
  status.textContent += instances.webgpu ? ' WebGPU is available: switch backends in section 2.' : ` WebGPU: not used (${webgpuReason}).`;
  Object.assign(status.dataset, { isolated, wasmBuild: info.wasmBuild, threads: info.threads, webgpu: Boolean(instances.webgpu), proxy: info.proxy });
}

async function start() {
  wireControls();
  try {
    instances.wasm = await createDeformConv({ backend: 'wasm' });
  } catch (error) {
    showError(`deformconv-wasm ${version} could not start: ${error.message}`, error);
    return;
  }
  try {
    instances.webgpu = await createDeformConv({ backend: 'webgpu' });
  } catch (error) {
    webgpuReason = error.message;
  }
  $('backend-switch').hidden = !instances.webgpu;
  renderStatus();
  configure();
}

window.deformconvDemo = {
  state,
  instances,
  /** The tensors of the current call, as the page passes them to deformConv2d. */
  tensors: () => ({
    input: operation.input, offset: operation.offset, mask: operation.mask, weight: operation.weight,
    padding: [operation.ph, operation.pw],
  }),
  get output() { return lastOutput; },
  get computeCount() { return computeCount; },
  /** Resolves once no computation is running or waiting. */
  whenIdle: () => (running ? new Promise((resolve) => idleWaiters.push(resolve)) : Promise.resolve()),
  ready: start(),
};
