// Custom charts (docs/media-refs.md, custom-chart): a Vega-Lite preset filled with the logged table's columns, drawn by
// vega-embed (loaded on demand). Built-in presets are the JSON files the Python package ships.

import { fileUrl, type MediaRef } from "../lib/api";
import type { Context } from "../lib/context";
import { asNumber, tagOf } from "../lib/format";
import { fillSpec } from "../lib/preset";
import { isDark } from "../lib/theme";

const presets = import.meta.glob("../../../src/runyard/plot/presets/*.json", { import: "default" });

const ALIASES: Record<string, string> = {
  "wandb/line/v0": "line", "wandb/scatter/v0": "scatter", "wandb/bar/v0": "bar", "wandb/histogram/v0": "histogram",
  "wandb/lineseries/v0": "line_series", "wandb/area-under-curve/v0": "pr_curve", "wandb/confusion_matrix/v0": "confusion_matrix",
  "wandb/confusion_matrix/v1": "confusion_matrix",
};

async function loadPreset(name: string): Promise<Record<string, unknown>> {
  const file = name.startsWith("runyard/") ? name.slice(8) : ALIASES[name];
  const loader = file ? presets[`../../../src/runyard/plot/presets/${file}.json`] : undefined;
  if (!loader) throw new Error(`chart preset ${name} is not built in; user presets need GET /api/presets/{name} (not served yet)`);
  return (await loader()) as Record<string, unknown>;
}

export async function renderCustomChart(holder: HTMLElement, ctx: Context, run: string, ref: MediaRef): Promise<void> {
  const table = ref.table as { path?: string } | undefined;
  const spec = await loadPreset(String(ref.preset));
  // the chart's table file: {"columns": [...], "data": [[...]]} (at most 10k rows)
  if (!table?.path) throw new Error("this custom chart names no table file");
  const doc = await (await fetch(fileUrl(ctx.project, run, table.path))).json() as { columns: string[]; data: unknown[][] };
  const rows = doc.data.map((r) => Object.fromEntries(doc.columns.map((c, i) => [c, decode(r[i])])));
  const filled = fillSpec(spec, (ref.fields as Record<string, string>) ?? {}, (ref.string_fields as Record<string, string>) ?? {}) as Record<string, unknown>;
  filled.data = { values: rows };
  filled.width = "container";
  filled.height = 260;
  filled.background = "transparent";
  const dark = isDark();
  const { default: embed } = await import("vega-embed");
  holder.replaceChildren();
  holder.style.height = "auto";
  holder.style.padding = "6px";
  await embed(holder, filled as never, { actions: false, renderer: "canvas", theme: dark ? "dark" : undefined });
}

function decode(v: unknown): unknown {
  const tag = tagOf(v);
  if (tag === "$float" || tag === "$int" || (v && typeof v === "object" && (v as { _type?: string })._type === "float")) return asNumber(v);
  return v;
}
