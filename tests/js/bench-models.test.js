// The benchmark's "models" rows (bench/models.mjs, bench/models-report.mjs), run as a child process on tiny
// inputs (bench/models-selftest.mjs): the benchmark models split as they should, the boundary model agrees
// with onnxruntime-web, and the targets and the table come out of a results object.
const { execFileSync } = require('child_process');
const path = require('path');
const { ROOT } = require('./helpers');

test('bench models pieces work', () => {
  const stdout = execFileSync(process.execPath, [path.join(ROOT, 'bench', 'models-selftest.mjs')], { encoding: 'utf8', timeout: 120000 });
  const r = JSON.parse(stdout.trim().split('\n').pop());
  expect(r.plans).toEqual({
    r50dcn_stage_256c_40px: 'ort dcn ort dcn ort',
    dcn_head_4x256c_24px: 'ort dcn ort dcn ort dcn ort dcn ort',
  });
  expect(r.boundarySteps).toBe(6);
  expect(r.boundaryAgreement.ok).toBe(true);
  expect(r.targets.map((t) => [t.id, t.met])).toEqual([['models-1', true], ['models-2', false], ['boundary', null]]);
  expect(r.targets[1].detail).toBe('a 1.10x, b 1.20x');
  expect(r.targets[2].detail).toBe('145 µs (1 thread), 177 µs (2 threads)');
  expect(r.section).toMatch(/\| a \| 5 \| 10\.00 ms \| 13\.00 ms \| 1\.30x \| 12% \| 11\.00 ms \| 10\.00 ms \| 11\.00 ms \| 1\.10x \| 12% \| 11\.00 ms \|/);
  expect(r.section).toMatch(/145 µs and 177 µs per boundary/);
});
