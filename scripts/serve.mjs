// A small static file server for the demo page and the browser tests, on Node's http module alone.
// It binds 127.0.0.1 only, sends the right MIME types for .mjs/.wasm, never serves outside its root, and by
// default sends the two cross-origin isolation headers (COOP same-origin + COEP require-corp), so the page gets
// SharedArrayBuffer and the threaded WebAssembly build; --no-isolation leaves them out (SIMD-only build).
//
//   node scripts/serve.mjs [--port N] [--no-isolation] [--root DIR]   (PORT in the environment also sets the port)
//
// Without --root it serves this repository's web/ (the pages) and dist/ (the package they use), and / leads to
// /web/; the benchmark page (web/bench.html) also reads bench/ (its shapes, data and agreement check) and
// onnxruntime-web's files from node_modules/onnxruntime-web/dist/.
// /vendor/onnxruntime-web/ is node_modules/onnxruntime-web/dist/ too (the demo's "Your model" section compares with it).
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Starts a server. Resolves to { url, port, close() } once it listens.
 * @param {object} options
 * @param {string} options.root folder to serve
 * @param {string[]} [options.only] folders of root that may be served, with everything under them, as paths
 *   relative to root with '/' ('web', 'node_modules/onnxruntime-web/dist'); all of root when absent
 * @param {string} [options.index] where / redirects (e.g. '/web/'); a folder's index.html otherwise
 * @param {boolean} [options.isolation=true] send the cross-origin isolation headers
 * @param {number} [options.port=0] 0 picks a free port
 * @param {Object<string, string>} [options.aliases] URL prefixes ('/vendor/x/') served from other folders
 */
export function startServer({ root, only = null, index = null, isolation = true, port = 0, aliases = {} }) {
  const rootDir = path.resolve(root);
  const server = http.createServer(async (request, response) => {
    const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...(isolation ? ISOLATION_HEADERS : {}) };
    const send = (status, text, extra = {}) => {
      response.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
      response.end(request.method === 'HEAD' ? undefined : text);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'method not allowed', { Allow: 'GET, HEAD' });
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
    } catch {
      return send(400, 'bad request');
    }
    if (pathname === '/' && index) return send(302, `see ${index}`, { Location: index });
    const alias = Object.keys(aliases).find((prefix) => pathname.startsWith(prefix));
    const baseDir = alias ? path.resolve(aliases[alias]) : rootDir;
    const file = path.join(baseDir, alias ? pathname.slice(alias.length) : pathname);
    const relative = path.relative(baseDir, file);
    if (relative.startsWith('..') || path.isAbsolute(relative) || pathname.includes('\0')) return send(403, 'forbidden');
    const served = relative.split(path.sep).join('/');
    if (!alias && only && !only.some((folder) => served === folder || served.startsWith(`${folder}/`))) return send(404, 'not found');
    let target = file;
    try {
      let stat = await fs.stat(target);
      if (stat.isDirectory()) {
        if (!pathname.endsWith('/')) return send(301, 'moved', { Location: `${pathname}/` });
        target = path.join(target, 'index.html');
        stat = await fs.stat(target);
      }
      if (!stat.isFile()) return send(404, 'not found');
      const type = MIME_TYPES[path.extname(target).toLowerCase()] || 'application/octet-stream';
      response.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': stat.size });
      if (request.method === 'HEAD') return response.end();
      createReadStream(target).on('error', () => response.destroy()).pipe(response);
    } catch {
      send(404, 'not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const actualPort = server.address().port;
      resolve({
        port: actualPort,
        url: `http://127.0.0.1:${actualPort}/`,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

/**
 * The demo page's server: this repository's web/ and dist/ (and what the benchmark page reads), / leading to /web/,
 * and onnxruntime-web's files under /vendor/onnxruntime-web/.
 */
export function startDemoServer({ isolation = true, port = 0 } = {}) {
  const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const only = ['web', 'dist', 'bench', 'node_modules/onnxruntime-web/dist'];
  const aliases = { '/vendor/onnxruntime-web/': path.join(repo, 'node_modules', 'onnxruntime-web', 'dist') };
  return startServer({ root: repo, only, index: '/web/', isolation, port, aliases });
}

function parseArgs(argv) {
  const options = { isolation: true, port: process.env.PORT ? Number(process.env.PORT) : 8080, root: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-isolation') options.isolation = false;
    else if (arg === '--port') options.port = Number(argv[++i]);
    else if (arg === '--root') options.root = argv[++i];
    else throw new Error(`serve.mjs: unknown argument '${arg}'; usage: node scripts/serve.mjs [--port N] [--no-isolation] [--root DIR]`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`serve.mjs: the port must be an integer between 0 and 65535, got ${options.port}`);
  }
  return options;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = parseArgs(process.argv.slice(2));
  let server;
  try {
    server = options.root
      ? await startServer({ root: options.root, isolation: options.isolation, port: options.port })
      : await startDemoServer(options);
  } catch (error) {
    if (error.code !== 'EADDRINUSE') throw error;
    console.error(`serve.mjs: port ${options.port} on 127.0.0.1 is in use; choose another with PORT=8081 npm start (or --port)`);
    process.exit(1);
  }
  const where = options.root ? server.url : `${server.url}web/`;
  console.log(`Serving ${options.root || 'the demo page'} at ${where} ` +
    `(${options.isolation ? 'cross-origin isolated: threaded build' : 'not isolated: SIMD-only build'}); Ctrl-C stops it.`);
  process.on('SIGINT', () => server.close().then(() => process.exit(0)));
  process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
}
