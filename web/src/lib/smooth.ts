// Smoothing of chart lines. The default is wandb's: a time-weighted, debiased exponential
// moving average, so that a smoothing weight means the same on evenly and unevenly logged steps,
// and the start of the line is not pulled towards zero.

/** Debiased EMA over (x, y) with weight in [0, 1): 0 is no smoothing, 0.99 very smooth.
 * Gaps (null) and non-finite values are kept as they are and do not poison the average. */
export function smoothEma(xs: ArrayLike<number>, ys: ArrayLike<number | null>, weight: number): (number | null)[] {
  const out: (number | null)[] = new Array(ys.length);
  if (weight <= 0) {
    for (let i = 0; i < ys.length; i++) out[i] = ys[i];
    return out;
  }
  const w = Math.min(weight, 0.999);
  // The weight is per one unit of x spread evenly: a span of the x range over the points.
  const n = xs.length;
  const span = n > 1 ? (xs[n - 1] - xs[0]) / (n - 1) : 1;
  let last = 0;
  let debias = 0;
  let prevX = n ? xs[0] : 0;
  for (let i = 0; i < n; i++) {
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    const dx = span > 0 ? Math.max(0, (xs[i] - prevX) / span) : 1;
    const decay = Math.pow(w, i === 0 ? 1 : Math.min(dx, 50));
    last = last * decay + (1 - decay) * y;
    debias = debias * decay + (1 - decay);
    prevX = xs[i];
    out[i] = last / debias;
  }
  return out;
}

/** A centred running mean over `window` points (the "running average" choice). */
export function smoothMean(ys: ArrayLike<number | null>, window: number): (number | null)[] {
  const out: (number | null)[] = new Array(ys.length);
  const half = Math.max(0, Math.floor(window / 2));
  for (let i = 0; i < ys.length; i++) {
    let sum = 0;
    let cnt = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(ys.length - 1, i + half); j++) {
      const y = ys[j];
      if (y !== null && Number.isFinite(y)) {
        sum += y;
        cnt++;
      }
    }
    out[i] = ys[i] === null ? null : cnt ? sum / cnt : ys[i];
  }
  return out;
}
