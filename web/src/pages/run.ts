// The run page (docs/ui.md, Run page): overview (state, config, summary, metadata), charts, media, console
// log and files. Live: a running run's state, summary, charts and log update without a reload.

import { api, fileUrl, subscribe, type KeyInfo, type Run } from "../lib/api";
import { colorOf } from "../lib/colors";
import { Context } from "../lib/context";
import { clear, emptyState, h, whenVisible } from "../lib/dom";
import { fmtDate, fmtDuration, fmtNum, fmtValue } from "../lib/format";
import { groupKeys, numericKeys, stepMetricOf } from "../lib/keys";
import { flatten } from "../lib/runs";
import { linePanel } from "../panels/line";
import type { Panel } from "../panels/panel";
import { codeTab } from "./runCode";
import { runEditor } from "./runEdit";
import { alertsCard, environmentCard } from "./runEnv";
import { filesTab } from "./runFiles";
import { systemTab } from "./runSystem";

const TABS = [["overview", "Overview"], ["charts", "Charts"], ["media", "Media"], ["system", "System"], ["code", "Code"], ["logs", "Logs"], ["files", "Files"], ["artifacts", "Artifacts"]] as const;

export async function runPage(main: HTMLElement, project: string, runId: string, tab: string): Promise<() => void> {
  let run = await api.run(project, runId);
  const keys = await api.runKeys(project, runId);
  document.title = `${run.name} · ${project} · runyard`;
  const crumb = document.querySelector<HTMLElement>("header .run-crumb");
  if (crumb) crumb.textContent = run.name;
  const page = h("div.page");
  main.append(page);
  const base = `/p/${encodeURIComponent(project)}/r/${encodeURIComponent(runId)}`;
  const stateEl = h(`span.state.${run.state}`, null, run.state);
  const meta = h("span.muted");
  const fillMeta = () => { meta.textContent = `${run.id} · started ${fmtDate(run.created_at)} · ${fmtDuration(run.runtime)} · ${fmtNum(run.rows ?? 0)} rows`; };
  fillMeta();
  const editor = runEditor(run, (r) => {
    run = { ...run, name: r.name, tags: r.tags, notes: r.notes };
    document.title = `${run.name} · ${project} · runyard`;
    if (crumb) crumb.textContent = run.name;
    onLive();
  });
  page.append(
    h("div.run-head", null, h("h1", null, h("span.swatch", { style: { background: colorOf(project, run.id), width: "14px", height: "14px" } }), editor.name), stateEl, meta, alertBadge(run, base), lossFlags(run)),
    editor.details,
    h("nav.tabs", null, ...TABS.map(([id, label]) => h(`a${id === tab ? ".active" : ""}`, { href: id === "overview" ? base : `${base}/${id}` }, label))),
  );
  const content = h("div");
  page.append(content);
  const ctx = new Context(project);
  ctx.runs = [run];
  ctx.colors.set(run.id, colorOf(project, run.id));
  ctx.runKeys.set(run.id, new Set(keys.map((k) => k.key)));
  ctx.numericKeys = numericKeys(keys);
  if (tab === "charts") {
    const defs = await api.metrics(project).catch(() => []);
    for (const k of keys) {
      const sm = stepMetricOf(k.key, defs);
      if (sm) ctx.stepMetrics.set(k.key, sm);
    }
  }
  const panels: Panel[] = [];
  const disposers: (() => void)[] = [];
  let onLive: () => void = () => {};
  const offCtx = ctx.on((c, e) => { for (const p of panels) p.update(c, e); });

  if (tab === "overview") onLive = overview(content, run, () => run, await import("../panels/media"), ctx);
  else if (tab === "charts" || tab === "media") await panelsTab(content, ctx, keys.filter((k) => !k.key.startsWith("system/")), tab, panels, disposers);
  else if (tab === "logs") onLive = await logsTab(content, project, runId);
  else if (tab === "files") filesTab(content, project, runId);
  else if (tab === "system") systemTab(content, ctx, keys, runId, panels, disposers);
  else if (tab === "code") codeTab(content, project, run);
  else if (tab === "artifacts") await (await import("./artifacts")).runArtifactsTab(content, project, runId);
  else content.append(emptyState("No such tab", h("a", { href: base }, "Back to the overview")));

  const close = subscribe(project, async (ev) => {
    if (ev.id !== runId) return;
    run = { ...run, state: ev.state, last_step: ev.last_step, rows: ev.rows, runtime: ev.runtime, summary: ev.summary };
    stateEl.className = `state ${run.state}`;
    stateEl.textContent = run.state;
    fillMeta();
    if (ev.new_keys.length) {
      const mine = ctx.runKeys.get(runId)!;
      ev.new_keys.forEach((k) => mine.add(k));
    }
    ctx.emitLive(ev);
    onLive();
  });
  return () => {
    close();
    offCtx();
    for (const p of panels) p.destroy();
    for (const d of disposers) d();
  };
}

/** Metadata the Environment card and the Code tab show: left out of the Metadata card. */
const IN_ENV_CARD = new Set(["environment", "git", "packages", "conda", "code", "code_tree"]);

function kvTable(obj: Record<string, unknown>, render: (v: unknown, k: string) => Node | string = (v) => fmtValue(v)): HTMLElement {
  const entries = Object.entries(obj);
  if (!entries.length) return h("div.faint", { style: { padding: "8px 10px" } }, "nothing here");
  return h("table.kv", null, h("tbody", null, ...entries.map(([k, v]) => h("tr", null, h("td", null, k), h("td", null, render(v, k))))));
}

function overview(content: HTMLElement, run: Run, current: () => Run, media: typeof import("../panels/media"), ctx: Context): () => void {
  const summaryCard = h("div.card", { dataset: { card: "summary" } });
  const fillSummary = () => {
    const r = current();
    summaryCard.replaceChildren(h("h2", null, "Summary"), h("div.inner", null, kvTable(Object.fromEntries(Object.entries(flatten(r.summary ?? {}, "", {}, true)).filter(([k]) => !k.startsWith("_"))), (v) => summaryValue(r, v))));
  };
  const state = h("div.card", { dataset: { card: "run" } });
  const fillState = () => {
    const r = current();
    const info: Record<string, unknown> = {
      state: r.state, name: r.name, id: r.id, project: r.project, user: r.user, created: fmtDate(r.created_at), runtime: fmtDuration(r.runtime),
      "last step": r.last_step, rows: r.rows, tags: (r.tags ?? []).join(", ") || null, group: r.group, "job type": r.job_type,
      notes: r.notes, "exit code": r.exit_code, error: r.error, "ended": r.ended_at ? fmtDate(r.ended_at) : null,
      "last heartbeat": r.heartbeat_at ? fmtDate(r.heartbeat_at) : null,
    };
    for (const k of Object.keys(info)) if (info[k] === null || info[k] === undefined) delete info[k];
    state.replaceChildren(h("h2", null, "Run"), h("div.inner", null, kvTable(info, (v) => String(v))));
  };
  fillState();
  fillSummary();
  // media and charts logged to the summary only: drawn, not printed as [custom-chart]
  const loggedKeys = ctx.runKeys.get(run.id) ?? new Set<string>();
  const refs = Object.entries(flatten(run.summary ?? {}, "", {}, true)).filter(([k, v]) => !k.startsWith("_") && !loggedKeys.has(k) && media.isSummaryMedia(v) && (v as { _type: string })._type !== "histogram");
  const mediaCard = refs.length ? h("div.card.summary-media", { dataset: { card: "summary-media" }, style: { gridColumn: "1 / -1" } }, h("h2", null, "Summary media"),
    h("div.media-grid", { style: { padding: "8px" } }, ...refs.map(([k, v]) => h("div.media-cell", { style: { flex: "1 1 360px" }, dataset: { key: k } },
      h("div.who", null, k), media.renderSummaryRef(ctx, run.id, k, v as never))))) : null;
  content.append(alertsCard(run.project, run.id), h("div.kv-grid", null, state, summaryCard,
    h("div.card", { dataset: { card: "config" } }, h("h2", null, "Config"), h("div.inner", null, kvTable(flatten(run.config ?? {})))),
    environmentCard(run.project, run.id),
    h("div.card", { dataset: { card: "metadata" } }, h("h2", null, "Metadata"), h("div.inner", null, kvTable(flatten(Object.fromEntries(Object.entries((run.metadata as Record<string, unknown>) ?? {}).filter(([k]) => !IN_ENV_CARD.has(k)))), (v) => typeof v === "string" || typeof v === "number" ? String(v) : fmtValue(v)))), mediaCard));
  return () => { fillState(); fillSummary(); };
}

function summaryValue(run: Run, v: unknown): Node | string {
  if (v && typeof v === "object") {
    const ref = v as Record<string, unknown>;
    if (ref._type === "histogram") {
      return h("span", null, sparkline(ref.values as number[]), " ", h("span.faint", null, `${(ref.values as number[]).length} bins`));
    }
    if (ref._type === "array") {
      const st = ["min", "max", "mean", "var"].filter((k) => ref[k] !== undefined).map((k) => `${k} ${fmtNum(ref[k])}`).join(" · ");
      return h("span", null, `array ${JSON.stringify(ref.shape)} ${ref.dtype} `, h("span.faint", null, st));
    }
    if (ref._type === "image-file" && typeof ref.path === "string") {
      return h("img", { src: fileUrl(run.project, run.id, ref.path), style: { maxWidth: "120px", maxHeight: "120px", imageRendering: "pixelated" } });
    }
  }
  return fmtValue(v);
}

function sparkline(values: number[]): HTMLCanvasElement {
  const w = 120, hh = 24;
  const c = h("canvas.sparkline", { width: w, height: hh });
  const g = c.getContext("2d");
  const max = Math.max(1e-12, ...values);
  if (g) {
    g.fillStyle = "#4e79a7";
    const bw = w / Math.max(1, values.length);
    values.forEach((v, i) => { const bh = (v / max) * hh; g.fillRect(i * bw, hh - bh, Math.max(1, bw - 0.3), bh); });
  }
  return c;
}

async function panelsTab(content: HTMLElement, ctx: Context, keys: KeyInfo[], tab: string, panels: Panel[], disposers: (() => void)[]): Promise<void> {
  const sections = groupKeys(keys).map((s) => ({ ...s, panels: s.panels.filter((p) => (tab === "charts" ? p.kind === "line" : p.kind !== "line")) })).filter((s) => s.panels.length);
  if (!sections.length) {
    content.append(emptyState(tab === "charts" ? "No metrics logged yet" : "No media logged yet",
      tab === "charts" ? "Charts appear as soon as this run logs a number with run.log({...}). A script that logs only at the end of each epoch shows its first point when the first epoch ends."
        : "Images, audio, video, tables, HTML, histograms, 3-D objects and charts logged with run.log({...}) show here."));
    return;
  }
  const { mediaPanel } = await import("../panels/media");
  for (const sec of sections) {
    const grid = h("div.grid");
    content.append(h("details.section", { open: true }, h("summary", null, sec.name, h("span.count", null, String(sec.panels.length))), grid));
    for (const spec of sec.panels) {
      const el = h(`div.panel${spec.kind === "table" || spec.kind === "histogram" ? ".wide" : ""}`, { dataset: { key: spec.key, kind: spec.kind } },
        h("div.ph", null, h("span.title", null, spec.key), h("span.badge")), h("div.body"));
      grid.append(el);
      disposers.push(whenVisible(el, () => panels.push(spec.kind === "line" ? linePanel(el, ctx, spec.key) : mediaPanel(el, ctx, spec))));
    }
  }
}

async function logsTab(content: HTMLElement, project: string, runId: string): Promise<() => void> {
  const pre = h("pre.console", { "aria-label": "console output" });
  content.append(pre);
  let cursor = -1;
  let busy = false;
  const more = async () => {
    if (busy) return;
    busy = true;
    try {
      for (;;) {
        const pageRes = await api.output(project, runId, cursor);
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 20;
        for (const it of pageRes.items) pre.append(it.stream === "stderr" ? h("span.stderr", null, it.text) : it.text);
        cursor = pageRes.next;
        if (atBottom) pre.scrollTop = pre.scrollHeight;
        if (!pageRes.more) break;
      }
      if (!pre.childNodes.length) {
        clear(pre);
        content.replaceChildren(emptyState("No console output",
          "This run printed nothing yet, or its output was not captured (RUNYARD_CONSOLE=off, or settings console='off'). Output appears here live while the run prints."), pre);
        pre.hidden = true;
      } else pre.hidden = false;
    } finally {
      busy = false;
    }
  };
  await more();
  return () => { void more(); };
}

/** What was not written or not indexed (docs/ui.md, Run page): the run log's LOSS totals
 * (flags.lost: writes that failed, such as a full disk) and an ingest failure (flags.index_error). */
export function lossFlags(run: Run): HTMLElement | null {
  const lost = run.flags?.lost as { rows?: number; records?: number; first_step?: number; last_step?: number; error?: string } | undefined;
  const ie = run.flags?.index_error as { message?: string } | string | undefined;
  const idx = typeof ie === "string" ? ie : ie?.message;
  if (!lost && !idx) return null;
  const parts: HTMLElement[] = [];
  if (lost) {
    const n = lost.rows ?? 0;
    const steps = lost.first_step !== undefined && lost.first_step !== null ? ` (steps ${lost.first_step}–${lost.last_step})` : "";
    parts.push(h("span.loss-flag", { title: `The run could not write everything it logged${lost.error ? `: ${lost.error}` : ""}. Everything logged before and after is kept.` },
      `⚠ ${n} row${n === 1 ? " was" : "s were"} not written${steps}${lost.records ? `, ${lost.records} other record${lost.records === 1 ? "" : "s"}` : ""}`));
  }
  if (idx) parts.push(h("span.loss-flag", { title: "The index could not read part of this run's log; what was indexed before stays, and the next successful pass replaces this." }, `⚠ not fully indexed: ${idx}`));
  return h("span.loss-flags", null, ...parts);
}

/** "N alerts" next to the run's state when it raised any (run.alert); links to the overview's list. */
function alertBadge(run: Run, base: string): HTMLElement | null {
  const a = run.flags?.alerts as { count: number; level: string; last: string } | undefined;
  if (!a) return null;
  return h(`a.alert-flag.${a.level.toLowerCase()}`, { href: base, title: `last: ${a.last}` }, `⚑ ${a.count} alert${a.count > 1 ? "s" : ""}`);
}
