import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunEvent } from "./api";
import { Context } from "./context";

const ev = (id: string, rows: number, keys: string[] = []): RunEvent =>
  ({ seq: rows, project: "p", id, state: "running", last_step: rows, rows, runtime: 1, summary: {}, new_keys: keys });

describe("live events", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  it("reach panels at most every 1.5 s per burst, latest event first, new keys merged", () => {
    const ctx = new Context("p");
    const seen: RunEvent[] = [];
    ctx.on((c, e) => { if (c === "live" && e) seen.push(e); });
    ctx.emitLive(ev("a", 1, ["x"]));
    ctx.emitLive(ev("a", 2, ["y"]));
    ctx.emitLive(ev("b", 5));
    vi.advanceTimersByTime(60);
    expect(seen.map((e) => [e.id, e.rows])).toEqual([["a", 2], ["b", 5]]);
    expect(seen[0].new_keys.sort()).toEqual(["x", "y"]);
    ctx.emitLive(ev("a", 3));
    vi.advanceTimersByTime(1000);
    expect(seen.length).toBe(2);
    vi.advanceTimersByTime(600);
    expect(seen.map((e) => e.rows)).toEqual([2, 5, 3]);
  });
  it("groups runs by a config value", () => {
    const ctx = new Context("p");
    ctx.runs = [{ id: "r", config: { model: { kind: "cnn" } } } as never];
    ctx.groupBy = "model.kind";
    expect(ctx.groupOf("r")).toBe("cnn");
    ctx.groupBy = "missing";
    expect(ctx.groupOf("r")).toBe("(none)");
  });
});
