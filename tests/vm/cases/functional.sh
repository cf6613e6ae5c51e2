#!/usr/bin/env bash
# uringblk_test (spec 10.1, docs/uringblk_test.md) against /dev/uringblk0:
#  - every mode at the default parameters (512-byte blocks, write-back cache,
#    poll queues): --basic, --io-size 512/4096/65536, --error-tests, --poll,
#    --fixed-buffers, --admin-commands, --sync-tests (write back and write
#    through), --queue-stress (also with every request delayed 1 ms, so
#    that blk-mq runs out of tags), --duration=5 --concurrent=4,
#    --memory-pressure (and its rule is cleared afterwards): exit 0;
#  - the self-check: --basic --corrupt-expected must FAIL with exit 1;
#  - refusals with exit 2: a regular file without --allow-file, a device
#    claimed O_EXCL by another process, no mode;
#  - queue_depth=32 with every request delayed 5 ms: --queue-stress keeps at
#    least nr_requests (32) requests in the driver at once, all verified;
#  - logical_block_size=4096: --io-size=512 refused (exit 2), the other modes pass.
. "$(dirname "$0")/../lib.sh"
UT=$UBK_BIN/uringblk_test
[ -x "$UT" ] || fail "not built: $UT (make userspace)"
DEV=/dev/uringblk0

# ut ARGS...: uringblk_test on $DEV must exit 0 and print no FAIL line.
ut() {
	local rc=0
	"$UT" -d "$DEV" "$@" >/tmp/.ut.out 2>&1 || rc=$?
	cat /tmp/.ut.out
	[ "$rc" = 0 ] || fail "uringblk_test $*: exit $rc"
	! grep -q '^FAIL' /tmp/.ut.out || fail "uringblk_test $*: FAIL line with exit 0"
	grep -q '^PASS' /tmp/.ut.out || fail "uringblk_test $*: no PASS line"
	pass "uringblk_test $*"
}

# ---- default parameters
ubk_load
ut --basic
for size in 512 4096 65536; do
	ut --io-size=$size
done
ut --error-tests
ut --poll
ut --fixed-buffers
ut --admin-commands
ut --sync-tests
ut --queue-stress
# Every request completes 1 ms late (error injection delay), so the requests
# really stay in the driver and the rings (2 x nr_requests each) run blk-mq
# out of tags.
echo "delay,0,1000" >"$SYS/error_inject"
ut --queue-stress
grep -o 'peak sysfs inflight [0-9]*' /tmp/.ut.out || true
echo clear >"$SYS/error_inject"
ut --duration=5 --concurrent=4
# Memory pressure (spec 10.1.3): every GFP_NOWAIT allocation fails by the
# nomem rule; the writes take the reclaiming path and are verified.
ut --memory-pressure -v
grep -o 'queue_full_events +[0-9]*, retries +[0-9]*' /tmp/.ut.out || true
expect_eq "error_inject after --memory-pressure (rule cleared)" "$(cat "$SYS/error_inject")" ""
# Several modes in one run, with a fixed seed and an I/O size.
ut --basic --fixed-buffers --io-size=8192 --seed=42 -v

# The verification can fail: a flipped expected byte must be reported.
expect_status "--basic --corrupt-expected" 1 "$UT" -d "$DEV" --basic --corrupt-expected
grep -q '^FAIL basic: .*data mismatch at device offset' <<<"$OUT" || fail "no mismatch report: $OUT"
pass "mismatch reported: $(grep '^FAIL' <<<"$OUT")"

# Refusals.
: >/tmp/functional.img
expect_status "regular file without --allow-file" 2 "$UT" -d /tmp/functional.img --basic
grep -q 'not a block device' <<<"$ERR" || fail "no reason given: $ERR"
expect_status "no mode" 2 "$UT" -d "$DEV"
expect_status "--io-size=1000" 2 "$UT" -d "$DEV" --io-size=1000
python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
open("/tmp/.excl", "w").close()
time.sleep(60)' "$DEV" &
holder=$!
for _ in $(seq 100); do [ -e /tmp/.excl ] && break; sleep 0.1; done
[ -e /tmp/.excl ] || fail "O_EXCL holder did not start"
expect_status "device claimed O_EXCL by another process" 2 "$UT" -d "$DEV" --basic
grep -q 'in use' <<<"$ERR" || fail "no reason given: $ERR"
kill "$holder"
wait "$holder" 2>/dev/null || true

# Write-through: no flushes reach the driver, FSYNC still succeeds.
echo "write through" >"$QSYS/write_cache"
ut --sync-tests
echo "write back" >"$QSYS/write_cache"
dmesg_clean

# ---- queue_depth=32: the smallest queue, requests held 5 ms each, so that
# the queue-stress rings (2 x 32 in flight each) keep every tag busy.
ubk_reload queue_depth=32
expect_eq "queue/nr_requests" "$(ubk_qattr nr_requests)" 32
echo "delay,0,5000" >"$SYS/error_inject"
ut --queue-stress
echo clear >"$SYS/error_inject"
peak=$(grep -o 'peak sysfs inflight [0-9]*' /tmp/.ut.out | grep -o '[0-9]*$')
expect_ge "peak requests in flight in the driver" "$peak" 32
dmesg_clean

# ---- 4096-byte logical blocks
ubk_reload logical_block_size=4096
expect_status "--io-size=512 with 4096-byte blocks" 2 "$UT" -d "$DEV" --io-size=512
grep -q 'not a multiple of the logical block size 4096' <<<"$ERR" || fail "no reason given: $ERR"
ut --io-size=4096
ut --io-size=65536
ut --basic --error-tests --poll --fixed-buffers --admin-commands --sync-tests

ubk_unload
pass "unloaded"
dmesg_clean
