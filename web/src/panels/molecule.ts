// Molecules (docs/media-refs.md, molecule-file) with 3Dmol.js, loaded on demand: sticks, plus a cartoon for proteins.
import { isDark } from "../lib/theme";
export async function renderMolecule(holder: HTMLElement, url: string, format: string): Promise<void> {
  const [$3Dmol, text] = await Promise.all([import("3dmol"), fetch(url).then((r) => r.text())]);
  holder.replaceChildren();
  const dark = isDark();
  const viewer = $3Dmol.createViewer(holder, { backgroundColor: dark ? "#15181b" : "#f3f4f5" } as never);
  const fmt = format === "mmcif" || format === "mcif" ? "cif" : format === "sd" ? "sdf" : format;
  viewer.addModel(text, fmt);
  viewer.setStyle({}, { stick: { radius: 0.15 }, sphere: { scale: 0.25 } } as never);
  viewer.setStyle({ atom: "CA" } as never, { cartoon: { color: "spectrum" }, stick: { radius: 0.15 } } as never);
  viewer.zoomTo();
  viewer.render();
  holder.dataset.rendered = "1";
}
