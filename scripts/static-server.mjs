// A small static file server for tests and demos in a real browser: serves folders from 127.0.0.1 on a free
// port, with the two headers that make a page cross-origin isolated (SharedArrayBuffer, threaded WASM) unless
// a request asks for ?isolated=0. Used by tests/js/webgpu-chromium.test.js; reusable by any browser test.
//
//   import { startStaticServer } from '../scripts/static-server.mjs';
//   const server = await startStaticServer({ mounts: { '/': repoRoot, '/golden/': goldenDir } });
//   ... page.goto(`${server.url}/tests/webgpu/browser.html`) ...
//   await server.close();
//
// Run directly (`node scripts/static-server.mjs [folder] [port]`) it serves one folder until stopped.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The file a URL path names under mounts ({ url prefix: folder }, longest prefix first), or null. */
function fileFor(mounts, pathname) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (!pathname.startsWith(prefix)) continue;
    const root = resolve(mounts[prefix]);
    const file = normalize(join(root, decodeURIComponent(pathname.slice(prefix.length))));
    if (file !== root && !file.startsWith(root + sep)) return null; // no way out of the folder
    return file;
  }
  return null;
}

/**
 * Starts serving; resolves to { url: 'http://127.0.0.1:PORT', port, close() }.
 * mounts: { '/prefix/': folder }; port: 0 for a free one.
 */
export function startStaticServer({ mounts, port = 0 }) {
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const headers = url.searchParams.get('isolated') === '0' ? {} : { ...ISOLATION };
    headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    headers['Cache-Control'] = 'no-store';
    let file = fileFor(mounts, url.pathname);
    let stat = null;
    try {
      stat = file && statSync(file);
      if (stat && stat.isDirectory()) {
        file = join(file, 'index.html');
        stat = statSync(file);
      }
    } catch {
      stat = null;
    }
    if (!stat || !stat.isFile()) {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      response.end(`not found: ${url.pathname}`);
      return;
    }
    response.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
      'Content-Length': stat.size,
    });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolvePromise({
        url: `http://127.0.0.1:${actual}`,
        port: actual,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const folder = process.argv[2] || join(fileURLToPath(new URL('.', import.meta.url)), '..');
  const server = await startStaticServer({ mounts: { '/': folder }, port: Number(process.argv[3] || 0) });
  console.log(`serving ${resolve(folder)} at ${server.url} (cross-origin isolated; add ?isolated=0 for a page without isolation)`);
}
