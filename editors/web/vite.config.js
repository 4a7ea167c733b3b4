import { defineConfig } from "vite"

// A static page: `npm run build` writes dist/, which `notelint demo` serves on loopback.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: { host: "127.0.0.1" },
})
