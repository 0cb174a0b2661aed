// Chart series from the server's buckets (docs/http-api.md, Series): a line through each bucket's mean, and the
// bucket's min and max as an envelope, so spikes stay visible in a downsampled line.

import type { Series } from "./api";
import type { Track } from "./m4";

export interface Line {
  run: string;
  x: number[];
  y: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  full: boolean;
  total: number;
}

export function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** One run's buckets as a line: x at the bucket's middle (its only point at full resolution). */
export function toLine(s: Series): Line {
  const x: number[] = [];
  const y: (number | null)[] = [];
  const min: (number | null)[] = [];
  const max: (number | null)[] = [];
  for (let i = 0; i < s.x.length; i++) {
    const x0 = num(s.x[i]);
    const x1 = num(s.x_last[i]);
    if (x0 === null) continue;
    const xm = x1 === null || s.count[i] <= 1 ? x0 : (x0 + x1) / 2;
    if (x.length && xm <= x[x.length - 1]) continue; // x must grow for the chart
    x.push(xm);
    const single = s.count[i] <= 1;
    y.push(num(single ? s.last[i] : s.mean[i]));
    min.push(single ? null : num(s.min[i]));
    max.push(single ? null : num(s.max[i]));
  }
  return { run: s.run, x, y, min, max, full: s.full_resolution, total: s.total };
}

const nan = (v: unknown): number => (typeof v === "number" ? v : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : NaN);

/** One run's buckets as they come, for exact (M4) drawing: x of each bucket's first and last
 * point, its first, min, max, last and mean value (NaN where missing), its point count. */
export function toTrack(s: Series): Track {
  const n = s.x.length;
  const t = {
    run: s.run, x0: new Float64Array(n), x1: new Float64Array(n), first: new Float64Array(n), min: new Float64Array(n),
    max: new Float64Array(n), last: new Float64Array(n), mean: new Float64Array(n), count: new Float64Array(n),
    full: s.full_resolution, total: s.total,
  };
  let k = 0;
  for (let i = 0; i < n; i++) {
    const a = nan(s.x[i]);
    if (!Number.isFinite(a) || (k && a < t.x1[k - 1])) continue; // x must grow for the chart
    const b = nan(s.x_last[i]);
    t.x0[k] = a; t.x1[k] = Number.isFinite(b) && b >= a ? b : a;
    t.first[k] = nan(s.first[i]); t.last[k] = nan(s.last[i]); t.min[k] = nan(s.min[i]); t.max[k] = nan(s.max[i]);
    t.mean[k] = nan(s.mean[i]); t.count[k] = s.count[i];
    k++;
  }
  if (k < n) for (const f of ["x0", "x1", "first", "min", "max", "last", "mean", "count"] as const) t[f] = t[f].slice(0, k);
  return t;
}

/** Appends the buckets of `more` past the end of `t` (live updates fetch only what is new). */
export function appendTrack(t: Track, more: Track): Track {
  const end = t.x1.length ? t.x1[t.x1.length - 1] : -Infinity;
  let from = 0;
  while (from < more.x0.length && more.x0[from] <= end) from++;
  const cat = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const out = new Float64Array(a.length + b.length - from);
    out.set(Array.from(a));
    for (let i = from; i < b.length; i++) out[a.length + i - from] = b[i];
    return out;
  };
  const ones = (x: ArrayLike<number> | null, n: number) => x ?? new Float64Array(n).fill(1);
  const added = more.x0.length - from;
  return { run: t.run, x0: cat(t.x0, more.x0), x1: cat(t.x1, more.x1), first: cat(t.first, more.first), min: cat(t.min, more.min),
    max: cat(t.max, more.max), last: cat(t.last, more.last), mean: cat(t.mean, more.mean),
    count: cat(ones(t.count, t.x0.length), ones(more.count, more.x0.length)), full: t.full && more.full, total: t.total + added };
}

/** A track as a line through each bucket's middle and mean (what smoothing and groups use). */
export function trackLine(t: Track): Line {
  const n = t.x0.length;
  const x: number[] = new Array(n), y: (number | null)[] = new Array(n), min: (number | null)[] = new Array(n), max: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const single = !t.count || t.count[i] <= 1;
    x[i] = single ? t.x0[i] : t.x0[i] + (t.x1[i] - t.x0[i]) / 2;
    const v = single ? t.last[i] : t.mean[i];
    y[i] = Number.isFinite(v) ? v : null;
    min[i] = single || !Number.isFinite(t.min[i]) ? null : t.min[i];
    max[i] = single || !Number.isFinite(t.max[i]) ? null : t.max[i];
  }
  return { run: t.run, x, y, min, max, full: t.full, total: t.total };
}

/** Appends the points of `more` past the end of `line` (live updates fetch only what is new). */
export function appendLine(line: Line, more: Line): Line {
  const last = line.x.length ? line.x[line.x.length - 1] : -Infinity;
  const out = { ...line, x: [...line.x], y: [...line.y], min: [...line.min], max: [...line.max] };
  for (let i = 0; i < more.x.length; i++) {
    if (more.x[i] <= last) continue;
    out.x.push(more.x[i]);
    out.y.push(more.y[i]);
    out.min.push(more.min[i]);
    out.max.push(more.max[i]);
  }
  out.total = Math.max(line.total, line.x.length ? line.total + (out.x.length - line.x.length) : more.total);
  return out;
}

/** Several runs' lines on one shared x array (what uPlot draws): each column gets null where its
 * run has no point at that x. */
export function alignLines(cols: { x: number[]; ys: (number | null)[][] }[]): { x: number[]; ys: (number | null)[][] } {
  const xs = new Set<number>();
  for (const c of cols) for (const v of c.x) xs.add(v);
  const x = [...xs].sort((a, b) => a - b);
  const index = new Map<number, number>();
  x.forEach((v, i) => index.set(v, i));
  const ys: (number | null)[][] = [];
  for (const c of cols) {
    for (const src of c.ys) {
      const col: (number | null)[] = new Array(x.length).fill(null);
      for (let i = 0; i < c.x.length; i++) col[index.get(c.x[i])!] = src[i];
      ys.push(col);
    }
  }
  return { x, ys };
}

/** Runs grouped by a value (docs/ui.md, Workspace): per group, the mean of its runs' values at each x, with
 * the min and max over the runs (or the mean ± one standard deviation) as the band. Runs without a point at an x do not count there. */
export function groupLines(lines: Line[], groupOf: (run: string) => string, band: "minmax" | "std" = "minmax"): { group: string; runs: number; line: Line }[] {
  const groups = new Map<string, Line[]>();
  for (const l of lines) {
    const g = groupOf(l.run);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(l);
  }
  const out: { group: string; runs: number; line: Line }[] = [];
  for (const [group, members] of [...groups].sort((a, b) => a[0].localeCompare(b[0], undefined, { numeric: true }))) {
    const a = alignLines(members.map((l) => ({ x: l.x, ys: [l.y] })));
    const y: (number | null)[] = [];
    const min: (number | null)[] = [];
    const max: (number | null)[] = [];
    for (let i = 0; i < a.x.length; i++) {
      let sum = 0, sq = 0, n = 0, lo = Infinity, hi = -Infinity;
      for (const col of a.ys) {
        const v = col[i];
        if (v === null || !Number.isFinite(v)) continue;
        sum += v; sq += v * v; n++;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const mean = n ? sum / n : null;
      y.push(mean);
      if (band === "std" && mean !== null && n > 1) {
        const sd = Math.sqrt(Math.max(0, (sq - n * mean * mean) / (n - 1))); // the sample standard deviation
        lo = mean - sd;
        hi = mean + sd;
      }
      min.push(n > 1 ? lo : null);
      max.push(n > 1 ? hi : null);
    }
    out.push({ group, runs: members.length, line: { run: group, x: a.x, y, min, max,
      full: members.every((l) => l.full), total: members.reduce((t, l) => t + l.total, 0) } });
  }
  return out;
}
