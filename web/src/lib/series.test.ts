import { describe, expect, it } from "vitest";
import type { Series } from "./api";
import { alignLines, appendLine, groupLines, toLine } from "./series";

const base = (over: Partial<Series>): Series => ({
  run: "r", key: "k", x_axis: "_step", total: 3, level: 0, full_resolution: true,
  x: [0, 1, 2], x_last: [0, 1, 2], min: [1, 2, 3], max: [1, 2, 3], mean: [1, 2, 3],
  first: [1, 2, 3], last: [1, 2, 3], count: [1, 1, 1], nonfinite: [0, 0, 0], ...over,
});

describe("toLine", () => {
  it("keeps full-resolution points as they are", () => {
    const l = toLine(base({}));
    expect(l.x).toEqual([0, 1, 2]);
    expect(l.y).toEqual([1, 2, 3]);
    expect(l.min).toEqual([null, null, null]);
  });
  it("draws buckets at their middle with a min/max envelope", () => {
    const l = toLine(base({ x: [0, 10], x_last: [9, 19], count: [10, 10], mean: [5, 6], min: [0, -100], max: [9, 8], last: [9, 7], full_resolution: false }));
    expect(l.x).toEqual([4.5, 14.5]);
    expect(l.y).toEqual([5, 6]);
    expect(l.min).toEqual([0, -100]);
    expect(l.full).toBe(false);
  });
  it("turns non-finite values into gaps", () => {
    const l = toLine(base({ last: [1, { $float: "NaN" }, { $float: "Infinity" }] }));
    expect(l.y).toEqual([1, null, null]);
  });
});

describe("alignLines and appendLine", () => {
  it("aligns runs with different steps", () => {
    const a = alignLines([{ x: [0, 2], ys: [[1, 3]] }, { x: [1, 2], ys: [[5, 6]] }]);
    expect(a.x).toEqual([0, 1, 2]);
    expect(a.ys).toEqual([[1, null, 3], [null, 5, 6]]);
  });
  it("appends only new points", () => {
    const l = toLine(base({}));
    const more = toLine(base({ x: [2, 3], x_last: [2, 3], last: [3, 4], count: [1, 1], mean: [3, 4], min: [3, 4], max: [3, 4] }));
    const out = appendLine(l, more);
    expect(out.x).toEqual([0, 1, 2, 3]);
    expect(out.y).toEqual([1, 2, 3, 4]);
    expect(l.x).toEqual([0, 1, 2]);
  });
});

describe("groupLines", () => {
  it("averages a group's runs with a min-max band", () => {
    const mk = (run: string, y: number[]) => ({ run, x: [0, 1], y, min: [null, null], max: [null, null], full: true, total: 2 });
    const g = groupLines([mk("a", [1, 2]), mk("b", [3, 6]), mk("c", [10, 10])], (r) => (r === "c" ? "sgd" : "adam"));
    expect(g.map((x) => [x.group, x.runs])).toEqual([["adam", 2], ["sgd", 1]]);
    expect(g[0].line.y).toEqual([2, 4]);
    expect(g[0].line.min).toEqual([1, 2]);
    expect(g[0].line.max).toEqual([3, 6]);
    expect(g[1].line.min).toEqual([null, null]);
    const sd = groupLines([mk("a", [1, 2]), mk("b", [3, 6])], () => "all", "std");
    expect(sd[0].line.min[0]).toBeCloseTo(2 - Math.SQRT2); // mean 2, sample sd √2
    expect(sd[0].line.max[1]).toBeCloseTo(4 + 2 * Math.SQRT2);
    const sd3 = groupLines([mk("a", [0, 0]), mk("b", [0, 0]), mk("c", [3, 3])], () => "all", "std");
    expect(sd3[0].line.max[0]).toBeCloseTo(1 + Math.sqrt(3));
  });
});
