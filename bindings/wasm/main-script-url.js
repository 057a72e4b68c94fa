// Prepended to the threaded web module (--pre-js). Each pthread worker imports the main module from the URL the
// main thread sends it (Module.mainScriptUrlOrBlob); when none is sent, Emscripten's worker script falls back to
// a literal import("./deformconv-threads-web.mjs"), which a bundler cannot follow to a renamed chunk and which
// stops Vite from bundling the worker in its default (iife) format. So the module always sends its own URL, and
// scripts/patch-pthread-worker.mjs removes the fallback from the worker script after linking.
// _scriptDir is Emscripten's own `import.meta.url` of this module (import.meta itself cannot appear in a pre-js:
// Emscripten's optimizer parses it as a script).
if (!Module['mainScriptUrlOrBlob']) Module['mainScriptUrlOrBlob'] = _scriptDir;
