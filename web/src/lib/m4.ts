// Lines that are exact at every zoom: the M4 aggregation (Jugel et al., "M4: A Visualization-
// Oriented Time Series Data Aggregation", VLDB 2014). A line chart of n points on w pixel columns
// shows, per column, only the first, minimum, maximum and last value of the points that fall in
// it, joined in order. The index's tiers keep those four per bucket, so drawing each bucket's four
// values per column gives the picture every point would give, for a few thousand values.
//
// Hand-written rather than uPlot's own path builder: uPlot wants one y per x on an x array shared
// by every run; here each run keeps its own buckets (four values each), and the same reducer draws
// downsampled buckets and raw points, which is what makes the two pictures comparable.

/** One run's series as buckets in x order; a raw point is a bucket of one. Missing values are NaN. */
export interface Track {
  run: string;
  x0: ArrayLike<number>; x1: ArrayLike<number>;
  first: ArrayLike<number>; min: ArrayLike<number>; max: ArrayLike<number>; last: ArrayLike<number>;
  /** points per bucket; null when every bucket is one point */
  mean: ArrayLike<number>; count: ArrayLike<number> | null;
  /** every point of the range is here (no bucket holds more than one point) */
  full: boolean;
  /** points the series holds in all */
  total: number;
}

/** Per pixel column: its x (canvas pixels) and the first, min, max and last value in it. */
export interface Columns { px: number[]; first: number[]; min: number[]; max: number[]; last: number[] }

/** A track from raw points: every point its own bucket (the arrays are shared, not copied). */
export function rawTrack(run: string, x: ArrayLike<number>, y: ArrayLike<number>): Track {
  return { run, x0: x, x1: x, first: y, min: y, max: y, last: y, mean: y, count: null, full: true, total: x.length };
}

/** Calls `fn(x, y)` for the points that draw a track, in x order: per bucket its first value at
 * its first x, its min and max in the middle, its last value at its last x. Non-finite values are
 * left out (they are flagged, not drawn). */
export function forEachPoint(t: Track, fn: (x: number, y: number) => void, from = -Infinity, to = Infinity): void {
  const n = t.x0.length;
  let i = from === -Infinity ? 0 : lowerBound(t.x1, from);
  if (i > 0) i--; // one bucket before the range, so the line enters it
  for (; i < n; i++) {
    const a = t.x0[i];
    if (a > to) { emitBucket(t, i, fn); break; } // and one after
    emitBucket(t, i, fn);
  }
}

function emitBucket(t: Track, i: number, fn: (x: number, y: number) => void): void {
  const a = t.x0[i], b = t.x1[i], c = t.count ? t.count[i] : 1;
  if (c <= 1 || !(b > a)) {
    const v = Number.isFinite(t.last[i]) ? t.last[i] : t.mean[i];
    if (Number.isFinite(v)) fn(a, v);
    return;
  }
  const f = t.first[i], l = t.last[i], lo = t.min[i], hi = t.max[i];
  if (Number.isFinite(f)) fn(a, f);
  const m = a + (b - a) / 2;
  // the order of min and max inside a bucket is not kept; inside one pixel column it does not show
  if (Number.isFinite(lo)) fn(m, lo);
  if (Number.isFinite(hi) && hi !== lo) fn(m, hi);
  if (Number.isFinite(l)) fn(b, l);
}

/** The M4 reduction of a stream of points: per pixel column (`toPx` rounded) the first, min,
 * max and last y. Works on raw points and on bucket points alike. */
export function m4(points: (fn: (x: number, y: number) => void) => void, toPx: (x: number) => number): Columns {
  const out: Columns = { px: [], first: [], min: [], max: [], last: [] };
  let col = NaN, f = 0, lo = 0, hi = 0, l = 0;
  const flush = () => {
    if (Number.isNaN(col)) return;
    out.px.push(col); out.first.push(f); out.min.push(lo); out.max.push(hi); out.last.push(l);
  };
  points((x, y) => {
    const c = Math.round(toPx(x));
    if (c !== col) {
      flush();
      col = c; f = lo = hi = l = y;
    } else {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
      l = y;
    }
  });
  flush();
  return out;
}

/** The columns as a path: into each column at its first value, down and up through its min and
 * max, out at its last value. `toPy` maps a value to a canvas y (NaN for values it cannot show,
 * such as zero on a log scale: those columns are skipped). Returns the one position the path
 * holds when it never leaves it (a series of one point, which a stroke does not show), else null. */
export function traceColumns(cols: Columns, toPy: (y: number) => number, path: { moveTo(x: number, y: number): void; lineTo(x: number, y: number): void }): [number, number] | null {
  let start: [number, number] | null = null;
  let moved = false;
  for (let i = 0; i < cols.px.length; i++) {
    const x = cols.px[i];
    const ys = [toPy(cols.first[i]), toPy(cols.min[i]), toPy(cols.max[i]), toPy(cols.last[i])];
    for (const y of ys) {
      if (!Number.isFinite(y)) continue;
      if (start === null) { path.moveTo(x, y); start = [x, y]; } else {
        path.lineTo(x, y);
        moved ||= x !== start[0] || y !== start[1];
      }
    }
  }
  return moved ? null : start;
}

/** Per pixel column, the lowest `lo` and highest `hi` of a band (group min-max, mean +/- std). */
export function bandColumns(x: ArrayLike<number>, lo: ArrayLike<number | null>, hi: ArrayLike<number | null>, toPx: (x: number) => number): { px: number[]; lo: number[]; hi: number[] } {
  const out = { px: [] as number[], lo: [] as number[], hi: [] as number[] };
  for (let i = 0; i < x.length; i++) {
    const a = lo[i], b = hi[i];
    if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b)) continue;
    const c = Math.round(toPx(x[i]));
    const k = out.px.length - 1;
    if (k >= 0 && out.px[k] === c) {
      if (a < out.lo[k]) out.lo[k] = a;
      if (b > out.hi[k]) out.hi[k] = b;
    } else {
      out.px.push(c); out.lo.push(a); out.hi.push(b);
    }
  }
  return out;
}

/** The lowest and highest value of the tracks between x `from` and `to` (positive ones only on a
 * log scale), or null when there is none. */
export function valueRange(tracks: Track[], from: number, to: number, positive = false): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const t of tracks) {
    forEachPoint(t, (x, y) => {
      if (x < from || x > to || (positive && y <= 0)) return;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }, from, to);
  }
  return lo <= hi ? [lo, hi] : null;
}

/** The x extent of the tracks, or null when they are empty. */
export function xExtent(tracks: Track[]): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const t of tracks) {
    const n = t.x0.length;
    if (!n) continue;
    if (t.x0[0] < lo) lo = t.x0[0];
    if (t.x1[n - 1] > hi) hi = t.x1[n - 1];
  }
  return lo <= hi ? [lo, hi] : null;
}

/** The first index whose value is >= v in an ascending array. */
export function lowerBound(a: ArrayLike<number>, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] < v) lo = m + 1; else hi = m;
  }
  return lo;
}

/** The bucket under x: the one whose range holds it, else the nearest; -1 for an empty track. */
export function bucketAt(t: Track, x: number): number {
  const n = t.x0.length;
  if (!n) return -1;
  const i = lowerBound(t.x1, x); // first bucket ending at or after x
  if (i >= n) return n - 1;
  if (t.x0[i] <= x || i === 0) return i;
  return x - t.x1[i - 1] <= t.x0[i] - x ? i - 1 : i;
}
