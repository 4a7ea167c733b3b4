// Writes SOURCES.sha256 next to the built page: the digest of every file the page is built
// from, one "digest  path" line each (paths relative to editors/web, sorted). The Python tests
// recompute it, so a source edited without rebuilding the committed page fails the suite.
import { createHash } from "node:crypto"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const here = fileURLToPath(new URL(".", import.meta.url))
const outDir = process.argv[2] ?? join(here, "..", "..", "server", "notelint", "web")
const topFiles = ["index.html", "package.json", "package-lock.json", "vite.config.js", "stamp.mjs"]

function files(path) {
  const entries = readdirSync(path, { withFileTypes: true })
  return entries.flatMap(e => (e.isDirectory() ? files(join(path, e.name)) : [join(path, e.name)]))
}

const sources = [...topFiles.map(name => join(here, name)), ...files(join(here, "src"))]
const lines = sources
  .map(path => relative(here, path).split("\\").join("/"))
  .sort()
  .map(name => `${createHash("sha256").update(readFileSync(join(here, name))).digest("hex")}  ${name}`)
writeFileSync(join(outDir, "SOURCES.sha256"), lines.join("\n") + "\n")
