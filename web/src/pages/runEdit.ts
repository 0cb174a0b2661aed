// In-place edits of a run's name, tags and notes on the run page (docs/ui.md, Comparing runs). Each
// edit is a PATCH that appends an UPDATE record to the run's log (docs/http-api.md, "Summary
// edits"), so it survives a reindex; a running run cannot be edited and says so.
// "Delete run…" deletes the run for good after a confirmation (docs/read-api.md, "Deleting a
// run"); a running run, or one that logged artifact versions, is refused and says why.

import { api, type Run } from "../lib/api";
import { h } from "../lib/dom";

/** The run's name (click to rename), its tags (× removes, + adds) and its notes (click to edit).
 * `onSaved` gets the run with the new fields. */
export function runEditor(run: Run, onSaved: (r: Run) => void): { name: HTMLElement; details: HTMLElement } {
  let cur = run;
  const error = h("span.error.edit-error", { role: "status" });
  const nameEl = h("span.run-name", { title: "Click to rename", tabindex: "0", role: "button", "aria-label": "rename run" }, cur.name);
  const tagsEl = h("span.run-tags");
  const notesEl = h("div.run-notes");

  type Fields = { name?: string; tags?: string[]; notes?: string | null };
  // edits go one after the other, each computed from the run as the previous one left it (two
  // tags typed quickly are both kept)
  let queue: Promise<unknown> = Promise.resolve();
  function save(fields: Fields | (() => Fields)): Promise<boolean> {
    const next = queue.then(async () => {
      error.textContent = "";
      try {
        const r = await api.editRun(cur.project, cur.id, typeof fields === "function" ? fields() : fields);
        cur = { ...cur, ...r };
        onSaved(cur);
        paint();
        return true;
      } catch (e) {
        error.textContent = `Not saved: ${(e as Error).message}`;
        return false;
      }
    });
    queue = next;
    return next;
  }
  const add = h("input.tag-input", { type: "text", placeholder: "+ tag", "aria-label": "add tag", maxlength: "64" });
  add.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || !add.value.trim()) return;
    const t = add.value.trim();
    add.value = "";
    void save(() => ({ tags: (cur.tags ?? []).includes(t) ? cur.tags : [...(cur.tags ?? []), t] }));
  });

  function editName(): void {
    const input = h("input.name-input", { type: "text", value: cur.name, "aria-label": "run name", maxlength: "200" });
    let done = false;
    const finish = async (keep: boolean) => {
      if (done) return;
      done = true;
      const v = input.value.trim();
      if (keep && v && v !== cur.name) await save({ name: v });
      input.replaceWith(nameEl);
      paint();
    };
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") void finish(true); else if (e.key === "Escape") void finish(false); });
    input.addEventListener("blur", () => void finish(true));
    nameEl.replaceWith(input);
    input.focus();
    input.select();
  }
  nameEl.addEventListener("click", editName);
  nameEl.addEventListener("keydown", (e) => { if (e.key === "Enter") editName(); });

  function paint(): void {
    nameEl.textContent = cur.name;
    const typing = document.activeElement === add;
    tagsEl.replaceChildren(...(cur.tags ?? []).map((t) => h("span.tag.editable", { dataset: { tag: t } }, t,
      h("button.untag", { title: `Remove tag ${t}`, "aria-label": `remove tag ${t}`, onclick: () => void save(() => ({ tags: cur.tags.filter((x) => x !== t) })) }, "×"))), add);
    if (typing) add.focus();
    const shown = h("div.notes-text", { title: "Click to edit the notes", tabindex: "0", role: "button", "aria-label": "edit notes" },
      cur.notes ? cur.notes : h("span.faint", null, "Add notes…"));
    const editNotes = () => {
      const ta = h("textarea.notes-input", { "aria-label": "run notes", rows: 4 }, cur.notes ?? "");
      const ok = h("button.primary", { onclick: () => void save({ notes: ta.value.trim() ? ta.value : null }) }, "Save notes");
      const cancel = h("button", { onclick: () => paint() }, "Cancel");
      notesEl.replaceChildren(ta, h("div.actions", null, ok, cancel));
      ta.focus();
    };
    shown.addEventListener("click", editNotes);
    shown.addEventListener("keydown", (e) => { if (e.key === "Enter") editNotes(); });
    notesEl.replaceChildren(shown);
  }
  const remove = h("button.danger.delete-run", {
    title: "Delete this run for good: its log, media and files",
    onclick: async () => {
      if (!window.confirm(`Delete run ${cur.name} (${cur.id}) for good? Its log, media and files are removed.`)) return;
      error.textContent = "";
      try {
        await api.deleteRun(cur.project, cur.id);
        window.location.assign(`/p/${encodeURIComponent(cur.project)}`);
      } catch (e) {
        error.textContent = `Not deleted: ${(e as Error).message}`;
      }
    },
  }, "Delete run…");
  paint();
  return { name: nameEl, details: h("div.run-edit", null, h("div.run-tags-row", null, h("span.faint", null, "tags "), tagsEl), notesEl, h("div.actions", null, remove), error) };
}
