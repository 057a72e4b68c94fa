// Starting Debian's Chromium for the browser tests, driven by playwright-core (docs/toolchain.md):
// a fresh user-data folder per launch, flags that work as root and offline, WebGPU enabled (SwiftShader when
// there is no GPU). Every page's console errors, uncaught exceptions and failed requests are collected, so a
// test can insist that a page ran cleanly, and its console warnings apart (the Web Workers' included), for the
// tests of pages that must not warn either.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];
const ARTIFACTS = path.join(__dirname, '..', '.artifacts');

/** Launches Chromium; resolves to { context, newPage(), problems, warnings, close() }. */
async function launchChromium({ viewport = { width: 1280, height: 800 } } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run npm run setup (it installs Debian's chromium package)`);
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deformconv-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport,
  });
  const problems = [];
  const warnings = [];
  const watch = (page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      if (message.type() === 'warning') warnings.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    problems,
    warnings,
    newPage: async () => context.pages().find((p) => p.url() === 'about:blank') || context.newPage(),
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Where screenshots and other files for people to look at go (gitignored). */
function artifactPath(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

module.exports = { launchChromium, artifactPath };
