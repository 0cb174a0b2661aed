// The run page's Code tab (docs/ui.md, Run page): the source stored with the run (save_code, log_code),
// highlighted; the uncommitted git diff; and a diff of this run's code against another run's.

import "../runinfo.css";
import { api, fileUrl, type Run } from "../lib/api";
import { emptyState, h } from "../lib/dom";
import { fmtBytes } from "../lib/format";
import { codeBlock, languageOf } from "../lib/highlight";
import { fileText, runInfo, type CodeInfo } from "../lib/runInfoApi";

export function codeTab(content: HTMLElement, project: string, run: Run): void {
  const holder = h("div", null, h("div.loading", null, "…"));
  content.append(holder);
  runInfo.code(project, run.id).then((info) => show(holder, project, run, info),
    (e: Error) => holder.replaceChildren(emptyState("The code could not be loaded", e.message)));
}

function show(holder: HTMLElement, project: string, run: Run, info: CodeInfo): void {
  const viewer = h("div.code-pane", { "aria-label": "code viewer" });
  const list = h("ul.file-list", { "aria-label": "code files" });
  const git = info.git ?? {};
  const items: { label: string; path: string; lang: string | null; note?: string }[] = info.files.map((f) => ({
    label: f.path, path: `files/code/${f.path}`, lang: languageOf(f.path) ?? "plaintext", note: fmtBytes(f.size),
  }));
  if (info.diff) items.push({ label: "git diff (uncommitted)", path: `files/${info.diff}`, lang: "diff", note: info.diff_truncated ? "cut" : undefined });
  const open = async (item: (typeof items)[number], li: HTMLElement) => {
    list.querySelectorAll("li").forEach((x) => x.classList.toggle("active", x === li));
    viewer.replaceChildren(h("div.loading", null, "…"));
    try {
      const { text, cut } = await fileText(fileUrl(project, run.id, item.path));
      const notes: (string | HTMLElement)[] = [];
      if (cut) notes.push(h("p.faint", null, "Only the first 512 KiB are shown. ", h("a", { href: fileUrl(project, run.id, item.path), target: "_blank" }, "Whole file")));
      if (item.lang === "diff" && info.diff_truncated) notes.push(h("p.faint", null, `The diff was cut at ${fmtBytes(info.diff_truncated.kept)} of ${fmtBytes(info.diff_truncated.total)} (setting max_diff_bytes).`));
      viewer.replaceChildren(h("div.code-title.mono", null, item.label), ...notes, codeBlock(text, item.lang));
    } catch (e) {
      viewer.replaceChildren(emptyState(`${item.label} could not be loaded`, (e as Error).message));
    }
  };
  for (const item of items) {
    const li = h("li", null, h("a", { href: "#", onclick: (ev: Event) => { ev.preventDefault(); void open(item, li); } }, item.label), item.note ? h("span.faint", null, ` ${item.note}`) : null);
    list.append(li);
  }
  const head = h("div.code-head", null,
    git.commit ? h("span.mono", { title: String(git.remote ?? "") }, `git ${String(git.branch ?? "")} @ ${String(git.commit).slice(0, 10)}${git.dirty ? " (uncommitted changes)" : ""}`)
      : h("span.faint", null, git.root ? "a git repository without commits" : "not in a git repository (or its environment was not captured)"),
  );
  const compare = h("div.code-compare");
  const picker = h("select", { "aria-label": "compare code with run" }, h("option", { value: "" }, "Compare with run…"));
  picker.addEventListener("change", () => { if (picker.value) void showCompare(compare, project, run.id, picker.value); else compare.replaceChildren(); });
  api.runs(project, { limit: 500, order: "-created_at" }).then((r) => {
    for (const other of r.runs) if (other.id !== run.id) picker.append(h("option", { value: other.id }, `${other.name} (${other.id})`));
  }, () => {});
  head.append(picker);
  if (!items.length) {
    holder.replaceChildren(head, emptyState("No code stored with this run",
      "Pass save_code=True to init() to keep the main script, or call run.log_code('.') to keep a source tree; a run in a git repository with uncommitted changes also stores the diff."), compare);
    return;
  }
  holder.replaceChildren(head, info.left_out ? h("p.faint", null, info.left_out.split("\n")[0]) : "",
    h("div.code-layout", null, list, viewer), compare);
  const first = items.find((i) => i.label === info.main) ?? items[0];
  void open(first, list.children[items.indexOf(first)] as HTMLElement);
}

async function showCompare(box: HTMLElement, project: string, runId: string, other: string): Promise<void> {
  box.replaceChildren(h("div.loading", null, "…"));
  try {
    const cmp = await runInfo.compare(project, runId, other);
    const changed = cmp.files.filter((f) => f.status !== "same");
    box.replaceChildren(h("h2", null, `Code of ${other} → this run`),
      h("p.muted", null, `${changed.length} of ${cmp.files.length} files differ`),
      ...(changed.length ? changed : []).map((f) => h("div.diff-file", { dataset: { status: f.status } },
        h("div.code-title.mono", null, `${f.path} `, h(`span.diff-status.${f.status}`, null, f.status)),
        f.diff ? codeBlock(f.diff, "diff") : f.status === "changed" ? h("p.faint", null, "too large to compare line by line") : null)));
    if (!cmp.files.length) box.append(emptyState("Neither run stored code", "Use save_code=True or run.log_code() in both runs to compare them."));
  } catch (e) {
    box.replaceChildren(emptyState("The comparison could not be loaded", (e as Error).message));
  }
}
