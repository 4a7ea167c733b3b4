import { defineConfig } from "vite"

// A static page. `npm run build` writes it into the Python package (server/notelint/web), which
// the wheel ships and `notelint demo` serves on loopback, then stamps the sources it was built
// from (stamp.mjs) so the test suite can tell when the committed page is older than its sources.
export default defineConfig({
  base: "./",
  build: {
    outDir: "../../server/notelint/web",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: { host: "127.0.0.1" },
})
