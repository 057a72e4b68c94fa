// Section 4 of the demo page, "Your model": an ONNX model (dropped, picked, or one of the examples that
// web/make-models.mjs writes into web/models/) runs on random inputs through onnxruntime-web alone and through
// deformconv-wasm/onnx's InferenceSession (onnxruntime-web for the other nodes, this package for DeformConv);
// the page lists the DeformConv nodes with their parameters and the run plan, and shows both times and the
// largest difference. onnxruntime-web's files come from node_modules (scripts/serve.mjs serves them under
// /vendor/onnxruntime-web/), loaded at the first model. Its own module: main.js does not depend on it.
// window.deformconvModelDemo exposes the state to the browser tests (tests/browser/model-section.test.js).
import { InferenceSession } from '../dist/onnx-browser.mjs';
import { median } from './bench-stats.js';

const ORT_MODULE = '../vendor/onnxruntime-web/ort.wasm.min.mjs';
const TIMED_RUNS = 5;
const MAX_THREADS = 4;

const section = document.getElementById('your-model');
const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
};

const state = {
  model: null, // { name, bytes }
  ours: null, // InferenceSession of deformconv-wasm/onnx
  ortAlone: null, // onnxruntime-web's own session
  dims: {}, // symbolic dimension -> size
  result: null,
  error: null,
  busy: null,
};
let ortPromise = null;

/** onnxruntime-web, loaded once, with the thread count this package uses too. */
function loadOrt() {
  if (!ortPromise) {
    ortPromise = import(ORT_MODULE).then((ort) => {
      ort.env.wasm.numThreads = threads();
      return ort;
    });
  }
  return ortPromise;
}

function threads() {
  return globalThis.crossOriginIsolated ? Math.min(MAX_THREADS, navigator.hardwareConcurrency || 1) : 1;
}

// ---------------------------------------------------------------- the section's markup

const ui = {};
function build() {
  ui.status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'model-status', text: 'Pick an example or drop an .onnx file.' });
  ui.examples = el('select', { id: 'model-example', 'aria-label': 'Example model' });
  ui.loadExample = el('button', { type: 'button', id: 'model-load-example', text: 'Load example' });
  ui.file = el('input', { type: 'file', id: 'model-file', accept: '.onnx,application/octet-stream' });
  ui.drop = el('label', { class: 'model-drop', id: 'model-drop', for: 'model-file' },
    el('strong', { text: 'Drop an .onnx file here' }), ' or click to choose one. It stays in this page: nothing is uploaded.');
  ui.summary = el('div', { id: 'model-summary', class: 'model-summary' });
  ui.inputs = el('div', { id: 'model-inputs' });
  ui.nodes = el('div', { id: 'model-nodes' });
  ui.plan = el('ol', { id: 'model-plan', class: 'model-plan' });
  ui.run = el('button', { type: 'button', id: 'model-run', text: 'Run both on random inputs', disabled: '' });
  ui.results = el('div', { id: 'model-results', class: 'model-results', 'aria-live': 'polite' });
  section.append(
    el('h2', { id: 'your-model-title', text: '4. Your model' }),
    el('p', { class: 'hint', text: 'An ONNX model with DeformConv nodes (torchvision\'s deform_conv2d exports as DeformConv, opsets 19 and 22) ' +
      'runs twice on the same random inputs: in onnxruntime-web alone, and in deformconv-wasm/onnx, where onnxruntime-web runs ' +
      'the other nodes and this package the DeformConv nodes. Both use the same number of threads.' }),
    el('div', { class: 'model-pick' }, el('label', {}, 'Example ', ui.examples), ui.loadExample, ui.drop, ui.file),
    ui.status,
    ui.summary,
    el('h3', { text: 'DeformConv nodes' }), ui.nodes,
    el('h3', { text: 'Run plan' }), ui.plan,
    el('h3', { text: 'Inputs' }), ui.inputs,
    ui.run, ui.results,
  );
}

function setStatus(text, isError = false) {
  ui.status.textContent = text;
  ui.status.classList.toggle('is-error', isError);
}

// ---------------------------------------------------------------- loading a model

async function loadExamples() {
  try {
    const response = await fetch('models/index.json');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const examples = await response.json();
    for (const e of examples) ui.examples.append(el('option', { value: e.file, 'data-dims': JSON.stringify(e.dims || {}), text: `${e.title}: ${e.about}` }));
  } catch (e) {
    ui.examples.append(el('option', { value: '', text: `no examples (${e.message}: run npm run build)` }));
    ui.loadExample.disabled = true;
  }
}

async function releaseSessions() {
  const { ours, ortAlone } = state;
  state.ours = state.ortAlone = null;
  await Promise.all([ours && ours.release(), ortAlone && ortAlone.release()]);
}

/** Loads model bytes into both sessions and shows what the model holds. */
async function load(name, bytes, defaultDims = {}) {
  state.result = null;
  state.error = null;
  ui.run.disabled = true;
  ui.results.replaceChildren();
  await releaseSessions();
  state.model = { name, bytes };
  setStatus(`Loading ${name} (${(bytes.length / 1024).toFixed(0)} KiB)…`);
  const ort = await loadOrt();
  const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  try {
    state.ours = await InferenceSession.create(bytes, { ort, threads: threads(), ...options });
    state.ortAlone = await ort.InferenceSession.create(bytes, options);
  } catch (e) {
    await releaseSessions();
    fail(`${name} could not be loaded: ${e.message}`, e);
    [ui.summary, ui.nodes, ui.plan, ui.inputs].forEach((n) => n.replaceChildren());
    return;
  }
  state.dims = { ...defaultDims };
  render();
  ui.run.disabled = false;
  const ours = state.ours.deformConvNodes.filter((n) => n.runsOn === 'deformconv-wasm').length;
  setStatus(`${name}: ${state.ours.deformConvNodes.length} DeformConv node${state.ours.deformConvNodes.length === 1 ? '' : 's'}, ` +
    `${ours} run by deformconv-wasm; ${threads()} thread${threads() === 1 ? '' : 's'} each` +
    (globalThis.crossOriginIsolated ? '.' : ' (the page is not cross-origin isolated: one thread).'));
}

function fail(message, error) {
  state.error = message;
  setStatus(message, true);
  if (error) console.warn(error);
}

// ---------------------------------------------------------------- what the model holds

function render() {
  const s = state.ours;
  ui.summary.replaceChildren(el('p', {},
    el('strong', { text: state.model.name }), ` · ${(state.model.bytes.length / 1024).toFixed(0)} KiB · inputs ${s.inputNames.join(', ')} · outputs ${s.outputNames.join(', ')}`));

  const nodes = s.deformConvNodes;
  if (!nodes.length) {
    ui.nodes.replaceChildren(el('p', { class: 'hint', text: 'None: onnxruntime-web runs the whole model, in one session.' }));
  } else {
    const head = el('tr', {}, ...['node', 'runs on', 'kernel', 'strides', 'pads (t, l, b, r)', 'dilations', 'group', 'offset group', 'mask', 'bias', 'weights']
      .map((h) => el('th', { scope: 'col', text: h })));
    const rows = nodes.map((n) => el('tr', { 'data-node': n.name, 'data-runs-on': n.runsOn },
      el('th', { scope: 'row', text: n.name }),
      el('td', { text: n.runsOn === 'deformconv-wasm' ? 'deformconv-wasm' : `onnxruntime (${n.reason})` }),
      ...(n.runsOn === 'deformconv-wasm'
        ? [n.kernelShape ? n.kernelShape.join('×') : 'from W', n.strides.join('×'), n.pads.join(', '), n.dilations.join('×'), n.group, n.offsetGroup]
        : ['', '', '', '', '', '']).map((v) => el('td', { text: String(v) })),
      el('td', { text: n.inputs.mask ? 'yes (DCNv2)' : 'no (DCNv1)' }),
      el('td', { text: n.inputs.B ? 'yes' : 'no' }),
      el('td', { text: n.weights || '' })));
    ui.nodes.replaceChildren(el('div', { class: 'table-scroll' }, el('table', { class: 'model-table' }, el('thead', {}, head), el('tbody', {}, ...rows))));
  }

  ui.plan.replaceChildren(...s.partition.map((step) => el('li', { 'data-runs-on': step.runsOn },
    el('strong', { text: step.runsOn === 'onnxruntime' ? `onnxruntime-web (${step.backend})` : `deformconv-wasm (${step.backend})` }),
    `: ${step.nodes.length} node${step.nodes.length === 1 ? '' : 's'} `,
    el('span', { class: 'model-plan-nodes', text: step.nodes.length > 8 ? `${step.nodes.slice(0, 8).join(', ')}, …` : step.nodes.join(', ') }))));

  // Inputs: their shapes, with a field for every symbolic dimension.
  const symbols = [...new Set(s.inputMetadata.flatMap((m) => (m.isTensor ? m.shape.filter((d) => typeof d === 'string' || d < 0) : [])).map(String))];
  const fields = symbols.map((name) => {
    const input = el('input', { type: 'number', min: '1', step: '1', value: String(state.dims[name] || 1), 'data-dim': name });
    input.addEventListener('change', () => { state.dims[name] = Math.max(1, Math.floor(Number(input.value) || 1)); });
    state.dims[name] = Number(input.value);
    return el('label', { class: 'model-dim' }, `${name} `, input);
  });
  ui.inputs.replaceChildren(
    el('ul', {}, ...s.inputMetadata.map((m) => el('li', {}, el('code', { text: m.name }), ` ${m.isTensor ? `${m.type} [${m.shape.join(', ')}]` : '(not a tensor)'}`))),
    fields.length ? el('div', { class: 'model-dims' }, 'Symbolic dimensions: ', ...fields) : '',
  );
}

// ---------------------------------------------------------------- running

/** A seeded generator (the same inputs for both sessions, and from run to run). */
function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomFeeds(ort) {
  const rand = random(12345);
  const feeds = {};
  for (const m of state.ours.inputMetadata) {
    if (!m.isTensor) throw new Error(`input ${m.name} is not a tensor: this page feeds tensors only`);
    const dims = m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : state.dims[String(d)] || 1));
    const n = dims.reduce((a, b) => a * b, 1);
    let data;
    if (m.type === 'float32') data = Float32Array.from({ length: n }, () => 2 * rand() - 1);
    else if (m.type === 'float64') data = Float64Array.from({ length: n }, () => 2 * rand() - 1);
    else if (m.type === 'int32') data = new Int32Array(n);
    else if (m.type === 'int64') data = new BigInt64Array(n);
    else if (m.type === 'bool') data = new Uint8Array(n);
    else throw new Error(`input ${m.name} is ${m.type}: this page makes random float32, float64, int32, int64 and bool inputs`);
    feeds[m.name] = new ort.Tensor(m.type, data, dims);
  }
  return feeds;
}

/** Largest |ours − theirs| / (1 + |theirs|) over the floating-point outputs. */
function largestDifference(ours, theirs) {
  let worst = 0, where = '';
  for (const name of Object.keys(theirs)) {
    const a = ours[name].data, b = theirs[name].data;
    if (!(a instanceof Float32Array || a instanceof Float64Array)) continue;
    for (let i = 0; i < b.length; i++) {
      const d = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
      if (!(d <= worst)) {
        worst = Number.isNaN(d) ? Infinity : d;
        where = name;
      }
    }
  }
  return { worst, where };
}

async function run() {
  const ort = await loadOrt();
  ui.run.disabled = true;
  state.result = null;
  setStatus(`Running ${state.model.name}…`);
  try {
    const feeds = randomFeeds(ort);
    const theirs = await state.ortAlone.run(feeds);
    const ours = await state.ours.run(feeds);
    const difference = largestDifference(ours, theirs);
    const times = { ours: [], ortAlone: [] };
    for (let i = 0; i < TIMED_RUNS; i++) {
      for (const [key, session] of [['ortAlone', state.ortAlone], ['ours', state.ours]]) {
        const t0 = performance.now();
        await session.run(feeds);
        times[key].push(performance.now() - t0);
      }
    }
    const result = { oursMs: median(times.ours), ortMs: median(times.ortAlone), difference: difference.worst, where: difference.where };
    result.speedup = result.ortMs / result.oursMs;
    state.result = result;
    renderResult(result);
    setStatus(`${state.model.name}: both ran (median of ${TIMED_RUNS} runs each, in alternation).`);
  } catch (e) {
    fail(`The run failed: ${e.message}`, e);
  } finally {
    ui.run.disabled = false;
  }
}

function renderResult(r) {
  const ms = (x) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
  const agree = r.difference <= 1e-4;
  ui.results.replaceChildren(el('table', { class: 'model-table model-times' },
    el('tbody', {},
      el('tr', {}, el('th', { scope: 'row', text: 'onnxruntime-web alone' }), el('td', { id: 'model-ort-ms', text: ms(r.ortMs) })),
      el('tr', {}, el('th', { scope: 'row', text: 'deformconv-wasm/onnx' }), el('td', { id: 'model-ours-ms', text: `${ms(r.oursMs)} (${r.speedup.toFixed(2)}× onnxruntime-web's speed)` })),
      el('tr', {}, el('th', { scope: 'row', text: 'largest difference' }),
        el('td', { id: 'model-difference', class: agree ? '' : 'is-bad', text: `${r.difference.toExponential(1)} · |ours − theirs| / (1 + |theirs|)${r.where ? ` (output ${r.where})` : ''}${agree ? '' : ': above 1e-4'}` })))));
}

// ---------------------------------------------------------------- wiring

/** Runs one task at a time; the buttons queue behind it. */
function task(fn) {
  const previous = state.busy || Promise.resolve();
  const next = previous.then(fn).catch((e) => fail(e.message, e));
  const done = next.finally(() => {
    if (state.busy === done) state.busy = null;
  });
  state.busy = done;
  return next;
}

async function loadFile(file) {
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  await load(file.name, bytes);
}

async function loadExample(fileName) {
  const option = [...ui.examples.options].find((o) => o.value === fileName);
  const response = await fetch(`models/${fileName}`);
  if (!response.ok) throw new Error(`models/${fileName}: HTTP ${response.status}`);
  await load(fileName, new Uint8Array(await response.arrayBuffer()), option ? JSON.parse(option.dataset.dims || '{}') : {});
}

function wire() {
  ui.loadExample.addEventListener('click', () => task(() => loadExample(ui.examples.value)));
  ui.file.addEventListener('change', () => task(() => loadFile(ui.file.files[0])));
  ui.run.addEventListener('click', () => task(run));
  ui.drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.drop.classList.add('is-over');
  });
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('is-over'));
  ui.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.drop.classList.remove('is-over');
    task(() => loadFile(event.dataTransfer.files[0]));
  });
}

build();
wire();
const examplesLoaded = loadExamples();

window.deformconvModelDemo = {
  state,
  /** Loads an example (its file name in web/models/) or bytes. */
  load: (source, name = 'model.onnx') => task(() => (typeof source === 'string' ? loadExample(source) : load(name, source))),
  run: () => task(run),
  /** Resolves once nothing runs or waits. */
  whenIdle: async () => {
    await examplesLoaded;
    while (state.busy) await state.busy;
  },
};
