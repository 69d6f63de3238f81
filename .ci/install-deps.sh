#!/bin/sh
# Installs every Debian 12 package the build and the test suite need.
# Idempotent; used by `make demo`, `make test` and CI.
set -eu
PKGS="build-essential cmake pkg-config libwebsockets-dev libssl-dev libjansson-dev \
libyaml-dev libltdl-dev openssl ca-certificates python3"
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
