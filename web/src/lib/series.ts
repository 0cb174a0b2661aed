// Chart series from the server's buckets (docs/http-api.md, Series): a line through each bucket's mean, and the
// bucket's min and max as an envelope, so spikes stay visible in a downsampled line.

import type { Series } from "./api";

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
