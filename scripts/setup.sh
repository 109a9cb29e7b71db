#!/usr/bin/env bash
# Installs everything penchant needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are not fetched again. Used by both
# README commands and by .ci/run, so a fresh machine and CI stay in step.
set -euo pipefail

pkgs=(build-essential clang libclang-rt-dev meson ninja-build pkg-config
      liburing-dev libck-dev libxxhash-dev libmsgpack-dev libbenchmark-dev
      python3 python3-msgpack zlib1g-dev libsodium-dev python3-fluent-logger
      python3-numpy python3-scipy python3-sklearn libmicrohttpd-dev curl
      prometheus chromium chromium-driver python3-selenium)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}; run as root or install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
