// Line charts (docs/ui.md, Line charts): one line per shown run, the x-axis per chart (step, relative time, wall
// time or any numeric key), smoothing, log scale, a min/max envelope of downsampled buckets, hover
// with every run's value, and zoom that re-reads the zoomed range at full resolution.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api } from "../lib/api";
import { PALETTE, withAlpha } from "../lib/colors";
import type { Context } from "../lib/context";
import { debounce, emptyState, h } from "../lib/dom";
import { fmtDate, fmtDuration, fmtNum } from "../lib/format";
import { alignLines, appendLine, groupLines, toLine, type Line } from "../lib/series";
import { smoothEma } from "../lib/smooth";
import type { Panel } from "./panel";

/** Points per run a chart asks for: about 1.5 per pixel of its width, at most 1,500 (the server
 * keeps each bucket's min and max, so nothing is lost by asking for fewer). */
const MAX_POINTS = 1500;
const pointsFor = (el: HTMLElement) => Math.max(300, Math.min(MAX_POINTS, Math.round((el.clientWidth || 600) * 1.5)));

export interface LineSettings { xAxis?: string; smoothing?: number; logY?: boolean }

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

export function xLabel(xAxis: string): string {
  return xAxis === "_step" ? "Step" : xAxis === "_runtime" ? "Relative time" : xAxis === "_timestamp" ? "Wall time" : xAxis;
}

function fmtX(xAxis: string, v: number): string {
  if (xAxis === "_runtime") return fmtDuration(v);
  if (xAxis === "_timestamp") return fmtDate(v);
  return fmtNum(v);
}

export function linePanel(el: HTMLElement, ctx: Context, key: string, settings: LineSettings = {}): Panel {
  const own: LineSettings = { ...settings };
  const body = el.querySelector<HTMLElement>(".body")!;
  const controls = h("div.controls", { hidden: true });
  body.before(controls);
  const badge = el.querySelector<HTMLElement>(".badge")!;
  let plot: uPlot | null = null;
  let lines: Line[] = []; // the unzoomed lines
  let shown: Line[] = []; // what is drawn (zoomed lines while zoomed)
  let zoom: [number, number] | null = null;
  let seq = 0;
  let destroyed = false;
  const tooltip = h("div.tooltip", { hidden: true });

  const s = () => ({
    xAxis: own.xAxis ?? ctx.defaults.xAxis,
    smoothing: own.smoothing ?? ctx.defaults.smoothing,
    logY: own.logY ?? ctx.defaults.logY,
  });

  // per-chart controls (the gear button in the panel header shows them)
  const gear = h("button", { title: "Chart settings: x-axis, smoothing, log scale", onclick: () => {
    controls.hidden = !controls.hidden;
    gear.classList.toggle("on", !controls.hidden);
  } }, "⚙");
  el.querySelector(".ph")!.append(gear);
  function buildControls(): void {
    controls.replaceChildren();
    const cur = s();
    const xSel = h("select", { "aria-label": "x-axis", onchange: () => { own.xAxis = xSel.value; zoom = null; load(); } },
      ...["_step", "_runtime", "_timestamp", ...ctx.numericKeys.filter((k) => k !== key)].map((k) =>
        h("option", { value: k, selected: k === cur.xAxis }, xLabel(k))));
    const smooth = h("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(cur.smoothing), "aria-label": "smoothing" });
    const smoothVal = h("span.mono", null, cur.smoothing.toFixed(2));
    smooth.addEventListener("input", () => { own.smoothing = Number(smooth.value); smoothVal.textContent = own.smoothing.toFixed(2); draw(); });
    const log = h("input", { type: "checkbox", checked: cur.logY, onchange: () => { own.logY = log.checked; draw(); } });
    controls.append(h("label", null, "x ", xSel), h("label", null, "smoothing ", smooth, smoothVal), h("label", null, log, "log y"));
  }
  buildControls();

  async function load(): Promise<void> {
    const my = ++seq;
    const runs = ctx.runsWith(key);
    if (!runs.length) {
      lines = [];
      shown = [];
      draw();
      return;
    }
    const { xAxis } = s();
    try {
      const res = await api.series(ctx.project, runs.map((r) => r.id), key, xAxis, pointsFor(body));
      if (my !== seq || destroyed) return;
      lines = res.series.map(toLine);
      shown = lines;
      if (zoom) await loadZoom(zoom, my);
      draw();
    } catch (e) {
      if (my !== seq || destroyed) return;
      body.replaceChildren(emptyState("This chart could not be loaded", String((e as Error).message)));
      plot = null;
    }
  }

  async function loadZoom(range: [number, number], my = ++seq): Promise<void> {
    const { xAxis } = s();
    const ids = lines.map((l) => l.run);
    if (!ids.length) return;
    const res = await api.series(ctx.project, ids, key, xAxis, pointsFor(body), range);
    if (my !== seq || destroyed) return;
    shown = res.series.map(toLine);
  }

  const zoomTo = debounce(async (range: [number, number]) => {
    if (lines.every((l) => l.full)) return; // already every point: nothing more to read
    const my = ++seq;
    try {
      await loadZoom(range, my);
      if (my === seq && !destroyed) draw(range);
    } catch {
      /* keep the coarse picture */
    }
  }, 120);

  interface Legend { label: string; color: string; idx: number }

  /** Lines to draw: one per run, or with ctx.groupBy one per group of runs (docs/ui.md, Workspace): the
   * mean of the group's runs at each x, with a min–max band. */
  function drawn(): { key: string; label: string; color: string; line: Line }[] {
    if (!ctx.groupBy) return shown.map((l) => ({ key: l.run, label: ctx.runName(l.run), color: ctx.color(l.run), line: l }));
    // groups take the palette in order (few groups, and distinct colours matter more than stability)
    return groupLines(shown, (run) => ctx.groupOf(run), ctx.groupBand).map((g, i) => ({
      key: g.group, label: `${ctx.groupBy} = ${g.group} (${g.runs} run${g.runs === 1 ? "" : "s"})`,
      color: PALETTE[i % PALETTE.length], line: g.line,
    }));
  }

  function data(): { aligned: uPlot.AlignedData; series: uPlot.Series[]; bands: uPlot.Band[]; legend: Legend[] } {
    const { smoothing, logY } = s();
    const cols: { x: number[]; ys: (number | null)[][] }[] = [];
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    const legend: Legend[] = [];
    const pos = (v: number | null) => (logY && v !== null && v <= 0 ? null : v);
    for (const d of drawn()) {
      const l = d.line;
      const color = d.color;
      const y = l.y.map(pos);
      const ys: (number | null)[][] = [];
      const base = series.length;
      if (smoothing > 0) {
        ys.push(smoothEma(l.x, y, smoothing), y);
        series.push({ label: d.key, stroke: color, width: 1.5, spanGaps: true },
                    { label: `${d.key} raw`, stroke: withAlpha(color, 0.25), width: 1, spanGaps: true, points: { show: false } });
      } else {
        ys.push(y);
        series.push({ label: d.key, stroke: color, width: 1.5, spanGaps: true });
      }
      legend.push({ label: d.label, color, idx: base });
      if (l.min.some((v) => v !== null)) {
        ys.push(l.min.map(pos), l.max.map(pos));
        const lo = series.length;
        series.push({ label: `${d.key} min`, stroke: "transparent", width: 0, points: { show: false }, spanGaps: true },
                    { label: `${d.key} max`, stroke: "transparent", width: 0, points: { show: false }, spanGaps: true });
        bands.push({ series: [lo + 1, lo], fill: withAlpha(color, ctx.groupBy ? 0.2 : 0.15) });
      }
      cols.push({ x: l.x, ys });
    }
    const a = alignLines(cols);
    return { aligned: [a.x, ...a.ys] as uPlot.AlignedData, series, bands, legend };
  }

  function draw(range?: [number, number]): void {
    if (destroyed) return;
    const total = lines.reduce((n, l) => n + l.total, 0);
    const cur = s();
    if (!shown.length || shown.every((l) => !l.x.length)) {
      plot?.destroy();
      plot = null;
      const none = !ctx.runsWith(key).length;
      body.replaceChildren(emptyState(
        none ? `No shown run has logged ${key}` : `Nothing logged for ${key} yet`,
        none ? "Show more runs in the runs table, or check the key's name." :
          "Its runs have started but no row with this key has been written yet. That happens when a script logs it only at the end of an epoch or of training; this chart fills in as soon as one is.",
      ));
      badge.textContent = "";
      return;
    }
    const { aligned, series, bands, legend } = data();
    const zoomedFull = shown !== lines && shown.every((l) => l.full);
    badge.textContent = lines.every((l) => l.full) ? `${fmtNum(total)} pts` : zoomedFull ? `${fmtNum(total)} pts, zoomed: every point` : `${fmtNum(total)} pts, downsampled`;
    badge.title = lines.every((l) => l.full) ? "every logged point is drawn" :
      "long series are drawn as min/max buckets (the band); drag to zoom in and read every point of the range";
    const width = Math.max(200, body.clientWidth || 360);
    const axis = cssVar("--axis");
    const grid = cssVar("--grid");
    const opts: uPlot.Options = {
      width, height: 210,
      legend: { show: false },
      scales: { x: { time: cur.xAxis === "_timestamp" }, y: { distr: cur.logY ? 3 : 1 } },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid },
          values: cur.xAxis === "_timestamp" ? undefined : (_u, vals) => vals.map((v) => fmtX(cur.xAxis, v)) },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid },
          size: (_u, values) => (values?.length ? Math.max(36, Math.max(...values.map((v) => String(v).length)) * 7 + 16) : 44),
          values: (_u, vals) => vals.map((v) => fmtNum(v, 3)) },
      ],
      series, bands,
      cursor: {
        drag: { x: true, y: false, setScale: true },
        bind: { dblclick: () => () => null },
      },
      hooks: {
        setScale: [(u, scaleKey) => {
          if (scaleKey !== "x" || !u.scales.x || u.scales.x.min == null || u.scales.x.max == null) return;
          if (!u.select || u.status !== 1) return;
          const r: [number, number] = [u.scales.x.min, u.scales.x.max];
          const full = aligned[0];
          if (full.length && r[0] <= full[0] && r[1] >= full[full.length - 1]) return;
          if (zoom && r[0] === zoom[0] && r[1] === zoom[1]) return;
          zoom = r;
          zoomTo(r);
        }],
        setCursor: [(u) => tooltipAt(u, legend, cur.xAxis)],
      },
    };
    plot?.destroy();
    body.replaceChildren();
    plot = new uPlot(opts, aligned, body);
    body.append(tooltip);
    plot.over.addEventListener("dblclick", () => { zoom = null; shown = lines; draw(); });
    plot.over.addEventListener("mouseleave", () => { tooltip.hidden = true; });
    if (range) plot.setScale("x", { min: range[0], max: range[1] });
  }

  function tooltipAt(u: uPlot, legend: Legend[], xAxis: string): void {
    const i = u.cursor.idx;
    if (i == null || u.cursor.left == null || u.cursor.left < 0) {
      tooltip.hidden = true;
      return;
    }
    const xs = u.data[0];
    const rows: { label: string; color: string; v: number }[] = [];
    for (const { label, color, idx } of legend) {
      const ys = u.data[idx] as (number | null)[];
      let v: number | null = null;
      for (let d = 0; d < 400 && v === null; d++) {
        if (i - d >= 0 && ys[i - d] != null) v = ys[i - d]!;
        else if (i + d < ys.length && ys[i + d] != null) v = ys[i + d]!;
        if (i - d < 0 && i + d >= ys.length) break;
      }
      if (v !== null) rows.push({ label, color, v });
    }
    if (!rows.length) {
      tooltip.hidden = true;
      return;
    }
    rows.sort((a, b) => b.v - a.v);
    tooltip.replaceChildren(
      h("div.x", null, `${xLabel(xAxis)} ${fmtX(xAxis, xs[i])}`),
      ...rows.map((r) => h("div.r", null, h("span.swatch", { style: { background: r.color } }),
        h("span.n", null, r.label), h("span.v", null, fmtNum(r.v, 5)))),
    );
    tooltip.hidden = false;
    const left = u.cursor.left + u.over.offsetLeft;
    const flip = left > body.clientWidth / 2;
    tooltip.style.left = flip ? "" : `${left + 14}px`;
    tooltip.style.right = flip ? `${body.clientWidth - left + 14}px` : "";
    tooltip.style.top = `${(u.cursor.top ?? 0) + 10}px`;
  }

  const ro = new ResizeObserver(debounce(() => {
    if (plot && body.clientWidth && Math.abs(plot.width - body.clientWidth) > 4) plot.setSize({ width: body.clientWidth, height: 210 });
  }, 80));
  ro.observe(body);

  /** Live (docs/ui.md, Live updates): fetch only what is new for the run that changed: the range past its last x. */
  async function liveUpdate(runId: string): Promise<void> {
    const i = lines.findIndex((l) => l.run === runId);
    if (i < 0) {
      if (ctx.runsWith(key).some((r) => r.id === runId)) load();
      return;
    }
    const l = lines[i];
    const { xAxis } = s();
    try {
      if (l.full && l.x.length) {
        const from = l.x[l.x.length - 1];
        const res = await api.series(ctx.project, [runId], key, xAxis, MAX_POINTS, [from, Number.MAX_VALUE]);
        const more = toLine(res.series[0]);
        lines[i] = more.full ? appendLine(l, more) : toLine((await api.series(ctx.project, [runId], key, xAxis, pointsFor(body))).series[0]);
      } else {
        lines[i] = toLine((await api.series(ctx.project, [runId], key, xAxis, pointsFor(body))).series[0]);
      }
      if (!zoom && !destroyed) {
        shown = lines;
        const keepX = plot ? [plot.scales.x.min, plot.scales.x.max] : null;
        void keepX;
        draw();
      }
    } catch {
      /* the next event retries */
    }
  }

  load();
  return {
    update(change, ev) {
      if (change === "runs" || change === "group") load();
      else if (change === "defaults") { buildControls(); zoom = null; load(); }
      else if (change === "live" && ev && ev.rows !== null) liveUpdate(ev.id);
    },
    destroy() {
      destroyed = true;
      ro.disconnect();
      plot?.destroy();
    },
  };
}
