import { describe, expect, it } from "vitest";
import type { Run } from "./api";
import { arrangeColumns, dataColumns, flatRuns, flatten, matches, moveColumn, parseFilter, searchMatch, sortRuns, type Column } from "./runs";

const run = (id: string, config: Record<string, unknown>, summary: Record<string, unknown>, extra: Partial<Run> = {}): Run => ({
  id, project: "p", name: `name-${id}`, state: "finished", created_at: 0, updated_at: 0, ended_at: 0, heartbeat_at: 0,
  runtime: 1, last_step: 1, rows: 1, exit_code: 0, error: null, group: null, job_type: null, notes: null,
  tags: [], config, summary, seq: 1, ...extra,
});

const rows = flatRuns([
  run("a", { lr: 0.1, opt: "sgd", model: { width: 64, depth: 2 } }, { acc: 0.5 }, { tags: ["baseline"] }),
  run("b", { lr: 0.01, opt: "adam" }, { acc: 0.9 }),
  run("c", { lr: 0.001, opt: "adam" }, {}),
]);

describe("runs table logic", () => {
  it("flattens nested config, keeps media refs and single-key summaries whole", () => {
    expect(flatten({ a: { b: 1, c: 2 }, img: { _type: "image-file", path: "x" }, acc: { max: 1 }, m: { width: 3 } }))
      .toEqual({ "a.b": 1, "a.c": 2, img: { _type: "image-file", path: "x" }, acc: { max: 1 }, "m.width": 3 });
  });
  it("makes a column per config and summary key", () => {
    expect(dataColumns(rows).map((c) => c.id)).toEqual(["config.lr", "config.model.depth", "config.model.width", "config.opt", "summary.acc"]);
    expect(dataColumns(rows).find((c) => c.id === "config.opt")!.numeric).toBe(false);
  });
  it("sorts with missing values last either way", () => {
    expect(sortRuns(rows, "summary.acc", false).map((r) => r.run.id)).toEqual(["a", "b", "c"]);
    expect(sortRuns(rows, "summary.acc", true).map((r) => r.run.id)).toEqual(["b", "a", "c"]);
    expect(sortRuns(rows, "config.opt", false).map((r) => r.run.id)).toEqual(["b", "c", "a"]);
  });
  it("filters", () => {
    const f = (t: string) => rows.filter((r) => matches(r, parseFilter(t) as never)).map((r) => r.run.id);
    expect(f("lr > 0.005")).toEqual(["a", "b"]);
    expect(f("opt = adam and lr < 0.005")).toEqual(["c"]);
    expect(f("summary.acc >= 0.9")).toEqual(["b"]);
    expect(f("tags = baseline")).toEqual(["a"]);
    expect(f("name ~ B")).toEqual(["b"]);
    expect(typeof parseFilter("lr")).toBe("string");
    expect(parseFilter("lr >")).toMatch(/needs a value/);
  });
  it("searches names, ids and tags", () => {
    expect(searchMatch(rows[0].run, "basel")).toBe(true);
    expect(searchMatch(rows[1].run, "zzz")).toBe(false);
  });
});

describe("define_metric summaries", () => {
  it("give a column per aggregate, and show together on the overview", async () => {
    const { flatten } = await import("./runs");
    const { fmtValue } = await import("./format");
    const s = { loss: { min: 1.48, last: 1.7912345678901234 }, acc: { max: 0.93 }, "val": { f1: 0.5 } };
    expect(flatten(s)).toEqual({ "loss.min": 1.48, "loss.last": 1.7912345678901234, acc: { max: 0.93 }, "val.f1": 0.5 });
    const kept = flatten(s, "", {}, true);
    expect(fmtValue(kept.loss)).toBe("min 1.48 · last 1.791");
  });
});

describe("column arrangement", () => {
  const cols: Column[] = ["name", "state", "config.lr", "summary.loss", "summary.img"].map((id) => ({ id, label: id, group: "run", width: 100 }));
  it("puts named columns in the person's order, the rest after, name first", () => {
    const out = arrangeColumns(cols, { widths: { "config.lr": 240, name: 300, "summary.loss": 5 }, order: ["summary.loss", "config.lr"] });
    expect(out.map((c) => c.id)).toEqual(["name", "summary.loss", "config.lr", "state", "summary.img"]);
    expect(out.map((c) => c.width)).toEqual([300, 40, 240, 100, 100]);
  });
  it("moves a dragged column to the place of the one it is dropped on", () => {
    expect(moveColumn(cols, "summary.loss", "state")).toEqual(["summary.loss", "state", "config.lr", "summary.img"]);
    expect(moveColumn(cols, "state", "summary.img")).toEqual(["config.lr", "summary.loss", "summary.img", "state"]);
    expect(moveColumn(cols, "name", "state")).toEqual(["state", "config.lr", "summary.loss", "summary.img"]);
  });
});

describe("media columns", () => {
  it("marks summary keys holding media", () => {
    const r = { id: "a", config: { lr: 1 }, summary: { loss: 1, sample: { _type: "image-file", path: "x.png" } } } as never;
    const cols = dataColumns(flatRuns([r]));
    expect(cols.find((c) => c.id === "summary.sample")?.media).toBe(true);
    expect(cols.find((c) => c.id === "summary.loss")?.media).toBeUndefined();
  });
});
