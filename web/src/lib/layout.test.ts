import { describe, expect, it } from "vitest";
import { addSection, automaticLayout, dropMissing, movePanel, reconcile, renameSection, updatePanel, type LayoutDoc } from "./layout";

const auto = (): LayoutDoc => automaticLayout([
  { name: "train", panels: [{ key: "train/loss", kind: "line", kinds: ["number"] }, { key: "train/acc", kind: "line", kinds: ["number"] }] },
  { name: "val", panels: [{ key: "val/loss", kind: "line", kinds: ["number"] }] },
]);

describe("layouts", () => {
  it("start from the automatic order", () => {
    expect(auto().sections.map((s) => [s.name, s.panels.map((p) => p.id)])).toEqual([["train", ["train/loss", "train/acc"]], ["val", ["val/loss"]]]);
  });
  it("move panels inside a section and between sections", () => {
    let l = movePanel(auto(), "train/acc", "train", 0);
    expect(l.sections[0].panels.map((p) => p.id)).toEqual(["train/acc", "train/loss"]);
    l = movePanel(l, "train/loss", "val", 1);
    expect(l.sections.map((s) => s.panels.map((p) => p.id))).toEqual([["train/acc"], ["val/loss", "train/loss"]]);
    l = movePanel(l, "val/loss", "val", 2); // to the end of its own section
    expect(l.sections[1].panels.map((p) => p.id)).toEqual(["train/loss", "val/loss"]);
  });
  it("add and rename sections, edit panels", () => {
    let l = addSection(addSection(auto()));
    expect(l.sections.map((s) => s.name)).toEqual(["train", "val", "New section", "New section 2"]);
    l = renameSection(l, "New section", "Losses");
    expect(renameSection(l, "Losses", "train")).toBe(l); // a name taken is refused
    l = updatePanel(l, "train/loss", { keys: ["train/loss", "val/loss"], title: "Losses", smoothing: 0.5 });
    expect(l.sections[0].panels[0]).toMatchObject({ title: "Losses", keys: ["train/loss", "val/loss"] });
  });
  it("reconcile a saved view: gone keys are marked, new keys added where they belong", () => {
    const saved: LayoutDoc = { sections: [{ name: "mine", panels: [{ id: "a", kind: "line", keys: ["train/loss", "old/key"] }] }], settings: { x: "epoch" } };
    const known = new Set(["train/loss", "train/acc", "val/loss"]);
    const { layout, missing } = reconcile(saved, auto(), known);
    expect(missing).toEqual([{ section: "mine", panel: "a", keys: ["old/key"] }]);
    expect(layout.sections.map((s) => [s.name, s.panels.map((p) => p.id)])).toEqual([["mine", ["a"]], ["train", ["train/acc"]], ["val", ["val/loss"]]]);
    expect(layout.settings).toEqual({ x: "epoch" });
    const dropped = dropMissing(layout, missing);
    expect(dropped.sections[0].panels[0].keys).toEqual(["train/loss"]);
    const allGone = dropMissing({ sections: [{ name: "s", panels: [{ id: "g", kind: "line", keys: ["gone"] }] }], settings: {} }, [{ section: "s", panel: "g", keys: ["gone"] }]);
    expect(allGone.sections[0].panels).toEqual([]);
  });
});

describe("automatic layout", () => {
  it("puts full-row panels after the others in a section, keeping their order", () => {
    const lay = automaticLayout([{ name: "Media", panels: [
      { key: "img", kind: "image", kinds: [] }, { key: "tbl", kind: "table", kinds: [] }, { key: "aud", kind: "audio", kinds: [] },
      { key: "hist", kind: "histogram", kinds: [] }, { key: "vid", kind: "video", kinds: [] }] }]);
    expect(lay.sections[0].panels.map((p) => p.id)).toEqual(["img", "aud", "vid", "tbl", "hist"]);
  });
});
