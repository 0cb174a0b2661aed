import { describe, expect, it } from "vitest";
import type { Run } from "./api";
import { defaultScatter, diffRows, mainMetric, makeAxis, passesBrushes, position, valueAt, varyingKeys, wantsLog, type Brushes } from "./compare";

let n = 0;
function run(config: Record<string, unknown>, summary: Record<string, unknown>, extra: Partial<Run> = {}): Run {
  n++;
  return { id: `r${n}`, project: "p", name: `run ${n}`, state: "finished", created_at: n, updated_at: null, ended_at: null, heartbeat_at: null,
    runtime: 10, last_step: 5, rows: 5, exit_code: 0, error: null, group: null, job_type: null, notes: null, tags: [],
    config, summary, seq: n, ...extra };
}

describe("compare", () => {
  const runs = [
    run({ lr: 1e-4, seed: 1, opt: "adam", fixed: 3, model: { width: 64 } }, { "train/loss": 0.5, "val/loss": 0.7, acc: 0.8, epoch: 9 }),
    run({ lr: 1e-2, seed: 2, opt: "sgd", fixed: 3, model: { width: 128 } }, { "train/loss": 0.4, "val/loss": 0.9, acc: 0.7, epoch: 9 }),
    run({ lr: 1e-3, seed: 3, opt: "adam", fixed: 3, model: { width: 64 } }, { "train/loss": 0.3, "val/loss": 0.6, acc: 0.9, epoch: 9 }),
  ];
  it("finds the keys that vary, numeric or not", () => {
    expect(varyingKeys(runs, "config")).toEqual(["lr", "model.width", "opt", "seed"]);
    expect(varyingKeys(runs, "config", true)).toEqual(["lr", "model.width", "seed"]);
  });
  it("picks a validation loss as the main metric, never a constant or a counter", () => {
    expect(mainMetric(runs)).toBe("val/loss");
    expect(mainMetric([run({}, { "train/loss": 1, acc: 0.2 }), run({}, { "train/loss": 2, acc: 0.3 })])).toBe("train/loss");
    expect(mainMetric([run({}, { epoch: 1 }), run({}, { epoch: 2 })])).toBeNull();
  });
  it("defaults the scatter to the learning rate against the main metric", () => {
    expect(defaultScatter(runs)).toEqual({ x: "lr", y: "val/loss" });
  });
  it("uses log axes for learning rates and values spanning decades", () => {
    expect(wantsLog("lr", [1e-4, 1e-3])).toBe(true);
    expect(wantsLog("opt/lr", [0.001, 0.002])).toBe(true);
    expect(wantsLog("width", [64, 128])).toBe(false);
    expect(wantsLog("x", [1, 1000])).toBe(true);
    expect(wantsLog("lr", [0, 1e-3])).toBe(false);
  });
  it("places runs on numeric, log and category axes, and brushes filter them", () => {
    const lr = makeAxis(runs, "config", "lr");
    expect(lr.log).toBe(true);
    expect(runs.map((r) => position(lr, r))).toEqual([0, 1, 0.5]);
    expect(valueAt(lr, 0.5)).toBe("0.001");
    const opt = makeAxis(runs, "config", "opt");
    expect(opt.categories).toEqual(["adam", "sgd"]);
    expect(position(opt, runs[1])).toBe(1);
    const b: Brushes = new Map([[lr.id, [0.4, 1]]]);
    expect(runs.filter((r) => passesBrushes(r, [lr, opt], b)).map((r) => r.id)).toEqual([runs[1].id, runs[2].id]);
    b.set(opt.id, [0, 0.2]);
    expect(runs.filter((r) => passesBrushes(r, [lr, opt], b)).map((r) => r.id)).toEqual([runs[2].id]);
  });
  it("diffs runs key by key, marking what is the same", () => {
    const a = run({ lr: 1, x: 2 }, { loss: 1 }, { metadata: { host: "a", python: "3.11", packages: { big: 1 } } });
    const b = run({ lr: 1, x: 3 }, { loss: 1, extra: 5 }, { metadata: { host: "b", python: "3.11", packages: { big: 2 } } });
    const rows = diffRows([a, b], new Set(["packages"]));
    const by = Object.fromEntries(rows.map((r) => [`${r.section}.${r.key}`, r]));
    expect(by["config.lr"].same).toBe(true);
    expect(by["config.x"].same).toBe(false);
    expect(by["summary.extra"].values).toEqual([undefined, 5]);
    expect(by["summary.extra"].same).toBe(false);
    expect(by["metadata.host"].same).toBe(false);
    expect(by["metadata.python"].same).toBe(true);
    expect(by["metadata.packages.big"]).toBeUndefined();
  });
});
