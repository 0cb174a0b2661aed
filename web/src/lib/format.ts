// Numbers, durations and times formatted for people (docs/ui.md, Look and feel): 1.2k, 3.4e-5, 2h 13m.

// Values JSON cannot hold arrive in one tagged encoding (runyard/jsonvalue.py, docs/http-api.md):
// {"$float": "NaN" | "Infinity" | "-Infinity"}, {"$int": "<digits>"} (past 2^53), {"$bytes": "<base64>"},
// and {"$object": {...}} for a logged dict whose only key is one of these tags. Strings are always text.
const TAGS = new Set(["$float", "$int", "$bytes", "$object"]);
const FLOATS: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** The tag of a tagged value ("$float", ...), or null for any other value. */
export function tagOf(v: unknown): string | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const keys = Object.keys(v);
  return keys.length === 1 && TAGS.has(keys[0]) ? keys[0] : null;
}

/** A value as JavaScript: $float → number, $int → bigint, $bytes → Uint8Array, at any depth. */
export function decodeValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeValue);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const tag = tagOf(v);
  if (tag === "$float" && typeof o.$float === "string" && o.$float in FLOATS) return FLOATS[o.$float];
  if (tag === "$int" && typeof o.$int === "string" && /^-?\d+$/.test(o.$int)) return BigInt(o.$int);
  if (tag === "$bytes" && typeof o.$bytes === "string") return Uint8Array.from(atob(o.$bytes), (c) => c.charCodeAt(0));
  const inner = tag === "$object" && o.$object && typeof o.$object === "object" ? (o.$object as Record<string, unknown>) : o;
  return Object.fromEntries(Object.entries(inner).map(([k, x]) => [k, decodeValue(x)]));
}

/** The inverse of decodeValue: what the server reads back exactly. */
export function encodeValue(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : { $float: Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity" };
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : { $int: v.toString() };
  if (v instanceof Uint8Array) return { $bytes: btoa(String.fromCharCode(...v)) };
  if (Array.isArray(v)) return v.map(encodeValue);
  if (v === null || typeof v !== "object") return v;
  const out = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeValue(x)]));
  return tagOf(out) ? { $object: out } : out;
}

/** A compact number: 1234 → "1.23k", 0.000034 → "3.4e-5", 0.9312 → "0.9312". */
export function fmtNum(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return "–";
  if (typeof v === "string") return v;
  if (typeof v === "bigint") return fmtNum(Number(v), digits);
  if (tagOf(v) === "$float" || tagOf(v) === "$int") return fmtNum(asNumber(v), digits);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v !== "number") return String(v);
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  const sign = v < 0 ? "-" : "";
  if (Number.isInteger(v) && a < 10000) return String(v);
  if (a >= 1e15 || a < 1e-4) {
    const [m, e] = a.toExponential(Math.max(0, digits - 2)).split("e");
    return `${sign}${trimZeros(m)}e${Number(e)}`;
  }
  const units: [number, string][] = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [size, unit] of units) {
    if (a >= size) return `${sign}${trimZeros((a / size).toPrecision(3))}${unit}`;
  }
  return sign + trimZeros(a.toPrecision(digits));
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** A duration in seconds: 42 → "42s", 7980 → "2h 13m", 200000 → "2d 7h". */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, seconds);
  if (s < 1) return `${Math.round(s * 1000)}ms`;
  if (s < 60) return `${s < 10 ? s.toFixed(1).replace(/\.0$/, "") : Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.floor(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A unix time (seconds) relative to now: "just now", "5 min ago", "3 h ago", else the date. */
export function fmtAgo(ts: number | null | undefined, now = Date.now() / 1000): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return "–";
  const d = now - ts;
  if (d < 45) return "just now";
  if (d < 3600) return `${Math.round(d / 60)} min ago`;
  if (d < 86400) return `${Math.round(d / 3600)} h ago`;
  if (d < 86400 * 7) return `${Math.round(d / 86400)} d ago`;
  return fmtDate(ts);
}

/** A unix time as local "YYYY-MM-DD HH:MM". */
export function fmtDate(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return "–";
  const d = new Date(ts * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A byte count: 1536 → "1.5 KB". */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${trimZeros(v.toPrecision(3))} ${units[i]}`;
}

/** Any JSON value as short text for a table cell. */
export function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number" || typeof v === "boolean") return fmtNum(v);
  if (typeof v === "string") return fmtNum(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "object") {
    const tag = tagOf(v);
    const o = v as Record<string, unknown>;
    if (tag === "$float") return fmtNum(asNumber(v));
    if (tag === "$int") return String(o.$int);
    if (tag === "$bytes") return `<${Math.floor((String(o.$bytes).replace(/=+$/, "").length * 3) / 4)} bytes>`;
    if (tag === "$object") return fmtValue(o.$object);
    const t = (v as { _type?: string })._type;
    if (t === "float") return fmtNum(asNumber(v));
    if (t) return `[${t.replace(/-file$/, "")}]`;
    const keys = Object.keys(v as object);
    // define_metric summaries: {"max": 0.93} shows the one value, several as "min 1.48 · last 1.79"
    if (keys.length === 1 && typeof (v as Record<string, unknown>)[keys[0]] === "number") {
      return `${fmtNum((v as Record<string, number>)[keys[0]])} (${keys[0]})`;
    }
    const AGG = ["min", "max", "mean", "first", "last", "best", "copy"];
    if (keys.length > 1 && keys.every((k) => AGG.includes(k))) {
      return keys.map((k) => `${k} ${fmtNum((v as Record<string, unknown>)[k])}`).join(" · ");
    }
    const s = JSON.stringify(v);
    return s.length > 80 ? s.slice(0, 77) + "…" : s;
  }
  return String(v);
}

/** A value as a number for sorting and charts, or null. */
export function asNumber(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return Number(v);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const tag = tagOf(v);
    if (tag === "$float") return typeof o.$float === "string" && o.$float in FLOATS ? FLOATS[o.$float] : null;
    if (tag === "$int") return typeof o.$int === "string" && /^-?\d+$/.test(o.$int) ? Number(o.$int) : null;
    if (tag) return null;
    // table files written before the tags: {"_type": "float", "value": "NaN"}
    if (o._type === "float") return typeof o.value === "string" && o.value in FLOATS ? FLOATS[o.value] : null;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o[keys[0]] === "number") return o[keys[0]] as number;
  }
  return null;
}

/** A project's name without its entity: a team server's project key is ``entity:name`` when
 * another entity's project had the name first (docs/team-server.md, "Projects and entities"). */
export function projectName(key: string, entity?: string | null): string {
  const owner = entity || projectEntity(key);
  return owner && key.startsWith(`${owner}:`) ? key.slice(owner.length + 1) : key;
}

/** The entity a project key names (``entity:name``), if any. */
export function projectEntity(key: string): string | null {
  const i = key.indexOf(":");
  return i > 0 ? key.slice(0, i) : null;
}
