// The model argument of InferenceSession.create: bytes as they are, or a URL (in Node.js also a file path)
// fetched or read here. platform.readFile (Node.js only) reads a path.
import { describe } from '../api/tensors.js';

async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`could not load the model from ${url}: ${e && e.message}`, { cause: e });
  }
  if (!response.ok) throw new Error(`could not load the model from ${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * model -> Promise<Uint8Array>. base: the URL relative URLs resolve against (a page's), or null (Node.js:
 * a string that is not an absolute URL is a file path, read by readFile(path) -> Promise<Uint8Array>).
 */
export async function loadModel(model, { base = null, readFile = null } = {}) {
  if (model instanceof Uint8Array) return model;
  if (model instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && model instanceof SharedArrayBuffer)) return new Uint8Array(model);
  if (typeof URL === 'function' && model instanceof URL) model = model.href;
  if (typeof model !== 'string') {
    throw new TypeError(`model must be the model's bytes (Uint8Array or ArrayBuffer) or its URL${readFile ? ' or file path' : ''}, got ${describe(model)}`);
  }
  if (!model) throw new TypeError('model must not be an empty string');
  if (/^(https?|data|blob):/i.test(model)) return fetchBytes(model);
  if (readFile) return readFile(model);
  return fetchBytes(new URL(model, base).href);
}
