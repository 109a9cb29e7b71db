#!/usr/bin/env bash
# Sets everything up and runs every test: a release build and an
# ASan+UBSan build with gcc (all suites in both), a clang build
# (warnings are errors; unit suite), and the decoders' libFuzzer targets
# (clang, ASan+UBSan; each fuzzed for fuzz_seconds). Exit status is the
# tests' verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Node.js msgpack encoders for the acceptor tests (pinned in package.json);
# without node or the registry those tests skip.
if command -v npm >/dev/null 2>&1; then
  (cd tests/integration/node && npm install --no-audit --no-fund --silent) ||
    echo "test.sh: npm install failed; the Node.js sender tests will skip" >&2
fi

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
CC=clang CXX=clang++ configure build-fuzz --buildtype=debugoptimized \
  -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
for d in build-release build-asan build-clang build-fuzz; do
  echo "== building $d"
  ninja -C "$d" >/dev/null
done

status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() { # title, meson test args...
  local title=$1; shift
  echo "== tests: $title"
  meson test "$@" --print-errorlogs 2>&1 | tee -a "$log" || status=1
}
run "release build" -C build-release --num-processes 1
run "ASan+UBSan build" -C build-asan --num-processes 1 --timeout-multiplier 4
run "clang build (unit)" -C build-clang --suite unit
run "libFuzzer targets (fuzz)" -C build-fuzz --suite fuzz --num-processes 2

# One closing line over all four runs (timeouts and unexpected passes
# count as failures, expected failures as passes).
sum() { awk -v k="$1" '$1 == k {n += $NF} END {print n + 0}' "$log"; }
passed=$(( $(sum Ok:) + $(sum "Expected") ))
failed=$(( $(sum Fail:) + $(sum Timeout:) + $(sum Unexpected) ))
echo "$passed passed, $failed failed, $(sum Skipped:) skipped"
[ "$failed" -eq 0 ] || status=1
exit $status
