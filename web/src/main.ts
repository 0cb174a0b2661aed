// The runyard UI: a small single-page app over the HTTP API. Every view has a URL that can be
// shared and reloaded: /, /p/<project>, /p/<project>/r/<run>[/<tab>], with view settings in the query.

import "./style.css";
import { route, startRouter } from "./lib/router";
import { h, clear } from "./lib/dom";
import { fetchJson } from "./lib/api";
import { projectEntity, projectName } from "./lib/format";
import { workspaceData } from "./lib/workspaceData";
import { applyTheme, currentTheme, nextTheme, setTheme, themeLabel } from "./lib/theme";

applyTheme();
const app = document.getElementById("app")!;

let teardown: (() => void) | null = null;

async function render(): Promise<void> {
  if (teardown) {
    teardown();
    teardown = null;
  }
  clear(app);
  const r = route();
  const main = h("main");
  app.append(header(r.project, r.run), main);
  // a workspace's code and first data are asked for while the health check is under way
  const workspace = r.page === "workspace" ? { page: import("./pages/workspace"), data: workspaceData(r.project!) } : null;
  workspace?.data.catch(() => undefined); // its error, if any, is shown by the page (or dropped while indexing)
  workspace?.page.catch(() => undefined);
  try {
    // The server answers at once and indexes the folder in the background: say so, and draw the
    // page when the first pass is done.
    const health = await fetchJson<{ ingested?: boolean; keys?: boolean }>("/api/health").catch(() => ({ ingested: true, keys: false }));
    if (health.keys) void showUser();
    if (health.ingested === false) {
      main.append(h("div.page", null, h("div.empty", { dataset: { indexing: "1" } }, h("strong", null, "Indexing the runs in this folder…"),
        h("p", null, "runyard reads every run's log once when it starts; this page appears as soon as that is done."))));
      const wait = async () => {
        const again = await fetchJson<{ ingested?: boolean }>("/api/health").catch(() => ({ ingested: true }));
        if (again.ingested === false) timer = setTimeout(wait, 400);
        else void render();
      };
      let timer = setTimeout(wait, 400);
      teardown = () => clearTimeout(timer);
      return;
    }
    if (r.page === "projects") {
      const { projectsPage } = await import("./pages/projects");
      teardown = await projectsPage(main);
    } else if (workspace) {
      const { workspacePage } = await workspace.page;
      teardown = await workspacePage(main, r.project!, workspace.data);
    } else if (r.page === "apidocs") {
      const { apiDocsPage } = await import("./pages/apidocs");
      teardown = await apiDocsPage(main);
    } else if (r.page === "artifacts") {
      const { artifactsPage } = await import("./pages/artifacts");
      teardown = await artifactsPage(main, r.project!, r.artifact, r.version);
    } else if (r.page === "run") {
      const { runPage } = await import("./pages/run");
      teardown = await runPage(main, r.project!, r.run!, r.tab ?? "overview");
    } else {
      main.append(h("div.page", null, h("div.empty", null, h("strong", null, "No such page"), h("p", null, h("a", { href: "/" }, "Go to the projects")))));
    }
  } catch (e) {
    const back = r.run && r.project ? h("a", { href: `/p/${encodeURIComponent(r.project)}` }, `Back to project ${r.project}`) : h("a", { href: "/" }, "Back to the projects");
    main.append(h("div.page", null, h("div.empty.error", null, h("strong", null, "This page could not be loaded"), h("p", null, String((e as Error).message ?? e)), h("p", null, back))));
  }
}

function header(project?: string, run?: string): HTMLElement {
  const crumbs = h("span.crumbs");
  if (project) {
    const entity = projectEntity(project); // a team server's key of a name two entities hold
    if (entity) crumbs.append("/", h("span.faint", null, entity));
    crumbs.append("/", h("a", { href: `/p/${encodeURIComponent(project)}`, title: project }, projectName(project)));
    // the run page puts the run's name here once it has it
    if (run) crumbs.append("/", h("a.run-crumb", { href: `/p/${encodeURIComponent(project)}/r/${encodeURIComponent(run)}`, title: run }, run));
    crumbs.append(" ", h("a.faint", { href: `/p/${encodeURIComponent(project)}/artifacts`, dataset: { nav: "artifacts" } }, "Artifacts"));
  }
  const theme = h("button.theme", { title: "Light or dark (remembered in this browser)", "aria-label": "switch theme", onclick: () => {
    const next = nextTheme(currentTheme());
    setTheme(next);
    theme.textContent = themeLabel(next);
    void render(); // charts read the theme's colours when they draw
  } }, themeLabel(currentTheme()));
  return h("header.top", null,
    h("a.brand", { href: "/" }, h("img", { src: "/favicon.svg", alt: "" }), "runyard"),
    crumbs,
    h("span.spacer"),
    h("span.live#live-status"),
    h("span.who#who"),
    theme,
    h("a.faint", { href: "/api-docs", title: "HTTP API documentation" }, "API"),
  );
}

// On a server with keys: who is signed in, and a way out (docs/team-server.md, "Users, teams, keys")
let whoami: Promise<{ user: string; entities: string[] } | null> | null = null;
async function showUser(): Promise<void> {
  whoami ??= fetchJson<{ user: string; entities: string[] }>("/api/whoami").catch(() => null);
  const me = await whoami;
  const slot = document.getElementById("who");
  if (!me || !slot) return;
  slot.replaceChildren(h("span", { title: `signed in; sees the projects of ${me.entities.join(", ")}` }, me.user),
    h("form", { method: "post", action: "/api/signout" }, h("button.signout", { type: "submit", title: "Sign out of this server" }, "Sign out")));
}

// "?" lists the keyboard shortcuts (docs/ui.md, Look and feel)
const SHORTCUTS: [string, string][] = [
  ["/", "search runs"], ["f", "find panels"], ["[", "hide or show the runs table"],
  ["drag on a chart", "zoom in (reads every point of the range)"], ["double-click a chart", "zoom out"],
  ["Ctrl+drag in 3-D", "pan"], ["?", "this help"], ["Esc", "close it"],
];
let help: HTMLElement | null = null;
document.addEventListener("keydown", (e) => {
  const t = e.target as HTMLElement;
  if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
  if (e.key === "Escape" && help) { help.remove(); help = null; }
  else if (e.key === "?" && !help) {
    help = h("div.card", { role: "dialog", "aria-label": "keyboard shortcuts", style: { position: "fixed", right: "16px", top: "52px", zIndex: "50", padding: "0 0 6px", minWidth: "320px" } },
      h("h2", null, "Keyboard shortcuts"),
      h("table.kv", null, h("tbody", null, ...SHORTCUTS.map(([k, what]) => h("tr", null, h("td", null, h("span.kbd", null, k)), h("td", null, what))))));
    document.body.append(help);
  }
});

startRouter(render);
