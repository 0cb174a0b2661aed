// Parallel coordinates (docs/ui.md, Comparing runs): one vertical axis per config key that varies
// and the main metric last, one line per run in its colour. Dragging along an axis brushes a
// range; the runs outside every brush leave the runs table's shown runs, so every chart follows.
// A click on an axis clears its brush. Drawn on a canvas (1,000 runs stay fast); the brushes are
// DOM boxes over it.

import type { Run } from "../lib/api";
import { makeAxis, mainMetric, passesBrushes, position, valueAt, varyingKeys, type Axis, type Brushes } from "../lib/compare";
import type { Context } from "../lib/context";
import { emptyState, h } from "../lib/dom";
import type { Panel } from "./panel";

const MAX_CONFIG_AXES = 7;
const PAD = { t: 52, b: 30, l: 56, r: 56 };

/** What the workspace keeps of the brushes: the axes they were drawn on, and their ranges. */
export interface BrushState { axes: Axis[]; ranges: Brushes }

export function parallelPanel(el: HTMLElement, ctx: Context, base: () => Run[], brush: BrushState, onBrush: () => void): Panel {
  const body = el.querySelector<HTMLElement>(".body")!;
  const badge = el.querySelector<HTMLElement>(".badge")!;
  const wrap = h("div.pc-wrap", { style: { position: "relative", height: "310px" } });
  const canvas = h("canvas", { style: { position: "absolute", inset: "0", width: "100%", height: "100%" } });
  const overlay = h("div.pc-overlay", { style: { position: "absolute", inset: "0" } });
  wrap.append(canvas, overlay);
  const axesBox = h("details.pc-axes", null, h("summary", null, "Axes"));
  const clear = h("button", { title: "Clear every brush", onclick: () => { brush.ranges.clear(); onBrush(); draw(); } }, "Clear brushes");
  el.querySelector(".ph .title")?.after(axesBox);
  body.before(h("div.controls", null, h("span.faint", null, "Drag along an axis to keep only the runs in that range; click an axis to clear it."), clear));
  let chosen: string[] | null = null; // axis ids the user picked (null: automatic)

  function autoAxes(runs: Run[]): string[] {
    const metric = mainMetric(runs);
    return [...varyingKeys(runs, "config").slice(0, MAX_CONFIG_AXES).map((k) => `config.${k}`), ...(metric ? [`summary.${metric}`] : [])];
  }

  function fillAxesMenu(runs: Run[]): void {
    const ids = chosen ?? autoAxes(runs);
    const options = [...varyingKeys(runs, "config").map((k) => `config.${k}`), ...varyingKeys(runs, "summary", true).map((k) => `summary.${k}`)];
    axesBox.replaceChildren(h("summary", null, `Axes (${ids.length})`), h("div.columns-menu", null, ...options.map((id) => {
      const box = h("input", { type: "checkbox", checked: ids.includes(id), onchange: () => {
        const cur = chosen ?? autoAxes(runs);
        chosen = box.checked ? [...cur, id] : cur.filter((x) => x !== id);
        for (const k of [...brush.ranges.keys()]) if (!chosen.includes(k)) brush.ranges.delete(k);
        brush.axes = [];
        onBrush();
        draw();
      } });
      return h("label", null, box, id);
    })));
  }

  function draw(): void {
    const runs = base();
    fillAxesMenu(runs);
    const ids = chosen ?? autoAxes(runs);
    if (runs.length < 2 || ids.length < 2) {
      body.replaceChildren(emptyState("Nothing to compare yet", "Parallel coordinates need two or more shown runs and config values that differ between them."));
      return;
    }
    if (!wrap.isConnected) body.replaceChildren(wrap);
    // axes stay as they were while a brush is on (its range is a position on them)
    if (!brush.ranges.size || brush.axes.map((a) => a.id).join("|") !== ids.join("|")) {
      brush.axes = ids.map((id) => { const dot = id.indexOf("."); return makeAxis(runs, id.slice(0, dot) as "config" | "summary", id.slice(dot + 1)); });
    }
    const axes = brush.axes;
    const W = wrap.clientWidth || 600, H = wrap.clientHeight || 300;
    const dpr = devicePixelRatio || 1;
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
    const g = canvas.getContext("2d")!;
    g.scale(dpr, dpr);
    const xOf = (i: number) => PAD.l + (i * (W - PAD.l - PAD.r)) / Math.max(1, axes.length - 1);
    const yOf = (p: number) => H - PAD.b - p * (H - PAD.t - PAD.b);
    const css = getComputedStyle(document.documentElement);
    const faint = css.getPropertyValue("--border").trim() || "#ccc";
    const line = (r: Run, color: string, width: number) => {
      g.strokeStyle = color;
      g.lineWidth = width;
      g.beginPath();
      let pen = false;
      axes.forEach((a, i) => {
        const p = position(a, r);
        if (p === null) { pen = false; return; }
        if (pen) g.lineTo(xOf(i), yOf(p)); else g.moveTo(xOf(i), yOf(p));
        pen = true;
      });
      g.stroke();
    };
    const paint = () => {
      const inside = runs.filter((r) => passesBrushes(r, axes, brush.ranges));
      badge.textContent = brush.ranges.size ? `${inside.length} of ${runs.length} runs in the brushes` : `${runs.length} runs`;
      g.clearRect(0, 0, W, H);
      const keptSet = new Set(inside.map((r) => r.id));
      for (const r of runs) if (!keptSet.has(r.id)) line(r, faint, 1);
      g.globalAlpha = runs.length > 200 ? 0.5 : 0.9;
      for (const r of inside) line(r, ctx.color(r.id), ctx.highlight === r.id ? 3 : 1.5);
      g.globalAlpha = 1;
    };
    paint();
    // axes, labels and brushes (DOM, so they can be dragged and read by tests)
    overlay.replaceChildren();
    axes.forEach((a, i) => {
      const x = xOf(i);
      const ax = h("div.pc-axis", { dataset: { axis: a.id }, title: `${a.id}${a.log ? " (log scale)" : ""} — drag to brush, click to clear`,
        style: { position: "absolute", left: `${x - 12}px`, top: `${PAD.t}px`, width: "24px", height: `${H - PAD.t - PAD.b}px`, cursor: "crosshair" } },
      h("div", { style: { position: "absolute", left: "11px", top: "0", bottom: "0", width: "1px", background: "var(--axis)" } }));
      const name = a.key.length > 22 ? `…${a.key.slice(-21)}` : a.key;
      overlay.append(
        h("div.pc-label", { style: { position: "absolute", left: `${x - 70}px`, width: "140px", top: "2px", textAlign: "center" } },
          h("div", { style: { fontWeight: "600", overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" } }, name),
          h("div.faint", null, `${a.part}${a.log ? " · log" : ""}`)),
        h("div.pc-tick", { style: { position: "absolute", left: `${x - 60}px`, width: "120px", top: `${H - PAD.b + 4}px`, textAlign: "center" } }, valueAt(a, 0)),
        h("div.pc-tick", { style: { position: "absolute", left: `${x - 60}px`, width: "120px", top: `${PAD.t - 14}px`, textAlign: "center" } }, a.categories && a.categories.length < 2 ? "" : valueAt(a, 1)),
        ax);
      if (a.categories && a.categories.length > 2 && a.categories.length <= 12) {
        a.categories.slice(1, -1).forEach((c, j) => overlay.append(h("div.pc-tick", { style: { position: "absolute", left: `${x + 6}px`, top: `${yOf((j + 1) / (a.categories!.length - 1)) - 7}px` } }, c)));
      }
      const box = h("div.pc-brush", { dataset: { axis: a.id }, style: { position: "absolute", left: `${x - 8}px`, width: "16px" } });
      const placeBox = () => {
        const b = brush.ranges.get(a.id);
        box.hidden = !b;
        if (!b) return;
        box.title = `${valueAt(a, b[0])} to ${valueAt(a, b[1])}`;
        box.style.top = `${yOf(b[1])}px`;
        box.style.height = `${Math.max(2, yOf(b[0]) - yOf(b[1]))}px`;
      };
      placeBox();
      overlay.append(box);
      ax.addEventListener("pointerdown", (e) => {
        e.preventDefault();
        ax.setPointerCapture(e.pointerId);
        const top = ax.getBoundingClientRect().top, hgt = H - PAD.t - PAD.b;
        const snap = 4 / hgt; // within 4 px of an end counts as the end (its runs included)
        const at = (cy: number) => { const v = 1 - (cy - top) / hgt; return v >= 1 - snap ? 1 : v <= snap ? 0 : v; };
        const start = at(e.clientY);
        let moved = false;
        const move = (ev: PointerEvent) => {
          const now = at(ev.clientY);
          if (Math.abs(now - start) * hgt < 3 && !moved) return;
          moved = true;
          brush.ranges.set(a.id, [Math.min(start, now), Math.max(start, now)]);
          placeBox(); // the overlay stays (it holds the pointer); only the lines repaint
          paint();
        };
        const up = () => {
          ax.removeEventListener("pointermove", move);
          ax.removeEventListener("pointerup", up);
          if (!moved) brush.ranges.delete(a.id);
          onBrush();
          draw();
        };
        ax.addEventListener("pointermove", move);
        ax.addEventListener("pointerup", up);
      });
    });
  }
  const ro = new ResizeObserver(() => draw());
  ro.observe(body);
  draw();
  return {
    update(c) { if (c === "runs" || c === "live" || c === "colors" || c === "highlight") draw(); },
    destroy() { ro.disconnect(); },
  };
}
