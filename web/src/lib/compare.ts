// Comparing runs (docs/ui.md, Comparing runs): which config keys vary, the project's main metric,
// when an axis should be logarithmic, parallel-coordinate axes and brushes, and the rows of a
// side-by-side diff. Pure functions, tested alone (compare.test.ts).

import type { Run } from "./api";
import { asNumber, fmtValue } from "./format";
import { flatten } from "./runs";

export interface Axis { id: string; part: "config" | "summary"; key: string; log: boolean; categories: string[] | null; lo: number; hi: number }
export type Brushes = Map<string, [number, number]>; // axis id -> range in the axis's 0..1 position

interface Flat { of: unknown; config: Record<string, unknown>; summary: Record<string, unknown> }
// flattened once per run (a live event replaces a run's summary object, which refreshes it)
const flatCache = new WeakMap<Run, Flat>();
function flat(run: Run): Flat {
  let f = flatCache.get(run);
  if (!f || f.of !== run.summary) {
    f = { of: run.summary, config: flatten(run.config ?? {}), summary: flatten(run.summary ?? {}) };
    flatCache.set(run, f);
  }
  return f;
}

export function valueOf(run: Run, part: "config" | "summary", key: string): unknown {
  return flat(run)[part][key];
}

/** A scalar value as a comparable text (categories) or number. */
function scalar(v: unknown): number | string | null {
  const n = asNumber(v);
  if (n !== null) return Number.isFinite(n) ? n : null;
  if (typeof v === "string") return v;
  return null;
}

/** Keys of `part` that hold a scalar and take at least two values over `runs` (most-shared first). */
export function varyingKeys(runs: Run[], part: "config" | "summary", numericOnly = false): string[] {
  const seen = new Map<string, { n: number; first: number | string; varies: boolean; numeric: boolean }>();
  for (const r of runs) {
    for (const [k, v] of Object.entries(flat(r)[part])) {
      if (k.startsWith("_")) continue;
      const s = scalar(v);
      if (s === null) continue;
      const e = seen.get(k);
      if (!e) seen.set(k, { n: 1, first: s, varies: false, numeric: typeof s === "number" });
      else { e.n++; if (s !== e.first) e.varies = true; if (typeof s !== "number") e.numeric = false; }
    }
  }
  return [...seen.entries()].filter(([, e]) => e.varies && (!numericOnly || e.numeric))
    .sort((a, b) => b[1].n - a[1].n || a[0].localeCompare(b[0])).map(([k]) => k);
}

const METRIC_RANKS: RegExp[] = [
  /^(val|valid|validation|eval|test)[/._-]?.*loss$/i, /^(val|valid|validation|eval|test)[/._-]?.*(acc|accuracy|f1|auc|map|bleu|rouge|score)/i,
  /(^|[/._])loss$/i, /(acc|accuracy|f1|auc|score)$/i, /loss/i,
];

/** The project's main metric: a summary key that varies, preferring validation losses and
 * accuracies over training ones, then the key most runs hold. */
export function mainMetric(runs: Run[]): string | null {
  const keys = varyingKeys(runs, "summary", true).filter((k) => !k.startsWith("system/") && !/(^|[/._])(epoch|step|runtime|timestamp|lr|learning_rate)$/i.test(k));
  if (!keys.length) return null;
  const rank = (k: string) => { const i = METRIC_RANKS.findIndex((re) => re.test(k)); return i < 0 ? METRIC_RANKS.length : i; };
  return [...keys].sort((a, b) => rank(a) - rank(b))[0]; // stable: ties keep the most-shared order
}

const LOG_NAMES = /(^|[/._])(lr|learning_rate|learning-rate|weight_decay|wd|eps|epsilon|l2|reg|lambda|alpha)$/i;

/** A logarithmic axis suits values that are all positive and span two decades or more, or a
 * positive key named like a learning rate. */
export function wantsLog(key: string, values: number[]): boolean {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length || v.some((x) => x <= 0)) return false;
  const lo = Math.min(...v), hi = Math.max(...v);
  return hi / lo >= 100 || (LOG_NAMES.test(key) && hi > lo);
}

/** The scatter's default: a varying numeric config key (a learning rate first) against the main metric. */
export function defaultScatter(runs: Run[]): { x: string | null; y: string | null } {
  const xs = varyingKeys(runs, "config", true);
  const x = xs.find((k) => LOG_NAMES.test(k) && /lr|learning/i.test(k)) ?? xs[0] ?? null;
  return { x, y: mainMetric(runs) };
}

/** An axis over `runs` for a key: numeric (log when it suits) or categories in sorted order. */
export function makeAxis(runs: Run[], part: "config" | "summary", key: string): Axis {
  const vals = runs.map((r) => scalar(valueOf(r, part, key))).filter((v) => v !== null) as (number | string)[];
  const numeric = vals.every((v) => typeof v === "number");
  if (!numeric) {
    const categories = [...new Set(vals.map(String))].sort();
    return { id: `${part}.${key}`, part, key, log: false, categories, lo: 0, hi: Math.max(1, categories.length - 1) };
  }
  const nums = vals as number[];
  const log = wantsLog(key, nums);
  const t = nums.map((v) => (log ? Math.log10(v) : v));
  let lo = t.length ? Math.min(...t) : 0, hi = t.length ? Math.max(...t) : 1;
  if (lo === hi) { lo -= 1; hi += 1; }
  return { id: `${part}.${key}`, part, key, log, categories: null, lo, hi };
}

/** Where a run sits on an axis, 0 (bottom) to 1 (top), or null when it has no value there. */
export function position(axis: Axis, run: Run): number | null {
  const s = scalar(valueOf(run, axis.part, axis.key));
  if (s === null) return null;
  if (axis.categories) {
    const i = axis.categories.indexOf(String(s));
    return i < 0 ? null : axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
  }
  if (typeof s !== "number" || (axis.log && s <= 0)) return null;
  const t = axis.log ? Math.log10(s) : s;
  return (t - axis.lo) / (axis.hi - axis.lo);
}

/** The value at a position of an axis (for tick labels and brush readouts). */
export function valueAt(axis: Axis, pos: number): string {
  if (axis.categories) return axis.categories[Math.round(pos * (axis.categories.length - 1))] ?? "";
  const t = axis.lo + pos * (axis.hi - axis.lo);
  return fmtValue(axis.log ? 10 ** t : t);
}

/** Whether a run passes every brush (a run with no value on a brushed axis does not). */
export function passesBrushes(run: Run, axes: Axis[], brushes: Brushes): boolean {
  for (const a of axes) {
    const b = brushes.get(a.id);
    if (!b) continue;
    const p = position(a, run);
    if (p === null || p < b[0] - 1e-9 || p > b[1] + 1e-9) return false;
  }
  return true;
}

export interface DiffRow { section: string; key: string; values: unknown[]; same: boolean }

/** Rows of a side-by-side diff of `runs` (each a run with its metadata): run fields, config,
 * summary and metadata, each key once; `same` when every run holds the same value. */
export function diffRows(runs: Run[], skipMeta: Set<string> = new Set()): DiffRow[] {
  const rows: DiffRow[] = [];
  const add = (section: string, get: (r: Run) => Record<string, unknown>) => {
    const per = runs.map(get);
    const keys = [...new Set(per.flatMap((o) => Object.keys(o)))].filter((k) => !k.startsWith("_")).sort();
    for (const key of keys) {
      const values = per.map((o) => o[key]);
      const texts = values.map((v) => (v === undefined ? "\u0000missing" : JSON.stringify(v)));
      rows.push({ section, key, values, same: texts.every((t) => t === texts[0]) });
    }
  };
  add("run", (r) => ({ state: r.state, tags: (r.tags ?? []).join(", ") || undefined, group: r.group ?? undefined, job_type: r.job_type ?? undefined,
    notes: r.notes ?? undefined, runtime: r.runtime ?? undefined, last_step: r.last_step ?? undefined }));
  add("config", (r) => flat(r).config);
  add("summary", (r) => flatten(r.summary ?? {}, "", {}, true));
  add("metadata", (r) => {
    const m = Object.fromEntries(Object.entries(r.metadata ?? {}).filter(([k]) => !skipMeta.has(k)));
    return flatten(m);
  });
  return rows;
}
