// Checks that run inside pages of headless Chromium and come back to Jest as one test each. The repository is
// served twice by scripts/serve.mjs, cross-origin isolated and not; each suite of checks runs in a new page
// of one of them and returns [{ name, ok, message }]. A page that throws, and any console error, uncaught
// exception or failed request of any page, fails the test that Chromium ran the checks cleanly.
const { launchChromium } = require('./chromium');
const { startServeProcess } = require('./serve-process');

const ROOT = require('path').join(__dirname, '..', '..');

/**
 * Declares the tests: one per name, and one that every page ran cleanly and every name was reported.
 *   names      every check the pages must report
 *   pagePath   the page the suites run in, from the repository's root
 *   evaluate   what page.evaluate runs with a suite's argument; resolves to the suite's results
 *   plan       async ({ isolated, plain, runSuite }) => ...: runs the suites, runSuite(server, suite, arg)
 */
function pageChecks({ names, pagePath, evaluate, plan, timeoutMs = 10 * 60 * 1000 }) {
  let browser, isolated, plain;
  const results = new Map();
  const problems = [];

  async function runSuite(server, suite, arg) {
    const page = await browser.newPage();
    try {
      await page.goto(`${server.origin}${pagePath}`);
      for (const r of await page.evaluate(evaluate, arg)) results.set(r.name, r);
    } catch (e) {
      problems.push(`${suite}: ${e.message}`);
    } finally {
      await page.close();
    }
  }

  beforeAll(async () => {
    [browser, isolated, plain] = await Promise.all([
      launchChromium(),
      startServeProcess({ isolation: true, root: ROOT }),
      startServeProcess({ isolation: false, root: ROOT }),
    ]);
    await plan({ isolated, plain, runSuite });
  }, timeoutMs);

  afterAll(async () => {
    await Promise.all([browser && browser.close(), isolated && isolated.close(), plain && plain.close()]);
  });

  test('Chromium ran the checks cleanly and reported every one', () => {
    expect([...problems, ...(browser ? browser.problems : [])]).toEqual([]);
    expect(names.filter((name) => !results.has(name))).toEqual([]);
  });

  test.each(names)('%s', (name) => {
    const r = results.get(name);
    if (!r) throw new Error(`no result for this check: ${problems.join('\n')}`);
    if (!r.ok) throw new Error(r.message);
  });
}

module.exports = { pageChecks };
