// Light or dark: the system's choice until the header's toggle picks one, remembered in
// localStorage and applied (html[data-theme]) before the first page draws.

export type Theme = "system" | "light" | "dark";
const KEY = "runyard.theme";

export function currentTheme(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === "light" || t === "dark" ? t : "system";
  } catch {
    return "system";
  }
}

export function nextTheme(t: Theme): Theme {
  return t === "system" ? "dark" : t === "dark" ? "light" : "system";
}

export function themeLabel(t: Theme): string {
  return t === "dark" ? "☾ dark" : t === "light" ? "☀ light" : "◐ auto";
}

export function setTheme(t: Theme): void {
  try {
    if (t === "system") localStorage.removeItem(KEY); else localStorage.setItem(KEY, t);
  } catch { /* private mode: this page only */ }
  applyTheme(t);
}

export function applyTheme(t: Theme = currentTheme()): void {
  if (typeof document === "undefined") return;
  if (t === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

/** Whether the page is dark now (the toggle's choice, else the system's). */
export function isDark(): boolean {
  const t = currentTheme();
  if (t !== "system") return t === "dark";
  return typeof matchMedia !== "undefined" && matchMedia("(prefers-color-scheme: dark)").matches;
}
