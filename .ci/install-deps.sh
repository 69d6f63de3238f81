#!/bin/sh
# Installs every Debian 12 package the build, the demo and the test suite
# need. Idempotent (installs only what is missing); used by `make demo`,
# `make test` and CI.
set -eu
# Build: compiler, CMake, and the libraries the host and plugins link; curl
# lets the demo place orders on the mock exchange.
BUILD="build-essential cmake pkg-config libwebsockets-dev libssl-dev libjansson-dev \
libyaml-dev libltdl-dev libhiredis-dev ca-certificates curl"
# Tests: python3 orchestrates processes; openssl cross-checks JWTs and makes
# the TLS test's certificate; redis-server
# backs the redis_publisher tests; chromium drives the chart page; promtool
# (package prometheus) validates /metrics.
TEST="python3 openssl redis-server chromium prometheus"
PKGS="$BUILD"
[ "${1:-}" = "--test" ] && PKGS="$BUILD $TEST"
# Node.js + npm bring the chart library and the browser driver from npm.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
