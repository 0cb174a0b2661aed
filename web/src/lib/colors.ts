// One stable colour per run, everywhere it appears (docs/ui.md, Look and feel): the colour is a function of the
// run id alone, so it survives reloads, sorting, filtering and other runs coming and going.

/** A palette readable on light and dark backgrounds (Tableau 10 with a few additions). */
export const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
  "#9c755f", "#5d9bd3", "#d37295", "#86bcb6", "#a0cbe8", "#8cd17d", "#f1ce63", "#499894",
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

/** The colour of a run, from its project and id. */
export function runColor(runId: string, project = ""): string {
  return PALETTE[hashString(`${project}/${runId}`) % PALETTE.length];
}

/** A colour with an alpha, for envelopes and bands: "#4e79a7", 0.2 → "rgba(78,121,167,0.2)". */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** Colours for an ordered set of runs: stable by id, with neighbours nudged apart when two
 * runs shown together would share a colour and a free one is left. */
export function assignColors(runIds: string[], project = ""): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const id of runIds) {
    let c = runColor(id, project);
    if (used.has(c) && used.size < PALETTE.length) {
      let i = (PALETTE.indexOf(c) + 1) % PALETTE.length;
      while (used.has(PALETTE[i])) i = (i + 1) % PALETTE.length;
      c = PALETTE[i];
    }
    used.add(c);
    out.set(id, c);
  }
  return out;
}
