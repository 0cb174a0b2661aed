// Media panels (docs/ui.md, Media panels): a step slider over the steps the shown runs logged the key at
// (or the workspace-wide media step), one cell per run. Images with mask and box toggles, class
// toggles and score filters; audio and video players; HTML in a sandboxed frame; tables; histogram
// heat maps; molecules, 3-D objects, Plotly figures and custom charts load their libraries on demand.

import { api, fileUrl, type HistMatrix, type MediaRef } from "../lib/api";
import { PALETTE } from "../lib/colors";
import { flatten } from "../lib/runs";
import type { Context } from "../lib/context";
import { emptyState, h } from "../lib/dom";
import { asNumber, fmtNum } from "../lib/format";
import type { PanelSpec } from "../lib/keys";
import { drawImage, imageControls, type ImageFilters } from "./image";
import { tableView } from "./table";
import type { Panel } from "./panel";

/** Media panels show at most this many runs side by side. */
export const MAX_MEDIA_RUNS = 6;

export function refUrl(ctx: Context, run: string, ref: MediaRef): string {
  return ref.url ?? fileUrl(ctx.project, run, String(ref.path ?? ""));
}

export function mediaPanel(el: HTMLElement, ctx: Context, spec: PanelSpec): Panel {
  if (spec.kind === "histogram") return histogramPanel(el, ctx, spec.key);
  const body = el.querySelector<HTMLElement>(".body")!;
  const badge = el.querySelector<HTMLElement>(".badge")!;
  const stepRow = h("div.step-row");
  const opts = h("div.media-opts");
  const grid = h("div.media-grid");
  const pinned = h("div");
  body.replaceChildren(stepRow, opts, grid, pinned);
  const filters: ImageFilters = { masks: new Set(), boxes: new Set(), classes: new Set(), minScore: {}, known: null };
  let steps: number[] = []; // slider positions: steps, or values of stepKey (e.g. epoch)
  let stepsByRun = new Map<string, number[]>();
  let stepKey = "_step"; // the slider can follow a logged key such as epoch (docs/ui.md, Media panels)
  let byKey = new Map<string, { step: number; x: number }[]>();
  const stepFor = (run: string, pos: number): number => {
    if (stepKey === "_step") return pos;
    const pairs = byKey.get(run) ?? [];
    let best = pairs.length ? pairs[0].step : pos;
    for (const p of pairs) if (p.x <= pos) best = p.step;
    return best;
  };
  let step: number | null = null;
  let own = false; // the slider was moved here: stop following the workspace step
  let seq = 0;
  let destroyed = false;
  const pins: number[] = [];
  const slider = h("input", { type: "range", min: "0", max: "0", step: "1", value: "0", "aria-label": `${spec.key} step` });
  const stepLabel = h("span.mono");
  const pinBtn = h("button", { title: "Pin this step: keep it below to compare steps and runs side by side" }, "Pin");
  slider.addEventListener("input", () => { own = true; step = steps[Number(slider.value)] ?? null; stepLabel.textContent = label(); drawAll(); });
  pinBtn.addEventListener("click", () => { if (step !== null && !pins.includes(step)) { pins.push(step); drawPins(); } });
  const label = () => (step === null ? "–" : `${stepKey === "_step" ? "" : `${stepKey} `}${fmtNum(step)}${steps.length > 1 ? ` (${steps.indexOf(step) + 1}/${steps.length})` : ""}`);
  const keySel = h("select", { "aria-label": `${spec.key} slider follows`, title: "The slider follows the step, or a logged key such as epoch" });
  keySel.addEventListener("change", () => { stepKey = keySel.value; step = null; own = true; load(); });
  const fillKeys = () => keySel.replaceChildren(...["_step", ...ctx.numericKeys].map((k) => h("option", { value: k, selected: k === stepKey }, k === "_step" ? "step" : k)));
  fillKeys();
  stepRow.append(keySel, slider, stepLabel, pinBtn);

  async function load(): Promise<void> {
    const my = ++seq;
    const runs = ctx.runsWith(spec.key).slice(0, MAX_MEDIA_RUNS);
    if (!runs.length) {
      grid.replaceChildren(emptyState(`No shown run has logged ${spec.key}`, "Show more runs in the runs table."));
      stepRow.hidden = true;
      return;
    }
    const found = await Promise.all(runs.map(async (r) => [r.id, await api.mediaSteps(ctx.project, r.id, spec.key).catch(() => [] as number[])] as const));
    if (my !== seq || destroyed) return;
    stepsByRun = new Map(found.filter(([, s]) => s.length));
    steps = [...new Set(found.flatMap(([, s]) => s))].sort((a, b) => a - b);
    if (stepKey !== "_step") {
      const pairs = await Promise.all([...stepsByRun.keys()].map(async (run) => {
        const r = await api.mediaStepsBy(ctx.project, run, spec.key, stepKey).catch(() => ({ steps: [] as number[], x: [] as (number | string | null)[] }));
        return [run, r.steps.map((st, i) => ({ step: st, x: r.x[i] })).filter((p) => typeof p.x === "number") as { step: number; x: number }[]] as const;
      }));
      if (my !== seq || destroyed) return;
      byKey = new Map(pairs);
      steps = [...new Set(pairs.flatMap(([, p]) => p.map((q) => q.x)))].sort((a, b) => a - b);
    }
    if (!steps.length) {
      grid.replaceChildren(emptyState(`Nothing logged for ${spec.key} yet`, "The key is known but no step holds media for the shown runs yet."));
      stepRow.hidden = true;
      return;
    }
    stepRow.hidden = steps.length < 2 && spec.kind !== "table" && stepKey === "_step";
    slider.max = String(steps.length - 1);
    if (ctx.mediaStep !== null && !own) step = nearest(steps, ctx.mediaStep);
    else if (step === null || !steps.includes(step)) step = steps[steps.length - 1];
    if (ctx.mediaStep !== null && !own && stepKey !== "_step") step = steps[steps.length - 1];
    slider.value = String(steps.indexOf(step));
    stepLabel.textContent = label();
    badge.textContent = `${stepsByRun.size} run${stepsByRun.size === 1 ? "" : "s"}`;
    await drawAll();
  }

  async function cellsAt(target: HTMLElement, at: number): Promise<void> {
    const my = seq;
    const runs = [...stepsByRun.keys()];
    const results = await Promise.all(runs.map(async (run) => {
      try {
        return [run, await api.mediaAt(ctx.project, run, spec.key, stepFor(run, at))] as const;
      } catch (e) {
        return [run, e as Error] as const;
      }
    }));
    if (my !== seq || destroyed) return;
    const cells: HTMLElement[] = [];
    for (const [run, res] of results) {
      const who = h("div.who", null, h("span.swatch", { style: { background: ctx.color(run) } }), ctx.runName(run),
        res instanceof Error ? "" : h("span.faint", null, ` · step ${res.step}`));
      if (res instanceof Error) {
        cells.push(h("div.media-cell", null, who, h("span.faint", null, res.message)));
        continue;
      }
      const items = res.items;
      if (spec.kind === "image") {
        for (const it of items) filtersLearn(filters, it);
      }
      const cell = h("div.media-cell", { dataset: { run, step: String(res.step) }, style: spec.kind === "table" || spec.kind === "html" || spec.kind === "plotly" || spec.kind === "custom-chart" || spec.kind === "object3d" || spec.kind === "molecule" ? { flex: "1 1 360px" } : {} }, who);
      for (const it of items) cell.append(renderItem(ctx, run, spec.kind, it, filters, res.step, spec.key));
      cells.push(cell);
    }
    target.replaceChildren(...cells);
    if (spec.kind === "image") {
      opts.replaceChildren(...imageControls(filters, () => redrawImages()));
    }
  }

  function redrawImages(): void {
    for (const c of el.querySelectorAll<HTMLCanvasElement>("canvas.img")) {
      const redraw = (c as unknown as { redraw?: () => void }).redraw;
      if (redraw) redraw();
    }
  }

  async function drawAll(): Promise<void> {
    if (step === null) return;
    await cellsAt(grid, step);
  }

  function drawPins(): void {
    pinned.replaceChildren();
    for (const p of pins) {
      const row = h("div.media-grid");
      const unpin = h("button", { onclick: () => { pins.splice(pins.indexOf(p), 1); drawPins(); } }, "Unpin");
      pinned.append(h("div.step-row", null, h("strong", null, `Pinned: ${stepKey === "_step" ? "step" : stepKey} ${p}`), unpin), row);
      void cellsAt(row, p);
    }
  }

  load();
  return {
    update(change, ev) {
      if (change === "runs") load();
      else if (change === "step" && !own && ctx.mediaStep !== null && steps.length) {
        step = nearest(steps, ctx.mediaStep);
        slider.value = String(steps.indexOf(step));
        stepLabel.textContent = label();
        drawAll();
      } else if (change === "live" && ev && ev.new_keys.includes(spec.key)) load();
      else if (change === "live" && ev && stepsByRun.has(ev.id) && ev.state === "running") {
        const wasLast = step === steps[steps.length - 1];
        void api.mediaSteps(ctx.project, ev.id, spec.key).then((s) => {
          if (s.length === (stepsByRun.get(ev.id) ?? []).length) return;
          if (wasLast) step = null;
          load();
        });
      }
    },
    destroy() { destroyed = true; },
  };
}

export function nearest(steps: number[], target: number): number {
  let best = steps[0];
  for (const s of steps) if (s <= target) best = s;
  return best;
}

function filtersLearn(f: ImageFilters, it: MediaRef): void {
  if (!f.known) f.known = { masks: new Set(), boxes: new Set(), classes: new Map(), scores: new Set() };
  const k = f.known;
  const learn = (key: string, id: number, name: string, source: string) => {
    if (!k.classes.has(key)) { k.classes.set(key, { id, name, source }); f.classes.add(key); }
  };
  for (const [m, mask] of Object.entries((it.masks as Record<string, { class_labels?: Record<string, string> }>) ?? {})) {
    if (!k.masks.has(m)) { k.masks.add(m); f.masks.add(m); }
    for (const [id, name] of Object.entries(mask.class_labels ?? {})) if (id !== "0") learn(`m:${m}:${id}`, Number(id), name, m);
  }
  for (const [g, grp] of Object.entries((it.boxes as Record<string, { box_data: { class_id?: number; scores?: Record<string, number> }[]; class_labels?: Record<string, string> }>) ?? {})) {
    if (!k.boxes.has(g)) { k.boxes.add(g); f.boxes.add(g); }
    for (const b of grp.box_data ?? []) {
      for (const sc of Object.keys(b.scores ?? {})) k.scores.add(sc);
      const id = b.class_id ?? 0;
      learn(`b:${g}:${id}`, id, grp.class_labels?.[String(id)] ?? `class_${id}`, g);
    }
  }
}

function renderItem(ctx: Context, run: string, kind: string, it: MediaRef, filters: ImageFilters, step: number, key: string): Node {
  const url = refUrl(ctx, run, it);
  const caption = it.caption ? h("div.caption", null, String(it.caption)) : null;
  switch (it._type) {
    case "image-file": {
      const c = drawImage(ctx, run, it, filters);
      return h("div", null, c, caption);
    }
    case "audio-file":
      return h("div", null, h("audio", { controls: true, preload: "metadata", src: url }), caption,
        h("div.caption", null, `${fmtNum(Number(it.duration ?? 0))} s · ${it.sample_rate ?? "?"} Hz`));
    case "video-file":
      return it.format === "gif"
        ? h("div", null, h("img.vid", { src: url, alt: String(it.caption ?? key), width: Number(it.width ?? 0) * 3 || undefined }), caption)
        : h("div", null, h("video", { controls: true, loop: true, muted: true, preload: "metadata", src: url }), caption);
    case "html-file":
      // sandboxed: scripts may run, but in an opaque origin with no access to the UI (docs/ui.md, Media panels)
      return h("iframe", { sandbox: "allow-scripts", src: url, title: `${key} at step ${step}`, loading: "lazy" });
    case "table-file":
    case "table":
      return tableView(ctx, run, key, step);
    case "histogram":
      return histogramBars(it as unknown as { values: number[]; bins: number[] });
    default: {
      const holder = h("div.viewer3d", { dataset: { type: it._type } }, h("div.loading", null, "loading viewer…"));
      void heavy(ctx, run, it, holder);
      void kind;
      return h("div", null, holder, caption);
    }
  }
}

async function heavy(ctx: Context, run: string, it: MediaRef, holder: HTMLElement): Promise<void> {
  try {
    if (it._type === "plotly-file") (await import("./plotly")).renderPlotly(holder, refUrl(ctx, run, it));
    else if (it._type === "custom-chart") await (await import("./vega")).renderCustomChart(holder, ctx, run, it);
    else if (it._type === "object3D-file") await (await import("./three")).renderObject3D(holder, refUrl(ctx, run, it), String(it.format ?? ""));
    else if (it._type === "molecule-file") await (await import("./molecule")).renderMolecule(holder, refUrl(ctx, run, it), String(it.format ?? "pdb"));
    else holder.replaceChildren(h("a", { href: refUrl(ctx, run, it), target: "_blank" }, `${it._type}: open the file`));
  } catch (e) {
    holder.replaceChildren(emptyState("This item could not be drawn", String((e as Error).message ?? e)));
  }
}

/** A summary histogram as a small bar sparkline (docs/ui.md, Media panels). */
export function histogramBars(hist: { values: number[]; bins: number[] }, width = 160, height = 36): HTMLCanvasElement {
  const c = h("canvas.sparkline", { width, height });
  const g = c.getContext("2d");
  const vals = hist.values ?? [];
  const max = Math.max(1e-12, ...vals);
  if (g) {
    g.fillStyle = PALETTE[0];
    const w = width / Math.max(1, vals.length);
    vals.forEach((v, i) => {
      const bh = (v / max) * (height - 2);
      g.fillRect(i * w, height - bh, Math.max(1, w - 0.5), bh);
    });
  }
  c.title = `${vals.length} bins, ${fmtNum(hist.bins?.[0])} … ${fmtNum(hist.bins?.[hist.bins.length - 1])}`;
  return c;
}

/** Histograms over steps as heat maps (docs/ui.md), one per run on one shared value range and
 * one colour scale, so runs compare at a glance: x is the step, y the value, colour the count.
 * Hovering reads the step, the value range and the count under the pointer. */
function histogramPanel(el: HTMLElement, ctx: Context, key: string): Panel {
  const body = el.querySelector<HTMLElement>(".body")!;
  let destroyed = false;
  let seq = 0;
  async function load(): Promise<void> {
    const my = ++seq;
    const runs = ctx.runsWith(key).slice(0, MAX_MEDIA_RUNS);
    if (!runs.length) {
      body.replaceChildren(emptyState(`No shown run has logged ${key}`, "Show more runs in the runs table."));
      return;
    }
    const got = await Promise.all(runs.map(async (r) => [r, await api.histograms(ctx.project, r.id, key).catch((e: Error) => e)] as const));
    if (destroyed || my !== seq) return;
    const ok = got.filter(([, m]) => !(m instanceof Error) && m.steps.length && m.bins.length > 1) as [typeof runs[0], HistMatrix][];
    const shared = sharedHistograms(ok.map(([, m]) => m), 48);
    const grid = h("div.media-grid");
    got.forEach(([r, m]) => {
      const cell = h("div.media-cell", { style: { flex: "1 1 380px" }, dataset: { run: r.id } }, h("div.who", null, h("span.swatch", { style: { background: ctx.color(r.id) } }), r.name));
      if (m instanceof Error) cell.append(h("span.faint", null, m.message));
      else {
        const i = ok.findIndex(([rr]) => rr.id === r.id);
        if (i >= 0) cell.append(heatMap(m.steps, shared.bins, shared.counts[i], shared.max));
      }
      grid.append(cell);
    });
    body.replaceChildren(grid, shared.max > 0 ? colourScale(shared.max) : "");
  }
  load();
  return { update(c, ev) { if (c === "runs" || (c === "live" && ev?.state === "running")) load(); }, destroy() { destroyed = true; } };
}

/** Several runs' histogram matrices rebinned onto one value grid (the union of their ranges,
 * `nb` bins); each source bin's count goes to the shared bin holding its centre. */
export function sharedHistograms(ms: HistMatrix[], nb: number): { bins: number[]; counts: number[][][]; max: number } {
  let lo = Infinity, hi = -Infinity;
  for (const m of ms) { lo = Math.min(lo, m.bins[0]); hi = Math.max(hi, m.bins[m.bins.length - 1]); }
  if (!(hi > lo)) { lo = Number.isFinite(lo) ? lo - 0.5 : 0; hi = lo + 1; }
  const bins = Array.from({ length: nb + 1 }, (_, i) => lo + ((hi - lo) * i) / nb);
  let max = 0;
  const counts = ms.map((m) => m.counts.map((row) => {
    const out = new Array(nb).fill(0);
    row.forEach((v, j) => {
      const c = (m.bins[j] + m.bins[j + 1]) / 2;
      const k = Math.min(nb - 1, Math.max(0, Math.floor(((c - lo) / (hi - lo)) * nb)));
      out[k] += v;
    });
    for (const v of out) if (v > max) max = v;
    return out;
  }));
  return { bins, counts, max };
}

/** Viridis at five stops (colour-blind safe, and readable on both themes), t in [0, 1]. */
export function viridis(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function colourScale(max: number): HTMLElement {
  const c = h("canvas", { width: 160, height: 10, style: { verticalAlign: "middle", margin: "0 6px" } });
  const g = c.getContext("2d");
  if (g) for (let x = 0; x < 160; x++) { g.fillStyle = viridis(x / 159); g.fillRect(x, 0, 1, 10); }
  return h("div.colour-scale", { style: { fontSize: "11px", color: "var(--muted)", paddingTop: "4px" } }, "count  0", c, `${fmtNum(max)} (square-root scale)`);
}

export function heatMap(steps: number[], bins: number[], counts: number[][], sharedMax?: number): HTMLElement {
  const W = 420;
  const H = 200;
  const pad = { l: 48, b: 18, t: 4, r: 4 };
  const c = h("canvas.heat", { width: W * 2, height: H * 2 });
  c.style.width = `${W}px`;
  c.style.height = `${H}px`;
  const g = c.getContext("2d")!;
  g.scale(2, 2);
  const pw = W - pad.l - pad.r;
  const ph = H - pad.t - pad.b;
  let max = sharedMax ?? 0;
  if (!sharedMax) for (const row of counts) for (const v of row) max = Math.max(max, v);
  const nb = bins.length - 1;
  const cw = pw / Math.max(1, steps.length);
  const ch = ph / Math.max(1, nb);
  counts.forEach((row, i) => {
    row.forEach((v, j) => {
      if (v <= 0) return;
      g.fillStyle = viridis(Math.sqrt(v / max));
      g.fillRect(pad.l + i * cw, pad.t + ph - (j + 1) * ch, Math.ceil(cw), Math.ceil(ch));
    });
  });
  const axis = getComputedStyle(document.documentElement).getPropertyValue("--axis").trim() || "#666";
  g.fillStyle = axis;
  g.font = "10px system-ui, sans-serif";
  g.textAlign = "right";
  for (const f of [0, 0.5, 1]) g.fillText(fmtNum(bins[0] + f * (bins[nb] - bins[0]), 3), pad.l - 4, pad.t + ph - f * ph + (f === 1 ? 8 : f === 0 ? 0 : 3));
  g.textAlign = "center";
  g.fillText(`step ${steps[0]}`, pad.l + 30, H - 4);
  g.fillText(`${steps[steps.length - 1]}`, W - 16, H - 4);
  const readout = h("div.heat-readout", null, "");
  c.addEventListener("mousemove", (e) => {
    const r = c.getBoundingClientRect();
    const i = Math.floor((e.clientX - r.left - pad.l) / cw);
    const j = Math.floor((pad.t + ph - (e.clientY - r.top)) / ch);
    if (i < 0 || i >= steps.length || j < 0 || j >= nb) { readout.textContent = ""; return; }
    readout.textContent = `step ${steps[i]} · ${fmtNum(bins[j], 4)} … ${fmtNum(bins[j + 1], 4)} · count ${fmtNum(counts[i]?.[j] ?? 0)}`;
  });
  c.addEventListener("mouseleave", () => { readout.textContent = ""; });
  return h("div.heat-wrap", null, c, readout);
}

/** Media and charts a run put only in its summary (`run.summary["roc"] = wandb.plot...`,
 * a figure, an image): true for the refs the UI can draw. */
export function isSummaryMedia(v: unknown): v is MediaRef {
  if (!v || typeof v !== "object" || Array.isArray(v)) return false;
  const t = (v as { _type?: unknown })._type;
  return typeof t === "string" && t !== "float" && t !== "array";
}

/** One summary ref drawn as its kind is anywhere else. */
export function renderSummaryRef(ctx: Context, run: string, key: string, ref: MediaRef): Node {
  if (ref._type === "table-file" || ref._type === "table") {
    return h("a", { href: refUrl(ctx, run, ref), target: "_blank" }, `table ${ref.nrows ?? ""}×${ref.ncols ?? ""}: open the file`);
  }
  const filters: ImageFilters = { masks: new Set(), boxes: new Set(), classes: new Set(), minScore: {}, known: null };
  return renderItem(ctx, run, ref._type, ref, filters, 0, key);
}

/** A panel of one summary-only key across the shown runs: one cell per run that has it. */
export function summaryMediaPanel(el: HTMLElement, ctx: Context, key: string): Panel {
  const body = el.querySelector<HTMLElement>(".body")!;
  function draw(): void {
    const cells = ctx.runs.slice(0, MAX_MEDIA_RUNS).flatMap((r) => {
      const v = flatten(r.summary ?? {}, "", {}, true)[key];
      if (!isSummaryMedia(v)) return [];
      return [h("div.media-cell", { style: { flex: "1 1 320px" }, dataset: { run: r.id } },
        h("div.who", null, h("span.swatch", { style: { background: ctx.color(r.id) } }), r.name), renderSummaryRef(ctx, r.id, key, v))];
    });
    body.replaceChildren(cells.length ? h("div.media-grid", null, ...cells) : emptyState(`No shown run has ${key} in its summary`, "Show more runs in the runs table."));
  }
  draw();
  return { update(c) { if (c === "runs") draw(); }, destroy() {} };
}

/** A bar chart of one summary value across the shown runs (docs/ui.md, Workspace). */
export function summaryBarPanel(el: HTMLElement, ctx: Context, key: string): Panel {
  const body = el.querySelector<HTMLElement>(".body")!;
  function draw(): void {
    // a flattened key: "acc", "val.f1", or one aggregate of a define_metric summary, "loss.min"
    const rows = ctx.runs.map((r) => ({ r, v: asNumber(flatten(r.summary ?? {})[key]) })).filter((x) => x.v !== null && Number.isFinite(x.v)) as { r: typeof ctx.runs[0]; v: number }[];
    if (!rows.length) {
      body.replaceChildren(emptyState(`No shown run has a number in summary.${key}`, "Show more runs in the runs table."));
      return;
    }
    const max = Math.max(...rows.map((x) => Math.abs(x.v)), 1e-12);
    body.replaceChildren(h("div", { style: { display: "grid", gridTemplateColumns: "minmax(80px, 35%) 1fr auto", gap: "4px 8px", alignItems: "center", fontSize: "12px" } },
      ...rows.flatMap(({ r, v }) => [
        h("span", { style: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" } }, r.name),
        h("div", { style: { height: "14px", width: `${(Math.abs(v) / max) * 100}%`, background: ctx.color(r.id), borderRadius: "2px", minWidth: "2px" } }),
        h("span.mono", null, fmtNum(v)),
      ])));
  }
  draw();
  return { update(c) { if (c === "runs" || c === "live") draw(); }, destroy() {} };
}
