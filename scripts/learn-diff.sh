#!/usr/bin/env bash
# Compares the learner of this tree (build/libpenchant_core.a) with the
# learner of another revision, byte by byte on random events
# (scripts/learn_diff.c): a speed-up of engine/learn.c must learn exactly
# what the code before it learned.
#   scripts/learn-diff.sh [REV [EVENTS [SEED]]]   (default: HEAD~1, 2000000)
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD~1}
events=${2:-2000000}
seed=${3:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ninja -C build >/dev/null
git archive "$rev" engine include | tar -x -C "$tmp"
flags="-std=gnu11 -O3 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64"
cc $flags -I"$tmp" -I"$tmp/include" -c "$tmp/engine/learn.c" -o "$tmp/old.o"
# Only the global symbols get the prefix; the old object's calls into
# the rest of the core (clock, rng) resolve to this tree's, which the
# learner's output does not depend on beyond what it passes them.
nm -g --defined-only "$tmp/old.o" | awk '{print $3" old_"$3}' >"$tmp/syms"
objcopy --redefine-syms="$tmp/syms" "$tmp/old.o" "$tmp/old_learn.o"
cc $flags -I. -Iinclude scripts/learn_diff.c "$tmp/old_learn.o" \
  build/libpenchant_core.a -lsodium -lm -o "$tmp/learn_diff"
echo "learner of $(git rev-parse --short "$rev") against this tree:"
"$tmp/learn_diff" "$events" "$seed"
