// Comparing runs (docs/ui.md, Workspace): a scatter of a config value against a summary value, one dot per
// shown run in its colour, with the run's name on hover.

import type { Run } from "../lib/api";
import type { Context } from "../lib/context";
import { emptyState, h } from "../lib/dom";
import { asNumber, fmtNum } from "../lib/format";
import { flatten } from "../lib/runs";
import type { Panel } from "./panel";

export function numericFields(runs: Run[], part: "config" | "summary"): string[] {
  const keys = new Set<string>();
  for (const r of runs) {
    for (const [k, v] of Object.entries(flatten(r[part] ?? {}))) if (!k.startsWith("_") && asNumber(v) !== null) keys.add(k);
  }
  return [...keys].sort();
}

export function comparePanel(el: HTMLElement, ctx: Context): Panel {
  const body = el.querySelector<HTMLElement>(".body")!;
  const xSel = h("select", { "aria-label": "compare x (config)" });
  const ySel = h("select", { "aria-label": "compare y (summary)" });
  const controls = h("div.controls", null, h("label", null, "x: config ", xSel), h("label", null, "y: summary ", ySel));
  body.before(controls);
  const canvas = h("canvas", { style: { width: "100%", height: "240px", display: "block" } });
  const tip = h("div.tooltip", { hidden: true });
  let points: { x: number; y: number; run: Run }[] = [];

  function fill(): void {
    const xs = numericFields(ctx.runs, "config");
    const ys = numericFields(ctx.runs, "summary");
    const keep = (sel: HTMLSelectElement, opts: string[]) => {
      const cur = sel.value;
      sel.replaceChildren(...opts.map((k) => h("option", { value: k, selected: k === cur }, k)));
    };
    keep(xSel, xs);
    keep(ySel, ys);
  }

  function draw(): void {
    fill();
    if (!xSel.value || !ySel.value) {
      body.replaceChildren(emptyState("Nothing to compare yet", "This needs a numeric config value and a numeric summary value in the shown runs."));
      return;
    }
    if (!canvas.isConnected) body.replaceChildren(canvas, tip);
    const W = body.clientWidth || 400;
    const H = 240;
    const dpr = devicePixelRatio || 1;
    canvas.width = W * dpr;
    canvas.height = H * dpr;
    const g = canvas.getContext("2d")!;
    g.scale(dpr, dpr);
    const pad = { l: 56, r: 12, t: 10, b: 28 };
    const data = ctx.runs.map((run) => ({ run, x: asNumber(flatten(run.config ?? {})[xSel.value]), y: asNumber(flatten(run.summary ?? {})[ySel.value]) }))
      .filter((p) => p.x !== null && p.y !== null && Number.isFinite(p.x) && Number.isFinite(p.y)) as { run: Run; x: number; y: number }[];
    const ext = (vals: number[]) => {
      let lo = Math.min(...vals), hi = Math.max(...vals);
      if (lo === hi) { lo -= 1; hi += 1; }
      const m = (hi - lo) * 0.08;
      return [lo - m, hi + m];
    };
    const [x0, x1] = ext(data.map((p) => p.x));
    const [y0, y1] = ext(data.map((p) => p.y));
    const sx = (v: number) => pad.l + ((v - x0) / (x1 - x0)) * (W - pad.l - pad.r);
    const sy = (v: number) => H - pad.b - ((v - y0) / (y1 - y0)) * (H - pad.t - pad.b);
    const css = getComputedStyle(document.documentElement);
    g.strokeStyle = css.getPropertyValue("--grid").trim();
    g.fillStyle = css.getPropertyValue("--axis").trim();
    g.font = "11px system-ui, sans-serif";
    for (let i = 0; i <= 4; i++) {
      const vx = x0 + ((x1 - x0) * i) / 4, vy = y0 + ((y1 - y0) * i) / 4;
      g.beginPath(); g.moveTo(sx(vx), pad.t); g.lineTo(sx(vx), H - pad.b); g.stroke();
      g.beginPath(); g.moveTo(pad.l, sy(vy)); g.lineTo(W - pad.r, sy(vy)); g.stroke();
      g.textAlign = "center"; g.fillText(fmtNum(vx, 3), sx(vx), H - 10);
      g.textAlign = "right"; g.fillText(fmtNum(vy, 3), pad.l - 6, sy(vy) + 4);
    }
    points = data.map((p) => ({ ...p, x: sx(p.x), y: sy(p.y) }));
    for (const p of points) {
      g.fillStyle = ctx.color(p.run.id);
      g.beginPath(); g.arc(p.x, p.y, 5, 0, Math.PI * 2); g.fill();
    }
  }

  canvas.addEventListener("mousemove", (e) => {
    const r = canvas.getBoundingClientRect();
    const mx = e.clientX - r.left, my = e.clientY - r.top;
    const hit = points.find((p) => Math.hypot(p.x - mx, p.y - my) < 8);
    tip.hidden = !hit;
    if (hit) {
      tip.replaceChildren(h("div.r", null, h("span.swatch", { style: { background: ctx.color(hit.run.id) } }), hit.run.name),
        h("div.x", null, `${xSel.value} ${fmtNum(asNumber(flatten(hit.run.config)[xSel.value]))} · ${ySel.value} ${fmtNum(asNumber(flatten(hit.run.summary)[ySel.value]))}`));
      tip.style.left = `${hit.x + 12}px`;
      tip.style.top = `${hit.y + 12}px`;
    }
  });
  xSel.addEventListener("change", draw);
  ySel.addEventListener("change", draw);
  draw();
  return { update(c) { if (c === "runs" || c === "live") draw(); }, destroy() {} };
}
