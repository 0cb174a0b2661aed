import { describe, expect, it } from "vitest";
import { PALETTE, assignColors, groupColors, hashString, runColor, withAlpha } from "./colors";

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

describe("run colours", () => {
  it("fall back to a stable hash of the run id", () => {
    expect(runColor("abc12345", "p")).toBe(runColor("abc12345", "p"));
    expect(PALETTE).toContain(runColor("zz", "p"));
    expect(hashString("a")).toBe(0xe40c292c); // FNV-1a test vector
  });
  it("give the first runs of a project distinct colours in creation order", () => {
    const ids = ["r1", "r2", "r3"];
    const c = assignColors(ids);
    expect([...c.values()]).toEqual(PALETTE.slice(0, 3));
    expect(new Set(assignColors(Array.from({ length: PALETTE.length }, (_, i) => `r${i}`)).values()).size).toBe(PALETTE.length);
  });
  it("keep a run's colour when other runs are shown, hidden or sorted", () => {
    const ids = ["a", "b", "c", "d"];
    const all = assignColors(ids);
    const some = assignColors(ids, ["d", "b"]);
    expect(some.get("d")).toBe(all.get("d"));
    expect(some.get("b")).toBe(all.get("b"));
  });
  it("move a colliding shown run to a free colour", () => {
    const ids = Array.from({ length: 12 }, (_, i) => `r${i}`);
    const c = assignColors(ids, ["r0", "r10"]); // r10 would repeat r0's colour
    expect(c.get("r10")).not.toBe(c.get("r0"));
  });
  it("let a user's pick win", () => {
    const c = assignColors(["a", "b"], ["a", "b"], { b: "#123456" });
    expect(c.get("b")).toBe("#123456");
  });
  it("are far apart: no two palette colours closer than a visible distance", () => {
    let min = Infinity;
    for (let i = 0; i < PALETTE.length; i++) for (let j = i + 1; j < PALETTE.length; j++) {
      const [a, b] = [rgb(PALETTE[i]), rgb(PALETTE[j])];
      min = Math.min(min, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
    }
    expect(min).toBeGreaterThan(60);
  });
  it("groups take the palette in the order of their values", () => {
    const g = groupColors(["sgd", "adam", "sgd"]);
    expect(g.get("adam")).toBe(PALETTE[0]);
    expect(g.get("sgd")).toBe(PALETTE[1]);
  });
  it("alpha", () => {
    expect(withAlpha("#4e79a7", 0.2)).toBe("rgba(78,121,167,0.2)");
  });
});
