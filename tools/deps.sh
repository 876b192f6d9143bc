#!/usr/bin/env bash
# tools/deps.sh - install the Debian packages lua-kibana needs, only those missing.
# Usage: tools/deps.sh [extra-package ...]   (run as root, or with sudo available)
set -euo pipefail

pkgs=(build-essential cmake pkg-config lua5.4 liblua5.4-dev lua-cjson lua-busted
      libcurl4-openssl-dev nginx libnginx-mod-http-lua lua-resty-core lua-socket
      libreadline-dev curl ca-certificates python3 openssl luarocks libluajit2-5.1-dev luajit2 binutils git "$@")

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# nginx's Debian package starts a service on port 80 when it can; policy-rc.d keeps it off.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
