#!/usr/bin/env bash
# penchant-bench refuses a garbage --trace or --trace-gap-us before it
# generates any event: exit 2 and a message naming the flag.
# Usage: trace_flag.sh <penchant-bench> <scratch dir>
set -u
bench=$1
dir=$2
mkdir -p "$dir" || exit 1
bad=0
# expect <message part> <args...>
expect() {
  local want=$1
  shift
  local out rc
  out=$("$bench" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ $rc -ne 2 ] || [[ "$out" != *"$want"* ]]; then
    echo "FAIL: penchant-bench $*: exit $rc, stderr: $out"
    bad=1
  fi
}
expect "--trace needs a file name" --trace
expect "--trace needs a file name, not ''" --trace ""
expect "--trace needs a file name, not '--rate'" --trace --rate 1e6
expect "--trace $dir/no/such/dir/t: No such file" --trace "$dir/no/such/dir/t"
expect "--trace $dir: Is a directory" --trace "$dir"
for v in 0 -5 1.5 abc 1e7 ""; do
  expect "--trace-gap-us needs a whole number" --trace "$dir/t" --trace-gap-us "$v"
done
expect "--trace-gap-us needs a whole number" --trace "$dir/t" --trace-gap-us
expect "--trace-gap-us without --trace" --trace-gap-us 100
[ $bad -eq 0 ] && echo "trace flags: every garbage value refused"
exit $bad
