#!/usr/bin/env bash
# Sets everything up and runs every test: a release build and an
# ASan+UBSan build with gcc (all suites in both), and a clang build
# (warnings are errors; unit suite). Exit status is the tests' verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh

configure() { # dir, extra meson args...
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

configure build-release --buildtype=release
configure build-asan --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false
CC=clang CXX=clang++ configure build-clang --buildtype=release
for d in build-release build-asan build-clang; do
  echo "== building $d"
  ninja -C "$d" >/dev/null
done

status=0
echo "== tests: release build"
meson test -C build-release --print-errorlogs --num-processes 1 || status=1
echo "== tests: ASan+UBSan build"
meson test -C build-asan --print-errorlogs --num-processes 1 --timeout-multiplier 4 || status=1
echo "== tests: clang build (unit)"
meson test -C build-clang --suite unit --print-errorlogs || status=1
exit $status
