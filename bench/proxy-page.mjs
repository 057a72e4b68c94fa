// The page half of bench/proxy-overhead.mjs: times the same calls on an instance in the proxy's Web Worker and on
// one on the page's thread, in pairs (one call on each, the order alternating from pair to pair, a few
// milliseconds apart so that neither instance's pthreads are still spinning from the call before), and
// reports each call's time from the call to its result, and the part of it the page's thread was busy: until
// the call returned its promise (for the page's own instance that is the whole computation; through the proxy,
// the copy of the tensors and the message). Plain ES module run in Chromium; loads the package's
// dist/browser.mjs.
import { createDeformConv } from '/dist/browser.mjs';

/** Seeded tensors of a layer { N, C, H, W, Cout, k } (3x3-style, stride 1, padding k/2, mask and bias). */
function layerArgs({ N, C, H, W, Cout, k }) {
  let s = 7;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const t = (shape, scale = 1) => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * scale), shape });
  const K = k * k;
  return {
    input: t([N, C, H, W]), offset: t([N, 2 * K, H, W], 2), mask: t([N, K, H, W]),
    weight: t([Cout, C, k, k], 0.1), bias: t([Cout]), options: { padding: Math.floor(k / 2) },
  };
}

/**
 * layer: { N, C, H, W, Cout, k }; pairs: timed pairs of calls; gapMs: the pause before each call; prepared:
 * time a prepared layer's forward instead of the one-shot call. Resolves to { created: { proxiedMs, hereMs }
 * (createDeformConv's time), samples: { proxied: [...], here: [...] } }, each sample { totalMs, busyMs }, the
 * k-th of each made in the k-th pair.
 */
export async function timeLayer({ layer, pairs, gapMs, prepared = false, threads }) {
  const a = layerArgs(layer);
  const t0 = performance.now();
  const proxied = await createDeformConv({ proxy: true, threads });
  const t1 = performance.now();
  const here = await createDeformConv({ proxy: false, threads });
  const t2 = performance.now();
  const instances = { proxied, here };
  const layers = {};
  for (const [name, dc] of Object.entries(instances)) {
    layers[name] = prepared ? await dc.prepareDeformConv2d(a.weight, { bias: a.bias, ...a.options }) : null;
  }
  const call = (name) => (prepared
    ? layers[name].forward(a.input, a.offset, { mask: a.mask })
    : instances[name].deformConv2d(a.input, a.offset, a.weight, { mask: a.mask, bias: a.bias, ...a.options }));
  const pause = () => new Promise((resolve) => setTimeout(resolve, gapMs));
  const samples = { proxied: [], here: [] };
  try {
    for (const name of ['proxied', 'here', 'proxied', 'here']) await call(name); // warm: modules, packed weights, buffers
    for (let k = 0; k < pairs; k++) {
      for (const name of k % 2 ? ['here', 'proxied'] : ['proxied', 'here']) {
        await pause();
        const start = performance.now();
        const pending = call(name);
        const returned = performance.now();
        await pending;
        samples[name].push({ totalMs: performance.now() - start, busyMs: returned - start });
      }
    }
  } finally {
    for (const l of Object.values(layers)) if (l) l.dispose();
    proxied.dispose();
    here.dispose();
  }
  return { created: { proxiedMs: t1 - t0, hereMs: t2 - t1 }, samples };
}

/** What each kind of instance is (build, threads) for the report. */
export async function describeInstances(threads) {
  const out = {};
  for (const proxy of [true, false]) {
    const dc = await createDeformConv({ proxy, threads });
    out[proxy ? 'proxied' : 'here'] = dc.info();
    dc.dispose();
  }
  return out;
}
