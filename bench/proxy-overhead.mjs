// What the proxy costs per call (README, "The proxy"): the same calls on an instance in the proxy's Web Worker
// and on one on the page's thread, in Chromium (Debian's, through playwright-core as in tests/browser/), on a
// cross-origin isolated page with 2 threads and on a page without isolation (1 thread, the SIMD-only build),
// for a tiny layer, a 64-channel one and a 512-channel one (its 9.4 MB of weights sent with every one-shot
// call, once for a prepared layer). Calls alternate in blocks (bench/proxy-page.mjs); the overhead is taken
// within each block pair, and the table gives its median and its range over the blocks (the machine is shared:
// the range is the spread), with the time the page's thread was busy per call. Prints a table; writes nothing.
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
  { name: 'tiny 1x4x8x8 -> 4, 3x3', layer: { N: 1, C: 4, H: 8, W: 8, Cout: 4, k: 3 }, blocks: 10, perBlock: 30 },
  { name: 's1_64c_64px (64 -> 64, 64x64, 3x3)', layer: { N: 1, C: 64, H: 64, W: 64, Cout: 64, k: 3 }, blocks: 8, perBlock: 6 },
  { name: 'r50_c5_512c_16px (512 -> 512, 16x16, 3x3)', layer: { N: 1, C: 512, H: 16, W: 16, Cout: 512, k: 3 }, blocks: 8, perBlock: 4 },
  { name: 'r50_c5_512c_16px, prepared layer', layer: { N: 1, C: 512, H: 16, W: 16, Cout: 512, k: 3 }, blocks: 8, perBlock: 4, prepared: true },
];
const PAGES = [
  { name: 'isolated, 2 threads', isolation: true, threads: 2 },
  { name: 'not isolated, 1 thread', isolation: false, threads: 1 },
];

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const ms = (v) => (v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(1));

/** { overhead: { median, min, max } over the blocks, the medians of each instance, of the busy times }. */
function summarize(samples) {
  const blocks = [...new Set(samples.proxied.map((s) => s.block))];
  const perBlock = blocks.map((b) => median(samples.proxied.filter((s) => s.block === b).map((s) => s.totalMs)) -
    median(samples.here.filter((s) => s.block === b).map((s) => s.totalMs)));
  const of = (name, key) => median(samples[name].map((s) => s[key]));
  return {
    overhead: { median: median(perBlock), min: Math.min(...perBlock), max: Math.max(...perBlock) },
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
      const args = { ...l, threads: pageSetup.threads, blocks: quick ? 2 : l.blocks };
      const r = await page.evaluate(async (a) => (await import('/bench/proxy-page.mjs')).timeLayer(a), args);
      const s = summarize(r.samples);
      rows.push({ page: pageSetup.name, layer: l.name, ...s, created: r.created });
      console.log(`  ${l.name}: proxied ${ms(s.proxied)} ms, here ${ms(s.here)} ms, overhead ${ms(s.overhead.median)} ms ` +
        `(${ms(s.overhead.min)} to ${ms(s.overhead.max)}); page busy ${ms(s.proxiedBusy)} vs ${ms(s.hereBusy)} ms; ` +
        `createDeformConv ${r.created.proxiedMs.toFixed(0)} vs ${r.created.hereMs.toFixed(0)} ms`);
    }
    await page.close();
    await server.close();
  }
} finally {
  await browser.close();
}

console.log('\n| page | layer | on the page\'s thread | in the proxy\'s worker | overhead per call: median (range over blocks) | page\'s thread busy per call: here / proxied |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.page} | ${r.layer} | ${ms(r.here)} ms | ${ms(r.proxied)} ms | ${ms(r.overhead.median)} ms (${ms(r.overhead.min)} to ${ms(r.overhead.max)}) | ${ms(r.hereBusy)} / ${ms(r.proxiedBusy)} ms |`);
}
const created = rows.map((r) => r.created);
console.log(`\ncreateDeformConv (median of ${created.length}): proxied ${median(created.map((c) => c.proxiedMs)).toFixed(0)} ms, ` +
  `on the page's thread ${median(created.map((c) => c.hereMs)).toFixed(0)} ms`);
