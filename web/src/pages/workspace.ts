import { h } from "../lib/dom";
export async function workspacePage(main: HTMLElement, project: string): Promise<() => void> {
  main.append(h("div.page", null, h("h1", null, project)));
  return () => {};
}
