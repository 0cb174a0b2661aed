// The run page's Environment card (packages, Python, OS, hardware, GPUs, git, allow-listed
// environment variables) and its Alerts card (run.alert), both on the overview (docs/ui.md, Run page).

import "../runinfo.css";
import { h } from "../lib/dom";
import { fmtDate } from "../lib/format";
import { runInfo, type Alert, type Environment } from "../lib/runInfoApi";

function rows(obj: Record<string, unknown>): HTMLElement {
  const entries = Object.entries(obj).filter(([, v]) => v !== null && v !== undefined && v !== "");
  if (!entries.length) return h("div.faint", { style: { padding: "8px 10px" } }, "nothing recorded");
  return h("table.kv", null, h("tbody", null, ...entries.map(([k, v]) => h("tr", null, h("td", null, k), h("td", null, String(v))))));
}

export function environmentCard(project: string, runId: string): HTMLElement {
  const card = h("div.card", { dataset: { card: "environment" } }, h("h2", null, "Environment"), h("div.inner", null, h("div.loading", null, "…")));
  runInfo.environment(project, runId).then((env) => fill(card, env), (e: Error) => {
    card.querySelector(".inner")!.replaceChildren(h("div.error", { style: { padding: "8px 10px" } }, e.message));
  });
  return card;
}

function fill(card: HTMLElement, env: Environment): void {
  const hw = env.hardware ?? {};
  const git = env.git ?? {};
  const main: Record<string, unknown> = {
    Python: [env.python, env.python_implementation].filter(Boolean).join(" "), OS: env.os, host: env.host,
    CPUs: hw.cpu_count ? `${hw.cpu_count} logical${hw.cpu_count_physical ? `, ${hw.cpu_count_physical} physical` : ""}` : null,
    memory: hw.memory_total_mb ? `${(Number(hw.memory_total_mb) / 1024).toFixed(1)} GiB` : null,
    GPUs: env.gpu_count ? `${env.gpu_count} × ${[...new Set(env.gpus)].join(", ")}` : env.captured ? "none seen" : null,
    command: env.command, "working dir": env.cwd, executable: env.executable,
    "git commit": git.commit, "git branch": git.branch, "git remote": git.remote,
    "uncommitted changes": git.dirty == null ? null : git.dirty ? "yes (see the Code tab)" : "no",
    conda: env.conda?.env,
  };
  const inner = card.querySelector(".inner")!;
  inner.replaceChildren(rows(main));
  if (!env.captured) inner.append(h("p.faint", { style: { padding: "0 10px" } }, "Packages, hardware and git were not captured for this run (settings capture_environment=False, or a run from before they were)."));
  const vars = Object.entries(env.env ?? {});
  if (vars.length) {
    inner.append(h("details.env-vars", null, h("summary", null, `Environment variables (${vars.length}, allow-listed)`), rows(Object.fromEntries(vars))));
  }
  if (env.packages.length) {
    const list = h("table.kv.packages", null, h("tbody"));
    const filter = h("input", { type: "search", placeholder: "filter packages", "aria-label": "filter packages" });
    const draw = () => {
      const needle = filter.value.toLowerCase();
      list.tBodies[0].replaceChildren(...env.packages.filter((p) => p.name.toLowerCase().includes(needle))
        .map((p) => h("tr", null, h("td", null, p.name), h("td", null, p.version))));
    };
    filter.addEventListener("input", draw);
    draw();
    inner.append(h("details.packages", { open: false }, h("summary", null, `Packages (${env.packages.length})`), h("div", { style: { padding: "4px 10px" } }, filter), list));
  }
}

const LEVEL_CLASS: Record<string, string> = { ERROR: "failed", WARN: "warn", INFO: "finished" };

/** The run's alerts, newest first; an empty element when it raised none. */
export function alertsCard(project: string, runId: string): HTMLElement {
  const card = h("div.card", { dataset: { card: "alerts" }, hidden: true });
  runInfo.alerts(project, runId).then((alerts) => {
    if (!alerts.length) return;
    card.hidden = false;
    card.replaceChildren(h("h2", null, `Alerts (${alerts.length})`), h("div.inner", null, h("ul.alerts", null,
      ...[...alerts].reverse().map((a: Alert) => h("li", { dataset: { level: a.level } },
        h(`span.state.${LEVEL_CLASS[a.level] ?? "finished"}`, null, a.level), " ", h("strong", null, a.title),
        h("span.faint", null, ` · ${fmtDate(a.ts)}`), h("div", null, a.text))))));
  }, () => {});
  return card;
}
