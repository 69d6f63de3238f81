#!/bin/sh
# The upws benchmark (issue 7): builds upws and the bench tools, then runs
# every scenario and prints the figures with their targets (see
# docs/PERFORMANCE.md). Not a test: it takes about three minutes and wants
# an otherwise idle machine.
#
#   tests/bench/run.sh [run.py options]       e.g. --duration 10, --rate 20000
#
# Environment: UPWS_BUILD (default build-bench-host), UPWS_BENCH_BUILD
# (default build-bench), both relative to the source root.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/tests/bench"
HOST_BUILD="$ROOT/${UPWS_BUILD:-build-bench-host}"
BENCH_BUILD="$ROOT/${UPWS_BENCH_BUILD:-build-bench}"
JOBS=$(nproc 2>/dev/null || echo 2)

cmake -S "$ROOT" -B "$HOST_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUPWS_SANITIZE=OFF >/dev/null
cmake --build "$HOST_BUILD" -j "$JOBS" --target upws >/dev/null
cmake -S "$HERE" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BENCH_BUILD" -j "$JOBS" >/dev/null

# Reference consumers: Debian's python3-websockets, and ccxt from npm (kept
# under tests/bench/node_modules, git-ignored). Missing ones are skipped.
if ! /usr/bin/python3 -c 'import websockets' 2>/dev/null; then
    echo "note: python3-websockets is not installed (apt-get install -y python3-websockets): Python line skipped"
fi
if [ ! -d "$HERE/node_modules/ccxt" ] && command -v npm >/dev/null 2>&1; then
    echo "installing ccxt into tests/bench/node_modules (npm)…"
    timeout 300 npm install --no-audit --no-fund --no-save --prefix "$HERE" ccxt@4.5.84 >/dev/null 2>&1 ||
        echo "note: npm could not install ccxt (registry unreachable?): ccxt line skipped"
fi

mkdir -p "$HERE/results"
exec python3 "$HERE/run.py" --upws "$HOST_BUILD/upws" --feeder "$BENCH_BUILD/bench_feeder" \
    --lws-count "$BENCH_BUILD/bench_lws_count" --plugins "$BENCH_BUILD/plugins" --wake "$BENCH_BUILD/bench_wake" \
    --json "$HERE/results/$(date +%Y%m%d-%H%M%S).json" "$@"
