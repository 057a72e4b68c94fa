// The agreement check the benchmark runs before it times anything: ours and onnxruntime must give the same
// output to 1e-4, elementwise |ours - theirs| <= 1e-4 * (1 + |theirs|) (the project's tolerance form).

export const AGREEMENT_TOLERANCE = 1e-4;

/** { ok, worst, index, count }: worst = max |a - b| / (1 + |b|) over the elements (NaN counts as a failure). */
export function compareOutputs(ours, theirs, tolerance = AGREEMENT_TOLERANCE) {
  if (ours.length !== theirs.length) return { ok: false, worst: Infinity, index: -1, count: ours.length, reason: `length ${ours.length} vs ${theirs.length}` };
  let worst = 0, index = -1;
  for (let i = 0; i < ours.length; i++) {
    const e = Math.abs(ours[i] - theirs[i]) / (1 + Math.abs(theirs[i]));
    if (!(e <= worst)) {
      worst = Number.isNaN(e) ? Infinity : e;
      index = i;
    }
  }
  return { ok: worst <= tolerance, worst, index, count: ours.length };
}
