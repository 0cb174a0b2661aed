// The HTTP API's documentation, from the server's /openapi.json, drawn by Swagger UI from this
// build (swagger-ui-dist, loaded only on this page): it works offline, with no outside request.

import { h } from "../lib/dom";

export async function apiDocsPage(main: HTMLElement): Promise<() => void> {
  document.title = "HTTP API · runyard";
  const holder = h("div.swagger-holder");
  main.append(h("div.page.api-docs", null, holder));
  const [{ default: SwaggerUI }] = await Promise.all([
    import("swagger-ui-dist/swagger-ui-es-bundle.js") as Promise<{ default: (o: Record<string, unknown>) => unknown }>,
    import("swagger-ui-dist/swagger-ui.css"),
  ]);
  SwaggerUI({ url: "/openapi.json", domNode: holder, deepLinking: false, tryItOutEnabled: false });
  return () => holder.replaceChildren();
}
