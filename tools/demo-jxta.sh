#!/bin/sh
# demo-jxta.sh - the JXTA layer on its own: build, then
#   1. run a local JXTA overlay on 127.0.0.1 (two C rendezvous, six C edges)
#      and show leases being granted, renewed and failed over when the first
#      rendezvous is killed;
#   2. decode a TCP conversation captured between two Java (JXSE 2.5) peers
#      and show the advertisements and IDs in it;
#   3. re-encode every captured Java frame and check it is byte-identical.
# Installs missing Debian packages first (needs root or sudo for that).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/build.sh _build
T=$top/_build/tools
V=${JXTA_VECTORS:-$top/../shared/jxta/vectors/jxse-2.5}
work=$(mktemp -d /tmp/jxta-demo-XXXXXX)
. "$top/tools/demo-lib.sh"
short() { sed -E 's/urn:jxta:uuid-59616261646162614E50472050325033([0-9A-F]{8})[0-9A-F]{24}03/peer-\1/g; s/urn:jxta:uuid-59616261646162614E50472050325033([0-9A-F]{8})[0-9A-F]{24}04/pipe-\1/g'; }

echo "== 1. A local JXTA overlay: 2 rendezvous in one PeerView, 6 edges (lease 3 s, renewed"
echo "   every 1.5 s); every edge publishes a pipe advertisement, edge6 looks for all of them"
start() { # name args...
    n=$1; shift
    "$T/jxta-peer" --home "$work/$n" --name "$n" "$@" > "$work/$n.out" 2> "$work/$n.err" &
    pids="$pids $!"
    eval "pid_$n=$!"
}
start rdv1 --role rdv --listen tcp://127.0.0.1:0 --lease-ms 3000 --gc-ms 500 --probe-ms 500
wait_for "$work/rdv1.out" READY 1 10
a1=$(sed -n 's/.*listen=\([^ ]*\).*/\1/p' "$work/rdv1.out")
start rdv2 --role rdv --listen tcp://127.0.0.1:0 --lease-ms 3000 --gc-ms 500 --probe-ms 500 --seed "$a1"
wait_for "$work/rdv2.out" READY 1 10
a2=$(sed -n 's/.*listen=\([^ ]*\).*/\1/p' "$work/rdv2.out")
wait_for "$work/rdv2.out" "PEERVIEW joined" 1 10
echo "rdv1 at $a1, rdv2 at $a2"
for i in 1 2 3 4 5 6; do
    if [ $((i % 2)) -eq 0 ]; then l="--listen tcp://127.0.0.1:0"; else l="--no-listen"; fi
    cat > "$work/pipe$i.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE jxta:PipeAdvertisement>
<jxta:PipeAdvertisement xmlns:jxta="http://jxta.org">
<Id>$("$T/jxta-id" new pipe --seed "demo-pipe-$i")</Id><Type>JxtaUnicast</Type><Name>demo-pipe-$i</Name>
</jxta:PipeAdvertisement>
XML
    d=""; [ $i -eq 6 ] && d="--discover adv:Name=demo-pipe-* --discover-every-ms 700"
    # shellcheck disable=SC2086
    start "edge$i" $l --seed "$a1" --seed "$a2" --retry-ms 1000 --srdi-ms 300 \
        --publish "$work/pipe$i.xml" $d
done
for i in 1 2 3 4 5 6; do wait_for "$work/edge$i.out" "LEASE renewed" 1 20; done
echo "-- rdv1 says:"; short < "$work/rdv1.out"
echo "-- edge1 says:"; short < "$work/edge1.out"
wait_for "$work/edge6.out" "FOUND type=adv" 5 20
echo "-- edge6 found all six pipes (remote publishes cached by the rendezvous, or the SRDI index):"
grep FOUND "$work/edge6.out" | short
echo "-- killing rdv1 (SIGKILL): the edges fail over to rdv2"
eval "kill -KILL \$pid_rdv1"
for i in 1 2 3 4 5 6; do wait_for "$work/edge$i.out" "LEASE granted" 2 20; done
echo "-- edge1 says:"; short < "$work/edge1.out"
echo "-- rdv2 says:"; short < "$work/rdv2.out"
echo "-- stopping edge2 (SIGTERM): it says goodbye"
eval "kill -TERM \$pid_edge2"
wait_for "$work/rdv2.out" "reason=disconnected" 1 10
grep "reason=disconnected" "$work/rdv2.out" | short

echo
echo "== 2. A conversation captured between two Java JXTA peers (JXSE 2.5), decoded"
s2c=$(ls "$V"/edge-listening/decoded/streams/conn01-*.s2c.bin)
echo "-- $s2c (rendezvous to edge), first 60 lines:"
"$T/jxta-msg" dump "$s2c" | head -60
echo "-- the Java rendezvous' peer advertisement:"
"$T/jxta-adv" show "$V/edge-listening/peers/rdv-PeerAdvertisement.xml" | head -25
echo "-- the echo pipe ID the Java harness derives from its seed, derived in C:"
"$T/jxta-id" new pipe --seed jxinterop-echo-pipe

echo
echo "== 3. Every captured Java frame and message re-encoded by the C stack"
n=0; same=0
for f in "$V"/dump/*.jxmg "$V"/dump/*.tcpframe "$V"/*/decoded/frames/*.jxmg "$V"/*/decoded/streams/*.bin; do
    n=$((n + 1))
    if "$T/jxta-msg" roundtrip "$f" | cmp -s - "$f"; then same=$((same + 1)); else echo "DIFFERS: $f"; fi
done
echo "$same of $n files re-encoded byte-identical"
[ "$same" -eq "$n" ]
