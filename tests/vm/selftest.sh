#!/usr/bin/env bash
# Self-test of the test bed: exit status propagation, output, the
# kernel-log check (a WARNING written to /dev/kmsg must fail the run), the
# timeout, and a checkout under /tmp (which the guest's own tmpfs on /tmp
# would hide).
set -u
run=$(dirname "$0")/run
repo=$(cd "$(dirname "$0")/../.." && pwd -P)
fail=0

# A checkout under /tmp: the source files of this one (tracked and new, as
# in the working tree), and its build/kernels.env.
tmp=$(mktemp -d /tmp/uringblk-selftest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
(cd "$repo" && { git ls-files -z; git ls-files -z --others --exclude-standard; } |
	rsync -a --from0 --files-from=- ./ "$tmp/") || { echo "FAIL: cannot copy the checkout to $tmp"; exit 1; }
mkdir -p "$tmp/build" && cp "$repo/build/kernels.env" "$tmp/build/"
out=$("$tmp/tests/vm/run" -- sh -c 'test "$(pwd)" = "'"$tmp"'" && test -f tests/vm/lib.sh && echo written >new-file && cat new-file && echo from-tmp-ok' 2>&1)
rc=$?
if [ $rc != 0 ] || ! grep -q from-tmp-ok <<<"$out"; then
	echo "FAIL: the test bed does not run from a checkout under /tmp (rc=$rc)"; echo "$out"; fail=1
fi
[ ! -e "$tmp/new-file" ] || { echo "FAIL: the guest wrote into the host checkout"; fail=1; }

out=$("$run" -- sh -c 'echo hello-from-guest; test "$(pwd)" = "'"$repo"'" || exit 9; exit 7' 2>&1)
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
