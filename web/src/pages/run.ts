import { h } from "../lib/dom";
export async function runPage(main: HTMLElement, project: string, run: string, tab: string): Promise<() => void> {
  main.append(h("div.page", null, h("h1", null, `${project}/${run} ${tab}`)));
  return () => {};
}
