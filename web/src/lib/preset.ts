// Fills a chart preset's placeholders, with the same rules as runyard.plot.fill_spec:
// "${field:NAME}" → the mapped column (".", "[" and "]" escaped, as Vega-Lite reads them as
// nested access); "${string:NAME}" → the string or ""; an object whose "field" is an unmapped
// "${field:...}" is dropped (so an optional encoding channel disappears).

const PLACEHOLDER = /\$\{(field|string):([^}]+)\}/g;
const WHOLE = /^\$\{field:([^}]+)\}$/;

export function escapeField(name: string): string {
  return name.replace(/([.[\]\\])/g, "\\$1");
}

export function fillSpec(spec: unknown, fields: Record<string, string>, strings: Record<string, string> = {}): unknown {
  const unmapped = (node: unknown) => {
    if (node && typeof node === "object" && !Array.isArray(node) && typeof (node as { field?: unknown }).field === "string") {
      const m = WHOLE.exec((node as { field: string }).field);
      return m !== null && !(m[1] in fields);
    }
    return false;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.filter((v) => !unmapped(v)).map(walk);
    if (node && typeof node === "object") {
      return Object.fromEntries(Object.entries(node).filter(([, v]) => !unmapped(v)).map(([k, v]) => [k, walk(v)]));
    }
    if (typeof node === "string") {
      return node.replace(PLACEHOLDER, (_m, kind: string, name: string) =>
        kind === "field" ? (name in fields ? escapeField(fields[name]) : "") : String(strings[name] ?? ""));
    }
    return node;
  };
  return walk(spec);
}
