// The benchmark page (bench.html): the settings form, where the benchmark runs (a fresh Web Worker per run, by
// default, or this page's main thread), the progress bar and the results as they arrive.
// window.deformconvBench exposes the run's state and results to the browser test and to `npm run bench`
// (bench/browser.mjs), which open the page with its settings in the address and autostart=1.
import { SHAPES } from '../bench/shapes.mjs';
import { DEFAULT_SETTINGS, checkSettings, settingsFromQuery, settingsToQuery } from './bench-settings.js';
import { renderChart, renderEnvironment, renderRow } from './bench-view.js';

const $ = (id) => document.getElementById(id);
const isolated = globalThis.crossOriginIsolated === true;
const cores = navigator.hardwareConcurrency || 1;

/** The run's state, for people (the page) and programs (window.deformconvBench). */
const bench = {
  status: 'idle', // 'idle' | 'running' | 'done' | 'stopped' | 'failed'
  progress: { fraction: 0, text: '' },
  settings: null,
  environment: null,
  shapes: [],
  results: null,
  error: null,
};
window.deformconvBench = bench;

let current = null; // { stop() } of the run in progress
let ranOnMainThread = false;

// ---------------------------------------------------------------- settings form

function fillThreads(selected) {
  const select = $('threads');
  const counts = isolated ? Array.from({ length: Math.max(cores, selected) }, (_, i) => i + 1) : [1];
  select.replaceChildren(...counts.map((n) => new Option(n === cores ? `${n} (this machine's cores)` : String(n), String(n))));
  select.value = String(isolated ? selected : 1);
  select.disabled = !isolated;
}

function fillShapes(selected) {
  $('shape-list').replaceChildren(...SHAPES.map((s) => {
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', name: 'shape', value: s.name, checked: selected.includes(s.name) });
    const label = document.createElement('label');
    label.title = s.what;
    const name = document.createElement('code');
    name.textContent = s.name;
    label.append(box, ' ', name);
    return label;
  }));
  countShapes();
}

function countShapes() {
  const boxes = [...document.querySelectorAll('#shape-list input')];
  $('shape-count').textContent = `${boxes.filter((b) => b.checked).length} of ${boxes.length}`;
}

function formSettings() {
  return checkSettings({
    ...bench.settings,
    threads: Number($('threads').value),
    where: $('where').value,
    seconds: Number($('seconds').value),
    shapes: [...document.querySelectorAll('#shape-list input:checked')].map((b) => b.value),
  });
}

function setRunning(running) {
  for (const control of $('bench-settings').elements) {
    if (control.id === 'stop') control.disabled = !running;
    else if (control.id !== 'threads' || isolated) control.disabled = running;
  }
}

// ---------------------------------------------------------------- status and results

function showStatus(text, { error = false } = {}) {
  $('status').textContent = text;
  $('status').classList.toggle('is-error', error);
}

function showProgress({ fraction, text }) {
  bench.progress = { fraction, text };
  $('progress').value = fraction;
  $('progress-text').textContent = text;
}

function onEvent(event) {
  if (event.type === 'progress') showProgress(event);
  else if (event.type === 'start') {
    bench.environment = event.environment;
    renderEnvironment($('environment'), event.environment);
    $('environment-section').hidden = false;
  } else if (event.type === 'shape') {
    bench.shapes.push(event.result);
    renderRow($('results-body'), event.result);
    renderChart($('chart'), bench.shapes);
    $('results-section').hidden = false;
  }
}

function finish(status, { results = null, error = null } = {}) {
  current = null;
  bench.status = status;
  bench.results = results;
  bench.error = error;
  setRunning(false);
  $('copy-json').disabled = !results;
  if (status === 'done') {
    const differ = results.shapes.filter((r) => !r.agreement.ok);
    const ratios = results.shapes.filter((r) => r.ours).map((r) => r.ratio);
    showStatus(differ.length
      ? `Done in ${results.seconds.toFixed(0)} s, but the outputs differ on ${differ.map((r) => r.name).join(', ')}: those layers were not timed.`
      : `Done in ${results.seconds.toFixed(0)} s: deformconv-wasm was ${Math.min(...ratios).toFixed(2)}x to ${Math.max(...ratios).toFixed(2)}x as fast as onnxruntime-web on these ${ratios.length} layers.`,
    { error: differ.length > 0 });
  } else if (status === 'stopped') {
    showStatus('Stopped. The layers measured so far are shown.');
  } else {
    showStatus(`The benchmark failed: ${error}`, { error: true });
  }
}

// ---------------------------------------------------------------- running

function runInWorker(settings) {
  const worker = new Worker(new URL('./bench-worker.js', import.meta.url), { type: 'module' });
  current = {
    stop: () => {
      worker.terminate();
      finish('stopped');
    },
  };
  worker.onmessage = ({ data }) => {
    if (data.type === 'done') {
      worker.terminate();
      finish('done', { results: data.results });
    } else if (data.type === 'error') {
      worker.terminate();
      finish('failed', { error: `${data.name}: ${data.message}` });
    } else {
      onEvent(data);
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    worker.terminate();
    finish('failed', { error: `the worker could not run: ${event.message || 'it failed to load'}` });
  };
  worker.postMessage({ type: 'run', settings });
}

async function runOnMainThread(settings) {
  let stopRequested = false;
  current = { stop: () => { stopRequested = true; } };
  ranOnMainThread = true;
  try {
    const { runBenchmark } = await import('./bench-runner.js');
    const results = await runBenchmark(settings, { onEvent, shouldStop: () => stopRequested });
    finish('done', { results });
  } catch (error) {
    if (error.name === 'BenchmarkStopped') finish('stopped');
    else finish('failed', { error: `${error.name}: ${error.message}` });
  }
}

function start(settings) {
  // onnxruntime-web keeps the thread count of its first session for the life of the page: a second run on the
  // main thread gets a fresh page (the settings travel in the address).
  if (settings.where === 'main' && ranOnMainThread) {
    location.search = settingsToQuery(settings, true);
    return;
  }
  history.replaceState(null, '', `?${settingsToQuery(settings, false)}`);
  Object.assign(bench, { status: 'running', settings, environment: null, shapes: [], results: null, error: null });
  $('results-body').replaceChildren();
  $('chart').replaceChildren();
  $('results-section').hidden = true;
  setRunning(true);
  showProgress({ fraction: 0, text: 'starting' });
  showStatus(`Running ${settings.shapes.length} layer${settings.shapes.length > 1 ? 's' : ''} on ${settings.where === 'worker' ? 'a Web Worker' : 'the main thread'}, ${settings.threads} thread${settings.threads > 1 ? 's' : ''}…`);
  if (settings.where === 'worker') runInWorker(settings);
  else runOnMainThread(settings);
}

function init() {
  const { settings: asked, autostart } = settingsFromQuery(new URLSearchParams(location.search));
  let settings;
  try {
    settings = checkSettings({ ...DEFAULT_SETTINGS, threads: isolated ? cores : 1, ...asked });
  } catch (error) {
    settings = checkSettings({ ...DEFAULT_SETTINGS, threads: isolated ? cores : 1 });
    showStatus(`The address asks for settings this page cannot take (${error.message}); the defaults are shown instead.`, { error: true });
    bench.settings = settings;
    bench.error = error.message;
    return wire(settings, false);
  }
  if (!isolated && settings.threads > 1) settings.threads = 1;
  bench.settings = settings;
  showStatus(isolated
    ? `This page is cross-origin isolated: both libraries can use threads (this machine has ${cores} logical core${cores > 1 ? 's' : ''}).`
    : 'This page is not cross-origin isolated (no SharedArrayBuffer): both libraries run on one thread, ours with its SIMD-only build.');
  wire(settings, autostart);
}

function wire(settings, autostart) {
  fillThreads(settings.threads);
  $('where').value = settings.where;
  $('seconds').value = String(settings.seconds);
  fillShapes(settings.shapes);
  $('settings-note').textContent = isolated ? '' : 'Threads need a cross-origin isolated page (npm start serves one).';
  $('shape-list').addEventListener('change', countShapes);
  $('bench-settings').addEventListener('submit', (event) => {
    event.preventDefault();
    let chosen;
    try {
      chosen = formSettings();
    } catch (error) {
      showStatus(error.message, { error: true });
      return;
    }
    start(chosen);
  });
  $('stop').addEventListener('click', () => current && current.stop());
  $('copy-json').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(JSON.stringify(bench.results, null, 1));
      $('copy-note').textContent = 'copied';
    } catch (error) {
      $('copy-note').textContent = `could not copy: ${error.message}`;
    }
  });
  if (autostart) start(settings);
}

init();
