// Appended to the threaded WASM modules (--post-js). Runs inside the module's scope, where Emscripten's
// PThread object lives, and gives the JS layer a way to end the worker threads on dispose(): a running
// worker pool would otherwise keep Node.js (and Jest) alive.
Module['terminateWorkers'] = function () {
  if (typeof PThread !== 'undefined') PThread.terminateAllThreads();
};
