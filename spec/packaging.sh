#!/usr/bin/env bash
# spec/packaging.sh - packaging checks, as TAP: the module exports one symbol and does
# not link liblua, `cmake --install` and `luarocks make` (offline) give a tree from
# which `require "kibana"` works, and the LuaJIT build of the module compiles.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build}
work=$(mktemp -d "${TMPDIR:-/tmp}/lua-kibana-pkg.XXXXXX")
trap 'rm -rf "$work"' EXIT
n=0
check() { # check DESCRIPTION COMMAND...
    local desc=$1; shift
    n=$((n + 1))
    local out
    if out=$("$@" 2>&1); then echo "ok $n - $desc"; else
        echo "not ok $n - $desc"; printf '%s\n' "$out" | tail -n 15 | sed 's/^/# /'; fi
}
exports_one_symbol() {
    local syms; syms=$(nm -D --defined-only "$build/kibana/core.so" | awk '{print $3}')
    [ "$syms" = "luaopen_kibana_core" ] || { echo "exported: $syms"; return 1; }
}
no_liblua() { ! ldd "$build/kibana/core.so" | grep -i 'liblua'; }
# loads TREE: require "kibana" from an installed tree and call into the C core
loads() {
    LUA_PATH="$1/share/lua/5.4/?.lua;$1/share/lua/5.4/?/init.lua" LUA_CPATH="$1/lib/lua/5.4/?.so" \
    lua5.4 -e 'local k = require "kibana"
        assert(package.searchpath("kibana.core", package.cpath):find(os.getenv("TREE"), 1, true))
        local c = k.new("http://127.0.0.1:9", { retries = 0, connect_timeout = 2 })
        local ok, err = pcall(c.status, c)
        assert(not ok and k.errors.is(err, k.errors.ConnectionError), tostring(err))
        assert(k.array{}  and require("kibana.core").json_encode(k.array{}) == "[]")'
}
cmake_install() {
    cmake --install "$build" --prefix "$work/cmake" >/dev/null && TREE="$work/cmake" loads "$work/cmake"
}
luarocks_make() {
    command -v luarocks >/dev/null || { echo "luarocks not installed"; return 1; }
    rm -rf "$work/src" && git -C "$root" ls-files -z | (mkdir -p "$work/src" && cd "$root" && xargs -0 cp --parents -t "$work/src")
    (cd "$work/src" && luarocks --lua-version 5.4 --tree "$work/rocks" make rockspec/lua-kibana-scm-1.rockspec) >/dev/null &&
        TREE="$work/rocks" loads "$work/rocks"
}
luajit_build() {
    cmake -S . -B "$work/lj" -DKIBANA_LUAJIT=ON >/dev/null && cmake --build "$work/lj" -j2 >/dev/null &&
        [ "$(nm -D --defined-only "$work/lj/luajit/kibana/core.so" | awk '{print $3}')" = luaopen_kibana_core ]
}
check "the module exports luaopen_kibana_core and nothing else" exports_one_symbol
check "the module is not linked against liblua" no_liblua
check "cmake --install gives a tree that require \"kibana\" loads" cmake_install
check "luarocks make (offline, build.type cmake) installs a working rock" luarocks_make
check "the module builds against LuaJIT's headers with -Werror" luajit_build
echo "1..$n"
