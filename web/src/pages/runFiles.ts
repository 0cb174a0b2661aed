// The run page's Files tab (docs/ui.md, Run page): the run's media/ and files/ as a tree, each media
// file named by the key and step that logged it, with a preview of text, code, images and tables.

import "../runinfo.css";
import { emptyState, h } from "../lib/dom";
import { fmtBytes } from "../lib/format";
import { codeBlock, languageOf } from "../lib/highlight";
import { fileText, runInfo, type RunFile } from "../lib/runInfoApi";

interface Dir { name: string; dirs: Map<string, Dir>; files: RunFile[]; size: number; count: number }

export function fileTree(files: RunFile[]): Dir {
  const root: Dir = { name: "", dirs: new Map(), files: [], size: 0, count: 0 };
  for (const f of files) {
    const parts = f.path.split("/");
    let d = root;
    d.size += f.size;
    d.count += 1;
    for (const p of parts.slice(0, -1)) {
      if (!d.dirs.has(p)) d.dirs.set(p, { name: p, dirs: new Map(), files: [], size: 0, count: 0 });
      d = d.dirs.get(p)!;
      d.size += f.size;
      d.count += 1;
    }
    d.files.push(f);
  }
  return root;
}

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;

export function filesTab(content: HTMLElement, project: string, runId: string): void {
  const holder = h("div", null, h("div.loading", null, "…"));
  content.append(holder);
  runInfo.files(project, runId).then((files) => {
    if (!files.length) {
      holder.replaceChildren(emptyState("No files", "This run has no media and saved no files. run.save('model.pt') or wandb.save(...) keeps files with the run; logged images, tables and other media appear here too."));
      return;
    }
    const tree = fileTree(files);
    const preview = h("div.file-preview", { "aria-label": "file preview" }, h("p.faint", null, "Choose a file to preview it."));
    const select = (f: RunFile, row: HTMLElement) => {
      holder.querySelectorAll(".tree .file").forEach((x) => x.classList.toggle("active", x === row));
      void showPreview(preview, f);
    };
    const render = (d: Dir, depth: number): HTMLElement[] => {
      const out: HTMLElement[] = [];
      for (const sub of [...d.dirs.values()].sort((a, b) => a.name.localeCompare(b.name))) {
        const kids = h("div.kids", null, ...render(sub, depth + 1));
        out.push(h("details.dir", { open: depth < 1 || sub.count <= 20 }, h("summary", null, `${sub.name}/`, h("span.faint", null, ` ${sub.count} files, ${fmtBytes(sub.size)}`)), kids));
      }
      // media by the key and step that logged them, other files by name
      const order = (f: RunFile) => (f.key !== undefined ? `0${f.key}\u0000${String(f.step).padStart(12, "0")}` : `1${f.path}`);
      for (const f of d.files.sort((a, b) => order(a).localeCompare(order(b)))) {
        const name = f.path.split("/").pop()!;
        const row: HTMLElement = h("div.file", { dataset: { path: f.path }, tabindex: 0, role: "button", onclick: () => select(f, row), onkeydown: (e: KeyboardEvent) => { if (e.key === "Enter") select(f, row); } },
          h("span.name.mono", null, f.key !== undefined ? h("span", { title: name }, h("strong", null, f.key), h("span.faint", null, ` step ${f.step}`)) : name),
          h("span.size.faint", null, fmtBytes(f.size)));
        out.push(row);
      }
      return out;
    };
    holder.replaceChildren(h("p.muted", null, `${files.length} files, ${fmtBytes(tree.size)}. Media files are named by the key and step that logged them.`),
      h("div.files-layout", null, h("div.tree", { "aria-label": "files" }, ...render(tree, 0)), preview));
  }, (e: Error) => holder.replaceChildren(emptyState("The file list could not be loaded", e.message)));
}

async function showPreview(box: HTMLElement, f: RunFile): Promise<void> {
  const title = h("div.code-title.mono", null, f.key !== undefined ? `${f.key} · step ${f.step} · ${f.path}` : f.path, " ",
    h("a", { href: f.url, target: "_blank", download: f.path.split("/").pop() }, "download"));
  box.replaceChildren(title, h("div.loading", null, "…"));
  try {
    if (IMAGE.test(f.path)) {
      box.replaceChildren(title, h("img.preview-img", { src: f.url, alt: f.path }));
    } else if (f.path.endsWith(".table.json")) {
      const data = JSON.parse((await fileText(f.url, 4 * 1024 * 1024)).text) as { columns: string[]; data: unknown[][] };
      const rows = (data.data ?? []).slice(0, 200);
      box.replaceChildren(title, h("p.faint", null, `${(data.data ?? []).length} rows × ${data.columns.length} columns${rows.length < (data.data ?? []).length ? " (first 200 shown)" : ""}`),
        h("div.ltable-wrap", null, h("table.ltable", null, h("thead", null, h("tr", null, ...data.columns.map((c) => h("th", null, c)))),
          h("tbody", null, ...rows.map((r) => h("tr", null, ...r.map((v) => h("td", null, typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)))))))));
    } else {
      const lang = languageOf(f.path);
      if (lang === null && f.size > 0 && !/\.(txt|log|json|csv|md)$/i.test(f.path)) {
        box.replaceChildren(title, h("p.faint", null, `No preview for this kind of file (${fmtBytes(f.size)}).`));
        return;
      }
      const { text, cut } = await fileText(f.url);
      box.replaceChildren(title, cut ? h("p.faint", null, "Only the first 512 KiB are shown.") : "", codeBlock(text, lang ?? "plaintext"));
    }
  } catch (e) {
    box.replaceChildren(title, emptyState("No preview", (e as Error).message));
  }
}
