#!/bin/sh
# demo.sh - the main job: build, then run a local JuxMem overlay on
# 127.0.0.1 and use it:
#   - a rendezvous (juxmemd --rdv), and two clusters, "alpha" and "beta",
#     each with a manager and four providers offering 64 MiB each;
#   - a client of alpha allocates a 1 MiB block replicated on 2 clusters x
#     2 providers, writes a file into it under acquire/release;
#   - a client of beta, knowing only the block's ID, reads it back under
#     acquire_read and checks it byte for byte;
#   - eight clients increment a shared counter 50 times each, concurrently,
#     under acquire/release: the result is exactly 400;
#   - stat shows the copies, their clusters, the version and the lock;
#     the block is freed and every process is stopped cleanly.
# `sh tools/demo-jxta.sh` shows the JXTA layer on its own (leases,
# discovery, failover, a captured Java conversation decoded).
# Installs missing Debian packages first (needs root or sudo for that).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/build.sh _build
T=${JUXMEM_DEMO_TOOLS:-$top/_build/tools}
work=$(mktemp -d /tmp/juxmem-demo-XXXXXX)
. "$top/tools/demo-lib.sh"
# IDs shortened for reading: peer-XXXXXXXX (peer IDs share JXSE's Net group
# prefix), group/data IDs by their first 8 hex digits
short() {
    sed -E 's/urn:jxta:uuid-59616261646162614E50472050325033([0-9A-F]{8})[0-9A-F]*03/peer-\1/g;
            s/urn:jxta:uuid-([0-9A-F]{8})[0-9A-F]{48,}02/group-\1/g'
}
start() { # name args...
    n=$1; shift
    "$T/juxmemd" --home "$work/$n" --name "$n" "$@" > "$work/$n.out" 2> "$work/$n.err" &
    pids="$pids $!"
}

echo "== A local JuxMem overlay on 127.0.0.1"
start rdv --rdv --listen tcp://127.0.0.1:0
wait_for "$work/rdv.out" READY 1 20
rdv=$(sed -n 's/^READY.* listen=\([^ ]*\).*/\1/p' "$work/rdv.out")
echo "rendezvous at $rdv"
for c in alpha beta; do
    start "manager-$c" --listen tcp://127.0.0.1:0 --seed "$rdv" --manager --cluster "$c"
    for i in 1 2 3 4; do
        start "provider-$c$i" --no-listen --seed "$rdv" --cluster "$c" --provider 64M
    done
done
for c in alpha beta; do wait_for "$work/manager-$c.out" "MANAGER cluster=$c providers=4" 1 60; done
grep -h "MANAGER cluster=.* providers=4" "$work"/manager-*.out | sort -u

J() { # home-name args...: one juxmem client command
    h=$1; shift
    "$T/juxmem" --home "$work/$h" --seed "$rdv" "$@"
}

echo
echo "== A 1 MiB block on 2 clusters x 2 providers, written by a client of alpha"
id=$(J client-a --cluster alpha alloc 1M --clusters 2 --providers 2 | sed -n 's/^allocated \([^ ]*\).*/\1/p')
[ -n "$id" ] || { echo "demo: allocation failed" >&2; exit 1; }
echo "allocated $id" | short
head -c 1048576 /dev/urandom > "$work/data.bin"
J client-a --cluster alpha put "$id" "$work/data.bin" | short
echo "(acquire, write, release: release returned once every copy held the data)"

echo
echo "== Read back by a client of beta that knows only the ID"
J client-b --cluster beta get "$id" -o "$work/back.bin"
if cmp -s "$work/data.bin" "$work/back.bin"; then echo "read 1 MiB: identical"; else
    echo "demo: the block read back differs" >&2; exit 1; fi

echo
echo "== Eight clients increment a counter 50 times each, concurrently"
cid=$(J client-a --cluster alpha alloc 64 --clusters 2 --providers 2 | sed -n 's/^allocated \([^ ]*\).*/\1/p')
cpids=""
for i in 1 2 3 4 5 6 7 8; do
    c=alpha; [ $((i % 2)) -eq 0 ] && c=beta
    J "counter-$i" --cluster $c incr "$cid" 50 > "$work/counter-$i.out" 2>&1 &
    cpids="$cpids $!"
done
for p in $cpids; do wait "$p" || { echo "demo: a counter client failed" >&2; cat "$work"/counter-*.out >&2; exit 1; }; done
final=$(J client-b --cluster beta get "$cid" --length 8 | od -An -tu8 | tr -d ' ')
echo "counter = $final (expected 400)"
[ "$final" = 400 ] || { echo "demo: lost updates" >&2; exit 1; }

echo
echo "== stat"
J client-b --cluster beta stat "$id" | short
echo
echo "== clusters"
J client-b ls clusters | short
J client-a --cluster alpha free "$id" | short
J client-a --cluster alpha free "$cid" | short
echo
echo "== stopping the overlay"
for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
for p in $pids; do wait "$p" 2>/dev/null || true; done
pids=""
grep -h "^STOP" "$work"/*.out | sort | uniq -c
echo "demo: done"
