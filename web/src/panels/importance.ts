// Parameter importance (docs/ui.md, Comparing runs): for a summary metric (the project's main
// metric by default), each varying config key's random-forest importance and correlation, computed
// by the server over the shown runs (GET /api/projects/{p}/importance, docs/http-api.md).

import { api, type ApiError, type Importance } from "../lib/api";
import { mainMetric, varyingKeys } from "../lib/compare";
import type { Context } from "../lib/context";
import { debounce, emptyState, h } from "../lib/dom";
import { fmtNum } from "../lib/format";
import type { Panel } from "./panel";

export function importancePanel(el: HTMLElement, ctx: Context, onPick?: (key: string, target: string) => void): Panel {
  const body = el.querySelector<HTMLElement>(".body")!;
  const badge = el.querySelector<HTMLElement>(".badge")!;
  const targetSel = h("select", { "aria-label": "importance for" });
  body.before(h("div.controls", null, h("label", null, "importance for summary ", targetSel)));
  let picked: string | null = null;
  let seq = 0;
  targetSel.addEventListener("change", () => { picked = targetSel.value; void load(); });

  async function load(): Promise<void> {
    const my = ++seq;
    const keys = varyingKeys(ctx.runs, "summary", true);
    const target = picked && keys.includes(picked) ? picked : mainMetric(ctx.runs) ?? keys[0];
    targetSel.replaceChildren(...keys.map((k) => h("option", { value: k, selected: k === target }, k)));
    if (!target || ctx.runs.length < 3) {
      body.replaceChildren(emptyState("Not enough runs to rank parameters", "Parameter importance needs three or more shown runs with a summary metric that differs between them."));
      badge.textContent = "";
      return;
    }
    body.replaceChildren(h("div.loading", null, "…"));
    let res: Importance;
    try {
      res = await api.importance(ctx.project, target, ctx.runs.map((r) => r.id));
    } catch (e) {
      if (my === seq) body.replaceChildren(emptyState("Parameter importance could not be computed", (e as ApiError).message));
      return;
    }
    if (my !== seq) return;
    badge.textContent = `${res.runs} runs · ${res.method === "random_forest" ? "random forest" : "correlation only"}`;
    if (!res.params.length) {
      body.replaceChildren(emptyState("No config value varies between these runs", `Every run with ${target} has the same config.`));
      return;
    }
    const bar = (v: number, color: string, signed: boolean) => h("div.imp-bar", null, h("div", { style: {
      background: color, width: `${Math.abs(v) * (signed ? 50 : 100)}%`, marginLeft: signed ? (v < 0 ? `${50 - Math.abs(v) * 50}%` : "50%") : "0" } }));
    body.replaceChildren(
      h("table.imp", null,
        h("thead", null, h("tr", null, h("th", null, "config"), h("th", null, "importance"), h("th", null, "correlation"), h("th.num", null, "runs"))),
        h("tbody", null, ...res.params.map((p) => h("tr", { dataset: { key: p.key }, title: onPick ? `Plot ${p.key} against ${target}` : "", onclick: () => onPick?.(p.key, target) },
          h("td.mono", null, p.key, p.kind === "category" ? h("span.faint", null, " (category)") : ""),
          h("td", null, p.importance === null ? h("span.faint", null, "–") : h("div.imp-cell", null, bar(p.importance, "var(--accent)", false), h("span.mono", null, fmtNum(p.importance, 2)))),
          h("td", null, p.correlation === null ? h("span.faint", null, "–") : h("div.imp-cell", null,
            bar(p.correlation, p.correlation < 0 ? "#3b7dd8" : "#d8743b", true), h("span.mono", null, fmtNum(p.correlation, 2)))),
          h("td.num.mono", null, String(p.runs)))))),
      res.note ? h("div.faint", { style: { fontSize: "12px", marginTop: "6px" } }, res.note) : "");
  }
  const reload = debounce(() => void load(), 300);
  void load();
  return { update(c) { if (c === "runs") reload(); }, destroy() { seq++; } };
}
