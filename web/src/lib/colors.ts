// Run colours (docs/ui.md): a colour-blind-safe palette whose colours are far apart, given to a
// project's runs in the order they were created, so the first ten runs all differ and a run keeps
// its colour while others come, go, hide or sort. A user's pick for a run wins over all of it.

/** Okabe & Ito's colour-blind-safe set (without black and pure yellow, unreadable on one of the
 * themes) with Paul Tol's olive, purple, teal and sand, ordered so neighbours differ most. */
export const PALETTE = [
  "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#999933", "#aa4499", "#44aa99", "#ccbb44",
];

/** FNV-1a over the UTF-16 code units: fast, and stable across browsers and sessions. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The colour of a run known only by its id (a page that has not seen the project's runs). */
export function runColor(runId: string, project = ""): string {
  const saved = savedColors(project)[runId];
  return saved ?? PALETTE[hashString(`${project}/${runId}`) % PALETTE.length];
}

/** A colour with an alpha, for envelopes and bands: "#4e79a7", 0.2 → "rgba(78,121,167,0.2)". */
export function withAlpha(hex: string, alpha: number): string {
  if (!hex.startsWith("#")) return hex;
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** Colours for a project's runs.
 *
 * `byCreation` is every run id, oldest first: the i-th takes PALETTE[i % n]. Among the `shown`
 * runs (drawn together), a colour already taken moves to a free one while the palette has one
 * left, so the runs on screen are as far apart as it allows. `picked` (a user's choices) wins. */
export function assignColors(byCreation: string[], shown: string[] = byCreation, picked: Record<string, string> = {}): Map<string, string> {
  const out = new Map<string, string>();
  byCreation.forEach((id, i) => out.set(id, picked[id] ?? PALETTE[i % PALETTE.length]));
  const used = new Set<string>();
  for (const id of shown) {
    let c = out.get(id) ?? PALETTE[0];
    if (!picked[id] && used.has(c) && used.size < PALETTE.length) {
      let i = (PALETTE.indexOf(c) + 1) % PALETTE.length;
      while (used.has(PALETTE[i])) i = (i + 1) % PALETTE.length;
      c = PALETTE[i];
      out.set(id, c);
    }
    used.add(c);
  }
  return out;
}

/** Colours of groups: the palette in the order of the groups' values. */
export function groupColors(groups: string[]): Map<string, string> {
  const sorted = [...new Set(groups)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return new Map(sorted.map((g, i) => [g, PALETTE[i % PALETTE.length]]));
}

const storeKey = (project: string) => `runyard.colors.${project}`;

/** The colours a user picked for runs of a project (kept in this browser). */
export function savedColors(project: string): Record<string, string> {
  try {
    const raw = typeof localStorage === "undefined" ? null : localStorage.getItem(storeKey(project));
    const v = raw ? JSON.parse(raw) : {};
    return v && typeof v === "object" ? v as Record<string, string> : {};
  } catch {
    return {};
  }
}

/** Remembers (or with null forgets) a user's colour for a run. */
export function saveColor(project: string, runId: string, color: string | null): void {
  const all = savedColors(project);
  if (color) all[runId] = color; else delete all[runId];
  try { localStorage.setItem(storeKey(project), JSON.stringify(all)); } catch { /* private mode: this session only */ }
}

/** Remembers the colours the workspace gave, so a run page shows the same one. */
export function rememberAssigned(project: string, colors: Map<string, string>): void {
  try { sessionStorage.setItem(`runyard.assigned.${project}`, JSON.stringify(Object.fromEntries(colors))); } catch { /* ignore */ }
}

/** The colour the workspace gave a run in this tab, else its saved or hashed one. */
export function colorOf(project: string, runId: string): string {
  try {
    const raw = sessionStorage.getItem(`runyard.assigned.${project}`);
    const c = raw ? (JSON.parse(raw) as Record<string, string>)[runId] : undefined;
    if (c) return c;
  } catch { /* ignore */ }
  return runColor(runId, project);
}
