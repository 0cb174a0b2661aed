// The workspace layout as a document (docs/ui.md): sections of panels in order, each panel with
// its keys and settings. The automatic layout comes from the logged keys (keys.ts); a saved view
// is a layout a person arranged, stored on the server. Pure functions, so they are tested alone.

import type { Section } from "./keys";

export interface PanelDoc {
  id: string; kind: string; keys: string[];
  title?: string; x_axis?: string; smoothing?: number; log_y?: boolean;
  y_min?: number; y_max?: number; max_runs?: number; width?: number; style?: "exact" | "mean";
  /** A width dragged freely, in columns (overrides `width`), and a height in pixels. */
  span?: number; height?: number;
}
export interface SectionDoc { name: string; collapsed?: boolean; panels: PanelDoc[] }
export interface LayoutDoc { sections: SectionDoc[]; settings: Record<string, unknown> }

/** What a saved view names that no longer exists: a panel's keys that nothing logs any more. */
export interface Missing { section: string; panel: string; keys: string[] }

/** Panels of these kinds take the whole row unless a person sizes them. */
export function defaultWidth(kind: string): number {
  return kind === "table" || kind === "html" || kind === "histogram" ? 3 : 1;
}

/** The layout made from the logged keys. In each section the full-row panels come after the
 * others, so rows of panels are never left half empty before one (panels flow in order). */
export function automaticLayout(sections: Section[]): LayoutDoc {
  return {
    sections: sections.map((s) => ({ name: s.name, collapsed: false, panels: s.panels
      .map((p, i) => ({ doc: { id: p.key, kind: p.kind, keys: [p.key] }, i }))
      .sort((a, b) => Number(defaultWidth(a.doc.kind) >= 3) - Number(defaultWidth(b.doc.kind) >= 3) || a.i - b.i)
      .map((x) => x.doc) })),
    settings: {},
  };
}

/** A saved layout against what is logged now. Panels keep their place; keys that nothing logs
 * any more are reported (the panel stays, marked, until the user drops it); keys logged since
 * the view was saved are added where the automatic layout puts them (their section, created at
 * the end when the view does not have it). */
export function reconcile(saved: LayoutDoc, auto: LayoutDoc, known: Set<string>): { layout: LayoutDoc; missing: Missing[] } {
  const missing: Missing[] = [];
  const placed = new Set<string>();
  const sections: SectionDoc[] = saved.sections.map((s) => ({ ...s, panels: s.panels.map((p) => ({ ...p, keys: [...p.keys] })) }));
  for (const s of sections) {
    for (const p of s.panels) {
      for (const k of p.keys) placed.add(k);
      const gone = p.keys.filter((k) => !known.has(k));
      if (gone.length) missing.push({ section: s.name, panel: p.id, keys: gone });
    }
  }
  for (const as of auto.sections) {
    const fresh = as.panels.filter((p) => p.keys.every((k) => !placed.has(k)));
    if (!fresh.length) continue;
    let target = sections.find((s) => s.name === as.name);
    if (!target) {
      target = { name: as.name, collapsed: false, panels: [] };
      sections.push(target);
    }
    target.panels.push(...fresh.map((p) => ({ ...p })));
  }
  return { layout: { sections, settings: { ...saved.settings } }, missing };
}

/** The layout without the panels (and keys) that `missing` names. */
export function dropMissing(layout: LayoutDoc, missing: Missing[]): LayoutDoc {
  const gone = new Map(missing.map((m) => [m.panel, new Set(m.keys)]));
  return {
    ...layout,
    sections: layout.sections.map((s) => ({
      ...s,
      panels: s.panels.flatMap((p) => {
        const g = gone.get(p.id);
        if (!g) return [p];
        const keys = p.keys.filter((k) => !g.has(k));
        return keys.length ? [{ ...p, keys }] : [];
      }),
    })),
  };
}

/** Moves a panel to `index` of section `to` (within its own section or to another). */
export function movePanel(layout: LayoutDoc, panelId: string, to: string, index: number): LayoutDoc {
  let moving: PanelDoc | undefined;
  let fromSection = "";
  let fromIndex = -1;
  const sections = layout.sections.map((s) => {
    const i = s.panels.findIndex((p) => p.id === panelId);
    if (i < 0) return { ...s, panels: [...s.panels] };
    moving = s.panels[i];
    fromSection = s.name;
    fromIndex = i;
    return { ...s, panels: s.panels.filter((_, j) => j !== i) };
  });
  if (!moving) return layout;
  const target = sections.find((s) => s.name === to);
  if (!target) return layout;
  const at = fromSection === to && fromIndex < index ? index - 1 : index;
  target.panels.splice(Math.max(0, Math.min(at, target.panels.length)), 0, moving);
  return { ...layout, sections };
}

/** A new, empty section at the end (a name not taken: "Section 2", ...). */
export function addSection(layout: LayoutDoc, name = "New section"): LayoutDoc {
  let n = name;
  for (let i = 2; layout.sections.some((s) => s.name === n); i++) n = `${name} ${i}`;
  return { ...layout, sections: [...layout.sections, { name: n, collapsed: false, panels: [] }] };
}

export function renameSection(layout: LayoutDoc, from: string, to: string): LayoutDoc {
  const name = to.trim();
  if (!name || layout.sections.some((s) => s.name === name)) return layout;
  return { ...layout, sections: layout.sections.map((s) => (s.name === from ? { ...s, name } : s)) };
}

export function updateSection(layout: LayoutDoc, name: string, change: Partial<SectionDoc>): LayoutDoc {
  return { ...layout, sections: layout.sections.map((s) => (s.name === name ? { ...s, ...change } : s)) };
}

export function updatePanel(layout: LayoutDoc, id: string, change: Partial<PanelDoc>): LayoutDoc {
  return { ...layout, sections: layout.sections.map((s) => ({ ...s, panels: s.panels.map((p) => (p.id === id ? { ...p, ...change } : p)) })) };
}

export function findPanel(layout: LayoutDoc, id: string): PanelDoc | undefined {
  for (const s of layout.sections) for (const p of s.panels) if (p.id === id) return p;
  return undefined;
}
