#!/usr/bin/env bash
# The web editor in CI: install exactly the locked packages and build the page. Its end-to-end
# test in headless Chromium runs in the test suite (tests/web/test_web_editor_e2e.py), or alone
# with `node --test tests/e2e.mjs`.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
# The page is committed inside the Python package (the wheel ships it): a fresh build must
# reproduce it byte for byte, so a source changed without rebuilding the page fails here.
if git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$(git status --porcelain -- ../../server/notelint/web)" ]; then
  echo "server/notelint/web differs from a fresh build: commit the rebuilt page" >&2
  exit 1
fi
