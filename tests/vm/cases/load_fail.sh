#!/usr/bin/env bash
# vm-run: --mem 768 --cpus 4
# Loads that cannot succeed fail cleanly and at once:
#  - nr_devices=64 capacity_mb=4194304 needs 1 GiB of page directories
#    (16 MiB per 4 TiB device) in a 768 MiB guest: insmod fails with ENOMEM
#    and one line saying what the devices need and what half of RAM is,
#    before anything is allocated: no OOM kill (before this check the
#    allocations drove the guest into the OOM killer, which killed this very
#    script), no disk, node, control node or block major, memory unchanged;
#  - the same for queue_depth=4096 nr_devices=64 with 8 hardware contexts
#    (the requests of blk-mq count too);
#  - a configuration just under the limit loads, works and unloads.
# A load that fails half way (after some devices were allocated) is driven
# by fault injection on the debug kernel (docs/testbed.md); the load order
# (docs/data-plane.md 8) adds no disk before every allocation has succeeded.
. "$(dirname "$0")/../lib.sh"
need_uops
DEV=/dev/uringblk0

sync
echo 3 >/proc/sys/vm/drop_caches
avail0=$(mem_avail_kb)
dmesg_mark
for args in "nr_devices=64 capacity_mb=4194304" \
	"nr_devices=64 queue_depth=4096 nr_hw_queues=8 poll_queues=8"; do
	rc=0
	out=$(insmod "$UBK_KO" $args 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "insmod $args in a 768 MiB guest succeeded"
	grep -q 'Cannot allocate memory' <<<"$out" || fail "insmod $args: got '$out', want ENOMEM"
	pass "insmod $args fails with ENOMEM"
	ubk_absent "after insmod $args"
	[ ! -e /dev/uringblk-ctl ] || fail "/dev/uringblk-ctl exists"
done
log=$(dmesg_new)
grep -E 'uringblk' <<<"$log" || true
grep -Eq 'nr_devices=64 capacity_mb=4194304 queue_depth=1024 need [0-9]+ MiB of page directories and requests, more than half of RAM \([0-9]+ MiB\)' <<<"$log" ||
	fail "no log line with what the devices need"
pass "the log says what the devices need and what half of RAM is"
dmesg_clean
sync
echo 3 >/proc/sys/vm/drop_caches
avail1=$(mem_avail_kb)
expect_ge "MemAvailable after the refused loads (KiB, within 4 MiB of $avail0)" "$avail1" $((avail0 - 4096))

# Just under the limit: 8 devices of 4 TiB (128 MiB of directories).
ubk_load nr_devices=8 capacity_mb=4194304
uops fill $DEV 0 1M 7
uops verify $DEV 0 1M 7
uops fill /dev/uringblk7 $((4194304 * 1024 * 1024 - 1048576)) 1M 8
uops verify /dev/uringblk7 $((4194304 * 1024 * 1024 - 1048576)) 1M 8
ubk_unload
ubk_absent "after rmmod"
dmesg_clean
echo "load_fail: PASS"
