// Least-squares straight line through measured points (the cost curves of memory.mjs).

/** Least squares y = a + b x; returns { intercept, slope, r2 }. */
export function fitLine(xs, ys) {
  const n = xs.length, mx = xs.reduce((a, b) => a + b) / n, my = ys.reduce((a, b) => a + b) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope, r2: syy ? (sxy * sxy) / (sxx * syy) : 1 };
}
