// Syntax highlighting with highlight.js core and a few languages, loaded on first use (the Code and
// Files tabs), so no other page pays for it.

import type { HLJSApi } from "highlight.js";

let loading: Promise<HLJSApi> | null = null;

export function highlighter(): Promise<HLJSApi> {
  loading ??= (async () => {
    const hljs = (await import("highlight.js/lib/core")).default;
    const langs = await Promise.all([
      import("highlight.js/lib/languages/python"), import("highlight.js/lib/languages/javascript"),
      import("highlight.js/lib/languages/typescript"), import("highlight.js/lib/languages/json"),
      import("highlight.js/lib/languages/yaml"), import("highlight.js/lib/languages/bash"),
      import("highlight.js/lib/languages/diff"), import("highlight.js/lib/languages/ini"),
      import("highlight.js/lib/languages/markdown"), import("highlight.js/lib/languages/cpp"),
      import("highlight.js/lib/languages/xml"), import("highlight.js/lib/languages/plaintext"),
    ]);
    const names = ["python", "javascript", "typescript", "json", "yaml", "bash", "diff", "ini", "markdown", "cpp", "xml", "plaintext"];
    names.forEach((n, i) => hljs.registerLanguage(n, langs[i].default));
    return hljs;
  })();
  return loading;
}

const BY_EXT: Record<string, string> = {
  py: "python", pyi: "python", js: "javascript", mjs: "javascript", ts: "typescript", json: "json",
  yaml: "yaml", yml: "yaml", sh: "bash", bash: "bash", patch: "diff", diff: "diff", ini: "ini", toml: "ini",
  cfg: "ini", md: "markdown", c: "cpp", h: "cpp", cc: "cpp", cpp: "cpp", hpp: "cpp", cu: "cpp",
  html: "xml", xml: "xml", txt: "plaintext", log: "plaintext", csv: "plaintext",
};

/** The highlight.js language of a file name, or null for one that is not code or text. */
export function languageOf(path: string): string | null {
  const name = path.split("/").pop() ?? "";
  if (name === "requirements.txt") return "plaintext";
  const ext = name.includes(".") ? name.split(".").pop()!.toLowerCase() : "";
  return BY_EXT[ext] ?? null;
}

/** A <pre><code> of `text`, highlighted as `lang` once the highlighter has loaded. */
export function codeBlock(text: string, lang: string | null): HTMLElement {
  const code = document.createElement("code");
  code.textContent = text;
  const pre = document.createElement("pre");
  pre.className = "code-view";
  pre.append(code);
  if (lang) {
    void highlighter().then((hljs) => {
      // highlight.js escapes the text it is given: the HTML it returns holds only its own spans
      code.innerHTML = hljs.highlight(text, { language: lang, ignoreIllegals: true }).value;
      code.classList.add("hljs", `language-${lang}`);
    });
  }
  return pre;
}
