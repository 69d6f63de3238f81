#!/bin/sh
# Installs the page's npm packages (lightweight-charts for the page,
# playwright-core for the browser test) exactly as package-lock.json pins
# them. Idempotent: when node_modules already matches the lock file nothing
# is fetched, so repeated builds work offline.
set -eu
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "chart_feeder: npm not found (Debian: apt-get install npm)" >&2
  exit 1
fi
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.upws-lock-sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -f node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js ]; then
  exit 0
fi
npm ci --no-audit --no-fund
echo "$want" >"$stamp"
