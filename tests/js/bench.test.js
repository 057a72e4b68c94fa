// The benchmark's own pieces (bench/selftest.mjs, run as a child process because the bench is ES modules
// and loads onnxruntime): its ONNX models decode to the layers they describe, its agreement check passes ours against
// onnxruntime-web and onnxruntime-node on small layers and catches a wrong element, the peak modules are valid
// WebAssembly (the relaxed_madd one where the engine has relaxed SIMD) and run, and the report writers turn a
// results object into tables (the relaxed-SIMD and browser rows too), targets and an SVG.
const { execFileSync } = require('child_process');
const path = require('path');
const { ROOT, RELAXED_SIMD_HERE } = require('./helpers');

test('bench pieces work on tiny inputs', () => {
  const stdout = execFileSync(process.execPath, [path.join(ROOT, 'bench', 'selftest.mjs')], { encoding: 'utf8', timeout: 60000 });
  const r = JSON.parse(stdout.trim().split('\n').pop());
  expect(r.models.map((m) => m.name)).toEqual(expect.arrayContaining(['s1_64c_64px', 's2_128c_32px', 's3_256c_28px_g4']));
  for (const m of r.models) expect(m).toEqual({ name: m.name, same: true });
  expect(r.agreement.length).toBe(2);
  for (const a of r.agreement) {
    expect(a.web.ok).toBe(true);
    expect(a.node.ok).toBe(true);
    expect(a.wrongDetected).toBe(true);
    expect(a.prepared.ok).toBe(true);
  }
  expect(r.peakModuleValid).toBe(true);
  expect(r.maddPeakModuleValid).toBe(RELAXED_SIMD_HERE);
  expect(r.peak.total).toBeGreaterThan(0);
  expect(r.fit.slope).toBeCloseTo(2, 10);
  expect(r.fit.intercept).toBeCloseTo(1, 10);
  expect(r.fit.r2).toBeCloseTo(1, 10);
  expect(r.targets.map((t) => t.id)).toEqual(['ratio-1', 'peak-1', 'ratio-2', 'peak-2', 'ratio-1-prepared', 'peak-1-prepared',
    'ratio-2-prepared', 'peak-2-prepared', 'browser-ratio-isolated', 'browser-ratio-plain', 'speedup', 'relaxed-faster', 'relaxed-peak', 'relaxed-peak-prepared', 'native', 'memory', 'linear']);
  // The made-up relaxed rows: the second shape is slower than plain on 2 threads; the large first shape is
  // at 85% of the FMA peak on 2 threads.
  expect(r.targets.find((t) => t.id === 'relaxed-faster').met).toBe(false);
  expect(r.targetDetails['relaxed-faster']).toBe('not faster on s2_128c_32px 2T (0.97x)');
  expect(r.targets.find((t) => t.id === 'relaxed-peak').met).toBe(false);
  expect(r.targetDetails['relaxed-peak']).toBe('s1_64c_64px 1T 92%, s1_64c_64px 2T 85%');
  expect(r.targets.find((t) => t.id === 'relaxed-peak-prepared').met).toBe(true);
  expect(r.targets.find((t) => t.id === 'ratio-1').met).toBe(true);
  expect(r.targets.find((t) => t.id === 'ratio-2-prepared').met).toBe(false); // 1.4x in the made-up results
  expect(r.targets.find((t) => t.id === 'native').met).toBe(null);
  expect(r.targets.find((t) => t.id === 'browser-ratio-isolated').met).toBe(true);
  expect(r.targets.find((t) => t.id === 'browser-ratio-plain').met).toBe(false); // 1.45x on one shape
  expect(r.targets.find((t) => t.id === 'linear').met).toBe(true);
  expect(r.report.markdownHasTables).toBe(true);
  expect(r.report.markdownHasBrowserRows).toBe(true);
  expect(r.report.svgClosed).toBe(true);
  expect(r.report.svgBars).toBeGreaterThan(2 * 10);
});
