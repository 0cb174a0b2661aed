// The runs table (docs/ui.md, Workspace): name, state, user, tags, created, runtime, every config and summary
// column; sort, filter, search, show/hide runs, a colour per run. Rows and columns are
// virtualised: only the cells in view exist in the DOM, so thousands of runs and columns stay fast.

import "../runinfo.css";
import type { Run } from "../lib/api";
import { clear, debounce, h } from "../lib/dom";
import { fmtAgo, fmtDuration, fmtValue } from "../lib/format";
import { RUN_COLUMNS, arrangeColumns, cellValue, dataColumns, flatRuns, flatten, matches, moveColumn, parseFilter, searchMatch, sortRuns, type Column, type ColumnPrefs, type FlatRun } from "../lib/runs";

const ROW = 28;
const OVERSCAN = 8;

export interface RunsTableState {
  search: string; filter: string; sort: string; desc: boolean;
  hidden: Set<string>; hiddenColumns: Set<string>;
  /** Media columns (an image or a chart in the summary) are hidden until shown here. */
  shownMedia: Set<string>;
  /** Column widths and order as the person arranged them (kept per project and in views). */
  columns: ColumnPrefs;
}

export interface RunsTableOptions {
  project: string;
  state: RunsTableState;
  color: (id: string) => string;
  /** Called with the runs in table order (after search and filter) whenever they change; `visible`
   * leaves out hidden runs and those `keep` drops, `unkept` only the hidden ones. */
  onChange: (ordered: Run[], visible: Run[], unkept: Run[]) => void;
  /** Runs outside this (the parallel-coordinate brushes) leave the table's shown runs. */
  keep?: (run: Run) => boolean;
  onStateChange: () => void;
  /** The columns' widths or order changed (by dragging). */
  onColumnsChange?: () => void;
  /** A row is hovered (null: none): its lines are highlighted in every chart. */
  onHover?: (id: string | null) => void;
  /** A colour picked for a run (null: back to the automatic one). */
  onPickColor?: (id: string, color: string | null) => void;
}

export class RunsTable {
  el: HTMLElement;
  private grid: HTMLElement;
  private inner: HTMLElement;
  private head: HTMLElement;
  private rows: FlatRun[] = [];
  private rowById: Map<string, FlatRun> | null = null;
  private ordered: FlatRun[] = [];
  private columns: Column[] = [];
  private offsets: number[] = [];
  private countEl: HTMLElement;
  private filterError: HTMLElement;
  private menu: HTMLElement | null = null;
  private highlighted: string | null = null;
  private resizedAt = 0;
  /** What a press in the header or on a row's eye began on: the click that ends it acts on that
   * even when the table was redrawn in between (the summaries or a live update arriving), which
   * sends the click to the grid instead of the cell that is gone. */
  private pressed: { col?: string; eye?: string } = {};
  private headKey = "";

  constructor(private opts: RunsTableOptions) {
    const st = opts.state;
    const search = h("input", { type: "search", placeholder: "Search runs  ( / )", value: st.search, "aria-label": "search runs",
      oninput: debounce(() => { st.search = search.value; this.refresh(); }, 120) });
    search.id = "run-search";
    const filter = h("input", { type: "text", placeholder: "Filter: lr > 0.01, optimizer = adam", value: st.filter, "aria-label": "filter runs",
      style: { flex: "1", minWidth: "140px" },
      oninput: debounce(() => { st.filter = filter.value; this.refresh(); }, 200) });
    this.filterError = h("div.error", { style: { fontSize: "12px", padding: "0 8px" } });
    this.countEl = h("span.faint", { style: { fontSize: "12px" } });
    const cols = h("button", { title: "Show or hide columns", onclick: (e: Event) => { e.stopPropagation(); this.toggleMenu(cols); } }, "Columns");
    const showAll = h("button", { title: "Show every run in the charts", onclick: () => { st.hidden.clear(); this.refresh(); } }, "Show all");
    const hideAll = h("button", { title: "Hide every run from the charts", onclick: () => { for (const r of this.ordered) st.hidden.add(r.run.id); this.refresh(); } }, "Hide all");
    this.head = h("div.head");
    this.inner = h("div", { style: { position: "relative" } });
    this.grid = h("div.runs-grid", { role: "grid", "aria-label": "runs" }, this.head, this.inner);
    this.grid.addEventListener("scroll", () => this.paint(), { passive: true });
    this.inner.addEventListener("mouseover", (e) => {
      const row = (e.target as Element).closest?.<HTMLElement>(".row[data-run]");
      if (row) opts.onHover?.(row.dataset.run!);
    });
    this.inner.addEventListener("mouseleave", () => opts.onHover?.(null));
    this.head.addEventListener("pointerdown", (e) => { this.pressed = { col: (e.target as Element).closest?.<HTMLElement>(".cell[data-col]")?.dataset.col }; });
    this.head.addEventListener("click", (e) => {
      const t = e.target as Element;
      const col = t.closest?.<HTMLElement>(".cell[data-col]")?.dataset.col ?? (t === this.head ? this.pressed.col : undefined);
      this.pressed = {};
      if (col && !t.closest?.(".col-resize")) this.sortBy(col);
    });
    this.inner.addEventListener("pointerdown", (e) => { this.pressed = { eye: (e.target as Element).closest?.("button.eye")?.closest<HTMLElement>(".row[data-run]")?.dataset.run }; });
    this.inner.addEventListener("click", (e) => {
      const t = e.target as Element;
      const eye = t.closest?.("button.eye") ? t.closest<HTMLElement>(".row[data-run]")?.dataset.run : (t === this.inner ? this.pressed.eye : undefined);
      this.pressed = {};
      if (eye) this.toggleHidden(eye);
    });
    new ResizeObserver(() => this.paint()).observe(this.grid);
    this.el = h("div.runs-pane", null,
      h("div.runs-tools", null, search, cols),
      h("div.runs-tools", null, filter, showAll, hideAll, this.countEl),
      this.filterError, this.grid);
  }

  private sortBy(col: string): void {
    if (Date.now() - this.resizedAt < 400) return; // the click that ends a column drag does not sort
    const st = this.opts.state;
    if (st.sort === col) {
      if (st.desc) { st.sort = ""; st.desc = false; } else st.desc = true;
    } else { st.sort = col; st.desc = false; }
    this.refresh();
  }

  private toggleHidden(id: string): void {
    const hidden = this.opts.state.hidden;
    if (hidden.has(id)) hidden.delete(id); else hidden.add(id);
    this.refresh();
  }

  /** Every run with its config and summary flattened (as the columns name them). */
  flatRows(): readonly FlatRun[] {
    return this.rows;
  }

  setRuns(runs: Run[]): void {
    this.rows = flatRuns(runs);
    this.rowById = null;
    this.refreshColumns();
  }

  /** Some runs' summaries arrived (the workspace reads them after its first screen, a page of
   * runs at a time): their rows take them. `refreshColumns()` once they are all in. */
  setSummaries(runs: Run[]): void {
    const byId = this.rowById ??= new Map(this.rows.map((r) => [r.run.id, r]));
    for (const run of runs) {
      const row = byId.get(run.id);
      if (row) row.summary = flatten(run.summary);
    }
  }

  /** Derives the columns from the rows again and redraws. */
  refreshColumns(): void {
    this.columns = [...RUN_COLUMNS, ...dataColumns(this.rows)];
    this.refresh();
  }

  refresh(): void {
    const st = this.opts.state;
    let rows = this.rows.filter((r) => searchMatch(r.run, st.search));
    const conds = st.filter.trim() ? parseFilter(st.filter) : [];
    if (typeof conds === "string") {
      this.filterError.textContent = conds;
    } else {
      this.filterError.textContent = "";
      rows = rows.filter((r) => matches(r, conds));
    }
    const unkept = (st.sort ? sortRuns(rows, st.sort, st.desc) : rows).filter((r) => !st.hidden.has(r.run.id));
    const keep = this.opts.keep;
    if (keep) rows = rows.filter((r) => keep(r.run));
    this.ordered = st.sort ? sortRuns(rows, st.sort, st.desc) : rows;
    const visible = this.ordered.filter((r) => !st.hidden.has(r.run.id));
    const brushed = unkept.length - visible.length;
    this.countEl.textContent = `${visible.length} shown · ${this.ordered.length}${this.ordered.length !== this.rows.length ? ` of ${this.rows.length}` : ""} runs${brushed ? ` (${brushed} outside the brushes)` : ""}`;
    this.layout();
    this.opts.onChange(this.ordered.map((r) => r.run), visible.map((r) => r.run), unkept.map((r) => r.run));
    this.opts.onStateChange();
  }

  private shownColumns(): Column[] {
    const st = this.opts.state;
    return arrangeColumns(this.columns, st.columns).filter((c) => c.id === "name" || (!st.hiddenColumns.has(c.id) && (!c.media || st.shownMedia.has(c.id))));
  }

  /** Re-lays the columns after their widths or order changed from outside (a view opened). */
  relayout(): void {
    this.layout();
  }

  private layout(): void {
    const cols = this.shownColumns();
    this.offsets = [];
    let x = 0;
    for (const c of cols) {
      this.offsets.push(x);
      x += c.width;
    }
    this.inner.style.height = `${this.ordered.length * ROW}px`;
    this.inner.style.width = `${x}px`;
    this.head.style.width = `${x}px`;
    this.paint(true);
  }

  private lastKey = "";

  private paint(force = false): void {
    const cols = this.shownColumns();
    const top = this.grid.scrollTop;
    const height = this.grid.clientHeight || 600;
    const left = this.grid.scrollLeft;
    const width = this.grid.clientWidth || 600;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const last = Math.min(this.ordered.length, Math.ceil((top + height) / ROW) + OVERSCAN);
    // columns in view (the name column is sticky and always drawn)
    let c0 = 1;
    while (c0 < cols.length && this.offsets[c0] + cols[c0].width < left) c0++;
    let c1 = c0;
    while (c1 < cols.length && this.offsets[c1] < left + width + 200) c1++;
    const key = `${first}:${last}:${c0}:${c1}`;
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    const shown = [0, ...range(c0, c1)];
    const padLeft = (i: number) => (i === shown[1] ? this.offsets[i] - cols[0].width : 0);
    const st = this.opts.state;
    // header: redrawn only when what it shows changed (not on every vertical scroll)
    const headKey = JSON.stringify([shown.map((i) => [cols[i].id, cols[i].width, cols[i].numeric, padLeft(i)]), st.sort, st.desc]);
    if (headKey !== this.headKey) {
      this.headKey = headKey;
      clear(this.head);
      for (const i of shown) {
        const c = cols[i];
        const sorted = st.sort === c.id;
        const label = c.group === "run" ? c.label : h("span", null, h("span.faint", null, c.group === "config" ? "c: " : "s: "), c.label);
        const cell = h(`div.cell${i === 0 ? ".sticky" : ""}${sorted ? ".sorted" : ""}${c.numeric ? ".num" : ""}`, {
          style: { width: `${c.width}px`, marginLeft: `${padLeft(i)}px` }, title: `${c.group === "run" ? "" : c.group + "."}${c.label} — click to sort, drag to move, drag the edge to resize`,
          role: "columnheader", dataset: { col: c.id }, draggable: i === 0 ? undefined : "true",
        }, label, sorted ? (st.desc ? " ↓" : " ↑") : "", this.resizer(c));
        if (i > 0) {
          cell.addEventListener("dragstart", (e) => { e.dataTransfer?.setData("text/x-runyard-column", c.id); });
          cell.addEventListener("dragover", (e) => { if (e.dataTransfer?.types.includes("text/x-runyard-column")) { e.preventDefault(); cell.classList.add("drop"); } });
          cell.addEventListener("dragleave", () => cell.classList.remove("drop"));
          cell.addEventListener("drop", (e) => {
            const from = e.dataTransfer?.getData("text/x-runyard-column");
            cell.classList.remove("drop");
            if (!from || from === c.id) return;
            e.preventDefault();
            st.columns.order = moveColumn(arrangeColumns(this.columns, st.columns), from, c.id);
            this.layout();
            this.opts.onColumnsChange?.();
          });
        }
        this.head.append(cell);
      }
    }
    // rows
    clear(this.inner);
    for (let r = first; r < last; r++) {
      const fr = this.ordered[r];
      const run = fr.run;
      const hidden = st.hidden.has(run.id);
      const row = h(`div.row${hidden ? ".hidden-run" : ""}${run.id === this.highlighted ? ".hl" : ""}`, { style: { top: `${r * ROW}px`, width: this.inner.style.width }, role: "row", dataset: { run: run.id } });
      for (const i of shown) {
        const c = cols[i];
        row.append(h(`div.cell${i === 0 ? ".sticky" : ""}${c.numeric ? ".num" : ""}`, { style: { width: `${c.width}px`, marginLeft: `${padLeft(i)}px` } }, this.cell(fr, c, hidden)));
      }
      this.inner.append(row);
    }
  }

  /** The right edge of a header cell: drag it to set the column's width (any width, remembered). */
  private resizer(c: Column): HTMLElement {
    const grip = h("span.col-resize", { title: "Drag to resize", "aria-label": `resize column ${c.label}`, onclick: (e: Event) => e.stopPropagation() });
    grip.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      e.stopPropagation();
      const x0 = e.clientX, w0 = c.width;
      // on the window: the header is redrawn while dragging, and the grip with it
      const move = (ev: PointerEvent) => {
        this.opts.state.columns.widths[c.id] = Math.round(Math.max(40, Math.min(800, w0 + ev.clientX - x0)));
        this.layout();
      };
      const up = () => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
        this.resizedAt = Date.now(); // the click that ends a drag does not sort
        this.opts.onColumnsChange?.();
      };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
    });
    return grip;
  }

  private cell(fr: FlatRun, c: Column, hidden: boolean): Node | string {
    const run = fr.run;
    switch (c.id) {
      case "name": {
        const eye = h(`button.eye${hidden ? ".off" : ""}`, {
          title: hidden ? "Show this run in the charts" : "Hide this run from the charts", "aria-label": hidden ? "show run" : "hide run",
        }, hidden ? "○" : "●");
        const pick = h("input", { type: "color", value: this.opts.color(run.id), "aria-label": "run colour",
          onchange: () => this.opts.onPickColor?.(run.id, pick.value) });
        const sw = h("label.swatch.pick", { style: { background: this.opts.color(run.id) }, title: "Change this run's colour (right-click: automatic)",
          oncontextmenu: (e: Event) => { e.preventDefault(); this.opts.onPickColor?.(run.id, null); } }, pick);
        return h("span", null, eye, sw,
          h("a", { href: `/p/${encodeURIComponent(this.opts.project)}/r/${encodeURIComponent(run.id)}`, title: `${run.name} (${run.id})` }, run.name), alertFlag(run), lossFlag(run));
      }
      case "state": return h(`span.state.${run.state}`, null, run.state);
      case "tags": return h("span", null, ...(run.tags ?? []).map((t) => h("span.tag", null, t)));
      case "created_at": return h("span", { title: new Date(run.created_at * 1000).toLocaleString() }, fmtAgo(run.created_at));
      case "runtime": return fmtDuration(run.runtime);
      default: {
        const v = cellValue(fr, c.id);
        const text = fmtValue(v);
        return h("span", { title: typeof v === "object" ? JSON.stringify(v) : String(v ?? "") }, text);
      }
    }
  }

  private toggleMenu(anchor: HTMLElement): void {
    if (this.menu) {
      this.menu.remove();
      this.menu = null;
      return;
    }
    const st = this.opts.state;
    const q = h("input", { type: "search", placeholder: "Find a column", style: { width: "100%", marginBottom: "6px" } });
    const list = h("div");
    const fill = () => {
      clear(list);
      const needle = q.value.toLowerCase();
      for (const c of this.columns) {
        if (c.id === "name" || (needle && !`${c.group}.${c.label}`.toLowerCase().includes(needle))) continue;
        const shown = c.media ? st.shownMedia.has(c.id) : !st.hiddenColumns.has(c.id);
        const box = h("input", { type: "checkbox", checked: shown, onchange: () => {
          if (c.media) { if (box.checked) st.shownMedia.add(c.id); else st.shownMedia.delete(c.id); }
          else if (box.checked) st.hiddenColumns.delete(c.id); else st.hiddenColumns.add(c.id);
          this.layout();
          this.opts.onStateChange();
        } });
        list.append(h("label", { title: c.media ? "Media in the summary: hidden until shown" : "" }, box, c.group === "run" ? c.label : `${c.group}.${c.label}`, c.media ? h("span.faint", null, " (media)") : ""));
      }
    };
    q.addEventListener("input", fill);
    fill();
    const r = anchor.getBoundingClientRect();
    this.menu = h("div.columns-menu", { style: { left: `${r.left}px`, top: `${r.bottom + 4}px`, position: "fixed" } }, q, list);
    this.menu.addEventListener("click", (e) => e.stopPropagation());
    document.body.append(this.menu);
    const close = () => { this.menu?.remove(); this.menu = null; document.removeEventListener("click", close); };
    setTimeout(() => document.addEventListener("click", close), 0);
  }

  /** Marks a run's row (hovered in a chart legend), or none. */
  highlight(id: string | null): void {
    if (id === this.highlighted) return;
    this.highlighted = id;
    for (const row of this.inner.querySelectorAll<HTMLElement>(".row[data-run]")) row.classList.toggle("hl", row.dataset.run === id);
  }

  destroy(): void {
    this.menu?.remove();
  }
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

/** A flag after the name of a run that raised alerts (run.alert), coloured by the worst level. */
function alertFlag(run: Run): HTMLElement | null {
  const a = run.flags?.alerts as { count: number; level: string; last: string } | undefined;
  return a ? h(`span.alert-flag.${a.level.toLowerCase()}`, { title: `${a.count} alert(s); last: ${a.last}` }, ` ⚑${a.count > 1 ? a.count : ""}`) : null;
}

/** A flag after the name of a run that lost rows (flags.lost: writes that failed) or could not be
 * fully indexed (flags.index_error); the run page says what exactly. */
function lossFlag(run: Run): HTMLElement | null {
  const lost = run.flags?.lost as { rows?: number } | undefined;
  const ie = run.flags?.index_error as { message?: string } | string | undefined;
  if (!lost && !ie) return null;
  const why = [lost ? `${lost.rows ?? 0} rows were not written` : "", ie ? `not fully indexed: ${typeof ie === "string" ? ie : ie.message ?? ""}` : ""].filter(Boolean).join("; ");
  return h("span.loss-flag", { title: why, "aria-label": why }, " ⚠");
}
