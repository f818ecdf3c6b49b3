# demo-lib.sh - shared by demo.sh and demo-jxta.sh (sourced, not run): a
# work directory removed on exit, every started process stopped by its PID
# on exit, and a bounded wait for event lines.  Set `work` before sourcing.
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# wait_for FILE PATTERN COUNT SECONDS: bounded wait for COUNT matching lines
wait_for() {
    i=0
    while [ "$(grep -c -- "$2" "$1" 2>/dev/null || true)" -lt "$3" ]; do
        i=$((i + 1))
        if [ $i -gt $(($4 * 10)) ]; then
            echo "demo: timed out waiting for '$2' in $1" >&2
            tail -5 "$1" >&2 || true
            exit 1
        fi
        sleep 0.1
    done
}
