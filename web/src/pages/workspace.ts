// A project's workspace (docs/ui.md, Workspace): the runs table, and a grid of panels made from the logged
// keys, grouped by prefix. Panels draw and fetch only when they come near the screen;
// live events update the table and the charts of runs that changed (docs/ui.md).

import { api, subscribe, type KeyInfo, type Run, type RunEvent } from "../lib/api";
import { assignColors } from "../lib/colors";
import { RunsTable, type RunsTableState } from "../components/runsTable";
import { Context } from "../lib/context";
import { clear, debounce, emptyState, h, whenVisible } from "../lib/dom";
import { groupKeys, numericKeys, type PanelSpec } from "../lib/keys";
import { getParam, setParam } from "../lib/router";
import { flatten } from "../lib/runs";
import { linePanel, xLabel } from "../panels/line";
import { systemLineSettings } from "./runSystem";
import type { Panel } from "../panels/panel";

/** Charts draw at most this many runs (the first shown ones, in table order). */
export const MAX_CHART_RUNS = 20;

export async function workspacePage(main: HTMLElement, project: string): Promise<() => void> {
  document.title = `${project} · runyard`;
  const ctx = new Context(project);
  const [runsRes, keys] = await Promise.all([api.runs(project, { limit: 10000 }), api.projectKeys(project)]);
  let allRuns: Run[] = runsRes.runs;
  let projectKeys: KeyInfo[] = keys;
  ctx.numericKeys = numericKeys(projectKeys);
  ctx.defaults = {
    xAxis: getParam("x") ?? "_step",
    smoothing: Number(getParam("smooth") ?? 0) || 0,
    logY: getParam("log") === "1",
  };

  const st: RunsTableState = {
    search: getParam("q") ?? "", filter: getParam("filter") ?? "", sort: getParam("sort") ?? "",
    desc: getParam("desc") === "1", hidden: new Set((getParam("hide") ?? "").split(",").filter(Boolean)),
    hiddenColumns: new Set((getParam("cols") ?? "").split(",").filter(Boolean)),
  };
  const saveState = debounce(() => {
    setParam("q", st.search);
    setParam("filter", st.filter);
    setParam("sort", st.sort);
    setParam("desc", st.desc ? "1" : null);
    setParam("hide", [...st.hidden].join(","));
    setParam("cols", [...st.hiddenColumns].join(","));
    setParam("x", ctx.defaults.xAxis === "_step" ? null : ctx.defaults.xAxis);
    setParam("smooth", ctx.defaults.smoothing ? String(ctx.defaults.smoothing) : null);
    setParam("log", ctx.defaults.logY ? "1" : null);
  }, 150);

  const colors = () => assignColors(allRuns.map((r) => r.id).sort(), project);
  ctx.colors = colors();
  const panels: Panel[] = [];
  const disposers: (() => void)[] = [];
  const chartNote = h("span.faint");

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
  const table = new RunsTable({
    project, state: st, color: (id) => ctx.color(id),
    onChange: (_ordered, visible) => {
      const my = ++changeSeq;
      const chartRuns = visible.slice(0, MAX_CHART_RUNS);
      chartNote.textContent = visible.length > MAX_CHART_RUNS ? `charts show the first ${MAX_CHART_RUNS} of ${visible.length} shown runs` : "";
      lastChange = fetchKeys(chartRuns).then(() => {
        if (my !== changeSeq) return;
        const same = chartRuns.length === ctx.runs.length && chartRuns.every((r, i) => ctx.runs[i] === r);
        ctx.runs = chartRuns;
        if (!same) ctx.emit("runs");
      });
    },
    onStateChange: saveState,
  });
  table.setRuns(allRuns);
  await lastChange;

  // --- the panel grid ------------------------------------------------------------------
  const panelsPane = h("div.panels-pane");
  const wsEl = h("div.workspace", null, table.el, panelsPane);
  main.append(wsEl);

  const xSel = h("select", { "aria-label": "default x-axis", onchange: () => { ctx.defaults.xAxis = xSel.value; saveState(); ctx.emit("defaults"); } });
  const fillX = () => {
    clear(xSel);
    for (const k of ["_step", "_runtime", "_timestamp", ...ctx.numericKeys]) xSel.append(h("option", { value: k, selected: k === ctx.defaults.xAxis }, xLabel(k)));
  };
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
  const panelSearch = h("input", { type: "search", placeholder: "Find panels", "aria-label": "find panels", value: getParam("panels") ?? "" });
  const toggleRuns = h("button", { title: "Hide or show the runs table  ( [ )", onclick: () => wsEl.classList.toggle("runs-collapsed") }, "Runs ⇆");
  panelsPane.append(h("div.ws-tools", null, toggleRuns,
    h("label", null, "x-axis ", xSel), h("label", null, "smoothing ", smooth), h("label", null, logBox, "log y"),
    h("label", null, "group by ", groupSel, bandSel),
    h("label", { title: "Moves every media panel to this step (each shows its nearest earlier step)" }, "media step ", stepSlider, stepVal),
    panelSearch, chartNote));
  const sectionsEl = h("div");
  panelsPane.append(sectionsEl);

  const mediaTools = h("div.ws-tools");
  const [{ mediaPanel, summaryBarPanel }, { comparePanel }] = await Promise.all([import("../panels/media"), import("../panels/compare")]);

  function mount(spec: PanelSpec, container: HTMLElement): void {
    const el = h(`div.panel${spec.kind === "table" || spec.kind === "html" || spec.kind === "histogram" ? ".wide" : ""}`, { dataset: { key: spec.key, kind: spec.kind } },
      h("div.ph", null, h("span.title", { title: spec.key }, spec.key), h("span.badge")),
      h("div.body", null, h("div.loading", null, "…")));
    container.append(el);
    disposers.push(whenVisible(el, () => {
      const p = spec.kind === "line" ? linePanel(el, ctx, spec.key, systemLineSettings(spec.key)) : mediaPanel(el, ctx, spec);
      panels.push(p);
    }));
  }

  function renderSections(): void {
    for (const p of panels.splice(0)) p.destroy();
    for (const d of disposers.splice(0)) d();
    clear(sectionsEl);
    const needle = panelSearch.value.trim().toLowerCase();
    const keyList = projectKeys.filter((k) => !needle || k.key.toLowerCase().includes(needle));
    const sections = groupKeys(keyList);
    if (!allRuns.length) {
      sectionsEl.append(emptyState("This project has no runs yet",
        h("span", null, "Log one with ", h("code", null, `runyard.init(project=${JSON.stringify(project)})`), " and ", h("code", null, "run.log({...})"), "; it appears here within seconds.")));
      return;
    }
    if (!sections.length) {
      sectionsEl.append(emptyState(needle ? `No panel matches "${needle}"` : "Nothing has been logged yet",
        needle ? "Clear the search to see every panel." :
          h("span", null, "These runs have not called ", h("code", null, "run.log({...})"), " yet, or only set config and summary. Panels appear here, grouped by key prefix (train/…, val/…), as soon as a run logs a metric or media. A script that logs only at the end of each epoch shows nothing until the first epoch ends.")));
    }
    for (const sec of sections) {
      const grid = h("div.grid");
      const det = h("details.section", { open: true, dataset: { section: sec.name } },
        h("summary", null, sec.name, h("span.count", null, String(sec.panels.length))), grid);
      sectionsEl.append(det);
      for (const spec of sec.panels) mount(spec, grid);
    }
    // a scatter of config against summary (docs/ui.md, Workspace)
    if (allRuns.length >= 2 && sections.length && (!needle || "compare".includes(needle))) {
      const grid = h("div.grid");
      sectionsEl.append(h("details.section", { open: true, dataset: { section: "Compare" } },
        h("summary", null, "Compare runs", h("span.count", null, "1")), grid));
      const el = h("div.panel", { dataset: { kind: "compare" } }, h("div.ph", null, h("span.title", null, "Config against summary"), h("span.badge")), h("div.body"));
      grid.append(el);
      disposers.push(whenVisible(el, () => panels.push(comparePanel(el, ctx))));
    }
    // bar charts of summary values across runs (docs/ui.md, Workspace)
    const sumKeys = new Set<string>();
    for (const r of allRuns) for (const [k, v] of Object.entries(r.summary ?? {})) if (typeof v === "number" && !k.startsWith("_") && (!needle || k.toLowerCase().includes(needle))) sumKeys.add(k);
    if (sumKeys.size) {
      const grid = h("div.grid");
      sectionsEl.append(h("details.section", { open: false, dataset: { section: "Summary" } },
        h("summary", null, "Summary across runs", h("span.count", null, String(sumKeys.size))), grid));
      for (const k of [...sumKeys].sort()) {
        const el = h("div.panel", { dataset: { summaryKey: k, kind: "bar" } }, h("div.ph", null, h("span.title", null, k), h("span.badge")), h("div.body"));
        grid.append(el);
        disposers.push(whenVisible(el, () => panels.push(summaryBarPanel(el, ctx, k))));
      }
    }
  }
  panelSearch.addEventListener("input", debounce(() => { setParam("panels", panelSearch.value); renderSections(); }, 200));
  renderSections();
  void mediaTools;
  const offCtx = ctx.on((c, e) => { for (const p of panels) p.update(c, e); });

  // --- live updates ------------------------------------------------------------------------
  const live = document.getElementById("live-status");
  const refreshRuns = debounce(async () => {
    const res = await api.runs(project, { limit: 10000 });
    allRuns = res.runs;
    ctx.colors = colors();
    table.setRuns(allRuns);
    fillGroup();
    stepSlider.max = String(maxStep());
  }, 400);
  const refreshKeys = debounce(async () => {
    projectKeys = await api.projectKeys(project);
    ctx.numericKeys = numericKeys(projectKeys);
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
      const mine = ctx.runKeys.get(ev.id) ?? new Set<string>();
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
    if (e.key === "/") { e.preventDefault(); document.getElementById("run-search")?.focus(); }
    else if (e.key === "[") wsEl.classList.toggle("runs-collapsed");
    else if (e.key === "f") { e.preventDefault(); panelSearch.focus(); }
  };
  document.addEventListener("keydown", onKey);

  return () => {
    close();
    offCtx();
    document.removeEventListener("keydown", onKey);
    for (const p of panels) p.destroy();
    for (const d of disposers) d();
    table.destroy();
    if (live) { live.textContent = ""; live.className = "live"; }
  };
}
