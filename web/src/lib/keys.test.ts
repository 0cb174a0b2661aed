import { describe, expect, it } from "vitest";
import { groupKeys, numericKeys, panelKind, sectionOf } from "./keys";

describe("panels from keys", () => {
  it("groups by prefix with Charts first", () => {
    const s = groupKeys([
      { key: "val/loss", kinds: ["number"] },
      { key: "train/loss", kinds: ["number"] },
      { key: "acc", kinds: ["number"] },
      { key: "train/acc", kinds: ["number"] },
      { key: "samples", kinds: ["image-file"] },
      { key: "_step", kinds: ["number"] },
    ]);
    expect(s.map((x) => x.name)).toEqual(["Charts", "train", "val", "Media"]);
    expect(s[0].panels.map((p) => [p.key, p.kind])).toEqual([["acc", "line"]]);
    expect(s[3].panels.map((p) => [p.key, p.kind])).toEqual([["samples", "image"]]);
    expect(s[1].panels.map((p) => p.key)).toEqual(["train/acc", "train/loss"]);
  });
  it("chooses a panel kind per key", () => {
    expect(panelKind(["histogram"])).toBe("histogram");
    expect(panelKind(["string", "number"])).toBe("line");
    expect(panelKind(["object3D-file"])).toBe("object3d");
    expect(panelKind(["string"])).toBe("other");
    expect(sectionOf("a/b/c")).toBe("a");
    expect(sectionOf("/x")).toBe("Charts");
  });
  it("puts the system/ section last and keeps system metrics out of the x-axis choices", () => {
    const s = groupKeys([
      { key: "system/cpu.percent", kinds: ["number"] },
      { key: "samples", kinds: ["image-file"] },
      { key: "zeta/x", kinds: ["number"] },
      { key: "loss", kinds: ["number"] },
    ]);
    expect(s.map((x) => x.name)).toEqual(["Charts", "zeta", "Media", "system"]);
    expect(numericKeys([{ key: "system/cpu.percent", kinds: ["number"] }, { key: "epoch", kinds: ["number"] }])).toEqual(["epoch"]);
  });
  it("lists numeric x-axis candidates", () => {
    expect(numericKeys([{ key: "epoch", kinds: ["number"] }, { key: "img", kinds: ["image-file"] }])).toEqual(["epoch"]);
  });
});
