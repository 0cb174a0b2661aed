// A tiny DOM helper: h("div.cls", {attrs}, children...). No framework: the UI is small, and the
// charts libraries own their canvases anyway.

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K | `${K}.${string}` | `${K}#${string}`,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  // "span.live#live-status" and "span#live-status.live" both give the id and the classes
  const hash = tag.indexOf("#");
  let id = "";
  let rest = tag;
  if (hash >= 0) {
    const end = tag.indexOf(".", hash);
    id = tag.slice(hash + 1, end < 0 ? undefined : end);
    rest = tag.slice(0, hash) + (end < 0 ? "" : tag.slice(end));
  }
  const [name, ...classes] = rest.split(".");
  const el = document.createElement(name) as HTMLElementTagNameMap[K];
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(" ");
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") {
        el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
      } else if (k === "class") {
        el.className = [el.className, String(v)].filter(Boolean).join(" ");
      } else if (k === "style" && typeof v === "object") {
        Object.assign(el.style, v);
      } else if (k === "dataset" && typeof v === "object") {
        Object.assign(el.dataset, v);
      } else if (k in el && typeof v !== "string") {
        (el as unknown as Record<string, unknown>)[k] = v;
      } else {
        el.setAttribute(k, v === true ? "" : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A message for an empty place: what is missing, and what to do (docs/ui.md, Workspace). */
export function emptyState(title: string, ...lines: Child[]): HTMLElement {
  return h("div.empty", null, h("strong", null, title), ...lines.map((l) => h("p", null, l)));
}

export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return (...a: A) => {
    if (t) clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

/** One IntersectionObserver per margin for every element watched with it (a workspace of 1,000
 * panels made 2,000 observers before), calling each element's own callbacks with its entry. */
const pools = new Map<string, { io: IntersectionObserver; cbs: Map<Element, Set<(e: IntersectionObserverEntry) => void>> }>();

function watch(el: Element, margin: string, cb: (e: IntersectionObserverEntry) => void): () => void {
  let pool = pools.get(margin);
  if (!pool) {
    const cbs = new Map<Element, Set<(e: IntersectionObserverEntry) => void>>();
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) for (const f of [...(cbs.get(e.target) ?? [])]) f(e);
    }, { rootMargin: margin });
    pool = { io, cbs };
    pools.set(margin, pool);
  }
  const { io, cbs } = pool;
  let set = cbs.get(el);
  if (!set) {
    set = new Set();
    cbs.set(el, set);
    io.observe(el);
  }
  set.add(cb);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const s = cbs.get(el);
    if (!s) return;
    s.delete(cb);
    if (!s.size) {
      cbs.delete(el);
      io.unobserve(el);
    }
  };
}

/** Calls `draw` once the element first comes near the screen (virtualised panels, docs/ui.md). */
export function whenVisible(el: Element, draw: () => void, margin = "300px"): () => void {
  if (typeof IntersectionObserver === "undefined") {
    draw();
    return () => {};
  }
  const stop = watch(el, margin, (e) => {
    if (e.isIntersecting) {
      stop();
      draw();
    }
  });
  return stop;
}

/** Calls `show` when the element comes near the screen and `hide` when it is scrolled far away
 * (`far` past the viewport), again each time: panels off screen hold no canvas. */
export function whileVisible(el: Element, show: () => void, hide: () => void, near = "300px", far = "1500px"): () => void {
  if (typeof IntersectionObserver === "undefined") {
    show();
    return () => {};
  }
  let shown = false;
  const stopNear = watch(el, near, (e) => { if (!shown && e.isIntersecting) { shown = true; show(); } });
  const stopFar = watch(el, far, (e) => { if (shown && !e.isIntersecting) { shown = false; hide(); } });
  return () => { stopNear(); stopFar(); };
}

/** Gives back the GPU and memory of the canvases under `el` (WebGL contexts are lost at once,
 * not when the garbage collector gets to them: browsers allow only ~16 at a time). */
export function releaseCanvases(el: Element): void {
  for (const c of el.querySelectorAll("canvas")) {
    const gl = (c.getContext("webgl2") ?? c.getContext("webgl")) as WebGLRenderingContext | null;
    gl?.getExtension("WEBGL_lose_context")?.loseContext();
    c.width = 0;
    c.height = 0;
  }
}
