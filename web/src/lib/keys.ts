// Panels are created from the logged keys, grouped by prefix (docs/ui.md): "train/loss" goes in
// section "train"; metrics without a "/" go in section "Charts", other keys without one in
// "Media". `orderSections` is the one place that decides the order of sections.

import type { KeyInfo } from "./api";

export type PanelKind = "line" | "image" | "audio" | "video" | "html" | "table" | "histogram"
  | "molecule" | "object3d" | "plotly" | "custom-chart" | "other";

const KIND_OF: Record<string, PanelKind> = {
  number: "line", "image-file": "image", "audio-file": "audio", "video-file": "video", "html-file": "html",
  "table-file": "table", table: "table", histogram: "histogram", "molecule-file": "molecule",
  "object3D-file": "object3d", "plotly-file": "plotly", "custom-chart": "custom-chart",
};

/** Keys the UI draws no panel for: the x-axis bookkeeping every row carries. */
const HIDDEN = new Set(["_step", "_runtime", "_timestamp"]);

export interface PanelSpec { key: string; kind: PanelKind; kinds: string[] }
export interface Section { name: string; panels: PanelSpec[] }

/** Prefixes that lead (training first, then validation, then evaluation), in this order. */
const LEADING: RegExp[] = [/^train(ing)?$/i, /^(val|valid|validation|dev)$/i, /^(eval|evaluation|test)$/i];

/** Sections of system metrics (CPU, GPU, memory...): always last. */
export function isSystemSection(name: string): boolean {
  return /^(system|sys|_system)$/i.test(name) || name.toLowerCase().startsWith("system/");
}

/** A section holds scalars when most of its panels are line charts. */
export function isScalarSection(sec: Section): boolean {
  return sec.panels.filter((p) => p.kind === "line").length * 2 >= sec.panels.length;
}

/** The automatic order of sections: scalar sections first (train-, val-, eval-like prefixes on
 * top, then "Charts", then the others with the most panels first), then media sections, then
 * system sections. Ties go alphabetically. */
export function orderSections(sections: Section[]): Section[] {
  const rank = (s: Section): number[] => {
    if (isSystemSection(s.name)) return [3, 0, 0];
    if (!isScalarSection(s)) return [2, s.name === "Media" ? 1 : 0, 0];
    const lead = LEADING.findIndex((re) => re.test(s.name));
    if (lead >= 0) return [0, lead, 0];
    return [1, s.name === "Charts" ? 0 : 1, -s.panels.length];
  };
  return [...sections].sort((a, b) => {
    const ra = rank(a), rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return a.name.localeCompare(b.name);
  });
}

export function panelKind(kinds: string[]): PanelKind {
  // A key holding numbers and something else (docs/semantics.md, One key, one kind) still gets its line chart.
  if (kinds.includes("number")) return "line";
  for (const k of kinds) if (KIND_OF[k]) return KIND_OF[k];
  return "other";
}

/** The section of a key: its prefix before "/", else "Charts" for metrics and "Media" for the rest. */
export function sectionOf(key: string, kind: PanelKind = "line"): string {
  const i = key.indexOf("/");
  return i > 0 ? key.slice(0, i) : kind === "line" ? "Charts" : "Media";
}

// one collator for every comparison (localeCompare with options makes one per call: 1,000 keys
// took 125 ms to sort)
const byKey = new Intl.Collator(undefined, { numeric: true }).compare;

/** Sections in their automatic order (`orderSections`); panels inside a section sort by key. */
export function groupKeys(keys: KeyInfo[]): Section[] {
  const sections = new Map<string, PanelSpec[]>();
  for (const k of keys) {
    if (HIDDEN.has(k.key) || k.key.startsWith("_")) continue;
    const kind = panelKind(k.kinds);
    if (kind === "other" && !k.kinds.length) continue;
    const name = sectionOf(k.key, kind);
    if (!sections.has(name)) sections.set(name, []);
    sections.get(name)!.push({ key: k.key, kind, kinds: k.kinds });
  }
  return orderSections([...sections.keys()].map((name) => ({
    name,
    panels: sections.get(name)!.sort((a, b) => byKey(a.key, b.key)),
  })));
}

/** The numeric keys that can serve as a chart's x-axis (docs/semantics.md, Steps and commits). */
export function numericKeys(keys: KeyInfo[]): string[] {
  return keys.filter((k) => k.kinds.includes("number") && !k.key.startsWith("_") && !k.key.startsWith("system/"))
    .map((k) => k.key).sort();
}

export interface MetricDef { name: string; step_metric: string | null; runs?: number }

/** The step metric define_metric gave `key`: an exact name first, else the longest "prefix*"
 * glob that matches (as the SDK resolves it), else null. */
export function stepMetricOf(key: string, defs: MetricDef[]): string | null {
  const exact = defs.find((d) => d.name === key && d.step_metric);
  if (exact) return exact.step_metric;
  let best: MetricDef | null = null;
  for (const d of defs) {
    if (!d.step_metric || !d.name.endsWith("*")) continue;
    const prefix = d.name.slice(0, -1);
    if (key.startsWith(prefix) && (!best || prefix.length > best.name.length - 1)) best = d;
  }
  return best?.step_metric ?? null;
}
