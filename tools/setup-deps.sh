#!/bin/sh
# setup-deps.sh [--fuzz] - install the Debian packages this project needs to
# build and test, if any are missing.  Needs root (or sudo) only when
# something is missing.  --fuzz adds clang for the libFuzzer harnesses.
set -eu
pkgs="build-essential autoconf automake libtool pkg-config libxml2-dev libapr1-dev uuid-dev zlib1g-dev check valgrind iproute2"
[ "${1:-}" = "--fuzz" ] && pkgs="$pkgs clang libclang-rt-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "setup-deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "setup-deps: run as root to install:$missing" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
