// Order statistics for the benchmark page: the median and quartiles of call times and of per-round ratios.

/** The q-quantile (0..1) of xs, linear between the two nearest ranks; NaN for an empty list. */
export function quantile(xs, q) {
  if (!xs.length) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

export const median = (xs) => quantile(xs, 0.5);

/** { median, p25, p75, min, max, count } of xs. */
export function summary(xs) {
  return {
    median: median(xs), p25: quantile(xs, 0.25), p75: quantile(xs, 0.75),
    min: Math.min(...xs), max: Math.max(...xs), count: xs.length,
  };
}
