// The "models" rows of the benchmark (bench/models.mjs, one process per thread count): whole models through
// deformconv-wasm/onnx against onnxruntime-web alone, their targets, and the fixed cost of a step boundary.
export const TARGET_MODEL_RATIO = 1.15; // whole model, ours over onnxruntime-web alone, 1 and 2 threads

const ms = (x) => `${x.toFixed(2)} ms`;

/** The targets of the models rows: { id, target, met, detail }. */
export function modelTargets(r) {
  if (!r.models) return [];
  const out = [];
  for (const T of [1, 2]) {
    const rows = r.models[T].models;
    const low = rows.filter((m) => m.ratio < TARGET_MODEL_RATIO);
    out.push({
      id: `models-${T}`, target: `whole models >= ${TARGET_MODEL_RATIO}x onnxruntime-web alone, ${T} thread${T > 1 ? 's' : ''} (deformconv-wasm/onnx)`,
      met: low.length === 0,
      detail: rows.map((m) => `${m.name} ${m.ratio.toFixed(2)}x`).join(', '),
    });
  }
  out.push({
    id: 'boundary', target: 'fixed cost of a step boundary (deformconv-wasm/onnx): reported', met: null,
    detail: [1, 2].map((T) => `${(1000 * r.models[T].boundary.perBoundaryMs).toFixed(0)} µs (${T} thread${T > 1 ? 's' : ''})`).join(', '),
  });
  return out;
}

/** The Markdown section of bench/RESULTS.md. */
export function modelsSection(r) {
  if (!r.models) return '';
  const lines = [
    'deformconv-wasm/onnx (`InferenceSession`: onnxruntime-web runs the other nodes, this package the DeformConv nodes) against ' +
      'onnxruntime-web running the whole model, same process, same thread count for both (onnxruntime-web\'s `env.wasm.numThreads` and ours), ' +
      'graph optimisation `all`; median time per run, outputs equal to 1e-4 before timing. The ratio is the median over the alternating rounds ' +
      'of onnxruntime-web\'s time over ours in the same round; "spread" is how far apart the rounds\' ratios were. "our threads spinning": our session ' +
      'with `allowSpinning` left on (the session turns it off; onnxruntime-web\'s threads spin after its runs whatever the options).',
    '',
    '| model | steps | ours 1T | ORT-web 1T | ratio | spread | ours spinning 1T | ours 2T | ORT-web 2T | ratio | spread | ours spinning 2T |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  r.models[1].models.forEach((m1, i) => {
    const m2 = r.models[2].models[i];
    const spin = (m) => (m.oursSpinning ? ms(m.oursSpinning.medianMs) : '—');
    lines.push(`| ${m1.name} | ${m1.steps} | ${ms(m1.ours.medianMs)} | ${ms(m1.ortWeb.medianMs)} | ${m1.ratio.toFixed(2)}x | ${m1.spreadPct.toFixed(0)}% | ${spin(m1)} | ` +
      `${ms(m2.ours.medianMs)} | ${ms(m2.ortWeb.medianMs)} | ${m2.ratio.toFixed(2)}x | ${m2.spreadPct.toFixed(0)}% | ${spin(m2)} |`);
  });
  lines.push('', ...r.models[1].models.map((m) => `- \`${m.name}\`: ${m.what}; plan ${m.partition}.`));
  const b1 = r.models[1].boundary, b2 = r.models[2].boundary;
  lines.push('', `Fixed cost of a step boundary: a chain of ${b1.nodes} tiny DeformConv nodes (8 channels, 4x4, 1x1 kernel) between Relus, ` +
    `${b1.boundaries} boundaries: ours ${ms(b1.ours.medianMs)} against onnxruntime-web alone ${ms(b1.ortWeb.medianMs)} on 1 thread, ` +
    `${ms(b2.ours.medianMs)} against ${ms(b2.ortWeb.medianMs)} on 2: ${(1000 * b1.perBoundaryMs).toFixed(0)} µs and ${(1000 * b2.perBoundaryMs).toFixed(0)} µs per boundary ` +
    '(an onnxruntime run and one of our calls, with their tensor copies, per pair of boundaries).');
  return lines.join('\n');
}
