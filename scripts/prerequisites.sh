#!/usr/bin/env bash
# What the test suite needs beyond Python, on Debian or Ubuntu: each program is used if found,
# else installed with apt-get (as root, or through sudo). None is required: without one, the
# tests that need it skip and pytest's closing summary says which and why. Then the web
# editor's locked npm packages (for its end-to-end test in headless Chromium).
#
#   chromium                       web editor end-to-end test (CHROMIUM=/path for another build)
#   java (default-jre-headless)    Spark tests (Java 17+)
#   emacs (emacs-nox elpa-eglot)   Emacs/Eglot plugin test
#   node >= 20.19 (nodejs npm)     web editor end-to-end test, and rebuilding the page
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'prerequisites: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "not root and no sudo: skipped '$*'"; return 1
  fi
}

updated=""
apt_install() {  # apt_install PACKAGE...: quietly, updating the package lists once
  command -v apt-get >/dev/null || { say "no apt-get: install $* by hand"; return 1; }
  if [ -z "$updated" ]; then as_root apt-get update -qq || return 1; updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null || { say "could not install $*"; return 1; }
}

need() {  # need PROGRAM PACKAGE...
  local program=$1; shift
  command -v "$program" >/dev/null && return 0
  say "installing $* (for $program)"
  apt_install "$@" || true
}

node_recent() {
  command -v node >/dev/null &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}

need chromium chromium
need java default-jre-headless
need emacs emacs-nox elpa-eglot
if ! node_recent; then
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -n "$candidate" ] && dpkg --compare-versions "$candidate" ge 20.19; then
    apt_install nodejs npm || true
  else
    say "Node >= 20.19 is not in this system's package lists (Debian 12 and Ubuntu 24.04 have 18):"
    say "  see https://nodejs.org/en/download or NodeSource; the web editor test skips until then"
  fi
fi
if node_recent; then
  (cd editors/web && npm ci --no-audit --no-fund --loglevel=error)
fi
