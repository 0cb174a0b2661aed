import { api, subscribe, type Project } from "../lib/api";
import { debounce, emptyState, h } from "../lib/dom";
import { fmtAgo, projectName } from "../lib/format";

export async function projectsPage(main: HTMLElement): Promise<() => void> {
  const page = h("div.page");
  main.append(page);
  document.title = "Projects · runyard";
  const draw = (projects: Project[]) => {
    page.replaceChildren(h("h1", null, "Projects"));
    if (!projects.length) {
      page.append(emptyState("No runs here yet",
        "runyard shows the runs logged into the folder this server reads. Log one:",
        h("code", null, 'import runyard; run = runyard.init(project="demo"); run.log({"loss": 0.5}); run.finish()'),
        "It appears here within a second or two; no reload needed. Or run `runyard demo` to log a few example runs."));
      return;
    }
    // a team server lists the projects of every entity the user sees: one table an entity
    const entities = [...new Set(projects.map((p) => p.entity ?? ""))].sort();
    for (const entity of entities) {
      const own = projects.filter((p) => (p.entity ?? "") === entity);
      const rows = own.map((p) => h("tr", null,
        h("td", null, h("a", { href: `/p/${encodeURIComponent(p.name)}`, title: p.name }, projectName(p.name, p.entity))),
        h("td.num", null, String(p.runs)),
        h("td", { title: p.updated_at ? new Date(p.updated_at * 1000).toLocaleString() : "" }, fmtAgo(p.updated_at)),
      ));
      if (entities.length > 1) page.append(h("h2.entity", { dataset: { entity } }, entity || "(no entity)"));
      page.append(h("table.list", { dataset: { entity } }, h("thead", null, h("tr", null, h("th", null, "Project"), h("th.num", null, "Runs"), h("th", null, "Last update"))), h("tbody", null, rows)));
    }
  };
  draw(await api.projects());
  // live: new projects and runs appear without a reload
  const refresh = debounce(async () => draw(await api.projects()), 1000);
  return subscribe(null, () => refresh());
}
