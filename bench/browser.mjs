// The browser rows of `npm run bench`: opens the benchmark page (web/bench.html, served by scripts/serve.mjs) in
// Debian's headless Chromium (tests/browser/chromium.js, playwright-core) with its settings in the address, waits
// for it to finish and returns its results. Two modes, as users meet them:
//   isolated:     served with the cross-origin isolation headers: threaded builds of both libraries, 2 threads;
//   not isolated: served without them: no SharedArrayBuffer, one thread (our SIMD-only build).
// The page runs both libraries in a Web Worker (where an application runs a model to keep its page responsive;
// see web/bench-runner.js for the timing). Every console warning or error of the page and its workers, and
// every failed request, is collected: the page must run cleanly.
//
//   node bench/browser.mjs OUT.json [--seconds S] [--rounds N] [--only a,b] [--where worker|main] [--mode isolated|plain]
// writes { modes: { isolated, plain } } (what runBrowserModes returns) to OUT.json; run.mjs calls it.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

import { startDemoServer } from '../scripts/serve.mjs';
import { loadSnapshot, otherCores } from './cpu-load.mjs';

const { launchChromium } = createRequire(import.meta.url)('../tests/browser/chromium.js');

/** The two modes `npm run bench` measures. */
export const BROWSER_MODES = {
  isolated: { isolation: true, threads: 2, what: 'cross-origin isolated, 2 threads (threaded builds)' },
  plain: { isolation: false, threads: 1, what: 'not isolated, 1 thread (our SIMD-only build)' },
};

/** The page's address for these settings (see web/bench-settings.js). */
export function benchPageQuery({ threads, seconds, rounds, shapes, where = 'worker' }) {
  const query = new URLSearchParams({ threads: String(threads), where, autostart: '1' });
  if (seconds !== undefined) query.set('seconds', String(seconds));
  if (rounds !== undefined) query.set('rounds', String(rounds));
  if (shapes) query.set('shapes', shapes.join(','));
  return query.toString();
}

/**
 * Runs the page once in a Chromium the caller launched. Resolves to { results (the page's), problems (console
 * warnings and errors, failed requests), otherCores (CPU that processes other than Node's and Chromium's own
 * used meanwhile, in cores; null off Linux) }. Rejects if the page fails or does not finish within timeoutMs.
 */
export async function runBenchPage(browser, { isolation, threads, seconds, rounds, shapes, where, timeoutMs = 30 * 60 * 1000, log = () => {} }) {
  const server = await startDemoServer({ isolation });
  const page = await browser.context.newPage();
  const problems = [];
  // The page's console event carries its workers' messages too (nested ones included).
  page.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  try {
    const snapshot = loadSnapshot();
    await page.goto(`${server.url}web/bench.html?${benchPageQuery({ threads, seconds, rounds, shapes, where })}`);
    let lastText = '';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await page.evaluate(() => {
        const b = window.deformconvBench;
        return b && { status: b.status, progress: b.progress, error: b.error };
      });
      if (state && state.progress.text && state.progress.text !== lastText) {
        lastText = state.progress.text;
        const laterRound = /: timing, round \d+$/.test(lastText) && !/round 1$/.test(lastText);
        if (!laterRound) log(`${(100 * state.progress.fraction).toFixed(0)}% ${lastText}`);
      }
      if (state && state.status !== 'running' && state.status !== 'idle') {
        if (state.status !== 'done') throw new Error(`the benchmark page ended '${state.status}': ${state.error}`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the benchmark page did not finish within ${timeoutMs / 1000} s (at: ${lastText})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const others = otherCores(snapshot);
    const results = await page.evaluate(() => window.deformconvBench.results);
    return { results, problems, otherCores: others };
  } finally {
    await page.close();
    await server.close();
  }
}

/**
 * Both modes (or those named in `modes`), each in a fresh Chromium. Resolves to
 * { modes: { isolated: { what, threads, ...runBenchPage() }, plain: ... } } (the browser's version is in each
 * mode's results.environment.userAgent).
 */
export async function runBrowserModes({ seconds, rounds, shapes, where, modes = Object.keys(BROWSER_MODES), log = () => {} } = {}) {
  const out = { modes: {} };
  for (const name of modes) {
    const mode = BROWSER_MODES[name];
    const browser = await launchChromium();
    try {
      const run = await runBenchPage(browser, { ...mode, seconds, rounds, shapes, where, log: (m) => log(`[${name}] ${m}`) });
      out.modes[name] = { what: mode.what, threads: mode.threads, ...run };
    } finally {
      await browser.close();
    }
  }
  return out;
}

/**
 * The browser rows of bench/results.json from runBrowserModes()' output: per mode what ran (builds, threads),
 * how busy the machine was, what the page printed, and per shape the timings, ratio and agreement. Throws when
 * ours and onnxruntime-web disagreed on a shape, as the Node comparison does.
 */
export function browserResults(run) {
  const modes = {};
  let browser = null, where = null;
  for (const [name, m] of Object.entries(run.modes)) {
    const env = m.results.environment;
    const version = /(Headless)?Chrome\/(\d+)/.exec(env.userAgent);
    browser = version ? `Chromium ${version[2]}${version[1] ? ' (headless)' : ''}` : env.userAgent;
    where = env.where;
    const differ = m.results.shapes.filter((r) => !r.agreement.ok);
    if (differ.length) {
      throw new Error(`Chromium, ${m.what}: ours and onnxruntime-web DISAGREE on ${differ.map((r) => `${r.name} (worst |difference|/(1+|theirs|) = ${r.agreement.worst} at element ${r.agreement.index})`).join(', ')}`);
    }
    modes[name] = {
      what: m.what, threads: env.ours.threads, wasmBuild: env.ours.wasmBuild, ortWebThreads: env.ortWeb.numThreads, ours: env.ours,
      ortWebVersion: env.ortWeb.version, otherCores: m.otherCores, problems: m.problems, seconds: m.results.seconds,
      shapes: m.results.shapes.map((r) => ({
        name: r.name, agreement: { worst: r.agreement.worst }, ours: r.ours, ortWeb: r.ortWeb, ratio: r.ratio, ratioSpread: r.ratioSpread, rounds: r.rounds,
      })),
    };
  }
  return { browser, where, modes };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const outFile = args[0];
  if (!outFile || outFile.startsWith('--')) {
    console.error('usage: node bench/browser.mjs OUT.json [--seconds S] [--rounds N] [--only a,b] [--where worker|main] [--mode isolated|plain]');
    process.exit(2);
  }
  const seconds = option('--seconds') === undefined ? undefined : Number(option('--seconds'));
  const rounds = option('--rounds') === undefined ? undefined : Number(option('--rounds'));
  const shapes = option('--only') ? option('--only').split(',') : undefined;
  const modes = option('--mode') ? option('--mode').split(',') : undefined;
  const result = await runBrowserModes({ seconds, rounds, shapes, modes, where: option('--where'), log: (m) => process.stderr.write(`  [browser] ${m}\n`) });
  writeFileSync(outFile, `${JSON.stringify(result, null, 1)}\n`);
  for (const [name, m] of Object.entries(result.modes)) {
    for (const p of m.problems) process.stderr.write(`  [browser] [${name}] ${p}\n`);
  }
}
