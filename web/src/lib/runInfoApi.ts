// The run page's environment, code, code diff and alerts (runyard.server.runinfo; docs/http-api.md).

import { fetchJson } from "./api";

export interface Environment {
  python: string | null; python_implementation: string | null; os: string | null; host: string | null;
  executable: string | null; command: string | null; cwd: string | null;
  hardware: Record<string, unknown>; gpu_count: number | null; gpus: string[]; env: Record<string, string>;
  git: Record<string, unknown> | null; conda: { env: string; file: string } | null;
  packages: { name: string; version: string }[]; captured: boolean;
}

export interface CodeInfo {
  files: { path: string; size: number }[]; main: string | null; diff: string | null;
  diff_truncated: { kept: number; total: number } | null; git: Record<string, unknown> | null; left_out: string | null;
}

export interface CodeCompare { base: string; run: string; files: { path: string; status: "added" | "removed" | "changed" | "same"; diff?: string | null }[] }

export interface Alert { ts: number; title: string; text: string; level: "INFO" | "WARN" | "ERROR"; wait_duration: number }

const enc = encodeURIComponent;
const base = (project: string, id: string) => `/api/runs/${enc(project)}/${enc(id)}`;

export const runInfo = {
  environment: (project: string, id: string) => fetchJson<Environment>(`${base(project, id)}/environment`),
  code: (project: string, id: string) => fetchJson<CodeInfo>(`${base(project, id)}/code`),
  compare: (project: string, id: string, other: string) =>
    fetchJson<CodeCompare>(`${base(project, id)}/code/compare?other=${enc(other)}`),
  alerts: (project: string, id: string) => fetchJson<{ alerts: Alert[] }>(`${base(project, id)}/alerts`).then((r) => r.alerts),
  files: (project: string, id: string) =>
    fetchJson<{ files: RunFile[] }>(`${base(project, id)}/files`).then((r) => r.files),
};

export interface RunFile { path: string; size: number; url: string; key?: string; step?: number }

/** The text of a file of a run, at most `limit` bytes (a Range request), and whether it was cut. */
export async function fileText(url: string, limit = 512 * 1024): Promise<{ text: string; cut: boolean }> {
  const res = await fetch(url, { headers: { Range: `bytes=0-${limit - 1}` } });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  const text = await res.text();
  const total = Number((res.headers.get("Content-Range") ?? "").split("/")[1] ?? NaN);
  return { text, cut: res.status === 206 && total > limit };
}
