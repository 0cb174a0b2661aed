import { describe, expect, it } from "vitest";
import { bucketAt, forEachPoint, m4, rawTrack, traceColumns, valueRange, type Track } from "./m4";

/** Buckets of `k` consecutive points, as the index's tiers keep them. */
function bucketsOf(x: Float64Array, y: Float64Array, k: number): Track {
  const n = Math.ceil(x.length / k);
  const t = { run: "r", x0: new Float64Array(n), x1: new Float64Array(n), first: new Float64Array(n), min: new Float64Array(n),
    max: new Float64Array(n), last: new Float64Array(n), mean: new Float64Array(n), count: new Float64Array(n), full: false, total: x.length };
  for (let b = 0; b < n; b++) {
    const a = b * k, e = Math.min(x.length, a + k);
    let lo = Infinity, hi = -Infinity, sum = 0;
    for (let i = a; i < e; i++) { lo = Math.min(lo, y[i]); hi = Math.max(hi, y[i]); sum += y[i]; }
    t.x0[b] = x[a]; t.x1[b] = x[e - 1]; t.first[b] = y[a]; t.last[b] = y[e - 1];
    t.min[b] = lo; t.max[b] = hi; t.mean[b] = sum / (e - a); t.count[b] = e - a;
  }
  return t;
}

function series(n: number): { x: Float64Array; y: Float64Array; spikes: number[] } {
  const x = new Float64Array(n), y = new Float64Array(n);
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < n; i++) { x[i] = i; y[i] = Math.sin(i / 50000) + (rnd() - 0.5) * 0.2; }
  const spikes = [123457, 500001, 777777];
  y[spikes[0]] = 8; y[spikes[1]] = -6; y[spikes[2]] = 5;
  return { x, y, spikes };
}

describe("M4 lines", () => {
  const { x, y, spikes } = series(1_000_000);
  const width = 1000;
  const toPx = (v: number) => (v / 1_000_000) * width;

  it("downsampled buckets give the columns every point gives", () => {
    const full = m4((fn) => forEachPoint(rawTrack("r", x, y), fn), toPx);
    // buckets of 768 points: what the server answers for 1,500 points of a 1M-point series
    const down = m4((fn) => forEachPoint(bucketsOf(x, y, 768), fn), toPx);
    expect(down.px).toEqual(full.px);
    // on a 200-pixel-high chart, the columns' extremes land on the same pixels: only a bucket
    // straddling a column border can move an extreme (of the noise) to the next column
    const py = (v: number) => Math.round(((v + 6) / 14) * 200);
    let off = 0;
    for (let i = 0; i < full.px.length; i++) off += Math.abs(py(down.min[i]) - py(full.min[i])) + Math.abs(py(down.max[i]) - py(full.max[i]));
    expect(off / full.px.length).toBeLessThan(0.2);
    for (const s of spikes) { // every spike, up or down, is in its column
      const c = Math.round(toPx(s));
      const i = down.px.indexOf(c);
      expect(Math.max(Math.abs(down.max[i]), Math.abs(down.min[i]))).toBe(Math.abs(y[s]));
    }
  });

  it("the global extremes survive at every zoom", () => {
    for (const k of [64, 256, 1024, 4096]) {
      const r = valueRange([bucketsOf(x, y, k)], -Infinity, Infinity);
      expect(r).toEqual([-6, 8]);
    }
    // zoomed into a range that holds one spike
    const r = valueRange([bucketsOf(x, y, 64)], 490000, 510000);
    expect(r![0]).toBe(-6);
  });

  it("traces each column first, min, max, last and skips what the scale cannot show", () => {
    const cols = { px: [0, 1], first: [1, 2], min: [0, 2], max: [3, 5], last: [2, 4] };
    const seen: [string, number, number][] = [];
    traceColumns(cols, (v) => (v === 0 ? NaN : v), { moveTo: (a, b) => seen.push(["M", a, b]), lineTo: (a, b) => seen.push(["L", a, b]) });
    expect(seen).toEqual([["M", 0, 1], ["L", 0, 3], ["L", 0, 2], ["L", 1, 2], ["L", 1, 2], ["L", 1, 5], ["L", 1, 4]]);
  });

  it("says where a path of one position is (a series of one point: drawn as a dot)", () => {
    const none = { moveTo: () => undefined, lineTo: () => undefined };
    expect(traceColumns({ px: [7], first: [2], min: [2], max: [2], last: [2] }, (v) => v * 10, none)).toEqual([7, 20]);
    expect(traceColumns({ px: [7], first: [2], min: [1], max: [2], last: [2] }, (v) => v * 10, none)).toBeNull();
    expect(traceColumns({ px: [7, 8], first: [2, 2], min: [2, 2], max: [2, 2], last: [2, 2] }, (v) => v, none)).toBeNull();
    expect(traceColumns({ px: [], first: [], min: [], max: [], last: [] }, (v) => v, none)).toBeNull();
  });

  it("finds the bucket under the cursor", () => {
    const t = bucketsOf(x.subarray(0, 1000), y.subarray(0, 1000), 100);
    expect(bucketAt(t, 0)).toBe(0);
    expect(bucketAt(t, 150)).toBe(1);
    expect(bucketAt(t, 99.4)).toBe(0);
    expect(bucketAt(t, 99.6)).toBe(1);
    expect(bucketAt(t, 5000)).toBe(9);
  });
});
