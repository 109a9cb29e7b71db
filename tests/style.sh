#!/usr/bin/env bash
# style: every C/C++ source is as clang-format (.clang-format) writes it.
# Reformat with: clang-format -i $(git ls-files '*.c' '*.h' '*.cc')
set -u
cd "$1" || exit 1
command -v clang-format >/dev/null || { echo "skip: no clang-format"; exit 77; }
files=$(git ls-files '*.c' '*.h' '*.cc' 2>/dev/null) || { echo "skip: not a git checkout"; exit 77; }
[ -n "$files" ] || { echo "skip: no git-tracked sources"; exit 77; }
bad=0
for f in $files; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f"; bad=1; }
done
[ $bad -eq 0 ] && echo "style: all sources formatted"
exit $bad
