// The runyard UI: a small single-page app over the HTTP API. Every view has a URL that can be
// shared and reloaded: /, /p/<project>, /p/<project>/r/<run>[/<tab>], with view settings in the query.

import "./style.css";
import { route, startRouter } from "./lib/router";
import { h, clear } from "./lib/dom";

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
  try {
    if (r.page === "projects") {
      const { projectsPage } = await import("./pages/projects");
      teardown = await projectsPage(main);
    } else if (r.page === "workspace") {
      const { workspacePage } = await import("./pages/workspace");
      teardown = await workspacePage(main, r.project!);
    } else if (r.page === "run") {
      const { runPage } = await import("./pages/run");
      teardown = await runPage(main, r.project!, r.run!, r.tab ?? "overview");
    } else {
      main.append(h("div.page", null, h("div.empty", null, h("strong", null, "No such page"), h("p", null, h("a", { href: "/" }, "Go to the projects")))));
    }
  } catch (e) {
    main.append(h("div.page", null, h("div.empty.error", null, h("strong", null, "This page could not be loaded"), h("p", null, String((e as Error).message ?? e)))));
  }
}

function header(project?: string, run?: string): HTMLElement {
  const crumbs = h("span.crumbs");
  if (project) {
    crumbs.append("/", h("a", { href: `/p/${encodeURIComponent(project)}` }, project));
    if (run) crumbs.append("/", h("a", { href: `/p/${encodeURIComponent(project)}/r/${encodeURIComponent(run)}` }, run));
  }
  return h("header.top", null,
    h("a.brand", { href: "/" }, h("img", { src: "/favicon.svg", alt: "" }), "runyard"),
    crumbs,
    h("span.spacer"),
    h("span.live#live-status"),
    h("a.faint", { href: "/docs", title: "HTTP API documentation" }, "API"),
  );
}

startRouter(render);
