import { describe, expect, it } from "vitest";
import { groupKeys, numericKeys, orderSections, panelKind, sectionOf, type Section } from "./keys";

describe("panels from keys", () => {
  it("groups by prefix: train, val, then Charts, media last", () => {
    const s = groupKeys([
      { key: "val/loss", kinds: ["number"] },
      { key: "train/loss", kinds: ["number"] },
      { key: "acc", kinds: ["number"] },
      { key: "train/acc", kinds: ["number"] },
      { key: "samples", kinds: ["image-file"] },
      { key: "_step", kinds: ["number"] },
    ]);
    expect(s.map((x) => x.name)).toEqual(["train", "val", "Charts", "Media"]);
    expect(s[2].panels.map((p) => [p.key, p.kind])).toEqual([["acc", "line"]]);
    expect(s[3].panels.map((p) => [p.key, p.kind])).toEqual([["samples", "image"]]);
    expect(s[0].panels.map((p) => p.key)).toEqual(["train/acc", "train/loss"]);
  });
  it("orders scalar sections first, the most-logged next, then media, system last", () => {
    const sec = (name: string, kinds: string[]): Section => ({ name, panels: kinds.map((k, i) => ({ key: `${name}/${i}`, kind: k === "n" ? "line" : "image", kinds: [] })) });
    const order = orderSections([
      sec("system", ["n", "n"]), sec("samples", ["i"]), sec("Media", ["i"]), sec("zeta", ["n", "n", "n"]), sec("alpha", ["n"]),
      sec("eval", ["n"]), sec("validation", ["n"]), sec("training", ["n"]), sec("Charts", ["n"]), sec("grads", ["i", "i", "n"]),
    ]).map((s) => s.name);
    expect(order).toEqual(["training", "validation", "eval", "Charts", "zeta", "alpha", "grads", "samples", "Media", "system"]);
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

describe("define_metric step metrics", () => {
  it("resolve exact names first, then the longest glob", async () => {
    const { stepMetricOf } = await import("./keys");
    const defs = [{ name: "val/*", step_metric: "epoch" }, { name: "val/special/*", step_metric: "batch" }, { name: "val/acc", step_metric: "round" }, { name: "x", step_metric: null }];
    expect(stepMetricOf("val/loss", defs)).toBe("epoch");
    expect(stepMetricOf("val/special/f1", defs)).toBe("batch");
    expect(stepMetricOf("val/acc", defs)).toBe("round");
    expect(stepMetricOf("train/loss", defs)).toBeNull();
    expect(stepMetricOf("x", defs)).toBeNull();
  });
});
