// The state a workspace's panels share: which runs are shown and in which colours, the default
// chart settings, and the workspace-wide media step. Panels subscribe to changes.

import type { Run, RunEvent } from "./api";
import { groupColors } from "./colors";

export interface ChartDefaults { xAxis: string; smoothing: number; logY: boolean; lineStyle?: "exact" | "mean" }

export type Change = "runs" | "defaults" | "step" | "live" | "group" | "highlight" | "colors";

/** Charts draw at most this many runs unless the workspace says otherwise (up to MAX_RUNS_LIMIT). */
export const DEFAULT_MAX_RUNS = 100;
export const MAX_RUNS_LIMIT = 1000;

export class Context {
  /** Runs the panels draw, in runs-table order (hidden ones left out). */
  runs: Run[] = [];
  colors = new Map<string, string>();
  defaults: ChartDefaults = { xAxis: "_step", smoothing: 0, logY: false };
  /** The workspace-wide media step (docs/ui.md, Media panels): when set, every media panel follows it. */
  mediaStep: number | null = null;
  /** Keys each run has logged (for asking the series endpoint only about runs that have a key). */
  runKeys = new Map<string, Set<string>>();
  numericKeys: string[] = [];
  /** Group the runs' lines by this config key (docs/ui.md, Workspace), or null for one line per run. */
  groupBy: string | null = null;
  /** The band around a group's mean: its runs' min and max, or one standard deviation. */
  groupBand: "minmax" | "std" = "minmax";
  /** Runs a chart draws at most (the first shown ones, in table order). */
  maxRuns = DEFAULT_MAX_RUNS;
  /** The run (or group) hovered in a legend or the runs table: drawn on top in every chart. */
  highlight: string | null = null;
  /** The x-axis a key's charts default to: its define_metric step metric, else the workspace's. */
  stepMetrics = new Map<string, string>();
  /** Colours of groups, in the order of their values (distinct, explained in the legends). */
  groupColors = new Map<string, string>();
  private listeners = new Set<(c: Change, e?: RunEvent) => void>();

  constructor(public project: string) {}

  color(runId: string): string {
    return this.colors.get(runId) ?? "#888";
  }

  setHighlight(key: string | null): void {
    if (key === this.highlight) return;
    this.highlight = key;
    this.emit("highlight");
  }

  /** The colour of a group: the palette in the order of the shown runs' group values. */
  groupColor(group: string): string {
    const sig = `${this.groupBy}|${this.runs.map((r) => r.id).join(",")}`;
    if (sig !== this.groupSig) {
      this.groupSig = sig;
      this.groupColors = groupColors(this.runs.map((r) => this.groupOf(r.id)));
    }
    return this.groupColors.get(group) ?? "#888";
  }
  private groupSig = "";

  /** The default x of `key`: the workspace's chosen axis when the user picked one, else the
   * step metric a run declared for it with define_metric, else the step. */
  defaultX(key: string): string {
    if (this.defaults.xAxis !== "_step") return this.defaults.xAxis;
    const sm = this.stepMetrics.get(key);
    return sm && this.numericKeys.includes(sm) ? sm : "_step";
  }

  runName(runId: string): string {
    return this.runs.find((r) => r.id === runId)?.name ?? runId;
  }

  on(fn: (c: Change, e?: RunEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private pending = new Map<string, RunEvent>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = 0;

  /** Live events reach the panels at most every `ms` per run (the latest one, with the new keys
   * of the ones it replaced), so a fast-logging run does not make every chart refetch on every
   * ingest pass. */
  emitLive(e: RunEvent, ms = 1500): void {
    const prev = this.pending.get(e.id);
    if (prev) e = { ...e, new_keys: [...new Set([...prev.new_keys, ...e.new_keys])] };
    this.pending.set(e.id, e);
    if (this.flushTimer) return;
    const wait = Math.max(50, this.lastFlush + ms - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.lastFlush = Date.now();
      const events = [...this.pending.values()];
      this.pending.clear();
      for (const ev of events) this.emit("live", ev);
    }, wait);
  }

  emit(c: Change, e?: RunEvent): void {
    for (const fn of [...this.listeners]) fn(c, e);
  }

  /** The group of a run: the value of its config key ctx.groupBy, as text. */
  groupOf(runId: string): string {
    const run = this.runs.find((r) => r.id === runId);
    let v: unknown = run?.config;
    for (const part of (this.groupBy ?? "").split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
    return v === undefined || v === null ? "(none)" : typeof v === "object" ? JSON.stringify(v) : String(v);
  }

  /** The shown runs that have logged `key` (all of them while their keys are unknown). */
  runsWith(key: string): Run[] {
    return this.runs.filter((r) => {
      const keys = this.runKeys.get(r.id);
      return keys === undefined || keys.has(key);
    });
  }
}
