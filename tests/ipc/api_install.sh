#!/usr/bin/env bash
# api_install: libpenchant as a client sees it. The shared library exports
# pen_* only and needs neither msgpack nor zlib; installed (meson install
# into a scratch DESTDIR), a program built with plain cc against the
# installed header and pkg-config file links, runs and talks to a real
# penchantd. Args: BUILD_DIR SOURCE_DIR PENCHANTD.
set -u
build=$1 src=$2 penchantd=$3
lib="$build/libpenchant.so"
fail() { echo "api_install: $*" >&2; exit 1; }
command -v nm >/dev/null && command -v pkg-config >/dev/null ||
  { echo "skip: nm or pkg-config missing"; exit 77; }

syms=$(nm -D --defined-only "$lib" | awk '{print $3}')
[ -n "$syms" ] || fail "no dynamic symbols in $lib"
bad=$(echo "$syms" | grep -v '^pen_' || true)
[ -z "$bad" ] || fail "exports beyond pen_*: $(echo $bad)"
for s in pen_open pen_version pen_counters_read pen_profile_read; do
  echo "$syms" | grep -qx "$s" || fail "does not export $s"
done
if ldd "$lib" | grep -Eq 'msgpack|libz\.'; then
  fail "links msgpack or zlib: $(ldd "$lib" | tr '\n' ' ')"
fi

tmp=$(mktemp -d)
inst=apitest-$$
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/root" \
  >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; fail "meson install failed"; }
pc=$(find "$tmp/root" -name penchant.pc | head -1)
[ -n "$pc" ] || fail "no penchant.pc installed"
export PKG_CONFIG_PATH=$(dirname "$pc")
prefix=$tmp/root$(pkg-config --variable=prefix penchant)
pcx() { pkg-config --define-variable=prefix="$prefix" "$@" penchant; }
flags=$(pcx --cflags --libs) || fail "pkg-config"
libdir=$(pcx --variable=libdir)
# A sanitized build's library needs its runtime first in the program.
san=
ldd "$lib" | grep -q libasan && san=-fsanitize=address,undefined
cc -std=c11 -Wall -Wextra -Werror $san -o "$tmp/client" "$src/tests/ipc/api/client.c" \
  $flags -Wl,-rpath,"$libdir" || fail "the client does not build against the installed files"
ldd "$tmp/client" | grep -q "$libdir/libpenchant.so" ||
  fail "the client does not load the installed library: $(ldd "$tmp/client" | tr '\n' ' ')"

"$penchantd" --instance "$inst" --state-dir "$tmp/state" --no-snapshot \
  --shards 1 --udp-listen= --tcp-listen= --forward-listen= \
  --http-listen= --rank-listen= \
  >"$tmp/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 200); do # until the region is laid out and running
  "$build/tools/penchant" --instance "$inst" status >/dev/null 2>&1 && break
  sleep 0.05
done
"$tmp/client" "$inst" || { cat "$tmp/daemon.log" >&2; fail "the client failed against penchantd"; }
echo "api_install: ok ($(echo "$syms" | wc -l) symbols, all pen_*)"
