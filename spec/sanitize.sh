#!/usr/bin/env bash
# spec/sanitize.sh - the C unit tests and the binding's specs again, built with
# AddressSanitizer and UndefinedBehaviorSanitizer (build dir build-asan). Prints the
# TAP of both; any sanitizer report makes the run fail.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
b=${ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$b" -DKIBANA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
    cmake --build "$b" -j2 >/dev/null || { echo "not ok 1 - the sanitizer build compiles"; echo "1..1"; exit 1; }
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# lua5.4 itself is not instrumented, so the runtime is preloaded; leaks are left to
# valgrind (tools/valgrind-specs): the interpreter's own exit path would be reported.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=86
"$b/test_core" || exit 1
export LUA_PATH="$root/lua/?.lua;$root/lua/?/init.lua;$root/?.lua;;" LUA_CPATH="$root/$b/?.so;;"
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
    lua5.4 /usr/bin/busted -o TAP spec/unit/core_spec.lua spec/unit/client_spaces_spec.lua \
    spec/unit/client_endpoints_spec.lua spec/unit/client_errors_spec.lua
