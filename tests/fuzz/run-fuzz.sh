#!/bin/sh
# run-fuzz.sh SRCDIR OUTDIR TARGET... - build each libFuzzer harness
# tests/fuzz/fuzz_TARGET.c with clang (ASan+UBSan), seed a corpus from the
# JXSE vectors (read in place from $JXTA_VECTORS; copies go to OUTDIR, never
# into the repo) and run it for $FUZZ_SECONDS.  Prints one summary line per
# target with the number of executions; exits non-zero on any finding.
# Called by `make fuzz`; environment: FUZZ_CC, FUZZ_SECONDS, JXTA_VECTORS,
# CPPFLAGS, LIBS.
set -eu
src=$1; out=$2; shift 2
: "${FUZZ_CC:=clang}" "${FUZZ_SECONDS:=60}" "${JXTA_VECTORS:=$src/../shared/jxta/vectors/jxse-2.5}"
mkdir -p "$out"
libsrc=$(find "$src/jxta-c" "$src/advertisements" "$src/peergroups" -name '*.c' | sort)

seed_corpus() { # target corpus-dir
    t=$1; dir=$2
    mkdir -p "$dir"
    case $t in
    id)
        grep -o '"urn:jxta:[^"]*"' "$JXTA_VECTORS/dump/ids.json" | tr -d '"' | sort -u |
            while read -r u; do printf '%s' "$u" > "$dir/$(printf '%s' "$u" | cksum | cut -d' ' -f1)"; done
        printf 'urn:jxta:jxta-NetGroup' > "$dir/ng"
        printf 'urn:jxta:jxta-Null' > "$dir/null" ;;
    msg)
        find "$JXTA_VECTORS" -name '*.jxmg' -exec cp {} "$dir/" \; ;;
    stream)
        find "$JXTA_VECTORS" \( -name '*.tcpframe' -o -name '*.bin' \) -size -200k -exec cp {} "$dir/" \;
        cp "$JXTA_VECTORS/dump/tcp-welcome-example.txt" "$dir/" ;;
    addr)
        for a in tcp://127.0.0.1:9701 "tcp://127.0.0.1:9741/EndpointService:jxta-NetGroup/EndpointRouter" \
                 "urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303#PipeService/x/y" \
                 "jxta://uuid-AB03/urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000605/jxta-NetGroup"; do
            printf '%s' "$a" > "$dir/$(printf '%s' "$a" | cksum | cut -d' ' -f1)"
        done ;;
    discovery|srdi|pipe)
        # the bodies of the captured resolver/SRDI elements (python3 reads
        # the version-0 message layout; this is seed preparation only)
        find "$JXTA_VECTORS" -path '*decoded/frames/*.jxmg' | python3 -c '
import re, struct, sys, os, hashlib, html
want, out = sys.argv[1], sys.argv[2]
for path in sys.stdin.read().split():
    b = open(path, "rb").read()
    if b[:4] != b"jxmg": continue
    p = 5; nns = struct.unpack(">H", b[p:p+2])[0]; p += 2
    for _ in range(nns): l = struct.unpack(">H", b[p:p+2])[0]; p += 2 + l
    n = struct.unpack(">H", b[p:p+2])[0]; p += 2
    for _ in range(n):
        p += 4; flags = b[p+1]; p += 2
        l = struct.unpack(">H", b[p:p+2])[0]; name = b[p+2:p+2+l].decode(); p += 2 + l
        if flags & 1: l = struct.unpack(">H", b[p:p+2])[0]; p += 2 + l
        l = struct.unpack(">I", b[p:p+4])[0]; body = b[p+4:p+4+l]; p += 4 + l
        keep = []
        if want == "srdi" and name.endswith("Srdi"): keep = [body]
        if want == "pipe" and name == "JxtaWireHeader": keep = [body]
        if want in ("discovery", "pipe") and (name.endswith("ORes") or name.endswith("IRes")):
            m = re.search(rb"<(Query|Response)>(.*)</(Query|Response)>", body, re.S)
            if m: keep = [html.unescape(m.group(2).decode()).strip().encode()]
        for k in keep:
            open(os.path.join(out, hashlib.sha1(k).hexdigest()), "wb").write(k)
' "$t" "$dir" ;;
    membership)
        for f in PeerGroupAdvertisement-child.xml PeerGroupAdvertisement-NetPeerGroup.xml \
                 ModuleImplAdvertisement-StdPeerGroup.xml ModuleImplAdvertisement-NetPeerGroup.xml; do
            cp "$JXTA_VECTORS/dump/$f" "$dir/"
        done
        printf '%s' '<jxta:PGA xmlns:jxta="http://jxta.org"><GID>urn:jxta:uuid-A3F1C2D4E5B64A7C8D9EB01A2B3C4D5E02</GID><MSID>urn:jxta:uuid-7E21F0A6C3D44B1E9A0BC1D2E3F4A5B60106</MSID><Svc><MCID>urn:jxta:uuid-DEADBEEFDEAFBABAFEEDBABE0000000505</MCID><Parm><login>alice:SWPPDJFA:</login><login> bob :PHMFHG:x</login><login>open::</login></Parm></Svc></jxta:PGA>' > "$dir/pga-passwd"
        printf '%s' '<Parm><login>alice:SWPPDJFA:</login><login>nocolon</login></Parm>' > "$dir/parm"
        printf 'alice:password\nbob:Secret\ncarol:' > "$dir/logins"
        printf '%s' '1:0123456789abcdef0123456789abcdef01234567:alice' > "$dir/cred" ;;
    juxmem)
        # JuxMem protocol messages (version-0 JXTA messages with juxmem
        # elements, built here byte by byte) and JuxMem advertisements
        python3 - "$dir" <<'PY'
import os, struct, sys, hashlib
out = sys.argv[1]
def gid(tag):   # a parentless group ID: UUID, zeros, type 2
    u = bytearray(hashlib.sha1(tag).digest()[:16]); u[6] = (u[6] & 0x0F) | 0x40; u[8] = (u[8] & 0x3F) | 0x80
    return bytes(u) + bytes(47) + b"\x02"
def pid(tag):   # a peer ID of the Net group
    u = bytearray(hashlib.sha1(tag).digest()[:16]); u[6] = (u[6] & 0x0F) | 0x40; u[8] = (u[8] & 0x3F) | 0x80
    return bytes.fromhex("59616261646162614E50472050325033") + bytes(u) + bytes(31) + b"\x03"
def hdr(t, flags=0, epoch=1, mode=0, status=0, seq=1, ref=0, token=0, version=0, size=0, lease=0):
    return (struct.pack(">BBHIIi", 1, t, flags, epoch, mode, status) + gid(b"blk") + pid(b"from") +
            struct.pack(">QQQQQQ", seq, ref, token, version, size, lease))
def elem(name, body):
    n = name.encode()
    return b"jxel" + bytes([2, 0]) + struct.pack(">H", len(n)) + n + struct.pack(">I", len(body)) + body
def msg(*els):
    return b"jxmg\x00" + struct.pack(">H", 1) + struct.pack(">H", 6) + b"juxmem" + struct.pack(">H", len(els)) + b"".join(els)
rng = lambda off, data: elem("Range", struct.pack(">Q", off) + data)
mem = lambda tag, cl: elem("Member", pid(tag) + cl)
T = (1 << 32) | 1
seeds = {
  "alloc": msg(elem("Header", hdr(1, size=64)), mem(b"from", b"a"), mem(b"p2", b"b")),
  "alloc_reply": msg(elem("Header", hdr(2, status=-200, size=10))),
  "acquire": msg(elem("Header", hdr(3, flags=1, mode=1, version=0xFFFFFFFFFFFFFFFF))),
  "grant": msg(elem("Header", hdr(4, flags=0x10, mode=1, token=T, size=4, lease=1000)), rng(0, b"abcd")),
  "grant_view": msg(elem("Header", hdr(4, mode=1, token=T, ref=T, lease=1000)), mem(b"s", b"a"), mem(b"p2", b"b")),
  "deny": msg(elem("Header", hdr(5, status=-250)), elem("Hint", pid(b"seq"))),
  "release": msg(elem("Header", hdr(6, seq=2, token=T)), rng(0, b"xy"), rng(8, b"z")),
  "cancel": msg(elem("Header", hdr(6, flags=4, seq=3, ref=1))),
  "released": msg(elem("Header", hdr(7, seq=2, version=1))),
  "update": msg(elem("Header", hdr(8, token=T, version=1)), rng(4, b"data")),
  "ack": msg(elem("Header", hdr(9, version=1, status=-251))),
  "read": msg(elem("Header", hdr(10, ref=0, size=16))),
  "data": msg(elem("Header", hdr(11)), rng(0, b"0123456789abcdef")),
  "free": msg(elem("Header", hdr(12, seq=9))),
  "freed": msg(elem("Header", hdr(13, seq=9, status=-206))),
  "heartbeat": msg(elem("Header", hdr(14, ref=1, version=3)), mem(b"from", b"a")),
  "state": msg(elem("Header", hdr(15, ref=2, version=5, token=T, size=4)), rng(0, b"wxyz"), mem(b"from", b"")),
  "state_history": msg(elem("Header", hdr(15, ref=2, version=5, token=T, size=4)), rng(0, b"wxyz"),
                       rng(4, struct.pack(">QQ", T, 5)), mem(b"from", b"")),
  "vote": msg(elem("Header", hdr(16, epoch=2, ref=1, version=5, token=(1 << 32) | 1))),
  "voted": msg(elem("Header", hdr(17, epoch=2, status=-201, ref=1, version=4))),
}
for k, v in seeds.items():
    open(os.path.join(out, k), "wb").write(v)
PY
        printf '%s' '<?xml version="1.0" encoding="UTF-8"?><jxta:JuxMemMemory xmlns:jxta="http://jxta.org"><PeerID>urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303</PeerID><Cluster>alpha</Cluster><Offered>1048576</Offered><Free>4096</Free></jxta:JuxMemMemory>' > "$dir/memory-adv"
        printf '%s' '<?xml version="1.0" encoding="UTF-8"?><jxta:JuxMemCluster xmlns:jxta="http://jxta.org"><Name>alpha</Name><GID>urn:jxta:jxta-NetGroup</GID><Manager>urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303</Manager><Free>7</Free></jxta:JuxMemCluster>' > "$dir/cluster-adv" ;;
    juxmem_service)
        # a data advertisement and the JuxMemAlloc / JuxMemStat / JuxMemMember texts
        P=urn:jxta:uuid-59616261646162614E504720503250332EC7D662865D4477B78CAECC702112E303
        Q=urn:jxta:uuid-59616261646162614E50472050325033D8A85E4EAAEA4EA4A3929AD996BADE7D03
        printf '%s' "<?xml version=\"1.0\" encoding=\"UTF-8\"?><jxta:JuxMemData xmlns:jxta=\"http://jxta.org\"><Id>urn:jxta:uuid-24BE364F6F28466699CEC06030016AEAFB0C633BF385470987C8892A34DD00BF02</Id><Size>65536</Size><Clusters>1</Clusters><Providers>2</Providers><Copy><PID>$P</PID><Cluster>a</Cluster></Copy><Copy><PID>$Q</PID></Copy></jxta:JuxMemData>" > "$dir/data-adv"
        printf '65536 2' > "$dir/alloc-query"
        printf '0 a\n%s\n%s\n' "$P" "$Q" > "$dir/alloc-answer"
        printf '%s' '-200' > "$dir/alloc-error"
        printf '0 4096 3 1 9000 2 %s 2 0 1\n%s a\n%s -\n' "$P" "$P" "$Q" > "$dir/stat-answer"
        printf 'R %s' "$Q" > "$dir/stat-redirect"
        printf 'H a 1 1048576 4096' > "$dir/hello"
        printf 'L a\n%s\n%s\n' "$P" "$Q" > "$dir/manager-list" ;;
    adv)
        i=0
        find "$JXTA_VECTORS" -name '*.xml' | while read -r f; do i=$((i+1)); cp "$f" "$dir/$i-$(basename "$f")"; done ;;
    esac
}

status=0
for t in "$@"; do
    bin="$out/fuzz_$t"
    echo "== fuzz_$t: building"
    extra=""
    # the JuxMem harness also needs libjuxmem's sources (adv_juxmem.c is in libsrc)
    case $t in juxmem*) extra=$(find "$src/juxmem" -name '*.c' | sort) ;; esac
    # shellcheck disable=SC2086
    "$FUZZ_CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        $CPPFLAGS -I"$src/jxta-c/include" "$src/tests/fuzz/fuzz_$t.c" $libsrc $extra $LIBS -o "$bin"
    corpus="$out/corpus_$t"
    seed_corpus "$t" "$corpus"
    log="$out/fuzz_$t.log"
    echo "== fuzz_$t: running ${FUZZ_SECONDS}s (corpus $corpus, log $log)"
    if (cd "$out" && "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
            -print_final_stats=1 "$corpus" > "$log" 2>&1); then
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
        echo "fuzz_$t: OK, $execs executions in ${FUZZ_SECONDS}s, no finding"
    else
        echo "fuzz_$t: FINDING - see $log and the crash-* file in $out"
        tail -30 "$log"
        status=1
    fi
done
exit $status
