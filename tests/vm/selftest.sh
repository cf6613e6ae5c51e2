#!/usr/bin/env bash
# Self-test of the test bed: exit status propagation, output, and the
# kernel-log check (a WARNING written to /dev/kmsg must fail the run).
set -u
run=$(dirname "$0")/run
fail=0

out=$("$run" -- sh -c 'echo hello-from-guest; test "$(pwd)" = "'"$(cd "$(dirname "$0")/../.." && pwd)"'" || exit 9; exit 7' 2>&1)
rc=$?
if [ $rc != 7 ]; then echo "FAIL: exit status: want 7, got $rc"; echo "$out"; fail=1; fi
if ! grep -q hello-from-guest <<<"$out"; then echo "FAIL: guest output not printed"; fail=1; fi

out=$("$run" -- sh -c 'echo "WARNING: CPU: 0 PID: 1 at selftest injected" >/dev/kmsg' 2>&1)
rc=$?
if [ $rc = 0 ]; then echo "FAIL: a WARNING in the guest kernel log did not fail the run"; fail=1; fi
if ! grep -q 'selftest injected' <<<"$out"; then echo "FAIL: the offending log line was not printed"; echo "$out"; fail=1; fi
if ! grep -q 'selftest injected' "$(dirname "$0")/../../build/vm/last-dmesg.txt"; then
	echo "FAIL: build/vm/last-dmesg.txt does not hold the guest log"; fail=1
fi

out=$("$run" --timeout 25 -- sh -c 'sleep 600' 2>&1)
rc=$?
if [ $rc != 124 ] || ! grep -q TIMEOUT <<<"$out"; then echo "FAIL: a hung guest was not killed with a clear message (rc=$rc)"; echo "$out"; fail=1; fi

[ $fail = 0 ] && echo "testbed selftest: ok"
exit $fail
