import { describe, expect, it } from "vitest";
import { layers } from "./lineage";

describe("lineage layers", () => {
  it("puts every edge left to right", () => {
    const nodes = [
      { id: "artifact:p/raw:v0", kind: "artifact" as const },
      { id: "run:p/prep", kind: "run" as const },
      { id: "artifact:p/clean:v0", kind: "artifact" as const },
      { id: "run:p/train", kind: "run" as const },
      { id: "artifact:p/net:v0", kind: "artifact" as const },
    ];
    const edges = [
      { source: "artifact:p/raw:v0", target: "run:p/prep" },
      { source: "run:p/prep", target: "artifact:p/clean:v0" },
      { source: "artifact:p/clean:v0", target: "run:p/train" },
      { source: "artifact:p/raw:v0", target: "run:p/train" },
      { source: "run:p/train", target: "artifact:p/net:v0" },
    ];
    const placed = new Map(layers(nodes, edges).map((p) => [p.node.id, p]));
    for (const e of edges) expect(placed.get(e.source)!.col).toBeLessThan(placed.get(e.target)!.col);
    expect(placed.get("run:p/train")!.col).toBe(3);
  });

  it("survives a cycle and edges to unknown nodes", () => {
    const nodes = [{ id: "a", kind: "run" as const }, { id: "b", kind: "artifact" as const }];
    const placed = layers(nodes, [{ source: "a", target: "b" }, { source: "b", target: "a" }, { source: "a", target: "zzz" }]);
    expect(placed).toHaveLength(2);
  });
});
