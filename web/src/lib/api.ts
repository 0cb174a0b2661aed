// The HTTP API (runyard.server; docs/http-api.md). Every error answers
// {"ok": false, "error": "...", "status": N}; fetchJson turns it into an ApiError with that text.

export interface Project { name: string; entity: string; runs: number; updated_at: number | null }

export interface Run {
  id: string; project: string; name: string; state: string;
  created_at: number; updated_at: number | null; ended_at: number | null; heartbeat_at: number | null;
  runtime: number | null; last_step: number | null; rows: number | null; exit_code: number | null;
  error: string | null; group: string | null; job_type: string | null; notes: string | null;
  user?: string | null;
  tags: string[]; config: Record<string, unknown>; summary: Record<string, unknown>;
  flags?: Record<string, unknown>; metadata?: Record<string, unknown>; seq: number;
}

export interface KeyInfo { key: string; kinds: string[]; runs?: number; points?: number }

/** A non-finite float as the server sends it (runyard/jsonvalue.py; see format.ts). */
export interface TaggedFloat { $float: "NaN" | "Infinity" | "-Infinity" }

export interface Series {
  run: string; key: string; x_axis: string; total: number; level: number; full_resolution: boolean;
  x: (number | TaggedFloat)[]; x_last: (number | TaggedFloat)[];
  min: (number | TaggedFloat | null)[]; max: (number | TaggedFloat | null)[]; mean: (number | TaggedFloat | null)[];
  first: (number | TaggedFloat)[]; last: (number | TaggedFloat)[]; count: number[]; nonfinite: number[];
}

export interface MediaRef { _type: string; path?: string; url?: string; caption?: string; [k: string]: unknown }
export interface MediaAt { key: string; step: number; requested_step: number | null; items: MediaRef[] }

export interface TablePage {
  columns: string[]; total: number; offset: number; limit: number;
  rows: { index: number; cells: unknown[] }[]; key: string; step: number;
  column_types?: Record<string, string> | null;
}

export interface HistMatrix { key: string; steps: number[]; bins: number[]; counts: number[][] }
export interface OutputPage { items: { cursor: number; ts: number; stream: string; text: string }[]; next: number; more: boolean }

export interface Importance {
  target: string; runs: number; method: "random_forest" | "correlation"; note: string | null;
  params: { key: string; kind: "number" | "category"; runs: number; correlation: number | null; importance: number | null }[];
}

export class ApiError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

const enc = encodeURIComponent;

export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, `the runyard server did not answer (${(e as Error).message}); is \`runyard ui\` still running?`);
  }
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (body && typeof body.error === "string") msg = body.error;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, msg);
  }
  return (await res.json()) as T;
}

// Series requests go at most SERIES_AT_ONCE at a time, in the order the charts asked (top of the
// screen first): one server process answers them one after the other anyway, so with all nine of
// a first screen sent at once every chart got its data at the end; in turn the first chart draws
// after one answer (docs/ui.md, "Scale").
const SERIES_AT_ONCE = 2;
let running = 0;
const queued: (() => void)[] = [];

/** Series requests answered so far, and when the last one was (performance.now()). */
export const seriesActivity = { answered: 0, lastAt: 0, busy: () => running > 0 || queued.length > 0 };

async function inTurn<T>(f: () => Promise<T>): Promise<T> {
  if (running >= SERIES_AT_ONCE) await new Promise<void>((go) => queued.push(go));
  else running++;
  try {
    return await f();
  } finally {
    seriesActivity.answered++;
    seriesActivity.lastAt = performance.now();
    const next = queued.shift(); // the slot passes to the next request, or is freed
    if (next) next();
    else running--;
  }
}

export const api = {
  projects: () => fetchJson<{ projects: Project[] }>("/api/projects").then((r) => r.projects),
  /** `fields`: comma-separated fields of each run to answer (docs/http-api.md); default all. */
  runs: (project: string, opts: { limit?: number; offset?: number; order?: string; search?: string; filters?: unknown; fields?: string } = {}) => {
    const p = new URLSearchParams({ limit: String(opts.limit ?? 1000), offset: String(opts.offset ?? 0) });
    if (opts.fields) p.set("fields", opts.fields);
    if (opts.order) p.set("order", opts.order);
    if (opts.search) p.set("search", opts.search);
    if (opts.filters) p.set("filters", JSON.stringify(opts.filters));
    return fetchJson<{ total: number; runs: Run[] }>(`/api/projects/${enc(project)}/runs?${p}`);
  },
  projectKeys: (project: string) =>
    fetchJson<{ keys: KeyInfo[] }>(`/api/projects/${enc(project)}/keys`).then((r) => r.keys),
  views: (project: string) =>
    fetchJson<{ views: { name: string; version: number; updated_at: number }[] }>(`/api/projects/${enc(project)}/views`).then((r) => r.views),
  view: (project: string, name: string) =>
    fetchJson<{ name: string; version: number; updated_at: number; layout: import("./layout").LayoutDoc }>(`/api/projects/${enc(project)}/views/${enc(name)}`),
  saveView: (project: string, name: string, layout: import("./layout").LayoutDoc, baseVersion: number | null) =>
    fetchJson<{ ok: boolean; version: number; replaced: { version: number; updated_at: number } | null }>(`/api/projects/${enc(project)}/views/${enc(name)}`, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ layout, base_version: baseVersion }),
    }),
  deleteView: (project: string, name: string) =>
    fetchJson<{ ok: boolean }>(`/api/projects/${enc(project)}/views/${enc(name)}`, { method: "DELETE" }),
  metrics: (project: string) =>
    fetchJson<{ metrics: { name: string; step_metric: string | null; runs: number }[] }>(`/api/projects/${enc(project)}/metrics`).then((r) => r.metrics),
  run: (project: string, id: string) => fetchJson<Run>(`/api/runs/${enc(project)}/${enc(id)}`),
  /** Edits a finished run's name, tags or notes (an UPDATE record in its log). */
  editRun: (project: string, id: string, fields: { name?: string; tags?: string[]; notes?: string | null }) =>
    fetchJson<{ ok: boolean; run: Pick<Run, "id" | "name" | "tags" | "notes"> }>(`/api/runs/${enc(project)}/${enc(id)}`, {
      method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify(fields),
    }).then((r) => r.run),
  /** Deletes a run for good (its folder, or the log a team server holds); refused (409) while it runs. */
  deleteRun: (project: string, id: string) =>
    fetchJson<{ ok: boolean }>(`/api/runs/${enc(project)}/${enc(id)}`, { method: "DELETE" }),
  importance: (project: string, target: string, runs: string[]) =>
    fetchJson<Importance>(`/api/projects/${enc(project)}/importance?${new URLSearchParams({ target, runs: runs.join(",") })}`),
  runKeys: (project: string, id: string) =>
    fetchJson<{ keys: KeyInfo[] }>(`/api/runs/${enc(project)}/${enc(id)}/keys`).then((r) => r.keys),
  series: (project: string, runs: string[], key: string, xAxis: string, maxPoints: number, range?: [number, number]) => {
    const p = new URLSearchParams({ runs: runs.join(","), key, x_axis: xAxis, max_points: String(maxPoints) });
    if (range) {
      p.set("x_min", String(range[0]));
      p.set("x_max", String(range[1]));
    }
    return inTurn(() => fetchJson<{ series: Series[]; elapsed_ms: number }>(`/api/projects/${enc(project)}/series?${p}`));
  },
  /** Every point of a series, unsampled (little-endian float64: x values, then y values). */
  points: async (project: string, run: string, key: string, xAxis: string): Promise<{ x: Float64Array; y: Float64Array }> => {
    const url = `/api/runs/${enc(project)}/${enc(run)}/points?key=${enc(key)}&x_axis=${enc(xAxis)}`;
    const res = await fetch(url);
    if (!res.ok) {
      let msg = `${res.status} ${res.statusText}`;
      try { msg = (await res.json()).error ?? msg; } catch { /* not JSON */ }
      throw new ApiError(res.status, msg);
    }
    const buf = await res.arrayBuffer();
    const n = buf.byteLength / 16;
    return { x: new Float64Array(buf, 0, n), y: new Float64Array(buf, n * 8, n) };
  },
  mediaSteps: (project: string, id: string, key: string) =>
    fetchJson<{ steps: number[] }>(`/api/runs/${enc(project)}/${enc(id)}/media/steps?key=${enc(key)}`).then((r) => r.steps),
  mediaStepsBy: (project: string, id: string, key: string, xKey: string) =>
    fetchJson<{ steps: number[]; x: (number | string | null)[] }>(`/api/runs/${enc(project)}/${enc(id)}/media/steps?key=${enc(key)}&x_key=${enc(xKey)}`),
  mediaAt: (project: string, id: string, key: string, step: number | null) =>
    fetchJson<MediaAt>(`/api/runs/${enc(project)}/${enc(id)}/media?key=${enc(key)}${step === null ? "" : `&step=${step}`}`),
  table: (project: string, id: string, key: string, step: number | null, q: { offset: number; limit: number; sort?: string; desc?: boolean; search?: string }) => {
    const p = new URLSearchParams({ key, offset: String(q.offset), limit: String(q.limit) });
    if (step !== null) p.set("step", String(step));
    if (q.sort) p.set("sort", q.sort);
    if (q.desc) p.set("desc", "true");
    if (q.search) p.set("search", q.search);
    return fetchJson<TablePage>(`/api/runs/${enc(project)}/${enc(id)}/table?${p}`);
  },
  histograms: (project: string, id: string, key: string) =>
    fetchJson<HistMatrix>(`/api/runs/${enc(project)}/${enc(id)}/histograms?key=${enc(key)}&max_steps=200&bins=48`),
  files: (project: string, id: string) =>
    fetchJson<{ files: { path: string; size: number; url: string }[] }>(`/api/runs/${enc(project)}/${enc(id)}/files`).then((r) => r.files),
  output: (project: string, id: string, after = -1, limit = 2000) =>
    fetchJson<OutputPage>(`/api/runs/${enc(project)}/${enc(id)}/output?after=${after}&limit=${limit}`),
};

/** The URL of a file of a run (media or files folder). */
export function fileUrl(project: string, runId: string, path: string): string {
  return `/api/runs/${enc(project)}/${enc(runId)}/files/${path.split("/").map(enc).join("/")}`;
}

export interface RunEvent {
  seq: number; project: string; id: string; state: string; last_step: number | null; rows: number | null;
  runtime: number | null; summary: Record<string, unknown>; new_keys: string[];
}

/** Live updates (docs/http-api.md): server-sent `run` events for runs that changed. Returns a closer. */
export function subscribe(project: string | null, onRun: (e: RunEvent) => void): () => void {
  if (typeof EventSource === "undefined") return () => {};
  const url = `/api/events${project ? `?project=${enc(project)}` : ""}`;
  const es = new EventSource(url);
  es.addEventListener("run", (ev) => {
    try {
      onRun(JSON.parse((ev as MessageEvent).data) as RunEvent);
    } catch {
      /* a malformed event is skipped */
    }
  });
  return () => es.close();
}
