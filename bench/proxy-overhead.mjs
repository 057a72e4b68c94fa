// What the proxy costs per call (README, "The proxy"): the same calls on an instance in the proxy's Web Worker
// and on one on the page's thread, in Chromium (Debian's, through playwright-core as in tests/browser/), on a
// cross-origin isolated page with 2 threads and on a page without isolation (1 thread, the SIMD-only build),
// for a tiny layer, a 64-channel one and a 512-channel one (its 9.4 MB of weights sent with every one-shot
// call, once for a prepared layer). The calls come in pairs, one on each instance, the order alternating
// (bench/proxy-page.mjs); the overhead is the median of the differences within pairs, its spread the
// interquartile range of those differences (the machine is shared), beside the medians of both and the time
// the page's thread was busy per call. Prints a table; writes nothing.
//   node bench/proxy-overhead.mjs [--quick]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';

const require = createRequire(import.meta.url);
const { launchChromium } = require('../tests/browser/chromium.js');
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');

const LAYERS = [
  { name: 'tiny 1x4x8x8 -> 4, 3x3', layer: { N: 1, C: 4, H: 8, W: 8, Cout: 4, k: 3 }, pairs: 200 },
  { name: 's1_64c_64px (64 -> 64, 64x64, 3x3)', layer: { N: 1, C: 64, H: 64, W: 64, Cout: 64, k: 3 }, pairs: 60 },
  { name: 'r50_c5_512c_16px (512 -> 512, 16x16, 3x3)', layer: { N: 1, C: 512, H: 16, W: 16, Cout: 512, k: 3 }, pairs: 40 },
  { name: 'r50_c5_512c_16px, prepared layer', layer: { N: 1, C: 512, H: 16, W: 16, Cout: 512, k: 3 }, pairs: 40, prepared: true },
];
// The pause before each call: longer than a pthread's spin after a call (2 ms, src/thread_pool.h).
const GAP_MS = 4;
const PAGES = [
  { name: 'isolated, 2 threads', isolation: true, threads: 2 },
  { name: 'not isolated, 1 thread', isolation: false, threads: 1 },
];

const quantile = (v, q) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];
const median = (v) => quantile(v, 0.5);
const ms = (v) => (Math.abs(v) < 1 ? v.toFixed(3) : Math.abs(v) < 10 ? v.toFixed(2) : v.toFixed(1));

/** { overhead: { median, p25, p75 } of the differences within pairs, the medians of each instance and of the busy times }. */
function summarize(samples) {
  const differences = samples.proxied.map((s, k) => s.totalMs - samples.here[k].totalMs);
  const of = (name, key) => median(samples[name].map((s) => s[key]));
  return {
    overhead: { median: median(differences), p25: quantile(differences, 0.25), p75: quantile(differences, 0.75) },
    proxied: of('proxied', 'totalMs'), here: of('here', 'totalMs'), proxiedBusy: of('proxied', 'busyMs'), hereBusy: of('here', 'busyMs'),
  };
}

const browser = await launchChromium();
const rows = [];
try {
  for (const pageSetup of PAGES) {
    const server = await startServer({ root: ROOT, isolation: pageSetup.isolation });
    const page = await browser.newPage();
    await page.goto(`${server.url}tests/browser/proxy/page.html`);
    const infos = await page.evaluate(async (threads) => (await import('/bench/proxy-page.mjs')).describeInstances(threads), pageSetup.threads);
    console.log(`${pageSetup.name}: proxied ${infos.proxied.wasmBuild} build, ${infos.proxied.threads} threads; here ${infos.here.wasmBuild}, ${infos.here.threads}`);
    for (const l of LAYERS) {
      const args = { ...l, threads: pageSetup.threads, gapMs: GAP_MS, pairs: quick ? Math.ceil(l.pairs / 10) : l.pairs };
      const r = await page.evaluate(async (a) => (await import('/bench/proxy-page.mjs')).timeLayer(a), args);
      const s = summarize(r.samples);
      rows.push({ page: pageSetup.name, layer: l.name, ...s, created: r.created });
      console.log(`  ${l.name}: proxied ${ms(s.proxied)} ms, here ${ms(s.here)} ms, overhead ${ms(s.overhead.median)} ms ` +
        `(IQR ${ms(s.overhead.p25)} to ${ms(s.overhead.p75)}); page busy ${ms(s.proxiedBusy)} vs ${ms(s.hereBusy)} ms; ` +
        `createDeformConv ${r.created.proxiedMs.toFixed(0)} vs ${r.created.hereMs.toFixed(0)} ms`);
    }
    await page.close();
    await server.close();
  }
} finally {
  await browser.close();
}

console.log('\n| page | layer | on the page\'s thread | in the proxy\'s worker | overhead per call: median (interquartile range) | page\'s thread busy per call: here / proxied |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.page} | ${r.layer} | ${ms(r.here)} ms | ${ms(r.proxied)} ms | ${ms(r.overhead.median)} ms (${ms(r.overhead.p25)} to ${ms(r.overhead.p75)}) | ${ms(r.hereBusy)} / ${ms(r.proxiedBusy)} ms |`);
}
const created = rows.map((r) => r.created);
console.log(`\ncreateDeformConv (median of ${created.length}): proxied ${median(created.map((c) => c.proxiedMs)).toFixed(0)} ms, ` +
  `on the page's thread ${median(created.map((c) => c.hereMs)).toFixed(0)} ms`);
