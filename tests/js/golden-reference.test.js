// The reference cases of tests/golden against the installed torchvision: generate.py --check recomputes
// every output and gradient from the committed inputs (and the inputs from the generator's seeds) and fails
// on any difference beyond the project's tolerances. Needs Debian's python3-torchvision (scripts/setup.sh).
const { execFileSync } = require('child_process');
const path = require('path');
const { ROOT } = require('./helpers');

const PYTHON = '/usr/bin/python3';
const GENERATOR = path.join(ROOT, 'tests', 'golden', 'generate.py');

test('the installed torchvision reproduces every committed case (generate.py --check)', () => {
  let report;
  try {
    report = execFileSync(PYTHON, [GENERATOR, '--check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`generate.py --check failed:\n${e.stdout || ''}${e.stderr || e.message}`);
  }
  expect(report).toMatch(/: all cases agree\n$/);
  expect(report.split('\n').filter((line) => / bit-identical to the generator; /.test(line))).toHaveLength(18);
});
