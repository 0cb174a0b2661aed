// Comparing runs (docs/ui.md, Comparing runs): a scatter of a config value against a summary value, one
// dot per shown run in its colour, with the run's name on hover. It starts on a config key that
// varies (a learning rate first) against the project's main metric; an axis is logarithmic when
// its values span decades or name a learning rate (switchable).

import type { Run } from "../lib/api";
import { defaultScatter, wantsLog } from "../lib/compare";
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

export interface ComparePanel extends Panel { show(x: string, y: string): void }

export function comparePanel(el: HTMLElement, ctx: Context): ComparePanel {
  const body = el.querySelector<HTMLElement>(".body")!;
  const xSel = h("select", { "aria-label": "compare x (config)" });
  const ySel = h("select", { "aria-label": "compare y (summary)" });
  const logX = h("input", { type: "checkbox", "aria-label": "log x" });
  const logY = h("input", { type: "checkbox", "aria-label": "log y" });
  let autoLog = true; // until the user ticks a box, each axis takes the scale its values suit
  const controls = h("div.controls", null, h("label", null, "x: config ", xSel), h("label", null, logX, "log"),
    h("label", null, "y: summary ", ySel), h("label", null, logY, "log"));
  body.before(controls);
  const canvas = h("canvas", { style: { width: "100%", height: "240px", display: "block" } });
  const tip = h("div.tooltip", { hidden: true });
  let points: { x: number; y: number; run: Run }[] = [];

  let picked: { x: string; y: string } | null = null; // chosen by the user; else the default
  function fill(): void {
    const xs = numericFields(ctx.runs, "config");
    const ys = numericFields(ctx.runs, "summary");
    const def = defaultScatter(ctx.runs);
    const keep = (sel: HTMLSelectElement, opts: string[], want: string | null | undefined) => {
      const cur = want && opts.includes(want) ? want : opts[0] ?? "";
      sel.replaceChildren(...opts.map((k) => h("option", { value: k, selected: k === cur }, k)));
      sel.value = cur;
    };
    keep(xSel, xs, picked?.x ?? def.x);
    keep(ySel, ys, picked?.y ?? def.y);
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
    const pad = { l: 56, r: 26, t: 10, b: 28 };
    const data = ctx.runs.map((run) => ({ run, x: asNumber(flatten(run.config ?? {})[xSel.value]), y: asNumber(flatten(run.summary ?? {})[ySel.value]) }))
      .filter((p) => p.x !== null && p.y !== null && Number.isFinite(p.x) && Number.isFinite(p.y)) as { run: Run; x: number; y: number }[];
    if (autoLog) {
      logX.checked = wantsLog(xSel.value, data.map((p) => p.x));
      logY.checked = wantsLog(ySel.value, data.map((p) => p.y));
    }
    const lx = logX.checked && data.every((p) => p.x > 0), ly = logY.checked && data.every((p) => p.y > 0);
    const tx = (v: number) => (lx ? Math.log10(v) : v), ty = (v: number) => (ly ? Math.log10(v) : v);
    const ext = (vals: number[]) => {
      let lo = Math.min(...vals), hi = Math.max(...vals);
      if (lo === hi) { lo -= 1; hi += 1; }
      const m = (hi - lo) * 0.08;
      return [lo - m, hi + m];
    };
    const [x0, x1] = ext(data.map((p) => tx(p.x)));
    const [y0, y1] = ext(data.map((p) => ty(p.y)));
    const sx = (v: number) => pad.l + ((tx(v) - x0) / (x1 - x0)) * (W - pad.l - pad.r);
    const sy = (v: number) => H - pad.b - ((ty(v) - y0) / (y1 - y0)) * (H - pad.t - pad.b);
    const ux = (t: number) => (lx ? 10 ** t : t), uy = (t: number) => (ly ? 10 ** t : t);
    const css = getComputedStyle(document.documentElement);
    g.strokeStyle = css.getPropertyValue("--grid").trim();
    g.fillStyle = css.getPropertyValue("--axis").trim();
    g.font = "11px system-ui, sans-serif";
    for (let i = 0; i <= 4; i++) {
      const vx = ux(x0 + ((x1 - x0) * i) / 4), vy = uy(y0 + ((y1 - y0) * i) / 4);
      g.beginPath(); g.moveTo(sx(vx), pad.t); g.lineTo(sx(vx), H - pad.b); g.stroke();
      g.beginPath(); g.moveTo(pad.l, sy(vy)); g.lineTo(W - pad.r, sy(vy)); g.stroke();
      g.textAlign = "center"; g.fillText(fmtNum(vx, 3), sx(vx), H - 10);
      g.textAlign = "right"; g.fillText(fmtNum(vy, 3), pad.l - 6, sy(vy) + 4);
    }
    g.textAlign = "right";
    g.fillText(`${ySel.value}${ly ? " (log)" : ""}`, W - pad.r, pad.t + 10);
    g.textAlign = "left";
    g.fillText(`${xSel.value}${lx ? " (log)" : ""}`, pad.l + 4, H - pad.b - 6);
    canvas.dataset.x = xSel.value;
    canvas.dataset.y = ySel.value;
    canvas.dataset.log = `${lx ? "x" : ""}${ly ? "y" : ""}`;
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
  const pick = () => { picked = { x: xSel.value, y: ySel.value }; autoLog = true; draw(); };
  xSel.addEventListener("change", pick);
  ySel.addEventListener("change", pick);
  logX.addEventListener("change", () => { autoLog = false; draw(); });
  logY.addEventListener("change", () => { autoLog = false; draw(); });
  draw();
  let drawnWidth = body.clientWidth;
  const ro = new ResizeObserver(() => { if (Math.abs(body.clientWidth - drawnWidth) > 2) { drawnWidth = body.clientWidth; draw(); } });
  ro.observe(body); // redrawn at the panel's width, so the dots stay round
  return {
    update(c) { if (c === "runs" || c === "live" || c === "colors") draw(); },
    destroy() { ro.disconnect(); },
    show(x: string, y: string) { picked = { x, y }; autoLog = true; draw(); },
  };
}
