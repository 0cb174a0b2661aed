// Plotly figures (and matplotlib figures converted to Plotly), with plotly.js loaded on demand.
// The figure's own width and height are dropped: it fits its panel and follows its size.
import { isDark } from "../lib/theme";

export async function renderPlotly(holder: HTMLElement, url: string): Promise<void> {
  const [mod, fig] = await Promise.all([import("plotly.js-dist-min"), fetch(url).then((r) => r.json())]);
  const Plotly = (mod as unknown as { default: { newPlot: (...a: unknown[]) => Promise<unknown>; Plots: { resize: (el: HTMLElement) => void } } }).default;
  holder.replaceChildren();
  holder.style.height = "340px";
  const dark = isDark();
  const { width: _w, height: _h, ...rest } = (fig.layout ?? {}) as Record<string, unknown>;
  void _w; void _h;
  const layout = { ...rest, autosize: true, margin: { l: 50, r: 20, t: 40, b: 40 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: dark ? "#e3e6e9" : "#1d2125" } };
  await Plotly.newPlot(holder, fig.data ?? [], layout, { responsive: true, displaylogo: false });
  // "responsive" follows the window; a panel resized on its own needs this too
  const ro = new ResizeObserver(() => { if (holder.isConnected) Plotly.Plots.resize(holder); else ro.disconnect(); });
  ro.observe(holder);
}
