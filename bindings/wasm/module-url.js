// Appended to every web module after Emscripten's own output (--extern-post-js, outside the code its optimizer
// reads, which cannot parse import.meta). The module's own URL, whatever a bundler named its chunk: the page
// imports a build with a literal import() (bindings/api/browser.js), which bundlers follow, and hands this URL
// to the proxy's Web Worker (bindings/proxy/worker.js), which imports the same module from it. The worker's
// bundle then needs no import() a bundler would have to split into chunks of its own.
export const moduleUrl = import.meta.url;
