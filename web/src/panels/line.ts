// Line charts (docs/ui.md): one line per shown run, the x-axis per chart (step, relative time,
// wall time or any numeric key), smoothing, log scale, groups, a legend, hover with every run's
// value, a crosshair shared by the workspace's charts, and zoom that re-reads the zoomed range.
//
// Lines are drawn exactly (lib/m4.ts): per pixel column the first, min, max and last value of the
// server's buckets, so a downsampled line is the picture of every point. uPlot draws the axes,
// the cursor and the selection; the lines are painted in its draw hook.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api } from "../lib/api";
import { PALETTE, withAlpha } from "../lib/colors";
import type { Context } from "../lib/context";
import { debounce, emptyState, h } from "../lib/dom";
import { fmtDate, fmtDuration, fmtNum } from "../lib/format";
import { bandColumns, bucketAt, forEachPoint, m4, rawTrack, traceColumns, valueRange, xExtent, type Columns, type Track } from "../lib/m4";
import { appendTrack, groupLines, toTrack, trackLine } from "../lib/series";
import { smoothEma } from "../lib/smooth";
import type { Panel } from "./panel";

/** Buckets per run a chart asks for: about 4 per pixel column, so a bucket rarely straddles two
 * columns (each keeps its first, min, max and last value: the picture is that of every point),
 * at most 4,000, and fewer per run when many runs share the chart (about 150k buckets in all). */
const MAX_POINTS = 4000;
const CHART_BUDGET = 150_000;
const pointsFor = (el: HTMLElement, runs = 1) => Math.max(300, Math.min(MAX_POINTS, Math.round((el.clientWidth || 600) * 4), Math.floor(CHART_BUDGET / Math.max(1, runs))));
/** "Every point" reads raw points; past this many per chart it says no. */
const EVERY_POINT_LIMIT = 5_000_000;
const HEIGHT = 210;

export interface LineSettings {
  title?: string; xAxis?: string; smoothing?: number; logY?: boolean;
  /** "exact": the M4 line; "mean": a line through bucket means with the min-max band */
  style?: "exact" | "mean";
  /** read raw points instead of buckets (the reference picture) */
  every?: boolean;
  yMin?: number | null; yMax?: number | null;
  /** other keys drawn on the same chart */
  extraKeys?: string[];
  maxRuns?: number;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

export function xLabel(xAxis: string): string {
  return xAxis === "_step" ? "Step" : xAxis === "_runtime" ? "Relative time" : xAxis === "_timestamp" ? "Wall time" : xAxis;
}

/** An x value for people: steps are whole numbers with separators, never fractions. */
export function fmtX(xAxis: string, v: number): string {
  if (xAxis === "_runtime") return fmtDuration(v);
  if (xAxis === "_timestamp") return fmtDate(v);
  if (xAxis === "_step") return Math.round(v).toLocaleString("en-US");
  return fmtNum(v);
}

interface Drawn {
  key: string; label: string; color: string;
  track?: Track; // exact M4 line
  poly?: { x: ArrayLike<number>; y: ArrayLike<number | null> }; // mean/smoothed/group line
  band?: { x: ArrayLike<number>; lo: ArrayLike<number | null>; hi: ArrayLike<number | null> };
  faded?: boolean; // the raw line under a smoothed one
}

export function linePanel(el: HTMLElement, ctx: Context, key: string, settings: LineSettings = {}): Panel {
  const own: LineSettings = { ...settings };
  const body = el.querySelector<HTMLElement>(".body")!;
  const controls = h("div.controls", { hidden: true });
  body.before(controls);
  const legendEl = h("div.legend");
  body.after(legendEl);
  const badge = el.querySelector<HTMLElement>(".badge")!;
  let plot: uPlot | null = null;
  let tracks: Track[] = []; // the unzoomed tracks
  let shown: Track[] = []; // what is drawn (zoomed tracks while zoomed)
  let zoom: [number, number] | null = null;
  let curX: [number, number] = [0, 1];
  let items: Drawn[] = [];
  let isolated: string | null = null;
  let hovering = false;
  let seq = 0;
  let destroyed = false;
  // when the data of the last load arrived: the next paint ends a "runyard:chart-draw" measure
  // (docs/ui.md, "Line charts")
  let arrived: number | null = null;
  const tooltip = h("div.tooltip", { hidden: true });

  const s = () => ({
    xAxis: own.xAxis ?? ctx.defaultX(key),
    smoothing: own.smoothing ?? ctx.defaults.smoothing,
    logY: own.logY ?? ctx.defaults.logY,
    style: own.style ?? ctx.defaults.lineStyle ?? "exact",
    every: own.every ?? false,
  });
  const keysDrawn = () => [key, ...(own.extraKeys ?? [])];
  // a panel with a set height (the workspace's) gives the chart what its body has left
  const height = () => (el.classList.contains("fullscreen") ? Math.max(HEIGHT, window.innerHeight - 190)
    : el.classList.contains("sized") && body.clientHeight ? Math.max(80, body.clientHeight) : HEIGHT);

  // per-chart controls (the gear button in the panel header shows them)
  // built when first shown (the x-axis list names every numeric key: 1,000 options a chart)
  let controlsBuilt = false;
  const gear = h("button", { title: "Chart settings: x-axis, smoothing, log scale, line style", onclick: () => {
    if (!controlsBuilt) buildControls();
    controls.hidden = !controls.hidden;
    gear.classList.toggle("on", !controls.hidden);
  } }, "⚙");
  el.querySelector(".ph")!.append(gear);
  function buildControls(): void {
    controlsBuilt = true;
    controls.replaceChildren();
    const cur = s();
    const xSel = h("select", { "aria-label": "x-axis", onchange: () => { own.xAxis = xSel.value; zoom = null; load(); } },
      ...["_step", "_runtime", "_timestamp", ...ctx.numericKeys.filter((k) => k !== key)].map((k) =>
        h("option", { value: k, selected: k === cur.xAxis }, xLabel(k))));
    const smooth = h("input", { type: "range", min: "0", max: "0.99", step: "0.01", value: String(cur.smoothing), "aria-label": "smoothing" });
    const smoothVal = h("span.mono", null, cur.smoothing.toFixed(2));
    smooth.addEventListener("input", () => { own.smoothing = Number(smooth.value); smoothVal.textContent = own.smoothing.toFixed(2); draw(); });
    const log = h("input", { type: "checkbox", checked: cur.logY, onchange: () => { own.logY = log.checked; draw(); } });
    const style = h("select", { "aria-label": "line style", onchange: () => { own.style = style.value === "mean" ? "mean" : "exact"; draw(); } },
      h("option", { value: "exact", selected: cur.style === "exact" }, "exact (min, max, first, last)"),
      h("option", { value: "mean", selected: cur.style === "mean" }, "mean with min–max band"));
    const every = h("input", { type: "checkbox", checked: cur.every, disabled: !["_step", "_runtime", "_timestamp"].includes(cur.xAxis),
      onchange: () => { own.every = every.checked; zoom = null; load(); } });
    controls.append(h("label", null, "x ", xSel), h("label", null, "smoothing ", smooth, smoothVal), h("label", null, log, "log y"),
      h("label", null, "line ", style),
      h("label", { title: "Read every logged point instead of the index's buckets (the same picture; slower for long series)" }, every, "every point"));
  }
  function chartRuns() {
    const runs = ctx.runsWith(key);
    return runs.slice(0, own.maxRuns ?? ctx.maxRuns);
  }

  async function fetchTracks(runIds: string[], range?: [number, number]): Promise<Track[]> {
    const { xAxis, every } = s();
    const out: Track[] = [];
    for (const k of keysDrawn()) {
      let got: Track[];
      if (every) {
        got = await Promise.all(runIds.map(async (id) => {
          const p = await api.points(ctx.project, id, k, xAxis);
          return rawTrack(id, p.x, p.y);
        }));
      } else {
        const res = await api.series(ctx.project, runIds, k, xAxis, pointsFor(body, runIds.length), range);
        got = res.series.map(toTrack);
      }
      if (keysDrawn().length > 1) for (const t of got) t.run = `${t.run}\u0000${k}`;
      out.push(...got);
    }
    return out;
  }

  async function load(): Promise<void> {
    const my = ++seq;
    const runs = chartRuns();
    if (!runs.length) {
      tracks = [];
      shown = [];
      draw();
      return;
    }
    try {
      if (s().every) {
        const known = tracks.reduce((n, t) => n + t.total, 0);
        if (known > EVERY_POINT_LIMIT) throw new Error(`"every point" reads at most ${fmtNum(EVERY_POINT_LIMIT)} points a chart; this one has ${fmtNum(known)}`);
      }
      tracks = await fetchTracks(runs.map((r) => r.id));
      if (my !== seq || destroyed) return;
      shown = tracks;
      if (zoom && !s().every) shown = await fetchTracks(tracks.map((t) => t.run.split("\u0000")[0]), zoom);
      if (my !== seq || destroyed) return;
      arrived = performance.now();
      draw();
    } catch (e) {
      if (my !== seq || destroyed) return;
      plot?.destroy();
      plot = null;
      body.replaceChildren(emptyState("This chart could not be loaded", String((e as Error).message)));
    }
  }

  const refetchZoom = debounce(async (range: [number, number]) => {
    if (s().every || tracks.every((t) => t.full)) return; // already every point: nothing more to read
    const my = ++seq;
    try {
      const ids = [...new Set(tracks.map((t) => t.run.split("\u0000")[0]))];
      const got = await fetchTracks(ids, range);
      if (my === seq && !destroyed && zoom) {
        shown = got;
        draw();
      }
    } catch {
      /* keep the coarse picture */
    }
  }, 120);

  function zoomTo(range: [number, number] | null): void {
    zoom = range;
    if (!range) shown = tracks;
    draw();
    if (range) refetchZoom(range);
  }

  /** Lines to draw: one per run, or with ctx.groupBy one per group of runs: the mean of the
   * group's runs at each x, with the band (min-max or +/- std). */
  function drawnItems(): Drawn[] {
    const cur = s();
    const multi = keysDrawn().length > 1;
    const label = (run: string) => {
      const [id, k] = run.split("\u0000");
      return multi ? `${ctx.runName(id)} · ${k}` : ctx.runName(id);
    };
    const colorOf = (run: string, i: number) => (multi ? PALETTE[i % PALETTE.length] : ctx.color(run));
    if (ctx.groupBy) {
      return groupLines(shown.map(trackLine), (run) => ctx.groupOf(run.split("\u0000")[0]), ctx.groupBand).map((g) => ({
        key: g.group, label: `${ctx.groupBy} = ${g.group} (${g.runs} run${g.runs === 1 ? "" : "s"})`,
        color: ctx.groupColor(g.group),
        poly: { x: g.line.x, y: cur.smoothing > 0 ? smoothEma(g.line.x, g.line.y, cur.smoothing) : g.line.y },
        band: { x: g.line.x, lo: g.line.min, hi: g.line.max },
      }));
    }
    const out: Drawn[] = [];
    shown.forEach((t, i) => {
      const base = { key: t.run, label: label(t.run), color: colorOf(t.run, i) };
      if (cur.style === "mean") {
        const l = trackLine(t);
        const y = cur.smoothing > 0 ? smoothEma(l.x, l.y, cur.smoothing) : l.y;
        out.push({ ...base, poly: { x: l.x, y }, band: t.full ? undefined : { x: l.x, lo: l.min, hi: l.max } });
      } else if (cur.smoothing > 0) {
        const l = trackLine(t);
        out.push({ ...base, track: t, faded: true, poly: { x: l.x, y: smoothEma(l.x, l.y, cur.smoothing) } });
      } else {
        out.push({ ...base, track: t });
      }
    });
    return out;
  }

  function yRange(): [number, number] {
    const { logY } = s();
    if (own.yMin != null && own.yMax != null && own.yMax > own.yMin) return [own.yMin, own.yMax];
    let r = valueRange(shown, curX[0], curX[1], logY);
    for (const d of items) { // group means and bands can reach past no track (std bands)
      if (!d.band) continue;
      for (let i = 0; i < d.band.x.length; i++) {
        const x = d.band.x[i], lo = d.band.lo[i], hi = d.band.hi[i];
        if (x < curX[0] || x > curX[1] || lo === null || hi === null || !Number.isFinite(lo) || !Number.isFinite(hi)) continue;
        if (logY && lo <= 0) continue;
        r = r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi];
      }
    }
    if (!r) return logY ? [0.1, 10] : [0, 1];
    let [lo, hi] = r;
    if (own.yMin != null) lo = own.yMin;
    if (own.yMax != null) hi = own.yMax;
    // snapped to round numbers: the same picture whether the extremes come from buckets or points
    if (logY) return uPlot.rangeLog(lo, hi, 10, true) as [number, number];
    if (hi - lo < 1e-300) return uPlot.rangeNum(lo - 1, hi + 1, 0.1, true) as [number, number];
    return uPlot.rangeNum(lo, hi, 0.1, true) as [number, number];
  }

  function paint(u: uPlot): void {
    const g = u.ctx;
    const { left, top, width, height } = u.bbox;
    const [xmin, xmax] = [u.scales.x.min ?? curX[0], u.scales.x.max ?? curX[1]];
    const { logY } = s();
    const k = width / (xmax - xmin || 1);
    const toPx = (x: number) => left + (x - xmin) * k;
    const toPy = (y: number) => (logY && y <= 0 ? NaN : u.valToPos(y, "y", true));
    const lw = Math.max(1, Math.round(1.5 * uPlot.pxRatio));
    const hl = ctx.highlight;
    g.save();
    g.beginPath();
    g.rect(left, top, width, height);
    g.clip();
    g.lineJoin = "round";
    const order = [...items].filter((d) => !isolated || d.key === isolated);
    if (hl) order.sort((a, b) => (a.key === hl ? 1 : 0) - (b.key === hl ? 1 : 0));
    for (const d of order) {
      const dim = hl !== null && d.key !== hl && order.some((o) => o.key === hl);
      if (d.band) {
        const b = bandColumns(d.band.x, d.band.lo, d.band.hi, toPx);
        g.beginPath();
        let started = false;
        for (let i = 0; i < b.px.length; i++) {
          const y = toPy(b.hi[i]);
          if (!Number.isFinite(y)) continue;
          if (!started) { g.moveTo(b.px[i], y); started = true; } else g.lineTo(b.px[i], y);
        }
        for (let i = b.px.length - 1; i >= 0; i--) {
          const y = toPy(b.lo[i]);
          if (Number.isFinite(y)) g.lineTo(b.px[i], y);
        }
        g.fillStyle = withAlpha(d.color, dim ? 0.05 : 0.18);
        g.fill();
      }
      // a line through the columns; a series of one point is a dot (a stroke would not show it)
      const stroke = (cols: Columns, color: string) => {
        g.beginPath();
        const lone = traceColumns(cols, toPy, g);
        g.strokeStyle = color;
        g.lineWidth = d.key === hl ? lw + 1 : lw;
        g.stroke();
        if (lone) {
          g.beginPath();
          g.arc(lone[0], lone[1], g.lineWidth * 1.5, 0, 2 * Math.PI);
          g.fillStyle = color;
          g.fill();
        }
      };
      if (d.track) {
        const t = d.track;
        stroke(m4((fn) => forEachPoint(t, fn, xmin, xmax), toPx), withAlpha(d.color, (d.faded ? 0.3 : 1) * (dim ? 0.2 : 1)));
      }
      if (d.poly) {
        const p = d.poly;
        stroke(m4((fn) => {
          for (let i = 0; i < p.x.length; i++) {
            const y = p.y[i];
            if (y !== null && Number.isFinite(y)) fn(p.x[i], y);
          }
        }, toPx), withAlpha(d.color, dim ? 0.2 : 1));
      }
    }
    g.restore();
    if (arrived !== null) {
      const buckets = items.reduce((n, d) => n + (d.track ? d.track.x0.length : 0), 0);
      const points = items.reduce((n, d) => n + (d.track ? d.track.total : 0), 0);
      performance.measure("runyard:chart-draw", { start: arrived, end: performance.now(), detail: { key, lines: items.length, buckets, points } });
      arrived = null;
    }
  }

  function renderLegend(): void {
    legendEl.replaceChildren(...items.map((d) => {
      const it = h("span.li", { dataset: { key: d.key }, title: `${d.label}: click to show only this line, again to show all`, class: isolated && isolated !== d.key ? "off" : "" },
        h("span.swatch", { style: { background: d.color } }), h("span.ln", null, d.label));
      it.addEventListener("click", () => { isolated = isolated === d.key ? null : d.key; renderLegend(); plot?.redraw(false, false); });
      it.addEventListener("mouseenter", () => ctx.setHighlight(ctx.groupBy ? null : d.key.split("\u0000")[0]));
      it.addEventListener("mouseleave", () => ctx.setHighlight(null));
      return it;
    }));
  }

  function draw(): void {
    if (destroyed) return;
    const total = tracks.reduce((n, t) => n + t.total, 0);
    const cur = s();
    const ext = xExtent(shown.length ? shown : tracks);
    if (!ext) {
      plot?.destroy();
      plot = null;
      const none = !ctx.runsWith(key).length;
      body.replaceChildren(emptyState(
        none ? `No shown run has logged ${key}` : `Nothing logged for ${key} yet`,
        none ? "Show more runs in the runs table, or check the key's name." :
          "Its runs have started but no row with this key has been written yet. That happens when a script logs it only at the end of an epoch or of training; this chart fills in as soon as one is.",
      ));
      legendEl.replaceChildren();
      badge.textContent = "";
      return;
    }
    const full = xExtent(tracks) ?? ext;
    curX = zoom ?? (full[0] === full[1] ? [full[0] - 1, full[1] + 1] : full);
    items = drawnItems();
    const zoomedFull = zoom !== null && shown.every((t) => t.full);
    badge.textContent = cur.every ? `${fmtNum(total)} pts, every point` : tracks.every((t) => t.full) ? `${fmtNum(total)} pts` : zoomedFull ? `${fmtNum(total)} pts, zoomed: every point` : `${fmtNum(total)} pts, downsampled`;
    badge.title = tracks.every((t) => t.full) ? "every logged point is drawn" :
      "long series are read as buckets of first, min, max and last value: the line is the same as with every point; drag to zoom in";
    const width = Math.max(200, body.clientWidth || 360);
    const axis = cssVar("--axis");
    const grid = cssVar("--grid");
    const opts: uPlot.Options = {
      width, height: height(),
      legend: { show: false },
      scales: {
        x: { time: cur.xAxis === "_timestamp", auto: false, range: () => curX },
        y: { distr: cur.logY ? 3 : 1, auto: false, range: () => yRange() },
      },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, label: xLabel(cur.xAxis), labelSize: 18, labelFont: "11px system-ui, sans-serif",
          values: cur.xAxis === "_timestamp" ? undefined : (_u, vals) => vals.map((v) => (cur.xAxis === "_step" && !Number.isInteger(v) ? "" : fmtX(cur.xAxis, v))) },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid },
          size: (_u, values) => (values?.length ? Math.max(36, Math.max(...values.map((v) => String(v).length)) * 7 + 16) : 44),
          values: (_u, vals) => vals.map((v) => fmtNum(v, 3)) },
      ],
      series: [{}, { stroke: "transparent", width: 0, points: { show: false } }],
      cursor: {
        y: false,
        points: { show: false },
        drag: { x: true, y: false, setScale: false },
        bind: { dblclick: () => () => null },
        sync: { key: `runyard-x-${ctx.project}`, setSeries: false },
      },
      hooks: {
        draw: [(u) => paint(u)],
        setSelect: [(u) => {
          if (u.select.width < 3) return;
          const a = u.posToVal(u.select.left, "x"), b = u.posToVal(u.select.left + u.select.width, "x");
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          zoomTo([a, b]);
        }],
        setCursor: [(u) => tooltipAt(u)],
      },
    };
    plot?.destroy();
    body.replaceChildren();
    plot = new uPlot(opts, [[curX[0], curX[1]], [null, null]], body);
    body.append(tooltip);
    plot.over.addEventListener("dblclick", () => zoomTo(null));
    plot.over.addEventListener("mouseenter", () => { hovering = true; });
    plot.over.addEventListener("mouseleave", () => { hovering = false; tooltip.hidden = true; });
    renderLegend();
  }

  function tooltipAt(u: uPlot): void {
    const left = u.cursor.left;
    if (!hovering || left == null || left < 0) {
      tooltip.hidden = true;
      return;
    }
    const { xAxis } = s();
    const x = u.posToVal(left, "x");
    const rows: { label: string; color: string; v: number; lo?: number; hi?: number; range: string }[] = [];
    const ranges = new Set<string>();
    for (const d of items) {
      if (isolated && d.key !== isolated) continue;
      let v: number | null = null, lo: number | undefined, hi: number | undefined, range = "";
      if (d.track) {
        const t = d.track;
        const i = bucketAt(t, x);
        if (i < 0 || Math.abs(u.valToPos(t.x0[i], "x") - left) > 40 && Math.abs(u.valToPos(t.x1[i], "x") - left) > 40) continue;
        const c = t.count ? t.count[i] : 1;
        v = c > 1 ? t.mean[i] : t.last[i];
        if (c > 1) { lo = t.min[i]; hi = t.max[i]; }
        range = c > 1 ? `${xLabel(xAxis)} ${fmtX(xAxis, t.x0[i])}–${fmtX(xAxis, t.x1[i])} (${fmtNum(c)} points)` : `${xLabel(xAxis)} ${fmtX(xAxis, t.x0[i])}`;
        if (d.poly) { // smoothed: the smoothed value at this bucket
          const sv = d.poly.y[i];
          if (sv !== null && sv !== undefined) v = sv;
        }
      } else if (d.poly) {
        const xs = d.poly.x;
        let j = 0, best = Infinity;
        for (let i = 0; i < xs.length; i++) { const dd = Math.abs(xs[i] - x); if (dd < best) { best = dd; j = i; } }
        const y = d.poly.y[j];
        if (y === null || y === undefined) continue;
        v = y;
        if (d.band) { const a = d.band.lo[j], b = d.band.hi[j]; if (a !== null && b !== null) { lo = a; hi = b; } }
        range = `${xLabel(xAxis)} ${fmtX(xAxis, xs[j])}`;
      }
      if (v === null || !Number.isFinite(v)) continue;
      ranges.add(range);
      rows.push({ label: d.label, color: d.color, v, lo, hi, range });
    }
    if (!rows.length) {
      tooltip.hidden = true;
      return;
    }
    rows.sort((a, b) => b.v - a.v);
    const one = ranges.size === 1;
    tooltip.replaceChildren(
      h("div.x", null, one ? [...ranges][0] : `${xLabel(xAxis)} ${fmtX(xAxis, x)}`),
      ...rows.slice(0, 30).map((r) => h("div.r", { title: one ? "" : r.range }, h("span.swatch", { style: { background: r.color } }),
        h("span.n", null, r.label), h("span.v", null, fmtNum(r.v, 5)),
        r.lo !== undefined && r.hi !== undefined ? h("span.mm", null, `min ${fmtNum(r.lo, 4)} · max ${fmtNum(r.hi, 4)}`) : null)),
      ...(rows.length > 30 ? [h("div.faint", null, `and ${rows.length - 30} more`)] : []),
    );
    tooltip.hidden = false;
    const px = left + u.over.offsetLeft;
    const flip = px > body.clientWidth / 2;
    tooltip.style.left = flip ? "" : `${px + 14}px`;
    tooltip.style.right = flip ? `${body.clientWidth - px + 14}px` : "";
    tooltip.style.top = `${(u.cursor.top ?? 0) + 10}px`;
  }

  const ro = new ResizeObserver(debounce(() => {
    if (plot && body.clientWidth && (Math.abs(plot.width - body.clientWidth) > 4 || plot.height !== height())) plot.setSize({ width: body.clientWidth, height: height() });
  }, 80));
  ro.observe(body);

  /** Live: fetch only what is new for the run that changed: the range past its last x. */
  async function liveUpdate(runId: string): Promise<void> {
    if (keysDrawn().length > 1 || s().every) { load(); return; }
    const i = tracks.findIndex((t) => t.run === runId);
    if (i < 0) {
      if (chartRuns().some((r) => r.id === runId)) load();
      return;
    }
    const t = tracks[i];
    const { xAxis } = s();
    try {
      if (t.full && t.x0.length) {
        const from = t.x1[t.x1.length - 1];
        const res = await api.series(ctx.project, [runId], key, xAxis, MAX_POINTS, [from, Number.MAX_VALUE]);
        const more = toTrack(res.series[0]);
        tracks[i] = more.full ? appendTrack(t, more) : toTrack((await api.series(ctx.project, [runId], key, xAxis, pointsFor(body))).series[0]);
      } else {
        tracks[i] = toTrack((await api.series(ctx.project, [runId], key, xAxis, pointsFor(body))).series[0]);
      }
      if (!zoom && !destroyed) {
        shown = tracks;
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
      else if (change === "defaults") { if (controlsBuilt) buildControls(); zoom = null; load(); }
      else if (change === "live" && ev && ev.rows !== null) liveUpdate(ev.id);
      else if (change === "highlight" || change === "colors") { items = drawnItems(); renderLegend(); plot?.redraw(false, false); }
    },
    destroy() {
      destroyed = true;
      ro.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
