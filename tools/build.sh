#!/bin/sh
# build.sh [DIR [CONFIGURE-ARGS...]] - configure (once) and build the tree out
# of source in DIR (default _build), after installing missing dependencies.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-_build}; [ $# -gt 0 ] && shift
sh "$top/tools/setup-deps.sh"
cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
mkdir -p "$dir"
cd "$dir"
[ -f Makefile ] || "$top/configure" -q "$@"
make -j"$(nproc)" >/dev/null
