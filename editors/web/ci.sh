#!/usr/bin/env bash
# The web editor in CI: install exactly the locked packages, build the page, then the end-to-end
# test in headless Chromium (the system one: /usr/bin/chromium, or $CHROMIUM; nothing downloaded).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
node --test tests/e2e.mjs
