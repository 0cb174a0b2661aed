import { describe, expect, it } from "vitest";
import { PALETTE, assignColors, hashString, runColor, withAlpha } from "./colors";

describe("run colours", () => {
  it("are stable functions of the run id", () => {
    expect(runColor("abc12345", "p")).toBe(runColor("abc12345", "p"));
    expect(PALETTE).toContain(runColor("zz", "p"));
    expect(hashString("a")).toBe(0xe40c292c); // FNV-1a test vector
  });
  it("spread over the palette", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(runColor(`run${i}`, "p"));
    expect(seen.size).toBe(PALETTE.length);
  });
  it("do not depend on which other runs are shown, until two collide", () => {
    const ids = ["aaaa0001", "bbbb0002", "cccc0003"];
    const a = assignColors(ids, "p");
    const b = assignColors([...ids].reverse(), "p");
    const distinct = new Set(a.values()).size === 3;
    if (distinct) for (const id of ids) expect(a.get(id)).toBe(b.get(id));
    expect(new Set(assignColors(Array.from({ length: 16 }, (_, i) => `r${i}`), "p").values()).size).toBe(16);
  });
  it("alpha", () => {
    expect(withAlpha("#4e79a7", 0.2)).toBe("rgba(78,121,167,0.2)");
  });
});
