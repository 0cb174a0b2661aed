// URLs name views: /, /p/<project>, /p/<project>/r/<run>[/<tab>]. Links inside the app are
// followed without a reload; query parameters hold view settings and are updated in place.

export interface Route {
  page: "projects" | "workspace" | "run" | "artifacts" | "apidocs" | "missing"; project?: string; run?: string; tab?: string;
  artifact?: string; version?: string;
}

export function parsePath(path: string): Route {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: "projects" };
  if (parts.length === 1 && parts[0] === "api-docs") return { page: "apidocs" };
  if (parts[0] === "p" && parts.length === 2) return { page: "workspace", project: parts[1] };
  if (parts[0] === "p" && parts[2] === "artifacts" && parts.length >= 3 && parts.length <= 5) {
    return { page: "artifacts", project: parts[1], artifact: parts[3], version: parts[4] };
  }
  if (parts[0] === "p" && parts[2] === "r" && (parts.length === 4 || parts.length === 5)) {
    return { page: "run", project: parts[1], run: parts[3], tab: parts[4] };
  }
  return { page: "missing" };
}

export function route(): Route {
  return parsePath(location.pathname);
}

let onChange: () => void = () => {};

export function navigate(url: string): void {
  history.pushState(null, "", url);
  onChange();
}

/** Read a view setting from the URL's query. */
export function getParam(name: string): string | null {
  return new URLSearchParams(location.search).get(name);
}

/** Write a view setting into the URL (replaceState: no history entry per keystroke). */
export function setParam(name: string, value: string | null): void {
  const p = new URLSearchParams(location.search);
  if ((p.get(name) ?? "") === (value ?? "")) return; // unchanged: no history call (they are slow)
  if (value === null || value === "") p.delete(name);
  else p.set(name, value);
  const q = p.toString();
  history.replaceState(null, "", location.pathname + (q ? `?${q}` : "") + location.hash);
}

export function startRouter(render: () => void): void {
  onChange = render;
  window.addEventListener("popstate", render);
  document.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element).closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const href = a.getAttribute("href");
    if (!href || !href.startsWith("/") || href.startsWith("/api/") || href === "/docs" || href.startsWith("/openapi")) return;
    ev.preventDefault();
    navigate(href);
  });
  render();
}
