/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

// The build goes into the Python package, so a wheel carries the UI and a user needs no Node.js.
// runyard.server.static serves this folder: index.html for every non-API route, /assets/* as
// immutable, content-hashed files.
const outDir = fileURLToPath(new URL("../src/runyard/server/ui_dist", import.meta.url));

export default defineConfig({
  base: "/",
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 6000, // plotly/vega/three/3dmol are split out and loaded on demand
    reportCompressedSize: true,
    rollupOptions: {
      output: {
        // three.js in a chunk of its own: editing panels/three.ts then does not re-hash (and
        // re-commit) 600 kB of library. It is still loaded only by the 3-D panel.
        manualChunks: (id) => (/node_modules\/three\//.test(id) ? "vendor-three" : undefined),
      },
    },
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8765" },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
