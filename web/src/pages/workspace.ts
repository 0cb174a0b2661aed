// A project's workspace (docs/ui.md, Workspace): the runs table, and a grid of panels made from the logged
// keys, grouped by prefix. Panels draw and fetch only when they come near the screen;
// live events update the table and the charts of runs that changed (docs/ui.md).

import { api, seriesActivity, subscribe, type KeyInfo, type Run, type RunEvent } from "../lib/api";
import { assignColors, rememberAssigned, saveColor, savedColors } from "../lib/colors";
import { RunsTable, type RunsTableState } from "../components/runsTable";
import { Context, DEFAULT_MAX_RUNS, MAX_RUNS_LIMIT } from "../lib/context";
import { clear, debounce, emptyState, h, releaseCanvases, whenVisible, whileVisible } from "../lib/dom";
import { groupKeys, numericKeys, stepMetricOf, type PanelSpec } from "../lib/keys";
import { addSection, automaticLayout, defaultWidth, dropMissing, findPanel, movePanel, reconcile, renameSection, updatePanel, updateSection, type LayoutDoc, type Missing, type PanelDoc } from "../lib/layout";
import { getParam, setParam } from "../lib/router";
import { workspaceData, type WorkspaceData } from "../lib/workspaceData";
import { flatten, type ColumnPrefs } from "../lib/runs";
import { asNumber } from "../lib/format";
import { passesBrushes } from "../lib/compare";
import { linePanel, xLabel } from "../panels/line";
import type { BrushState } from "../panels/parallel";
import { systemLineSettings } from "./runSystem";
import type { Panel } from "../panels/panel";

/** Numeric keys the x-axis list holds from the start (more are listed when it is opened). */
const X_KEYS_AT_ONCE = 200;
/** Runs whose summaries one request reads (the workspace reads them after its first screen). */
const SUMMARY_PAGE = 100;

export async function workspacePage(main: HTMLElement, project: string, prefetched?: Promise<WorkspaceData>): Promise<() => void> {
  document.title = `${project} · runyard`;
  const ctx = new Context(project);
  // The first screen does without the runs' summaries (1,000 runs of 1,000 keys are 36 MB): they
  // follow once the charts on screen have their data, unless the table is sorted or filtered by
  // them (docs/ui.md, "Scale"). main.ts may have asked for this already.
  const data = await (prefetched ?? workspaceData(project));
  const needSummaries = data.summaries;
  const metricDefs = data.metrics;
  let allRuns: Run[] = data.runs;
  const keys = data.keys;
  let summaries: Promise<void> | null = needSummaries ? Promise.resolve() : null;
  let summariesReady = needSummaries; // the sections made from them wait for them
  let projectKeys: KeyInfo[] = keys;
  ctx.numericKeys = numericKeys(projectKeys);
  const fillStepMetrics = () => {
    ctx.stepMetrics.clear();
    for (const k of projectKeys) {
      const sm = stepMetricOf(k.key, metricDefs);
      if (sm) ctx.stepMetrics.set(k.key, sm);
    }
  };
  fillStepMetrics();
  ctx.defaults = {
    xAxis: getParam("x") ?? "_step",
    smoothing: Number(getParam("smooth") ?? 0) || 0,
    logY: getParam("log") === "1",
  };

  const st: RunsTableState = {
    search: getParam("q") ?? "", filter: getParam("filter") ?? "", sort: getParam("sort") ?? "",
    desc: getParam("desc") === "1", hidden: new Set((getParam("hide") ?? "").split(",").filter(Boolean)),
    hiddenColumns: new Set((getParam("cols") ?? "").split(",").filter(Boolean)),
    shownMedia: new Set((getParam("mcols") ?? "").split(",").filter(Boolean)),
    columns: loadColumnPrefs(project),
  };
  const saveState = debounce(() => {
    setParam("q", st.search);
    setParam("filter", st.filter);
    setParam("sort", st.sort);
    setParam("desc", st.desc ? "1" : null);
    setParam("hide", [...st.hidden].join(","));
    setParam("cols", [...st.hiddenColumns].join(","));
    setParam("mcols", [...st.shownMedia].join(","));
    setParam("x", ctx.defaults.xAxis === "_step" ? null : ctx.defaults.xAxis);
    setParam("smooth", ctx.defaults.smoothing ? String(ctx.defaults.smoothing) : null);
    setParam("log", ctx.defaults.logY ? "1" : null);
  }, 150);

  const byCreation = () => [...allRuns].sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id)).map((r) => r.id);
  const colors = () => {
    const c = assignColors(byCreation(), ctx.runs.map((r) => r.id), savedColors(project));
    rememberAssigned(project, c);
    return c;
  };
  ctx.maxRuns = Math.min(MAX_RUNS_LIMIT, Math.max(1, Number(getParam("maxruns")) || DEFAULT_MAX_RUNS));
  ctx.colors = colors();
  const panels: Panel[] = [];
  const disposers: (() => void)[] = [];
  const chartNote = h("span.faint");

  // When every key is logged by every run (a sweep), each run's keys are the project's: known
  // without one request per run, so the first charts wait for nothing else.
  const everyRunHasEveryKey = () => projectKeys.length > 0 && projectKeys.every((k) => (k.runs ?? 0) >= allRuns.length);
  if (everyRunHasEveryKey()) {
    const all = new Set(projectKeys.map((k) => k.key));
    for (const r of allRuns) ctx.runKeys.set(r.id, all); // shared, and copied before a live event adds to it
  }
  const pendingKeys = new Map<string, Promise<void>>();
  const fetchKeys = (runs: Run[]) => Promise.all(runs.filter((r) => !ctx.runKeys.has(r.id)).map((r) => {
    let p = pendingKeys.get(r.id);
    if (!p) {
      p = api.runKeys(project, r.id).then(
        (keys) => { ctx.runKeys.set(r.id, new Set(keys.map((k) => k.key))); },
        () => { /* unknown: the chart asks for it and says what went wrong */ },
      ).finally(() => pendingKeys.delete(r.id));
      pendingKeys.set(r.id, p);
    }
    return p;
  }));

  // The charts' runs change only once their keys are known, so that a chart never asks the
  // series endpoint about a run that has not logged its key.
  let changeSeq = 0;
  let lastChange: Promise<void> = Promise.resolve();
  // parallel-coordinate brushes (docs/ui.md, Comparing runs): runs outside them leave the shown runs
  const brush: BrushState = { axes: [], ranges: new Map() };
  let unbrushed: Run[] = [];
  const table = new RunsTable({
    project, state: st, color: (id) => ctx.color(id),
    keep: (run) => !brush.ranges.size || passesBrushes(run, brush.axes, brush.ranges),
    onHover: (id) => ctx.setHighlight(id),
    onPickColor: (id, color) => { saveColor(project, id, color); ctx.colors = colors(); table.refresh(); ctx.emit("colors"); },
    onChange: (_ordered, visible, unkept) => {
      unbrushed = unkept;
      const my = ++changeSeq;
      const chartRuns = visible.slice(0, ctx.maxRuns);
      chartNote.textContent = visible.length > ctx.maxRuns ? `charts show the first ${ctx.maxRuns} of ${visible.length} shown runs` : "";
      lastChange = fetchKeys(chartRuns).then(() => {
        if (my !== changeSeq) return;
        const same = chartRuns.length === ctx.runs.length && chartRuns.every((r, i) => ctx.runs[i] === r);
        ctx.runs = chartRuns;
        if (!same) {
          ctx.colors = colors();
          ctx.emit("runs");
        }
      });
    },
    onStateChange: saveState,
    onColumnsChange: () => { saveColumnPrefs(project, st.columns); if (viewName) { dirty = true; renderViewBar(); } },
  });
  const tableState = st;
  table.setRuns(allRuns);
  await lastChange;

  // --- the panel grid ------------------------------------------------------------------
  const panelsPane = h("div.panels-pane");
  const handle = h("div.pane-handle", { role: "separator", "aria-label": "resize the runs table", title: "Drag to resize the runs table" });
  // data-summaries: "loaded" once the runs' summaries are in (their columns, compare and summary sections)
  const wsEl = h("div.workspace", { dataset: { summaries: needSummaries ? "loaded" : "loading" } }, table.el, handle, panelsPane);
  main.append(wsEl);
  const widthKey = `runyard.runsWidth.${project}`;
  const savedWidth = Number(localStorage.getItem(widthKey));
  if (savedWidth > 0) wsEl.style.setProperty("--runs-width", `${savedWidth}px`);
  handle.addEventListener("pointerdown", (e) => {
    void loadSummaries(); // a wider table shows summary columns
    e.preventDefault();
    handle.setPointerCapture(e.pointerId);
    handle.classList.add("dragging");
    const left = wsEl.getBoundingClientRect().left;
    const move = (ev: PointerEvent) => {
      const w = Math.round(Math.max(200, Math.min(window.innerWidth - 240, ev.clientX - left)));
      wsEl.style.setProperty("--runs-width", `${w}px`);
      localStorage.setItem(widthKey, String(w));
    };
    const up = () => {
      handle.classList.remove("dragging");
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
  });
  const tableView = h("button", { title: "The runs table on the whole page (again: back to the charts)", "aria-label": "table view", onclick: () => {
    void loadSummaries(); // the whole table shows summary columns
    wsEl.classList.toggle("runs-full");
    tableView.classList.toggle("on", wsEl.classList.contains("runs-full"));
    setParam("runs", wsEl.classList.contains("runs-full") ? "full" : null); // not "view": that names a saved view
  } }, "▦ Table");
  table.el.querySelector(".runs-tools")?.append(tableView);
  if (getParam("runs") === "full") { wsEl.classList.add("runs-full"); tableView.classList.add("on"); }

  const xSel = h("select", { "aria-label": "default x-axis", onchange: () => { ctx.defaults.xAxis = xSel.value; saveState(); ctx.emit("defaults"); } });
  // a project of 1,000 keys lists them all: then the list is made when it is first opened
  let xFilled = false;
  const fillX = (all = ctx.numericKeys.length <= X_KEYS_AT_ONCE) => {
    clear(xSel);
    xFilled = all;
    const keys = all ? ctx.numericKeys : ctx.numericKeys.filter((k) => k === ctx.defaults.xAxis);
    for (const k of ["_step", "_runtime", "_timestamp", ...keys]) xSel.append(h("option", { value: k, selected: k === ctx.defaults.xAxis }, xLabel(k)));
  };
  for (const ev of ["pointerdown", "focus", "keydown"]) xSel.addEventListener(ev, () => { if (!xFilled) fillX(true); });
  fillX();
  const smooth = h("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(ctx.defaults.smoothing), "aria-label": "default smoothing" });
  smooth.addEventListener("change", () => { ctx.defaults.smoothing = Number(smooth.value); saveState(); ctx.emit("defaults"); });
  const logBox = h("input", { type: "checkbox", checked: ctx.defaults.logY, onchange: () => { ctx.defaults.logY = logBox.checked; saveState(); ctx.emit("defaults"); } });
  // group lines by a config value (docs/ui.md, Workspace)
  const groupSel = h("select", { "aria-label": "group runs by", onchange: () => {
    ctx.groupBy = groupSel.value || null;
    setParam("group", ctx.groupBy);
    ctx.emit("group");
  } });
  const fillGroup = () => {
    const keys = new Set<string>();
    for (const r of allRuns) for (const k of Object.keys(flatten(r.config ?? {}))) keys.add(k);
    groupSel.replaceChildren(h("option", { value: "" }, "no grouping"), ...[...keys].sort().map((k) => h("option", { value: k, selected: k === ctx.groupBy }, k)));
  };
  ctx.groupBy = getParam("group");
  ctx.groupBand = getParam("band") === "std" ? "std" : "minmax";
  fillGroup();
  const bandSel = h("select", { "aria-label": "group band", onchange: () => {
    ctx.groupBand = bandSel.value === "std" ? "std" : "minmax";
    setParam("band", ctx.groupBand === "std" ? "std" : null);
    if (ctx.groupBy) ctx.emit("group");
  } }, h("option", { value: "minmax", selected: ctx.groupBand === "minmax" }, "min–max band"),
     h("option", { value: "std", selected: ctx.groupBand === "std" }, "± std band"));
  // one slider for every media panel (docs/ui.md, Media panels): off until moved
  const maxStep = () => Math.max(0, ...allRuns.map((r) => r.last_step ?? 0));
  const stepSlider = h("input", { type: "range", min: "0", max: String(maxStep()), step: "1", value: String(maxStep()), "aria-label": "media step for every panel" });
  const stepVal = h("span.mono", null, "latest");
  stepSlider.addEventListener("input", () => {
    ctx.mediaStep = Number(stepSlider.value);
    stepVal.textContent = String(ctx.mediaStep);
    ctx.emit("step");
  });
  const maxRunsSel = h("select", { "aria-label": "runs drawn per chart", title: "Charts draw at most this many of the shown runs, in table order", onchange: () => {
    ctx.maxRuns = Number(maxRunsSel.value);
    setParam("maxruns", ctx.maxRuns === DEFAULT_MAX_RUNS ? null : String(ctx.maxRuns));
    table.refresh();
  } }, ...[10, 20, 50, DEFAULT_MAX_RUNS, 250, 500, MAX_RUNS_LIMIT].filter((v, i, a) => a.indexOf(v) === i).sort((a, b) => a - b)
    .map((v) => h("option", { value: String(v), selected: v === ctx.maxRuns }, String(v))));
  const panelSearch = h("input", { type: "search", placeholder: "Find panels", "aria-label": "find panels", value: getParam("panels") ?? "" });
  const toggleRuns = h("button", { title: "Hide or show the runs table  ( [ )", onclick: () => wsEl.classList.toggle("runs-collapsed") }, "Runs ⇆");
  panelsPane.append(h("div.ws-tools", null, toggleRuns,
    h("label", null, "x-axis ", xSel), h("label", null, "smoothing ", smooth), h("label", null, logBox, "log y"),
    h("label", null, "group by ", groupSel, bandSel), h("label", null, "runs per chart ", maxRunsSel),
    h("label", { title: "Moves every media panel to this step (each shows its nearest earlier step)" }, "media step ", stepSlider, stepVal),
    panelSearch, chartNote));
  const sectionsEl = h("div");
  // the sections made from the runs' summaries (compare, summary media, summary bars): drawn
  // again when the summaries arrive, without touching the charts above
  const extrasEl = h("div");
  panelsPane.append(sectionsEl, extrasEl);
  const extraPanels: Panel[] = [];
  const extraDisposers: (() => void)[] = [];

  const [{ isSummaryMedia, mediaPanel, summaryBarPanel, summaryMediaPanel }, { comparePanel }, { parallelPanel }, { importancePanel }, { diffPanel }] = await Promise.all([
    import("../panels/media"), import("../panels/compare"), import("../panels/parallel"), import("../panels/importance"), import("../panels/diff")]);

  // --- the layout: automatic from the keys, or a saved view (docs/ui.md) ----------------------
  let viewName: string | null = getParam("view");
  let viewVersion: number | null = null;
  let saved: LayoutDoc | null = null; // null: the automatic layout
  let dirty = false;
  // sizes of the panels outside the layout, by "compare:parallel", "summary-media:KEY", "bar:KEY"
  let extraSizes: Record<string, { span: number; height: number }> = {};
  let notice: HTMLElement | string = "";
  const viewBar = h("div.view-bar");
  const viewNote = h("div.view-note");
  panelsPane.insertBefore(h("div", null, viewBar, viewNote), sectionsEl);
  const known = () => new Set(projectKeys.map((k) => k.key));
  let grouped: { keys: KeyInfo[]; sections: ReturnType<typeof groupKeys> } | null = null; // per list of keys
  const effective = () => {
    if (grouped?.keys !== projectKeys) grouped = { keys: projectKeys, sections: groupKeys(projectKeys) };
    const auto = automaticLayout(grouped.sections);
    return saved ? reconcile(saved, auto, known()) : { layout: auto, missing: [] as Missing[] };
  };
  const settingsNow = (): Record<string, unknown> => ({ x: ctx.defaults.xAxis, smooth: ctx.defaults.smoothing, log: ctx.defaults.logY,
    group: ctx.groupBy, band: ctx.groupBand, maxruns: ctx.maxRuns, columns: st.columns, sizes: extraSizes });
  function edit(next: LayoutDoc, rerender = true): void {
    saved = next;
    dirty = true;
    renderViewBar();
    if (rerender) renderSections();
  }
  let viewNames: string[] = [];
  async function refreshViewList(): Promise<void> {
    viewNames = (await api.views(project).catch(() => [])).map((v) => v.name);
    renderViewBar();
  }
  async function openView(name: string | null): Promise<void> {
    viewName = name;
    setParam("view", name);
    notice = "";
    if (!name) {
      saved = null; viewVersion = null; dirty = false; extraSizes = {};
    } else {
      try {
        const v = await api.view(project, name);
        saved = v.layout; viewVersion = v.version; dirty = false;
        applySettings(v.layout.settings ?? {});
      } catch (e) {
        saved = null; viewVersion = null; viewName = null; setParam("view", null);
        notice = h("span.error", null, `The view "${name}" could not be opened: ${(e as Error).message}`);
      }
    }
    renderViewBar();
    renderSections();
  }
  function applySettings(st: Record<string, unknown>): void {
    if (typeof st.x === "string") ctx.defaults.xAxis = st.x;
    if (typeof st.smooth === "number") ctx.defaults.smoothing = st.smooth;
    if (typeof st.log === "boolean") ctx.defaults.logY = st.log;
    if (typeof st.group === "string" || st.group === null) ctx.groupBy = (st.group as string | null) || null;
    if (st.band === "std" || st.band === "minmax") ctx.groupBand = st.band;
    if (typeof st.maxruns === "number") ctx.maxRuns = Math.min(MAX_RUNS_LIMIT, Math.max(1, st.maxruns));
    extraSizes = {};
    if (st.sizes && typeof st.sizes === "object") {
      for (const [id, v] of Object.entries(st.sizes as Record<string, { span?: unknown; height?: unknown }>)) {
        if (v && typeof v.span === "number" && typeof v.height === "number") extraSizes[id] = { span: v.span, height: v.height };
      }
    }
    const cols = st.columns as Partial<ColumnPrefs> | undefined;
    if (cols && typeof cols === "object" && Array.isArray(cols.order) && cols.widths && typeof cols.widths === "object") {
      tableState.columns = { order: cols.order.filter((x): x is string => typeof x === "string"), widths: { ...cols.widths } };
      saveColumnPrefs(project, tableState.columns);
      table.relayout();
    }
    xSel.value = ctx.defaults.xAxis; smooth.value = String(ctx.defaults.smoothing); logBox.checked = ctx.defaults.logY;
    groupSel.value = ctx.groupBy ?? ""; bandSel.value = ctx.groupBand; maxRunsSel.value = String(ctx.maxRuns);
    saveState();
    table.refresh();
    ctx.emit("defaults");
  }
  async function save(name: string): Promise<void> {
    const lay = { ...effective().layout, settings: settingsNow() };
    try {
      const res = await api.saveView(project, name, lay, name === viewName ? viewVersion : null);
      viewName = name; viewVersion = res.version; saved = lay; dirty = false;
      setParam("view", name);
      notice = res.replaced
        ? h("span.warn", null, `Saved as version ${res.version}. Someone else had saved version ${res.replaced.version} after you opened this view; your save replaced it.`)
        : `Saved "${name}" (version ${res.version}). Anyone opening this page's link sees it.`;
      await refreshViewList();
    } catch (e) {
      notice = h("span.error", null, `Not saved: ${(e as Error).message}`);
      renderViewBar();
    }
  }
  function renderViewBar(): void {
    const sel = h("select", { "aria-label": "view", onchange: () => void openView(sel.value || null) },
      h("option", { value: "" }, "Automatic layout"), ...viewNames.map((n) => h("option", { value: n, selected: n === viewName }, n)));
    if (viewName && !viewNames.includes(viewName)) sel.append(h("option", { value: viewName, selected: true }, viewName));
    viewBar.replaceChildren(h("label", null, "view ", sel),
      viewName ? h("button", { disabled: !dirty, onclick: () => void save(viewName!), title: "Save this view for everyone (a new version)" }, "Save") : "",
      h("button", { onclick: () => { const n = prompt("Save this layout as a view named", viewName ?? "my view"); if (n) void save(n.trim()); } }, "Save as…"),
      h("button", { title: "Back to the layout made from the logged keys", onclick: () => void openView(null) }, "Reset to automatic"),
      viewName ? h("button", { title: "Delete this saved view", onclick: async () => {
        if (!confirm(`Delete the view "${viewName}"?`)) return;
        await api.deleteView(project, viewName!).catch(() => undefined);
        await refreshViewList();
        void openView(null);
      } }, "Delete") : "",
      h("button", { title: "Add an empty section at the end; drag panels into it", onclick: () => edit(addSection(effective().layout)) }, "+ Section"),
      h("span.faint", null, `${viewName ? `"${viewName}" v${viewVersion ?? "?"}` : "automatic"}${dirty ? " · unsaved changes" : ""}`));
    const { missing } = effective();
    viewNote.replaceChildren(...(notice ? [h("div", null, notice)] : []), ...(missing.length ? [h("div.warn.missing-note", null,
      `This view names ${missing.reduce((n, m) => n + m.keys.length, 0)} key(s) that no run logs any more: ${[...new Set(missing.flatMap((m) => m.keys))].join(", ")}. `,
      h("button", { onclick: () => edit(dropMissing(effective().layout, missing)) }, "Drop them"))] : []));
  }
  // another editor's save: told on the next look (every 15 s while a named view is open)
  const poll = setInterval(async () => {
    if (!viewName || viewVersion === null || document.hidden) return;
    const v = await api.view(project, viewName).catch(() => null);
    if (v && v.version > viewVersion) {
      notice = h("span.warn", null, `Someone saved this view (version ${v.version}) after you opened it. `,
        h("button", { onclick: () => void openView(viewName) }, "Load their version"));
      renderViewBar();
    }
  }, 15000);
  disposers.push(() => clearInterval(poll));

  const defaultHeight = (kind: string) => (kind === "line" ? 320 : kind === "table" ? 440 : kind === "histogram" ? 380 : 400);

  function mountDoc(doc: PanelDoc, container: HTMLElement, section: string, gone: string[], eager = true): void {
    const key = doc.keys[0] ?? doc.id;
    const width = doc.width ?? defaultWidth(doc.kind);
    const wide = doc.span === undefined && width >= 3;
    // every panel has its height from the start (its own, or its kind's), so nothing below moves
    // while it loads; a dragged size is any width and height (docs/ui.md, Layout)
    const el = h(`div.panel.sized${wide ? ".wide" : ""}`, { dataset: { key, kind: doc.kind, panel: doc.id, section },
      style: { height: `${doc.height ?? defaultHeight(doc.kind)}px` } });
    if (!wide) el.style.setProperty("--span", String(doc.span ?? width)); // a custom property: not settable by assignment
    container.append(el);
    resizable(el, () => doc.span ?? doc.width ?? 1, (span, height) => {
      doc.span = span;
      doc.height = height;
      edit(updatePanel(effective().layout, doc.id, { span, height }), false);
    });
    const allGone = gone.length && gone.length >= doc.keys.length;
    const build = () => {
      const grip = h("span.grip", { title: "Drag to move this panel (also into another section)" }, "⠿");
      grip.addEventListener("pointerdown", () => { el.draggable = true; });
      const tools = h("span.ptools", null,
        h("button", { title: "Full screen (Esc closes)", "aria-label": "full screen", onclick: () => toggleFull(el) }, "⤢"),
        h("button", { title: "Width: one, two or all columns (or drag the bottom-right corner to any size)", "aria-label": "panel width", onclick: () => edit(updatePanel(effective().layout, doc.id, { width: (width % 3) + 1, span: undefined })) }, "↔"),
        h("button", { title: "Edit: title, keys, x-axis, y-range, smoothing, runs", "aria-label": "edit panel", onclick: () => editPanel(doc) }, "✎"));
      el.replaceChildren(
        h("div.ph", null, grip, h("span.title", { title: doc.keys.join(", ") }, doc.title ?? key), h("span.badge", null, gone.length && !allGone ? `${gone.length} key gone` : ""), tools),
        h("div.body", null, allGone ? emptyState(`${gone.join(", ")} is no longer logged`, h("span", null, "No run logs this key any more. ",
          h("button", { onclick: () => edit(dropMissing(effective().layout, [{ section, panel: doc.id, keys: gone }])) }, "Remove the panel"))) : h("div.loading", null, "…")));
      if (allGone) el.classList.add("gone");
    };
    // past the first screen a panel is its title until it comes near the screen: a project of
    // 1,000 keys made 14,000 elements of panel headers, and the browser laid them all out before
    // the first chart could draw
    if (eager || allGone) build();
    else el.append(h("div.ph", null, h("span.title", { title: doc.keys.join(", ") }, doc.title ?? key)));
    el.addEventListener("dragstart", (e) => { e.dataTransfer?.setData("text/x-runyard-panel", doc.id); el.classList.add("dragging"); });
    el.addEventListener("dragend", () => { el.draggable = false; el.classList.remove("dragging"); });
    if (allGone) return;
    // drawn while near the screen; released (canvases, WebGL contexts) when scrolled far away
    let p: Panel | null = null;
    disposers.push(whileVisible(el, () => {
      build();
      const live = doc.keys.filter((k) => !gone.includes(k));
      p = doc.kind === "line"
        ? linePanel(el, ctx, live[0], { ...systemLineSettings(live[0]), title: doc.title, xAxis: doc.x_axis ?? systemLineSettings(live[0]).xAxis, smoothing: doc.smoothing, logY: doc.log_y, yMin: doc.y_min ?? null,
          yMax: doc.y_max ?? null, extraKeys: live.slice(1), maxRuns: doc.max_runs, style: doc.style })
        : mediaPanel(el, ctx, { key: live[0], kind: doc.kind as PanelSpec["kind"], kinds: [] });
      panels.push(p);
    }, () => {
      if (!p) return;
      p.destroy();
      panels.splice(panels.indexOf(p), 1);
      p = null;
      releaseCanvases(el);
      build();
    }));
  }

  /** A panel outside the layout (compare, summary media, summary bars) with a corner grip like
   * the layout's panels; its size, by `id`, is kept in the view's settings (`sizes`). */
  function sizedExtra(el: HTMLElement, id: string): void {
    const s = extraSizes[id];
    if (s) {
      el.classList.remove("wide");
      el.classList.add("sized");
      el.style.setProperty("--span", String(s.span));
      el.style.height = `${s.height}px`;
    }
    el.dataset.sizeId = id;
    resizable(el, () => extraSizes[id]?.span ?? (el.classList.contains("wide") ? 3 : 1), (span, height) => {
      el.classList.add("sized");
      extraSizes = { ...extraSizes, [id]: { span, height } };
      edit(effective().layout, false);
    });
  }

  /** A corner grip: drag to any width (in fractions of a column) and height; kept in the layout. */
  function resizable(el: HTMLElement, startSpan: () => number, done: (span: number, height: number) => void): void {
    const grip = h("span.panel-resize", { title: "Drag to resize this panel", "aria-label": "resize panel" });
    el.append(grip);
    new MutationObserver(() => { if (!grip.isConnected || grip.parentElement !== el) el.append(grip); }).observe(el, { childList: true });
    grip.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      e.stopPropagation();
      const grid = el.parentElement!;
      const gap = 10;
      const cols = Number(getComputedStyle(el).getPropertyValue("--cols")) || 1;
      const colW = (grid.clientWidth - (cols - 1) * gap) / cols;
      const r0 = el.getBoundingClientRect();
      let span = startSpan(), height = r0.height;
      el.classList.remove("wide");
      el.classList.add("resizing");
      const move = (ev: PointerEvent) => {
        const w = Math.max(colW * 0.25, Math.min(grid.clientWidth, r0.width + ev.clientX - e.clientX));
        span = Math.round(((w + gap) / (colW + gap)) * 100) / 100;
        height = Math.round(Math.max(160, Math.min(4000, r0.height + ev.clientY - e.clientY)));
        el.style.setProperty("--span", String(span));
        el.style.height = `${height}px`;
      };
      const up = () => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
        el.classList.remove("resizing");
        done(span, height);
      };
      window.addEventListener("pointermove", move); // on the window: the panel may redraw under the pointer
      window.addEventListener("pointerup", up);
    });
  }

  function toggleFull(el: HTMLElement): void {
    const on = !el.classList.contains("fullscreen");
    for (const o of sectionsEl.querySelectorAll(".panel.fullscreen")) o.classList.remove("fullscreen");
    el.classList.toggle("fullscreen", on);
    document.body.classList.toggle("has-fullscreen", on);
  }

  function editPanel(doc: PanelDoc): void {
    const lay = effective().layout;
    const cur = findPanel(lay, doc.id) ?? doc;
    const title = h("input", { type: "text", value: cur.title ?? "", placeholder: cur.keys[0], "aria-label": "panel title" });
    const keys = h("input", { type: "text", value: cur.keys.join(", "), "aria-label": "panel keys", list: "ry-numeric-keys", style: { width: "100%" } });
    const list = h("datalist#ry-numeric-keys", null, ...ctx.numericKeys.map((k) => h("option", { value: k })));
    const x = h("select", { "aria-label": "panel x-axis" }, h("option", { value: "" }, "workspace default"),
      ...["_step", "_runtime", "_timestamp", ...ctx.numericKeys].map((k) => h("option", { value: k, selected: k === cur.x_axis }, xLabel(k))));
    const ymin = h("input", { type: "number", value: cur.y_min ?? "", "aria-label": "y min", style: { width: "90px" } });
    const ymax = h("input", { type: "number", value: cur.y_max ?? "", "aria-label": "y max", style: { width: "90px" } });
    const sm = h("input", { type: "number", min: "0", max: "0.99", step: "0.05", value: cur.smoothing ?? "", "aria-label": "panel smoothing", style: { width: "70px" } });
    const mr = h("input", { type: "number", min: "1", max: String(MAX_RUNS_LIMIT), value: cur.max_runs ?? "", "aria-label": "panel max runs", style: { width: "80px" } });
    const num = (i: HTMLInputElement) => (i.value.trim() === "" ? undefined : Number(i.value));
    const dlg = h("div.card.edit-panel", { role: "dialog", "aria-label": "edit panel" },
      h("h2", null, `Edit panel ${cur.title ?? cur.keys[0]}`),
      h("div.inner.form", null,
        h("label", null, "Title ", title),
        cur.kind === "line" ? [h("label", null, "Metrics (comma-separated; several draw on one chart) ", keys, list),
          h("label", null, "x-axis ", x), h("label", null, "y-range ", ymin, " to ", ymax),
          h("label", null, "smoothing ", sm), h("label", null, "runs shown at most ", mr)] : []),
      h("div.actions", null,
        h("button.primary", { onclick: () => {
          const ks = keys.value.split(",").map((k) => k.trim()).filter(Boolean);
          const change: Partial<PanelDoc> = { title: title.value.trim() || undefined };
          if (cur.kind === "line") Object.assign(change, { keys: ks.length ? ks : cur.keys, x_axis: x.value || undefined, y_min: num(ymin), y_max: num(ymax), smoothing: num(sm), max_runs: num(mr) });
          dlg.remove();
          edit(updatePanel(effective().layout, cur.id, change));
        } }, "Apply"),
        h("button", { onclick: () => dlg.remove() }, "Cancel")));
    document.body.append(dlg);
    title.focus();
  }

  function dropTarget(grid: HTMLElement, section: string): void {
    grid.addEventListener("dragover", (e) => { if (e.dataTransfer?.types.includes("text/x-runyard-panel")) { e.preventDefault(); grid.classList.add("drop"); } });
    grid.addEventListener("dragleave", () => grid.classList.remove("drop"));
    grid.addEventListener("drop", (e) => {
      grid.classList.remove("drop");
      const id = e.dataTransfer?.getData("text/x-runyard-panel");
      if (!id) return;
      e.preventDefault();
      const lay = effective().layout;
      const sec = lay.sections.find((s) => s.name === section);
      if (!sec) return;
      let index = sec.panels.length;
      const over = (e.target as Element).closest?.<HTMLElement>(".panel[data-panel]");
      if (over && over.dataset.panel !== id) {
        const i = sec.panels.findIndex((p) => p.id === over.dataset.panel);
        const r = over.getBoundingClientRect();
        if (i >= 0) index = e.clientX > r.left + r.width / 2 ? i + 1 : i;
      }
      edit(movePanel(lay, id, section, index));
    });
  }

  let renderGen = 0;
  function renderSections(): void {
    const gen = ++renderGen;
    let budget = 40; // panels made at once: the first screen's and the next few
    const later: (() => void)[] = [];
    for (const p of panels.splice(0)) p.destroy();
    for (const d of disposers.splice(0)) d();
    disposers.push(() => clearInterval(poll));
    clear(sectionsEl);
    const needle = panelSearch.value.trim().toLowerCase();
    const { layout: lay, missing } = effective();
    const goneOf = new Map(missing.map((m) => [m.panel, m.keys]));
    const matches = (p: PanelDoc) => !needle || p.keys.some((k) => k.toLowerCase().includes(needle)) || (p.title ?? "").toLowerCase().includes(needle);
    const sections = lay.sections.map((sec) => ({ ...sec, panels: sec.panels.filter(matches) })).filter((sec) => !needle || sec.panels.length);
    if (!allRuns.length) {
      sectionsEl.append(emptyState("This project has no runs yet",
        h("span", null, "Log one with ", h("code", null, `runyard.init(project=${JSON.stringify(project)})`), " and ", h("code", null, "run.log({...})"), "; it appears here within seconds.")));
      return;
    }
    if (!sections.length) {
      sectionsEl.append(emptyState(needle ? `No panel matches "${needle}"` : "Nothing has been logged yet",
        needle ? h("span", null, "Clear the search to see every panel. ", h("a", { href: location.pathname }, "Show every panel")) :
          h("span", null, "These runs have not called ", h("code", null, "run.log({...})"), " yet, or only set config and summary. Panels appear here, grouped by key prefix (train/…, val/…), as soon as a run logs a metric or media. A script that logs only at the end of each epoch shows nothing until the first epoch ends.")));
    }
    for (const sec of sections) {
      const grid = h("div.grid", { dataset: { section: sec.name } });
      const title = h("span.sec-title", { title: "Double-click to rename" }, sec.name);
      title.addEventListener("dblclick", (e) => {
        e.preventDefault();
        const n = prompt("Section name", sec.name);
        if (n) edit(renameSection(effective().layout, sec.name, n));
      });
      const det = h("details.section", { open: !sec.collapsed, dataset: { section: sec.name } },
        h("summary", null, title, h("span.count", null, String(sec.panels.length))), grid);
      det.addEventListener("toggle", () => {
        if (det.open === !sec.collapsed) return;
        sec.collapsed = !det.open;
        edit(updateSection(effective().layout, sec.name, { collapsed: !det.open }), false);
      });
      sectionsEl.append(det);
      dropTarget(grid, sec.name);
      if (!sec.panels.length) grid.append(h("div.drop-hint", null, "Drag panels here"));
      for (const p of sec.panels) {
        if (budget-- > 0) mountDoc(p, grid, sec.name, goneOf.get(p.id) ?? []);
        else later.push(() => mountDoc(p, grid, sec.name, goneOf.get(p.id) ?? [], false));
      }
    }
    // the panels past the first screen's are made in slices between other work, so the charts on
    // screen ask for their data first (a project of 1,000 keys has 1,000 panels, 25,000 elements)
    const slice = () => {
      if (gen !== renderGen) return;
      const t0 = performance.now();
      while (later.length && performance.now() - t0 < 15) later.shift()!();
      if (later.length) setTimeout(slice, 0);
    };
    if (later.length) setTimeout(slice, 0);
    renderViewBar();
    if (summariesReady) renderExtras(sections.length > 0);
  }

  function renderExtras(anySection: boolean): void {
    for (const p of extraPanels.splice(0)) p.destroy();
    for (const d of extraDisposers.splice(0)) d();
    // sections opened or closed by hand stay so when drawn again
    const wasOpen = new Map([...extrasEl.querySelectorAll<HTMLDetailsElement>("details.section")].map((d) => [d.dataset.section, d.open]));
    clear(extrasEl);
    const needle = panelSearch.value.trim().toLowerCase();
    const panels = extraPanels, disposers = extraDisposers;
    // comparing runs (docs/ui.md, Comparing runs): parallel coordinates, parameter importance,
    // a scatter of config against summary, and a side-by-side diff
    if (allRuns.length >= 2 && anySection && (!needle || "compare".includes(needle))) {
      const grid = h("div.grid");
      extrasEl.append(h("details.section", { open: wasOpen.get("Compare") ?? true, dataset: { section: "Compare" } },
        h("summary", null, "Compare runs", h("span.count", null, "4")), grid));
      const box = (kind: string, title: string, wide: boolean) => {
        const el = h(`div.panel${wide ? ".wide" : ""}`, { dataset: { kind } }, h("div.ph", null, h("span.title", null, title), h("span.badge")), h("div.body"));
        grid.append(el);
        sizedExtra(el, `compare:${kind}`);
        return el;
      };
      const pc = box("parallel", "Parallel coordinates", true);
      const imp = box("importance", "Parameter importance", false);
      const sc = box("compare", "Config against summary", false);
      const df = box("diff", "Run diff", true);
      let scatter: ReturnType<typeof comparePanel> | null = null;
      disposers.push(whenVisible(pc, () => panels.push(parallelPanel(pc, ctx, () => unbrushed, brush, () => table.refresh()))));
      disposers.push(whenVisible(imp, () => panels.push(importancePanel(imp, ctx, (key, target) => { scatter?.show(key, target); sc.scrollIntoView({ block: "nearest" }); }))));
      disposers.push(whenVisible(sc, () => { scatter = comparePanel(sc, ctx); panels.push(scatter); }));
      disposers.push(whenVisible(df, () => panels.push(diffPanel(df, ctx))));
    }
    // media and charts logged only to the summary (a figure, a custom chart, an image); the
    // summaries as the runs table flattened them (media refs are kept whole there too)
    const logged = new Set(projectKeys.map((k) => k.key));
    const sumMedia = new Set<string>();
    const sumKeys = new Set<string>();
    for (const r of table.flatRows()) for (const k in r.summary) {
      if (k.startsWith("_") || (needle && !k.toLowerCase().includes(needle))) continue;
      const v = r.summary[k];
      if (v !== null && typeof v === "object") {
        if (!logged.has(k) && isSummaryMedia(v) && v._type !== "histogram") sumMedia.add(k);
        else if (asNumber(v) !== null) sumKeys.add(k);
      } else if (asNumber(v) !== null) sumKeys.add(k);
    }
    if (sumMedia.size) {
      const grid = h("div.grid");
      extrasEl.append(h("details.section", { open: wasOpen.get("Summary media") ?? true, dataset: { section: "Summary media" } },
        h("summary", null, "Summary media", h("span.count", null, String(sumMedia.size))), grid));
      for (const k of [...sumMedia].sort()) {
        const el = h("div.panel.wide", { dataset: { summaryKey: k, kind: "summary-media" } }, h("div.ph", null, h("span.title", null, k), h("span.badge")), h("div.body"));
        grid.append(el);
        sizedExtra(el, `summary-media:${k}`);
        disposers.push(whenVisible(el, () => panels.push(summaryMediaPanel(el, ctx, k))));
      }
    }
    // bar charts of summary values across runs (docs/ui.md, Workspace); closed at first, its
    // panels made when it is first opened (a project of 1,000 summary keys has 1,000 of them)
    if (sumKeys.size) {
      const grid = h("div.grid");
      const det = h("details.section", { open: wasOpen.get("Summary") ?? false, dataset: { section: "Summary" } },
        h("summary", null, "Summary across runs", h("span.count", null, String(sumKeys.size))), grid);
      extrasEl.append(det);
      let made = false;
      const make = () => {
        if (made || !det.open) return;
        made = true;
        for (const k of [...sumKeys].sort()) {
          const el = h("div.panel", { dataset: { summaryKey: k, kind: "bar" } }, h("div.ph", null, h("span.title", null, k), h("span.badge")), h("div.body"));
          grid.append(el);
          sizedExtra(el, `bar:${k}`);
          disposers.push(whenVisible(el, () => panels.push(summaryBarPanel(el, ctx, k))));
        }
      };
      det.addEventListener("toggle", make);
      make();
    }
  }
  panelSearch.addEventListener("input", debounce(() => { setParam("panels", panelSearch.value); renderSections(); }, 200));
  renderSections();
  if (viewName) void openView(viewName);
  void refreshViewList();
  const offCtx = ctx.on((c, e) => {
    if (c === "highlight") table.highlight(ctx.highlight);
    for (const p of [...panels, ...extraPanels]) p.update(c, e);
  });
  // the summaries, once the panels on screen have sent their requests (or at once when a
  // summary-only panel, the compare section or the Columns menu wants them)
  // They come a page of runs at a time: 1,000 runs' summaries in one answer (36 MB) held the
  // browser for half a second at once, and the server as long; a page is parsed and taken by
  // the table between frames, and a chart's request waits behind one page at most.
  const loadSummaries = (): Promise<void> => summaries ??= (async () => {
    const byId = new Map(allRuns.map((r) => [r.id, r]));
    for (let offset = 0, total = 1; offset < total; offset += SUMMARY_PAGE) {
      const res = await api.runs(project, { limit: SUMMARY_PAGE, offset, fields: "summary" });
      total = res.total;
      const got: Run[] = [];
      for (const s of res.runs) {
        const r = byId.get(s.id);
        if (r) { r.summary = s.summary ?? {}; got.push(r); }
      }
      table.setSummaries(got);
      if (!res.runs.length) break;
    }
    summariesReady = true;
    wsEl.dataset.summaries = "loaded";
    table.refreshColumns();
    renderExtras(sectionsEl.querySelector(".panel[data-panel]") !== null);
  })().catch(() => { summaries = null; });
  // ... once the charts on screen have their data and no chart has asked for any for a second
  // (the summaries of a large project take the browser a second or more to read), or after 5 s
  const opened = performance.now();
  const later = summaries ? null : setInterval(() => {
    const now = performance.now();
    const quiet = seriesActivity.answered > 0 && !seriesActivity.busy() && now - seriesActivity.lastAt > 1000;
    // the table on the whole page (no charts to wait for) shows summary columns at once
    if (quiet || now - opened > 5000 || wsEl.classList.contains("runs-full")) void loadSummaries();
    if (summaries && later) clearInterval(later);
  }, 200);
  // a filter can name summary keys, and the Columns menu lists them: those want them now (and so
  // do the table on the whole page and a widened table, above)
  table.el.addEventListener("input", () => void loadSummaries());
  table.el.addEventListener("click", (e) => { if ((e.target as Element).closest?.("button")?.textContent === "Columns") void loadSummaries(); });

  // --- live updates ------------------------------------------------------------------------
  const live = document.getElementById("live-status");
  const refreshRuns = debounce(async () => {
    const res = await api.runs(project, { limit: 10000 });
    allRuns = res.runs;
    summaries = Promise.resolve();
    if (!summariesReady) { summariesReady = true; wsEl.dataset.summaries = "loaded"; renderExtras(sectionsEl.querySelector(".panel[data-panel]") !== null); }
    ctx.colors = colors();
    table.setRuns(allRuns);
    fillGroup();
    stepSlider.max = String(maxStep());
  }, 400);
  const refreshKeys = debounce(async () => {
    projectKeys = await api.projectKeys(project);
    ctx.numericKeys = numericKeys(projectKeys);
    fillStepMetrics();
    fillX();
    renderSections();
  }, 600);
  const close = subscribe(project, (ev: RunEvent) => {
    if (live) { live.textContent = "live"; live.className = "live on"; live.title = `last update: ${new Date().toLocaleTimeString()}`; }
    const known = allRuns.find((r) => r.id === ev.id);
    if (!known) { refreshRuns(); refreshKeys(); return; }
    Object.assign(known, { state: ev.state, last_step: ev.last_step, rows: ev.rows, runtime: ev.runtime, summary: ev.summary });
    table.refresh();
    if (ev.new_keys.length) {
      const mine = new Set(ctx.runKeys.get(ev.id) ?? []);
      ev.new_keys.forEach((k) => mine.add(k));
      ctx.runKeys.set(ev.id, mine);
      if (ev.new_keys.some((k) => !projectKeys.some((pk) => pk.key === k))) refreshKeys();
    }
    ctx.emitLive(ev);
  });

  // --- keyboard shortcuts ------------------------------------------------------------------
  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
    if (e.key === "Escape") { for (const o of sectionsEl.querySelectorAll(".panel.fullscreen")) toggleFull(o as HTMLElement); document.querySelector(".edit-panel")?.remove(); }
    else if (e.key === "/") { e.preventDefault(); document.getElementById("run-search")?.focus(); }
    else if (e.key === "[") wsEl.classList.toggle("runs-collapsed");
    else if (e.key === "f") { e.preventDefault(); panelSearch.focus(); }
  };
  document.addEventListener("keydown", onKey);

  return () => {
    close();
    offCtx();
    document.removeEventListener("keydown", onKey);
    if (later) clearInterval(later);
    for (const p of [...panels, ...extraPanels]) p.destroy();
    for (const d of [...disposers, ...extraDisposers]) d();
    table.destroy();
    if (live) { live.textContent = ""; live.className = "live"; }
  };
}

/** Column widths and order of a project's runs table, remembered in this browser (a saved view
 * carries its own, docs/ui.md). */
function loadColumnPrefs(project: string): ColumnPrefs {
  try {
    const v = JSON.parse(localStorage.getItem(`runyard.columns.${project}`) ?? "null") as ColumnPrefs | null;
    if (v && Array.isArray(v.order) && v.widths && typeof v.widths === "object") return v;
  } catch { /* unreadable: start afresh */ }
  return { widths: {}, order: [] };
}

function saveColumnPrefs(project: string, prefs: ColumnPrefs): void {
  try { localStorage.setItem(`runyard.columns.${project}`, JSON.stringify(prefs)); } catch { /* storage full or off */ }
}
