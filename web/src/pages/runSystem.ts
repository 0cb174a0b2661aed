// The run page's System tab (docs/ui.md, Run page): the system/ metrics the SDK samples on its own
// (docs/run-log.md, System metrics) against relative or wall time — one chart per metric, and one
// chart per GPU metric with a line per GPU.

import "../runinfo.css";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, type KeyInfo } from "../lib/api";
import { PALETTE } from "../lib/colors";
import type { Context } from "../lib/context";
import { emptyState, h, whenVisible } from "../lib/dom";
import { fmtDate, fmtDuration, fmtNum } from "../lib/format";
import { toLine } from "../lib/series";
import { linePanel } from "../panels/line";
import type { Panel } from "../panels/panel";

/** Readable titles of the system/ keys; a key not listed shows as itself. */
const TITLES: Record<string, string> = {
  "cpu.percent": "CPU utilisation, machine (%)", "cpu.process_percent": "CPU utilisation, this process (% of one core)",
  "memory.used_mb": "Memory used, machine (MiB)", "memory.available_mb": "Memory available (MiB)",
  "memory.percent": "Memory used, machine (%)", "proc.rss_mb": "Process memory, RSS (MiB)",
  "disk.read_mb": "Disk read since start (MiB)", "disk.write_mb": "Disk written since start (MiB)",
  "disk.used_mb": "Disk space used (MiB)", "disk.used_percent": "Disk space used (%)",
  "network.recv_mb": "Network received since start (MiB)", "network.sent_mb": "Network sent since start (MiB)",
  "utilization_percent": "GPU utilisation (%)", "memory_used_mb": "GPU memory used (MiB)",
  "memory_total_mb": "GPU memory total (MiB)", "temperature_c": "GPU temperature (°C)", "power_watts": "GPU power (W)",
};

const GPU_KEY = /^system\/gpu\.(\d+)\.(.+)$/;

/** Chart settings of a key in the workspace: system metrics chart against relative time (their
 * step is only a sample count, docs/run-log.md), everything else takes the workspace's defaults. */
export function systemLineSettings(key: string): { xAxis?: string } {
  return key.startsWith("system/") ? { xAxis: "_runtime" } : {};
}

export function systemTitle(key: string): string {
  const m = GPU_KEY.exec(key);
  if (m) return `${TITLES[m[2]] ?? m[2]} · GPU ${m[1]}`;
  return TITLES[key.replace(/^system\//, "")] ?? key;
}

/** system/ keys in display order: non-GPU metrics by key, then GPU metrics grouped by metric. */
export function systemGroups(keys: string[]): { plain: string[]; gpu: Map<string, { gpu: number; key: string }[]> } {
  const plain: string[] = [];
  const gpu = new Map<string, { gpu: number; key: string }[]>();
  for (const key of keys.filter((k) => k.startsWith("system/")).sort()) {
    const m = GPU_KEY.exec(key);
    if (!m) { plain.push(key); continue; }
    if (!gpu.has(m[2])) gpu.set(m[2], []);
    gpu.get(m[2])!.push({ gpu: Number(m[1]), key });
  }
  for (const list of gpu.values()) list.sort((a, b) => a.gpu - b.gpu);
  return { plain, gpu };
}

export function systemTab(content: HTMLElement, ctx: Context, keys: KeyInfo[], runId: string, panels: Panel[], disposers: (() => void)[]): void {
  const { plain, gpu } = systemGroups(keys.filter((k) => k.kinds.includes("number")).map((k) => k.key));
  if (!plain.length && !gpu.size) {
    content.append(emptyState("No system metrics",
      "runyard samples CPU, memory, disk, network and NVIDIA GPUs every 2 s and writes the means every 15 s, so a run shorter than that has none yet.",
      "They are off for runs started with settings system_metrics=False (or wandb's x_disable_stats=True); GPU metrics need nvidia-ml-py (pip install 'runyard[gpu]')."));
    return;
  }
  let xAxis = "_runtime";
  const grid = h("div.grid");
  const toggle = (axis: string, label: string) => h(`button${axis === xAxis ? ".on" : ""}`, {
    dataset: { axis }, onclick: () => { xAxis = axis; bar.querySelectorAll("button").forEach((b) => b.classList.toggle("on", b.dataset.axis === axis)); build(); },
  }, label);
  const bar = h("div.ws-tools", null, "x-axis", toggle("_runtime", "Relative time"), toggle("_timestamp", "Wall time"),
    h("span.faint", null, gpu.size ? `${new Set([...gpu.values()].flat().map((g) => g.gpu)).size} GPU(s)` : "no GPU metrics"));
  content.append(bar, grid);
  const mine: Panel[] = [];
  const build = () => {
    for (const p of mine.splice(0)) { p.destroy(); panels.splice(panels.indexOf(p), 1); }
    grid.replaceChildren();
    for (const [metric, list] of gpu) {
      const el = h("div.panel", { dataset: { key: `system/gpu.*.${metric}`, kind: "gpu" } },
        h("div.ph", null, h("span.title", null, TITLES[metric] ?? metric), h("span.badge", null, `${list.length} GPU${list.length > 1 ? "s" : ""}`)), h("div.body"));
      grid.append(el);
      disposers.push(whenVisible(el, () => { const p = gpuPanel(el, ctx.project, runId, list, xAxis); mine.push(p); panels.push(p); }));
    }
    for (const key of plain) {
      const el = h("div.panel", { dataset: { key, kind: "line" } }, h("div.ph", null, h("span.title", { title: key }, systemTitle(key)), h("span.badge")), h("div.body"));
      grid.append(el);
      disposers.push(whenVisible(el, () => { const p = linePanel(el, ctx, key, { xAxis }); mine.push(p); panels.push(p); }));
    }
  };
  build();
}

/** One chart of a GPU metric, a line per GPU (the lines of one run). */
function gpuPanel(el: HTMLElement, project: string, runId: string, list: { gpu: number; key: string }[], xAxis: string): Panel {
  const body = el.querySelector<HTMLElement>(".body")!;
  const legend = h("div.gpu-legend", null, ...list.map((g, i) => h("span", null, h("span.swatch", { style: { background: PALETTE[i % PALETTE.length] } }), `GPU ${g.gpu}`)));
  body.before(legend);
  let plot: uPlot | null = null;
  let destroyed = false;
  const load = async () => {
    try {
      const answers = await Promise.all(list.map((g) => api.series(project, [runId], g.key, xAxis, 1000)));
      if (destroyed) return;
      const lines = answers.map((a) => (a.series[0] ? toLine(a.series[0]) : { x: [], y: [] }));
      const data = uPlot.join(lines.map((l) => [l.x, l.y.map((v) => v ?? null)] as uPlot.AlignedData));
      const axis = getComputedStyle(document.documentElement).getPropertyValue("--axis").trim() || "#888";
      const gridc = getComputedStyle(document.documentElement).getPropertyValue("--grid").trim() || "#ddd";
      plot?.destroy();
      body.replaceChildren();
      plot = new uPlot({
        width: Math.max(200, body.clientWidth || 360), height: 210, legend: { show: false },
        scales: { x: { time: xAxis === "_timestamp" } },
        axes: [
          { stroke: axis, grid: { stroke: gridc, width: 1 }, values: xAxis === "_timestamp" ? undefined : (_u, v) => v.map((x) => fmtDuration(x)) },
          { stroke: axis, grid: { stroke: gridc, width: 1 }, size: 56, values: (_u, v) => v.map((y) => fmtNum(y, 3)) },
        ],
        series: [{ value: (_u, v) => (xAxis === "_timestamp" ? fmtDate(v) : fmtDuration(v)) },
          ...list.map((g, i) => ({ label: `GPU ${g.gpu}`, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true }))],
      }, data, body);
    } catch (e) {
      body.replaceChildren(emptyState("This chart could not be loaded", (e as Error).message));
    }
  };
  void load();
  return {
    update: (c, ev) => { if (c === "live" && ev?.id === runId) void load(); },
    destroy: () => { destroyed = true; plot?.destroy(); },
  };
}
