// Pure logic of the runs table: columns from config and summary, sorting, filtering.

import type { Run } from "./api";
import { asNumber, fmtValue, tagOf } from "./format";

export interface Column { id: string; label: string; group: "run" | "config" | "summary"; width: number; numeric?: boolean; media?: boolean }

/** How a person arranged the runs table's columns (docs/ui.md, Workspace): widths in pixels and an
 * order, by column id; kept per project and in saved views. */
export interface ColumnPrefs { widths: Record<string, number>; order: string[] }

/** `cols` in the person's order (the name column stays first); columns the order does not name
 * keep their own order after the ones it names, each width as the person set it. */
export function arrangeColumns(cols: Column[], prefs: ColumnPrefs): Column[] {
  const rank = new Map(prefs.order.map((id, i) => [id, i]));
  const [first, ...rest] = cols;
  const named = rest.filter((c) => rank.has(c.id)).sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
  const others = rest.filter((c) => !rank.has(c.id));
  const width = (c: Column) => { const w = prefs.widths[c.id]; return w ? { ...c, width: Math.max(40, Math.min(800, w)) } : c; };
  return first ? [width(first), ...named.map(width), ...others.map(width)] : [];
}

/** The order after dragging column `from` onto column `to` (it takes `to`'s place). */
export function moveColumn(cols: Column[], from: string, to: string): string[] {
  const ids = cols.slice(1).map((c) => c.id);
  const i = ids.indexOf(from), j = ids.indexOf(to);
  if (i < 0 || j < 0 || i === j) return ids;
  ids.splice(i, 1);
  ids.splice(j, 0, from);
  return ids;
}

const AGGREGATES = new Set(["min", "max", "mean", "first", "last", "best", "copy"]);

/** True for a define_metric summary: a dict whose every key is an aggregate ({"min": 1.48, "last": 1.79}). */
export function isAggregates(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || "_type" in (v as object)) return false;
  const keys = Object.keys(v as object);
  return keys.length > 0 && keys.every((x) => AGGREGATES.has(x));
}

/** Flattens nested dicts to "a.b" paths, keeping typed refs ({"_type": ...}) and tagged values
 * ({"$float": "NaN"}, see format.ts) whole. A define_metric
 * summary of one aggregate ({"max": 0.93}) stays whole; one of several becomes a column per
 * aggregate ("loss.min", "loss.last"), unless `keepAggregates` (the run overview shows them
 * together). */
export function flatten(obj: Record<string, unknown>, prefix = "", out: Record<string, unknown> = {}, keepAggregates = false): Record<string, unknown> {
  for (const k in obj ?? {}) {
    const v = obj[k];
    const path = prefix ? `${prefix}.${k}` : k;
    if (v === null || typeof v !== "object") { // most values: numbers and strings, kept as they are
      out[path] = v;
      continue;
    }
    const isDict = !Array.isArray(v);
    const keys = isDict ? Object.keys(v as object) : [];
    if (isAggregates(v) && keys.length > 1 && !keepAggregates) {
      for (const a of keys) out[`${path}.${a}`] = v[a];
    } else if (isDict && !("_type" in (v as object)) && !tagOf(v) && keys.length && !isAggregates(v)) {
      flatten(v as Record<string, unknown>, path, out, keepAggregates);
    } else {
      out[path] = v;
    }
  }
  return out;
}

export const RUN_COLUMNS: Column[] = [
  { id: "name", label: "Name", group: "run", width: 190 },
  { id: "state", label: "State", group: "run", width: 84 },
  { id: "user", label: "User", group: "run", width: 84 },
  { id: "tags", label: "Tags", group: "run", width: 110 },
  { id: "created_at", label: "Created", group: "run", width: 104, numeric: true },
  { id: "runtime", label: "Runtime", group: "run", width: 76, numeric: true },
];

export interface FlatRun { run: Run; config: Record<string, unknown>; summary: Record<string, unknown> }

export function flatRuns(runs: Run[]): FlatRun[] {
  return runs.map((run) => ({ run, config: flatten(run.config), summary: flatten(run.summary) }));
}

/** Every config and summary column (no cap, docs/ui.md), config first; summary keys starting with
 * "_" are left out. */
export function dataColumns(rows: FlatRun[]): Column[] {
  const cfg = new Map<string, boolean>();
  const sum = new Map<string, boolean>();
  const media = new Set<string>(); // summary keys holding an image, a table, a chart...: hidden by default
  for (const r of rows) {
    for (const k in r.config) {
      const v = r.config[k];
      cfg.set(k, (cfg.get(k) ?? true) && (v === null || asNumber(v) !== null));
    }
    for (const k in r.summary) {
      if (k.charCodeAt(0) === 95) continue; // "_"
      const v = r.summary[k];
      const numeric = typeof v === "number" || v === null || asNumber(v) !== null;
      const was = sum.get(k);
      if (was === undefined || (was && !numeric)) sum.set(k, numeric);
      if (v && typeof v === "object" && "_type" in (v as object)) media.add(k);
    }
  }
  const col = (group: "config" | "summary", k: string, numeric: boolean): Column =>
    ({ id: `${group}.${k}`, label: k, group, width: Math.min(160, Math.max(70, k.length * 7 + 22)), numeric, ...(group === "summary" && media.has(k) ? { media: true } : {}) });
  return [...[...cfg].sort().map(([k, n]) => col("config", k, n)), ...[...sum].sort().map(([k, n]) => col("summary", k, n))];
}

export function cellValue(r: FlatRun, id: string): unknown {
  if (id.startsWith("config.")) return r.config[id.slice(7)];
  if (id.startsWith("summary.")) return r.summary[id.slice(8)];
  return (r.run as unknown as Record<string, unknown>)[id];
}

export function compareValues(a: unknown, b: unknown): number {
  const an = asNumber(a);
  const bn = asNumber(b);
  const aMissing = a === undefined || a === null || (an !== null && Number.isNaN(an));
  const bMissing = b === undefined || b === null || (bn !== null && Number.isNaN(bn));
  if (aMissing || bMissing) return aMissing && bMissing ? 0 : aMissing ? 1 : -1;
  if (an !== null && bn !== null) return an - bn;
  if (an !== null) return -1;
  if (bn !== null) return 1;
  return fmtValue(a).localeCompare(fmtValue(b), undefined, { numeric: true });
}

/** Sorts by one column; missing values go last in both directions. */
export function sortRuns(rows: FlatRun[], id: string, desc: boolean): FlatRun[] {
  return [...rows].sort((x, y) => {
    const a = cellValue(x, id);
    const b = cellValue(y, id);
    const missing = (v: unknown) => v === undefined || v === null;
    if (missing(a) || missing(b)) return compareValues(a, b);
    const c = compareValues(a, b);
    return desc ? -c : c;
  });
}

export interface Condition { field: string; op: string; value: string }

/** Parses a filter like `lr > 0.01 and optimizer = adam` (ops: = != > >= < <= ~ for "contains").
 * A field is a config or summary key, `config.x`, `summary.x`, `state`, `tags` or `name`.
 * Returns the conditions, or an error message that says what is wrong. */
export function parseFilter(text: string): Condition[] | string {
  const out: Condition[] = [];
  const parts = text.split(/\s+and\s+|\s*&&\s*|\s*,\s*/i).map((p) => p.trim()).filter(Boolean);
  for (const p of parts) {
    const m = /^([^\s=!<>~]+)\s*(>=|<=|!=|=|==|>|<|~)\s*(.*)$/.exec(p);
    if (!m) return `cannot read "${p}": write field op value, e.g. lr > 0.01 or optimizer = adam`;
    if (!m[3].trim()) return `cannot read "${p}": it needs a value after ${m[2]}`;
    out.push({ field: m[1], op: m[2] === "==" ? "=" : m[2], value: m[3].trim().replace(/^["']|["']$/g, "") });
  }
  return out;
}

export function fieldValue(r: FlatRun, field: string): unknown {
  if (field === "state" || field === "name" || field === "id" || field === "group" || field === "job_type" || field === "user") return (r.run as unknown as Record<string, unknown>)[field];
  if (field === "tags") return r.run.tags;
  if (field.startsWith("config.")) return r.config[field.slice(7)];
  if (field.startsWith("summary.")) return r.summary[field.slice(8)];
  return field in r.config ? r.config[field] : r.summary[field];
}

export function matches(r: FlatRun, conds: Condition[]): boolean {
  return conds.every((c) => {
    const v = fieldValue(r, c.field);
    if (Array.isArray(v)) {
      const has = v.map(String).some((x) => (c.op === "~" ? x.includes(c.value) : x === c.value));
      return c.op === "!=" ? !has : has;
    }
    const n = asNumber(v);
    const cn = Number(c.value);
    const numeric = n !== null && c.value !== "" && !Number.isNaN(cn);
    const s = v === undefined || v === null ? "" : typeof v === "string" ? v : fmtValue(v);
    switch (c.op) {
      case "=": return numeric ? n === cn : s === c.value;
      case "!=": return numeric ? n !== cn : s !== c.value;
      case ">": return numeric && n > cn;
      case ">=": return numeric && n >= cn;
      case "<": return numeric && n < cn;
      case "<=": return numeric && n <= cn;
      case "~": return s.toLowerCase().includes(c.value.toLowerCase());
      default: return false;
    }
  });
}

/** The search box: a substring of the name, id, tags or group. */
export function searchMatch(r: Run, q: string): boolean {
  if (!q) return true;
  const needle = q.toLowerCase();
  return [r.name, r.id, r.group ?? "", ...(r.tags ?? [])].some((s) => s.toLowerCase().includes(needle));
}
