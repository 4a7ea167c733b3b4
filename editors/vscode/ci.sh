#!/usr/bin/env bash
# The VS Code extension's checks: install from the lock file, type-check, lint, unit tests, package.
# Needs Node 20+ and npm; after `npm ci` nothing else is fetched.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== vscode: %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

step "tsc --noEmit"
npx --no-install tsc -p . --noEmit

step "eslint"
npx --no-install eslint .

step "unit tests (tsc, then node --test)"
rm -rf out
npx --no-install tsc -p .
node --test out/test/

step "package (esbuild bundle, vsce package)"
rm -f ./*.vsix
# vsce runs the vscode:prepublish script (the esbuild bundle) first.
npx --no-install vsce package --no-dependencies --skip-license --allow-missing-repository --out notelint-0.1.0.vsix
# The .vsix is a zip: the bundle, grammar, manifest and README must be in it, the sources not.
node -e '
const fs = require("node:fs");
const buf = fs.readFileSync("notelint-0.1.0.vsix");
const names = [];
for (let i = 0; (i = buf.indexOf("PK\x01\x02", i, "latin1")) >= 0; i += 4) {
  const n = buf.readUInt16LE(i + 28), x = buf.readUInt16LE(i + 30), c = buf.readUInt16LE(i + 32);
  names.push(buf.toString("utf8", i + 46, i + 46 + n));
  i += 42 + n + x + c;
}
const need = ["extension/package.json", "extension/dist/extension.js", "extension/README.md",
  "extension/syntaxes/clinical-note.tmLanguage.json", "extension/language-configuration.json"];
const lower = names.map((f) => f.toLowerCase());
const missing = need.filter((f) => !lower.includes(f.toLowerCase()));
const stray = names.filter((f) => /^extension\/(src|test|out|node_modules)\//.test(f));
if (missing.length || stray.length) {
  console.error("vsix contents wrong; missing:", missing, "unexpected:", stray);
  process.exit(1);
}
console.log("notelint-0.1.0.vsix:", names.length, "files,", buf.length, "bytes");
'
