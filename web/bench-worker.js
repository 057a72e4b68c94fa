// The benchmark page's Web Worker (a module worker started by bench.js): runs bench-runner.js here, off the page's
// main thread, and posts its events to the page. One worker runs one benchmark (onnxruntime-web fixes its thread
// count when its module starts); the page starts a fresh worker for the next.
// The page stops a run by terminating the worker.
// Message in: { type: 'run', settings }. Out: the runner's events ('start', 'progress', 'shape'), then
// { type: 'done', results } or { type: 'error', name, message, stack }.
import { runBenchmark } from './bench-runner.js';

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === 'run') {
    try {
      const results = await runBenchmark(message.settings, { onEvent: (e) => self.postMessage(e) });
      self.postMessage({ type: 'done', results });
    } catch (error) {
      self.postMessage({ type: 'error', name: error.name, message: error.message, stack: error.stack });
    }
  }
};
