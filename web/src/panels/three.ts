// 3-D objects and point clouds (docs/media-refs.md, object3D-file) with three.js, loaded on demand: obj/gltf/glb models,
// and pts.json clouds (xyz, xyzc categories, xyzrgb colours) with lidar boxes and vectors.
// Mouse: drag orbits, wheel zooms, Ctrl+drag (or right drag) pans.

import { isDark } from "../lib/theme";
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";

const CATEGORY: [number, number, number][] = [
  [255, 255, 255], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [170, 110, 40], [128, 128, 0],
];

interface Scene { type: string; format: string; points: number[][]; boxes: { corners: number[][]; label?: string; color?: number[] }[]; vectors: { start: number[]; end: number[] }[] }

export async function renderObject3D(holder: HTMLElement, url: string, format: string): Promise<void> {
  holder.replaceChildren();
  const width = holder.clientWidth || 360;
  const height = holder.clientHeight || 300;
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(Math.min(2, devicePixelRatio));
  renderer.setSize(width, height);
  const dark = isDark();
  renderer.setClearColor(dark ? 0x15181b : 0xf3f4f5);
  holder.append(renderer.domElement);
  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(50, width / height, 0.01, 10000);
  scene.add(new THREE.AmbientLight(0xffffff, 0.7));
  const sun = new THREE.DirectionalLight(0xffffff, 1.2);
  sun.position.set(3, 5, 4);
  scene.add(sun);
  const group = new THREE.Group();
  scene.add(group);

  if (format === "pts.json") {
    const s = (await (await fetch(url)).json()) as Scene;
    const pos = new Float32Array(s.points.length * 3);
    const col = new Float32Array(s.points.length * 3);
    s.points.forEach((p, i) => {
      pos.set([p[0], p[1], p[2]], i * 3);
      let c: number[] = [120, 170, 220];
      if (s.format === "xyzc") c = CATEGORY[((Math.round(p[3]) % 15) + 15) % 15];
      else if (s.format === "xyzrgb") c = [p[3], p[4], p[5]];
      col.set([c[0] / 255, c[1] / 255, c[2] / 255], i * 3);
    });
    const geo = new THREE.BufferGeometry();
    geo.setAttribute("position", new THREE.BufferAttribute(pos, 3));
    geo.setAttribute("color", new THREE.BufferAttribute(col, 3));
    group.add(new THREE.Points(geo, new THREE.PointsMaterial({ size: 3, vertexColors: true, sizeAttenuation: false })));
    const EDGES = [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4], [0, 4], [1, 5], [2, 6], [3, 7]];
    for (const b of s.boxes ?? []) {
      const pts: THREE.Vector3[] = [];
      for (const [a, c] of EDGES) if (b.corners[a] && b.corners[c]) pts.push(new THREE.Vector3(...(b.corners[a] as [number, number, number])), new THREE.Vector3(...(b.corners[c] as [number, number, number])));
      const color = b.color ? new THREE.Color(b.color[0] / 255, b.color[1] / 255, b.color[2] / 255) : new THREE.Color(0x00ff88);
      group.add(new THREE.LineSegments(new THREE.BufferGeometry().setFromPoints(pts), new THREE.LineBasicMaterial({ color })));
    }
    for (const v of s.vectors ?? []) {
      const start = new THREE.Vector3(...(v.start as [number, number, number]));
      const end = new THREE.Vector3(...(v.end as [number, number, number]));
      const dir = end.clone().sub(start);
      group.add(new THREE.ArrowHelper(dir.clone().normalize(), start, dir.length(), 0xffaa00));
    }
  } else {
    let obj: THREE.Object3D;
    if (format === "obj") {
      const { OBJLoader } = await import("three/examples/jsm/loaders/OBJLoader.js");
      obj = new OBJLoader().parse(await (await fetch(url)).text());
      obj.traverse((o) => { if ((o as THREE.Mesh).isMesh) (o as THREE.Mesh).material = new THREE.MeshStandardMaterial({ color: 0x4e79a7, roughness: 0.6 }); });
    } else {
      const { GLTFLoader } = await import("three/examples/jsm/loaders/GLTFLoader.js");
      const buf = await (await fetch(url)).arrayBuffer();
      obj = (await new GLTFLoader().parseAsync(buf, "")).scene;
    }
    group.add(obj);
  }
  // frame the object
  const box = new THREE.Box3().setFromObject(group);
  const size = box.getSize(new THREE.Vector3()).length() || 1;
  const center = box.getCenter(new THREE.Vector3());
  camera.position.copy(center).add(new THREE.Vector3(size * 0.6, size * 0.5, size * 0.9));
  camera.near = size / 1000;
  camera.far = size * 100;
  camera.updateProjectionMatrix();
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.target.copy(center);
  controls.screenSpacePanning = true;
  // Ctrl+drag pans (docs/ui.md, Media panels), as does the right button
  renderer.domElement.addEventListener("pointerdown", (e) => {
    controls.mouseButtons.LEFT = e.ctrlKey || e.metaKey || e.shiftKey ? THREE.MOUSE.PAN : THREE.MOUSE.ROTATE;
  }, { capture: true });
  let frame = 0;
  const tick = () => {
    if (!holder.isConnected) { renderer.dispose(); return; }
    controls.update();
    renderer.render(scene, camera);
    frame = requestAnimationFrame(tick);
  };
  void frame;
  tick();
  holder.dataset.rendered = "1";
}
