// What a workspace needs before it draws anything (docs/ui.md, "Scale"): the runs without their
// summaries (unless the URL sorts or filters by them), the project's keys and its define_metric
// step metrics. main.ts asks for them while the workspace's code is still loading.

import { api, type KeyInfo, type Run } from "./api";
import { getParam } from "./router";

/** Every field of a run but its summary (docs/http-api.md, "fields"). */
export const LIGHT_FIELDS = "name,state,created_at,updated_at,ended_at,heartbeat_at,runtime,last_step,rows,exit_code,error,group,job_type,notes,user,tags,config,flags,seq";

export interface WorkspaceData {
  runs: Run[]; keys: KeyInfo[]; metrics: { name: string; step_metric: string | null; runs: number }[];
  /** whether `runs` carry their summaries */
  summaries: boolean;
}

export function workspaceData(project: string): Promise<WorkspaceData> {
  const summaries = (getParam("sort") ?? "").startsWith("summary.") || !!(getParam("filter") ?? "").trim();
  return Promise.all([
    api.runs(project, { limit: 10000, fields: summaries ? undefined : LIGHT_FIELDS }), api.projectKeys(project),
    api.metrics(project).catch(() => []),
  ]).then(([r, keys, metrics]) => {
    for (const run of r.runs) run.summary ??= {};
    return { runs: r.runs, keys, metrics, summaries };
  });
}
