// Images with segmentation masks and bounding boxes (docs/media-refs.md, image-file): a toggle per mask and per box
// group, a toggle per class, and a minimum score per score name for boxes.

import { fileUrl, type MediaRef } from "../lib/api";
import type { Context } from "../lib/context";
import { h } from "../lib/dom";

export interface ImageFilters {
  /** Shown classes, keyed "m:<mask>:<id>" for a mask's classes and "b:<group>:<id>" for a box
   * group's (each mask and box group has its own class labels). */
  masks: Set<string>; boxes: Set<string>; classes: Set<string>; minScore: Record<string, number>;
  known: { masks: Set<string>; boxes: Set<string>; classes: Map<string, { id: number; name: string; source: string }>; scores: Set<string> } | null;
}

/** Class colours: a fixed, bright palette by class id, so one class has one colour everywhere. */
export const CLASS_COLORS: [number, number, number][] = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
  [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [170, 110, 40], [128, 0, 0],
];
export const classColor = (id: number): [number, number, number] => CLASS_COLORS[((id % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];

const images = new Map<string, Promise<HTMLImageElement>>();
function loadImage(url: string): Promise<HTMLImageElement> {
  let p = images.get(url);
  if (!p) {
    p = new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => reject(new Error(`could not load ${url}`));
      img.src = url;
    });
    images.set(url, p);
    if (images.size > 400) images.delete(images.keys().next().value!);
  }
  return p;
}

interface Box { position: { minX: number; maxX: number; minY: number; maxY: number }; domain?: string; class_id?: number; box_caption?: string; scores?: Record<string, number> }

export function boxVisible(b: Box, group: string, f: ImageFilters): boolean {
  if (!f.boxes.has(group)) return false;
  if (!f.classes.has(`b:${group}:${b.class_id ?? 0}`)) return false;
  for (const [name, min] of Object.entries(f.minScore)) {
    const s = b.scores?.[name];
    if (s !== undefined && s < min) return false;
  }
  return true;
}

export function drawImage(ctx: Context, run: string, ref: MediaRef, f: ImageFilters): HTMLCanvasElement {
  const w = Number(ref.width ?? 0) || 64;
  const hgt = Number(ref.height ?? 0) || 64;
  const scale = Math.max(1, Math.min(8, Math.floor(200 / Math.max(w, hgt))));
  const c = h("canvas.img", { width: w * scale, height: hgt * scale, title: String(ref.caption ?? ""), dataset: { kind: "image" } });
  const g = c.getContext("2d")!;
  g.imageSmoothingEnabled = false;
  const url = ref.url ?? fileUrl(ctx.project, run, String(ref.path));
  const masks = Object.entries((ref.masks as Record<string, { path: string }>) ?? {});
  const maskImgs = new Map<string, Promise<ImageData>>();
  const maskData = (name: string, path: string) => {
    let p = maskImgs.get(name);
    if (!p) {
      p = loadImage(fileUrl(ctx.project, run, path)).then((img) => {
        const off = document.createElement("canvas");
        off.width = img.naturalWidth;
        off.height = img.naturalHeight;
        const og = off.getContext("2d", { willReadFrequently: true })!;
        og.drawImage(img, 0, 0);
        return og.getImageData(0, 0, off.width, off.height);
      });
      maskImgs.set(name, p);
    }
    return p;
  };
  const redraw = async () => {
    const img = await loadImage(url);
    g.clearRect(0, 0, c.width, c.height);
    g.drawImage(img, 0, 0, c.width, c.height);
    for (const [name, m] of masks) {
      if (!f.masks.has(name)) continue;
      const data = await maskData(name, m.path);
      const off = document.createElement("canvas");
      off.width = data.width;
      off.height = data.height;
      const og = off.getContext("2d")!;
      const out = og.createImageData(data.width, data.height);
      for (let i = 0; i < data.data.length; i += 4) {
        const id = data.data[i];
        const ck = `m:${name}:${id}`;
        if (id === 0 || (!f.classes.has(ck) && f.known?.classes.has(ck))) continue;
        const [r, gg, b] = classColor(id);
        out.data[i] = r; out.data[i + 1] = gg; out.data[i + 2] = b; out.data[i + 3] = 110;
      }
      og.putImageData(out, 0, 0);
      g.drawImage(off, 0, 0, c.width, c.height);
    }
    const groups = Object.entries((ref.boxes as Record<string, { box_data: Box[]; class_labels?: Record<string, string> }>) ?? {});
    g.lineWidth = 2;
    g.font = "11px system-ui, sans-serif";
    for (const [group, grp] of groups) {
      for (const b of grp.box_data ?? []) {
        if (!boxVisible(b, group, f)) continue;
        const px = b.domain === "pixel" ? scale : 1;
        const sx = b.domain === "pixel" ? px : c.width;
        const sy = b.domain === "pixel" ? px : c.height;
        const x0 = b.position.minX * sx, x1 = b.position.maxX * sx, y0 = b.position.minY * sy, y1 = b.position.maxY * sy;
        const [r, gg, bb] = classColor(b.class_id ?? 0);
        g.strokeStyle = `rgb(${r},${gg},${bb})`;
        g.strokeRect(x0, y0, x1 - x0, y1 - y0);
        const text = b.box_caption ?? grp.class_labels?.[String(b.class_id ?? 0)] ?? "";
        if (text) {
          const tw = g.measureText(text).width + 6;
          g.fillStyle = `rgb(${r},${gg},${bb})`;
          g.fillRect(x0, Math.max(0, y0 - 14), tw, 14);
          g.fillStyle = "#000";
          g.fillText(text, x0 + 3, Math.max(11, y0 - 3));
        }
      }
    }
  };
  (c as unknown as { redraw: () => void }).redraw = () => { void redraw(); };
  void redraw();
  return c;
}

export function imageControls(f: ImageFilters, changed: () => void): HTMLElement[] {
  const k = f.known;
  if (!k) return [];
  const out: HTMLElement[] = [];
  const toggle = (label: string, on: boolean, set: (v: boolean) => void, color?: [number, number, number], kind = "") => {
    const box = h("input", { type: "checkbox", checked: on, dataset: { toggle: kind }, onchange: () => { set(box.checked); changed(); } });
    return h("label", null, box, color ? h("span.swatch", { style: { background: `rgb(${color.join(",")})` } }) : null, label);
  };
  for (const m of k.masks) out.push(toggle(`mask: ${m}`, f.masks.has(m), (v) => (v ? f.masks.add(m) : f.masks.delete(m)), undefined, `mask:${m}`));
  for (const b of k.boxes) out.push(toggle(`boxes: ${b}`, f.boxes.has(b), (v) => (v ? f.boxes.add(b) : f.boxes.delete(b)), undefined, `boxes:${b}`));
  for (const [ck, c] of [...k.classes].sort((a, b) => a[1].source.localeCompare(b[1].source) || a[1].id - b[1].id)) {
    out.push(toggle(`${c.source}: ${c.name}`, f.classes.has(ck), (v) => (v ? f.classes.add(ck) : f.classes.delete(ck)), classColor(c.id), `class:${ck}`));
  }
  for (const s of k.scores) {
    const val = h("span.mono", null, (f.minScore[s] ?? 0).toFixed(2));
    const r = h("input", { type: "range", min: "0", max: "1", step: "0.05", value: String(f.minScore[s] ?? 0), dataset: { score: s } });
    r.addEventListener("input", () => { f.minScore[s] = Number(r.value); val.textContent = Number(r.value).toFixed(2); changed(); });
    out.push(h("label", null, `${s} ≥ `, r, val));
  }
  return out;
}
