#!/bin/sh
# check.sh - the project's whole test suite, from a fresh Debian machine:
# installs what is missing, builds, runs the unit tests, then builds again
# with AddressSanitizer+UndefinedBehaviorSanitizer and runs them there, then
# runs them under valgrind.  Exits non-zero on the first failure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/build.sh _build
echo "== unit tests"
make -C _build -j"$(nproc)" check || { cat _build/test-suite.log; exit 1; }
echo "== unit tests, ASan+UBSan build"
sh tools/build.sh _build-san --enable-sanitizers
make -C _build-san -j"$(nproc)" check || { cat _build-san/test-suite.log; exit 1; }
echo "== unit tests under valgrind"
make -C _build check-valgrind
# One plain summary line over every Check test case run above.
passed=0; failed=0
for f in _build/tests/unit/*.log _build-san/tests/unit/*.log; do
    line=$(grep -o 'Checks: [0-9]*, Failures: [0-9]*, Errors: [0-9]*' "$f" | tail -1) || continue
    set -- $(echo "$line" | tr -cs '0-9' ' ')
    passed=$((passed + $1 - $2 - $3)); failed=$((failed + $2 + $3))
done
echo "check.sh: all tests passed (plain, sanitizers, valgrind)"
echo "unit: $passed passed, $failed failed"
