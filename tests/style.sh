#!/usr/bin/env bash
# style: every C/C++ source is as clang-format (.clang-format) writes it.
# Reformat with: clang-format -i $(git ls-files '*.c' '*.h' '*.cc')
set -u
cd "$1" || exit 1
command -v clang-format >/dev/null || { echo "skip: no clang-format"; exit 77; }
files=$(git ls-files '*.c' '*.h' '*.cc' 2>/dev/null) || { echo "skip: not a git checkout"; exit 77; }
[ -n "$files" ] || { echo "skip: no git-tracked sources"; exit 77; }
# One clang-format over all files (a process a file took minutes on a busy
# machine); its diagnostics name each file that differs.
# shellcheck disable=SC2086
if out=$(clang-format --dry-run --Werror $files 2>&1); then
  echo "style: all sources formatted"
  exit 0
fi
bad=$(printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u)
if [ -n "$bad" ]; then
  printf 'not formatted: %s\n' $bad
else
  printf '%s\n' "$out" | head -5 # clang-format itself failed
fi
exit 1
