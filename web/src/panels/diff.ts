// A side-by-side diff of runs (docs/ui.md, Comparing runs): run fields, config, summary and
// metadata of the first shown runs, one column per run, only the keys whose values differ unless
// "show equal values" is on.

import { api, type Run } from "../lib/api";
import { diffRows } from "../lib/compare";
import type { Context } from "../lib/context";
import { emptyState, h } from "../lib/dom";
import { fmtValue } from "../lib/format";
import type { Panel } from "./panel";

/** Runs compared side by side at most (the first shown ones, in table order). */
export const MAX_DIFF_RUNS = 8;
// metadata the run page shows in its own cards: long lists that would drown the diff
const SKIP_META = new Set(["packages", "conda", "code", "code_tree", "requirements"]);

export function diffPanel(el: HTMLElement, ctx: Context): Panel {
  const body = el.querySelector<HTMLElement>(".body")!;
  const badge = el.querySelector<HTMLElement>(".badge")!;
  const all = h("input", { type: "checkbox", "aria-label": "show equal values" });
  body.before(h("div.controls", null, h("label", null, all, "show equal values too"),
    h("span.faint", null, `the first ${MAX_DIFF_RUNS} shown runs, in table order; hide runs in the table to choose others`)));
  const full = new Map<string, Run>(); // runs with their metadata (the runs list leaves it out)
  let seq = 0;

  async function draw(): Promise<void> {
    const my = ++seq;
    const shown = ctx.runs.slice(0, MAX_DIFF_RUNS);
    if (shown.length < 2) {
      body.replaceChildren(emptyState("Show two or more runs to compare them", "The diff puts the first shown runs side by side."));
      badge.textContent = "";
      return;
    }
    await Promise.all(shown.filter((r) => !full.has(r.id)).map((r) => api.run(ctx.project, r.id).then((d) => { full.set(r.id, d); }, () => { full.set(r.id, r); })));
    if (my !== seq) return;
    // the list's copy is the live one (summary, state); the detail adds metadata
    const runs = shown.map((r) => ({ ...r, metadata: full.get(r.id)?.metadata ?? {} }));
    const rows = diffRows(runs, SKIP_META);
    const differing = rows.filter((r) => !r.same).length;
    badge.textContent = `${differing} of ${rows.length} keys differ`;
    const visible = all.checked ? rows : rows.filter((r) => !r.same);
    if (!visible.length) {
      body.replaceChildren(emptyState("These runs are the same", "Every config, summary and metadata value is equal. Tick \"show equal values too\" to see them."));
      return;
    }
    let section = "";
    const trs: HTMLElement[] = [];
    for (const r of visible) {
      if (r.section !== section) {
        section = r.section;
        trs.push(h("tr.diff-section", null, h("th", { colSpan: runs.length + 1 }, section)));
      }
      trs.push(h(`tr${r.same ? ".same" : ".differs"}`, { dataset: { key: `${r.section}.${r.key}` } }, h("th.mono", { title: r.key }, r.key),
        ...r.values.map((v) => h("td.mono", { title: v === undefined ? "not set in this run" : typeof v === "object" ? JSON.stringify(v) : String(v) },
          v === undefined ? h("span.faint", null, "—") : fmtValue(v)))));
    }
    body.replaceChildren(h("div.diff-scroll", null, h("table.diff", null,
      h("thead", null, h("tr", null, h("th", null, ""), ...runs.map((r) => h("th", null, h("span.swatch", { style: { background: ctx.color(r.id) } }),
        h("a", { href: `/p/${encodeURIComponent(ctx.project)}/r/${encodeURIComponent(r.id)}` }, r.name))))),
      h("tbody", null, ...trs))));
  }
  all.addEventListener("change", () => void draw());
  void draw();
  return { update(c) { if (c === "runs" || c === "live" || c === "colors") void draw(); }, destroy() { seq++; } };
}
