// Panels are created from the logged keys, grouped by prefix (docs/ui.md, Workspace): "train/loss" goes in
// section "train"; metrics without a "/" go in the first section, "Charts", other keys without
// one in the last, "Media".

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

/** Sections in a stable order: "Charts" first, then prefixes alphabetically; media sections
 * keep their own order. Panels inside a section sort by key. */
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
  // the system/ metrics runyard records on its own (docs/run-log.md) come last
  const rank = (n: string) => (n === "Charts" ? 0 : n === "Media" ? 2 : n === "system" ? 3 : 1);
  const names = [...sections.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return names.map((name) => ({
    name,
    panels: sections.get(name)!.sort((a, b) => a.key.localeCompare(b.key, undefined, { numeric: true })),
  }));
}

/** The numeric keys that can serve as a chart's x-axis (docs/semantics.md, Steps and commits). */
export function numericKeys(keys: KeyInfo[]): string[] {
  return keys.filter((k) => k.kinds.includes("number") && !k.key.startsWith("_") && !k.key.startsWith("system/"))
    .map((k) => k.key).sort();
}
