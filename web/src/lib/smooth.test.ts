import { describe, expect, it } from "vitest";
import { smoothEma, smoothMean } from "./smooth";

describe("smoothEma", () => {
  it("is the identity at weight 0", () => {
    expect(smoothEma([0, 1, 2], [3, 1, 2], 0)).toEqual([3, 1, 2]);
  });
  it("is debiased: a constant line stays where it is", () => {
    const ys = Array.from({ length: 50 }, () => 5);
    const xs = ys.map((_, i) => i);
    for (const v of smoothEma(xs, ys, 0.9)) expect(v).toBeCloseTo(5, 10);
  });
  it("matches the hand-computed EMA on even steps", () => {
    const out = smoothEma([0, 1, 2], [0, 10, 10], 0.5);
    // last: 0, 5, 7.5 ; debias: .5, .75, .875
    expect(out[0]).toBeCloseTo(0);
    expect(out[1]).toBeCloseTo(5 / 0.75);
    expect(out[2]).toBeCloseTo(7.5 / 0.875);
  });
  it("keeps gaps and skips non-finite values", () => {
    const out = smoothEma([0, 1, 2, 3], [1, null, NaN, 1], 0.6);
    expect(out[1]).toBeNull();
    expect(out[2]).toBeNaN();
    expect(out[3]).toBeCloseTo(1);
  });
  it("reduces noise", () => {
    const xs = Array.from({ length: 200 }, (_, i) => i);
    const ys = xs.map((i) => (i % 2 ? 1 : -1));
    const out = smoothEma(xs, ys, 0.95) as number[];
    expect(Math.abs(out[199])).toBeLessThan(0.1);
  });
});

describe("smoothMean", () => {
  it("averages a centred window", () => {
    expect(smoothMean([1, 2, 3, 4, 5], 3)).toEqual([1.5, 2, 3, 4, 4.5]);
    expect(smoothMean([1, null, 3], 3)).toEqual([1, null, 3]);
  });
});
