// Layout of a lineage graph (docs/artifacts.md, "Lineage"): runs and artifact versions as a DAG,
// edges from a version to the runs that used it and from a run to the versions it logged.
// Each node goes in the column of its longest path from a source, so every edge points right.

export interface LNode { id: string; kind: "run" | "artifact"; [k: string]: unknown }
export interface LEdge { source: string; target: string }
export interface Placed { node: LNode; col: number; row: number }

export function layers(nodes: LNode[], edges: LEdge[]): Placed[] {
  const ids = new Set(nodes.map((n) => n.id));
  const live = edges.filter((e) => ids.has(e.source) && ids.has(e.target) && e.source !== e.target);
  const col = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  // longest-path layering; at most |nodes| rounds, so a cycle (never expected) cannot hang it
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const e of live) {
      const want = col.get(e.source)! + 1;
      if (want > col.get(e.target)! && want < nodes.length) {
        col.set(e.target, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const byCol = new Map<number, LNode[]>();
  for (const n of nodes) {
    const c = col.get(n.id)!;
    if (!byCol.has(c)) byCol.set(c, []);
    byCol.get(c)!.push(n);
  }
  const out: Placed[] = [];
  for (const [c, list] of [...byCol.entries()].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a.id.localeCompare(b.id));
    list.forEach((node, row) => out.push({ node, col: c, row }));
  }
  return out;
}
