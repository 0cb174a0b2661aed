// Plotly figures (and matplotlib figures converted to Plotly), with plotly.js loaded on demand.
export async function renderPlotly(holder: HTMLElement, url: string): Promise<void> {
  const [mod, fig] = await Promise.all([import("plotly.js-dist-min"), fetch(url).then((r) => r.json())]);
  const Plotly = (mod as unknown as { default: { newPlot: (...a: unknown[]) => Promise<unknown> } }).default;
  holder.replaceChildren();
  holder.style.height = "340px";
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  const layout = { ...(fig.layout ?? {}), autosize: true, margin: { l: 50, r: 20, t: 40, b: 40 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: dark ? "#e3e6e9" : "#1d2125" } };
  await Plotly.newPlot(holder, fig.data ?? [], layout, { responsive: true, displaylogo: false });
}
