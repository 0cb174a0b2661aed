// The Artifacts page of a project (docs/artifacts.md, "In the UI"): types -> collections ->
// versions with aliases, size, files, metadata, the run that logged each and the runs that used
// it; a version's file browser with previews, a diff against another version, and the lineage
// graph. URL: /p/<project>/artifacts[/<name>[/<version>]]?view=files|diff|lineage&file=..&other=..
// Also the run page's Artifacts tab (runArtifactsTab).

import "../artifacts.css";
import { h } from "../lib/dom";
import { fetchJson } from "../lib/api";
import { fmtBytes, fmtDate, fmtValue } from "../lib/format";
import { getParam, navigate, setParam } from "../lib/router";
import { layers, type LEdge, type LNode } from "../lib/lineage";

interface RunRef { project: string; run_id: string; name: string; state: string }
interface Collection { name: string; type: string; versions: number; size: number; latest: number | null; updated_at: number }
interface Version {
  project: string; name: string; type: string; version: number; digest: string; size: number; files: number;
  created_at: number; description: string | null; metadata: Record<string, unknown>; aliases: string[];
  logged_by: RunRef | null; used_by: RunRef[]; linked_from: { project: string; name: string; version: number } | null;
}
interface Entry { path: string; digest: string; size: number; ref?: string }
interface RunArtifact { project: string; name: string; type: string; version: number; size: number; files: number }

const enc = encodeURIComponent;
const IMAGE = /\.(png|jpe?g|gif|webp|svg|bmp)$/i;
const TEXT = /\.(txt|md|csv|tsv|json|ya?ml|toml|py|js|ts|log|cfg|ini|xml|html?)$/i;

function base(project: string): string {
  return `/p/${enc(project)}/artifacts`;
}

function runLink(r: RunRef): HTMLElement {
  return h("a", { href: `/p/${enc(r.project)}/r/${enc(r.run_id)}` }, r.name || r.run_id);
}

function versionHref(project: string, name: string, v: number | string, view?: string): string {
  return `${base(project)}/${enc(name)}/${typeof v === "number" ? `v${v}` : enc(v)}${view ? `?view=${view}` : ""}`;
}

function aliasChips(aliases: string[]): HTMLElement[] {
  return aliases.map((a) => h("span.tag", { dataset: { alias: a } }, a));
}

export async function artifactsPage(main: HTMLElement, project: string, name?: string, version?: string): Promise<() => void> {
  document.title = `Artifacts · ${project} · runyard`;
  const page = h("div.page.artifacts");
  main.append(page);
  const { collections } = await fetchJson<{ collections: Collection[] }>(`/api/projects/${enc(project)}/artifacts`);
  page.append(h("div.run-head", null, h("h1", null, "Artifacts"), h("span.muted", null, `${collections.length} collection(s) in ${project}`)));
  if (!collections.length) {
    page.append(h("div.empty", null, h("strong", null, "No artifacts in this project yet"),
      h("p", null, "Log one with ", h("code", null, "run.log_artifact(artifact)"), " or ", h("code", null, "runyard artifact put PATH --name project/name"), ".")));
    return () => {};
  }
  const side = h("nav.art-side");
  const types = [...new Set(collections.map((c) => c.type))].sort();
  for (const t of types) {
    side.append(h("div.art-type", null, t),
      ...collections.filter((c) => c.type === t).map((c) => h(`a.art-col${c.name === name ? ".active" : ""}`,
        { href: `${base(project)}/${enc(c.name)}`, dataset: { collection: c.name } },
        h("span", null, c.name), h("span.faint", null, `${c.versions} · ${fmtBytes(c.size)}`))));
  }
  const body = h("div.art-body");
  page.append(h("div.art-layout", null, side, body));
  if (!name) {
    body.append(h("div.empty", null, h("strong", null, "Pick a collection"), h("p", null, "Each collection holds the versions v0, v1, … of one artifact.")));
    return () => {};
  }
  const { versions } = await fetchJson<{ versions: Version[] }>(`/api/projects/${enc(project)}/artifacts/${enc(name)}/versions`);
  const chosen = version ?? `v${versions.find((v) => v.aliases.includes("latest"))?.version ?? versions[versions.length - 1].version}`;
  const current = await fetchJson<Version & { manifest: Entry[] }>(`/api/projects/${enc(project)}/artifacts/${enc(name)}/${enc(chosen)}`);
  body.append(h("h2.art-title", null, `${name}:v${current.version}`, " ", ...aliasChips(current.aliases)),
    h("table.list.art-versions", null,
      h("thead", null, h("tr", null, ...["Version", "Aliases", "Files", "Size", "Created", "Logged by", "Used by"].map((t) => h("th", null, t)))),
      h("tbody", null, ...versions.slice().reverse().map((v) => h(`tr${v.version === current.version ? ".active" : ""}`, { dataset: { version: `v${v.version}` } },
        h("td", null, h("a", { href: versionHref(project, name, v.version) }, `v${v.version}`)),
        h("td", null, ...aliasChips(v.aliases)),
        h("td.num", null, String(v.files)), h("td.num", null, fmtBytes(v.size)), h("td", null, fmtDate(v.created_at)),
        h("td", null, v.logged_by ? runLink(v.logged_by) : "—"),
        h("td", null, v.used_by.length ? v.used_by.map((r, i) => [i ? ", " : "", runLink(r)]) : "—"))))));
  const info: Record<string, unknown> = { type: current.type, digest: current.digest, files: current.files, size: fmtBytes(current.size) };
  if (current.description) info.description = current.description;
  if (current.linked_from) info["linked from"] = `${current.linked_from.project}/${current.linked_from.name}:v${current.linked_from.version}`;
  body.append(h("div.art-cards", null,
    h("div.card", { dataset: { card: "version" } }, h("h2", null, "Version"), h("div.inner", null, kv(info))),
    h("div.card", { dataset: { card: "metadata" } }, h("h2", null, "Metadata"), h("div.inner", null,
      Object.keys(current.metadata ?? {}).length ? kv(current.metadata) : h("p.muted", null, "No metadata.")))));
  const view = getParam("view") ?? "files";
  const verBase = versionHref(project, name, current.version);
  body.append(h("nav.tabs", null, ...[["files", "Files"], ["diff", "Diff"], ["lineage", "Lineage"]].map(([id, label]) =>
    h(`a${id === view ? ".active" : ""}`, { href: `${verBase}?view=${id}` }, label))));
  const holder = h("div.art-view");
  body.append(holder);
  if (view === "diff") await diffView(holder, project, name, current, versions);
  else if (view === "lineage") await lineageView(holder, project, name, current);
  else filesView(holder, project, name, current);
  return () => {};
}

function kv(obj: Record<string, unknown>): HTMLElement {
  return h("table.kv", null, h("tbody", null, ...Object.entries(obj).map(([k, v]) =>
    h("tr", null, h("td", null, k), h("td.mono", null, typeof v === "string" ? v : fmtValue(v))))));
}

function fileUrl(project: string, name: string, version: number, path: string): string {
  return `/api/projects/${enc(project)}/artifacts/${enc(name)}/v${version}/files/${path.split("/").map(enc).join("/")}`;
}

function filesView(holder: HTMLElement, project: string, name: string, v: Version & { manifest: Entry[] }): void {
  const selected = getParam("file") ?? v.manifest.find((e) => !e.path.startsWith("media/"))?.path ?? v.manifest[0]?.path;
  const preview = h("div.art-preview.card");
  const list = h("table.list.art-files", null,
    h("thead", null, h("tr", null, h("th", null, "File"), h("th.num", null, "Size"))),
    h("tbody", null, ...v.manifest.map((e) => {
      const row = h(`tr${e.path === selected ? ".active" : ""}`, { dataset: { path: e.path } },
        h("td.mono", null, h("a", { href: "#", onclick: (ev: Event) => { ev.preventDefault(); setParam("file", e.path); showPreview(e); markActive(row); } }, e.path),
          e.ref ? h("span.faint", null, ` → ${e.ref}`) : null),
        h("td.num", null, fmtBytes(e.size)));
      return row;
    })));
  function markActive(row: HTMLElement): void {
    list.querySelectorAll("tr.active").forEach((r) => r.classList.remove("active"));
    row.classList.add("active");
  }
  async function showPreview(e: Entry): Promise<void> {
    const url = fileUrl(project, name, v.version, e.path);
    preview.replaceChildren(h("h2", null, e.path), h("div.inner", null, h("div.loading", null, "…")));
    const inner = preview.lastElementChild as HTMLElement;
    const link = h("p.muted", null, `${fmtBytes(e.size)} · sha256 ${e.digest.slice(0, 12)}… · `, h("a", { href: url, download: e.path.split("/").pop() }, "download"));
    if (e.ref) {
      inner.replaceChildren(h("p.muted", null, `A reference to ${e.ref}: its bytes stay there.`));
    } else if (IMAGE.test(e.path)) {
      inner.replaceChildren(h("img.art-img", { src: url, alt: e.path }), link);
    } else if (e.path.endsWith(".table.json")) {
      const doc = await fetchJson<{ columns?: string[]; data?: unknown[][]; path?: string; _type?: string }>(url);
      let table = doc;
      if (doc._type && doc.path) table = await fetchJson(fileUrl(project, name, v.version, doc.path));
      inner.replaceChildren(tablePreview(table.columns ?? [], table.data ?? []), link);
    } else if (TEXT.test(e.path) || e.size < 2048) {
      const res = await fetch(url, { headers: { Range: "bytes=0-65535" } });
      const text = await res.text();
      inner.replaceChildren(h("pre.art-text", null, text + (e.size > 65536 ? "\n…" : "")), link);
    } else {
      inner.replaceChildren(h("p.muted", null, "No preview for this kind of file."), link);
    }
  }
  holder.append(h("div.art-files-layout", null, list, preview));
  const first = v.manifest.find((e) => e.path === selected);
  if (first) void showPreview(first);
  else preview.replaceChildren(h("p.muted", null, "This version holds no files."));
}

function tablePreview(columns: string[], data: unknown[][]): HTMLElement {
  const rows = data.slice(0, 100);
  return h("div", { style: { overflow: "auto", maxHeight: "420px" } },
    h("table.list.art-table", null, h("thead", null, h("tr", null, ...columns.map((c) => h("th", null, c)))),
      h("tbody", null, ...rows.map((r) => h("tr", null, ...r.map((c) => h("td", null, typeof c === "string" ? c : fmtValue(c))))))),
    data.length > rows.length ? h("p.muted", null, `first 100 of ${data.length} rows`) : null);
}

async function diffView(holder: HTMLElement, project: string, name: string, v: Version, versions: Version[]): Promise<void> {
  const others = versions.filter((o) => o.version !== v.version);
  if (!others.length) {
    holder.append(h("div.empty", null, h("strong", null, "Nothing to compare"), h("p", null, "This collection has one version.")));
    return;
  }
  const other = getParam("other") ?? `v${(others.filter((o) => o.version < v.version).pop() ?? others[0]).version}`;
  const select = h("select", { onchange: () => { setParam("other", select.value); navigate(location.pathname + location.search); } },
    ...others.map((o) => h("option", { value: `v${o.version}`, selected: `v${o.version}` === other }, `v${o.version}`)));
  const d = await fetchJson<{ from: number; to: number; added: string[]; removed: string[]; changed: string[] }>(
    `/api/projects/${enc(project)}/artifacts/${enc(name)}/v${v.version}/diff?other=${enc(other)}`);
  const section = (title: string, cls: string, paths: string[]) => h(`div.card.art-diff.${cls}`, { dataset: { diff: cls } },
    h("h2", null, `${title} (${paths.length})`),
    h("div.inner", null, paths.length ? h("ul.mono", null, ...paths.map((p) => h("li", null, p))) : h("p.muted", null, "none")));
  holder.append(h("p", null, "Compared with ", select, `: what changed from v${d.from} to v${d.to}.`),
    h("div.art-cards", null, section("Added", "added", d.added), section("Removed", "removed", d.removed), section("Changed", "changed", d.changed)));
}

async function lineageView(holder: HTMLElement, project: string, name: string, v: Version): Promise<void> {
  const hops = Number(getParam("hops") ?? "2");
  const g = await fetchJson<{ nodes: LNode[]; edges: LEdge[] }>(`/api/projects/${enc(project)}/artifacts/${enc(name)}/v${v.version}/lineage?hops=${hops}`);
  const placed = layers(g.nodes, g.edges);
  const W = 160, H = 44, GX = 48, GY = 16;
  const pos = new Map(placed.map((p) => [p.node.id, { x: 10 + p.col * (W + GX), y: 10 + p.row * (H + GY) }]));
  const width = 20 + (Math.max(0, ...placed.map((p) => p.col)) + 1) * (W + GX);
  const height = 20 + (Math.max(0, ...placed.map((p) => p.row)) + 1) * (H + GY);
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("class", "lineage");
  const el = (tag: string, attrs: Record<string, string | number>) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, val] of Object.entries(attrs)) e.setAttribute(k, String(val));
    return e;
  };
  for (const e of g.edges) {
    const a = pos.get(e.source), b = pos.get(e.target);
    if (!a || !b) continue;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
    svg.append(el("path", { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 4},${y2}`, class: "edge", "marker-end": "url(#arrow)" }));
  }
  const defs = el("defs", {});
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
  marker.append(el("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }));
  defs.append(marker);
  svg.prepend(defs);
  const focus = `artifact:${project}/${name}:v${v.version}`;
  for (const p of placed) {
    const { x, y } = pos.get(p.node.id)!;
    const n = p.node as LNode & { name?: string; run_id?: string; project?: string; version?: number; type?: string };
    const a = el("a", { href: n.kind === "run" ? `/p/${enc(String(n.project))}/r/${enc(String(n.run_id))}` : versionHref(String(n.project), String(n.name), Number(n.version), "lineage") });
    a.setAttribute("data-node", p.node.id);
    a.append(el("rect", { x, y, width: W, height: H, rx: n.kind === "run" ? 16 : 4, class: `node ${n.kind}${p.node.id === focus ? " focus" : ""}` }));
    const label = el("text", { x: x + 10, y: y + 18, class: "label" });
    label.textContent = n.kind === "run" ? String(n.name || n.run_id) : `${n.name}:v${n.version}`;
    const sub = el("text", { x: x + 10, y: y + 34, class: "sub" });
    sub.textContent = n.kind === "run" ? `run ${n.run_id}` : `${n.type ?? "artifact"}${n.project !== project ? ` · ${n.project}` : ""}`;
    a.append(label, sub);
    svg.append(a);
  }
  const hopSel = h("select", { onchange: () => { setParam("hops", hopSel.value); navigate(location.pathname + location.search); } },
    ...[1, 2, 3, 4].map((n) => h("option", { value: String(n), selected: n === hops }, `${n} hop${n > 1 ? "s" : ""}`)));
  holder.append(h("p.muted", null, "Runs (rounded) and artifact versions; arrows go from inputs to the runs that used them and from runs to what they logged. ", hopSel),
    h("div.card.art-lineage", null, svg));
}

/** The run page's Artifacts tab: versions the run logged and used. */
export async function runArtifactsTab(content: HTMLElement, project: string, runId: string): Promise<void> {
  const mine = await fetchJson<{ logged: RunArtifact[]; used: RunArtifact[] }>(`/api/runs/${enc(project)}/${enc(runId)}/artifacts`);
  const table = (title: string, list: RunArtifact[], what: string) => h("div.card", { dataset: { card: `artifacts-${what}` } },
    h("h2", null, `${title} (${list.length})`),
    h("div.inner", null, list.length ? h("table.list", null,
      h("thead", null, h("tr", null, ...["Artifact", "Type", "Files", "Size"].map((t) => h("th", null, t)))),
      h("tbody", null, ...list.map((a) => h("tr", null,
        h("td", null, h("a", { href: versionHref(a.project, a.name, a.version) }, `${a.project === project ? "" : `${a.project}/`}${a.name}:v${a.version}`)),
        h("td", null, a.type), h("td.num", null, String(a.files)), h("td.num", null, fmtBytes(a.size)))))) : h("p.muted", null, `This run ${what} no artifacts.`)));
  content.append(h("div.art-cards", null, table("Logged", mine.logged, "logged"), table("Used", mine.used, "used")));
}
