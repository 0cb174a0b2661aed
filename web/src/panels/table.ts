// Logged tables (docs/media-refs.md, table-file): paged, sortable and searchable on the server; media cells inline.

import { api, fileUrl } from "../lib/api";
import type { Context } from "../lib/context";
import { debounce, h } from "../lib/dom";
import { fmtValue } from "../lib/format";
import { histogramBars } from "./media";

const PAGE = 25;

export function tableView(ctx: Context, run: string, key: string, step: number): HTMLElement {
  const q = { offset: 0, limit: PAGE, sort: "", desc: false, search: "" };
  const wrap = h("div.ltable-wrap");
  const pager = h("div.pager");
  const search = h("input", { type: "search", placeholder: "Search rows", "aria-label": "search table rows" });
  search.addEventListener("input", debounce(() => { q.search = search.value; q.offset = 0; load(); }, 200));
  const root = h("div", { dataset: { table: key } }, h("div.pager", null, search), wrap, pager);

  async function load(): Promise<void> {
    let page;
    try {
      page = await api.table(ctx.project, run, key, step, q);
    } catch (e) {
      wrap.replaceChildren(h("div.faint", { style: { padding: "8px" } }, (e as Error).message));
      return;
    }
    const types = page.column_types ?? {};
    const head = h("tr", null, h("th.num", null, "#"), ...page.columns.map((c) => h(`th${q.sort === c ? ".sorted" : ""}`, {
      title: `${c} (${types[c] ?? "?"}) — click to sort`,
      onclick: () => { if (q.sort === c) q.desc = !q.desc; else { q.sort = c; q.desc = false; } q.offset = 0; load(); },
    }, c, q.sort === c ? (q.desc ? " ↓" : " ↑") : "")));
    const body = page.rows.map((r) => h("tr", null, h("td.num.faint", null, String(r.index)),
      ...r.cells.map((cell) => h(`td${typeof cell === "number" ? ".num" : ""}`, null, renderCell(ctx, run, cell)))));
    wrap.replaceChildren(h("table.ltable", null, h("thead", null, head), h("tbody", null, body)));
    const last = Math.min(page.total, q.offset + page.rows.length);
    pager.replaceChildren(
      h("button", { disabled: q.offset === 0, onclick: () => { q.offset = Math.max(0, q.offset - PAGE); load(); } }, "‹ Prev"),
      h("span", null, page.total ? `${q.offset + 1}–${last} of ${page.total} rows` : "no rows"),
      h("button", { disabled: last >= page.total, onclick: () => { q.offset += PAGE; load(); } }, "Next ›"),
    );
  }
  load();
  return root;
}

function renderCell(ctx: Context, run: string, cell: unknown): Node | string {
  if (cell && typeof cell === "object" && !Array.isArray(cell)) {
    const ref = cell as { _type?: string; path?: string; values?: number[]; bins?: number[] };
    if (ref._type === "image-file" && ref.path) return h("img", { src: fileUrl(ctx.project, run, ref.path), loading: "lazy", alt: "" });
    if (ref._type === "audio-file" && ref.path) return h("audio", { controls: true, preload: "none", src: fileUrl(ctx.project, run, ref.path), style: { width: "180px" } });
    if (ref._type === "histogram" && ref.values && ref.bins) return histogramBars({ values: ref.values, bins: ref.bins }, 96, 24);
    if (ref._type && ref.path) return h("a", { href: fileUrl(ctx.project, run, ref.path), target: "_blank" }, `[${ref._type.replace(/-file$/, "")}]`);
  }
  return fmtValue(cell);
}
