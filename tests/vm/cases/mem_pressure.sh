#!/usr/bin/env bash
# vm-run: --mem 768
# Writes under memory pressure (docs/data-plane.md 3.3):
#  - the page cache holds ~200 MiB of clean file data (ext4 on brd, written,
#    synced, dropped and read back), so MemAvailable is large while the
#    driver's non-reclaiming allocations are forced to fail by the
#    injection rule nomem,*,N: every write takes the slow path (pool,
#    refill worker with reclaim, requeue). A 256 MiB fio randwrite+verify
#    on a 2 GiB device finishes with zero errors; queue_full_events,
#    retries and refills moved, nomem_errors did not, and the page cache
#    shrank (the worker reclaimed it);
#  - busy,*,N refuses exactly N dispatches (queue_full_events and retries
#    move by exactly N) and the write still lands;
#  - then the memory really runs out: a write fails with ENOSPC (no OOM
#    kill, no warning), nomem_errors counts it, reads still work, a whole-
#    device discard gives the memory back and writes work again.
. "$(dirname "$0")/../lib.sh"
need_uops
DEV=/dev/uringblk0
MiB=$((1024 * 1024))

# ---- clean, reclaimable page cache
modprobe brd rd_nr=1 rd_size=262144 || fail "modprobe brd"
mkfs.ext4 -q -F /dev/ram0
mkdir -p /mnt/pc
mount /dev/ram0 /mnt/pc
dd if=/dev/zero of=/mnt/pc/f bs=1M count=200 status=none
sync
echo 3 >/proc/sys/vm/drop_caches
cat /mnt/pc/f >/dev/null
cached0=$(meminfo_kb Cached)
expect_ge "Cached after reading the 200 MiB file (KiB)" "$cached0" $((190 * 1024))
echo "MemFree $(meminfo_kb MemFree) KiB, MemAvailable $(meminfo_kb MemAvailable) KiB"

ubk_load capacity_mb=2048
echo "nomem,*,1000000000" >$SYS/error_inject
echo 1 >$SYS/stats_reset
fio --name=pressure --filename=$DEV --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=64k --size=256M --iodepth=16 \
	--randrepeat=1 --verify=crc32c --verify_fatal=1 --do_verify=1 \
	--output-format=json --output=/tmp/fio-pressure.json >/dev/null ||
	fail "fio under forced allocation failure"
fio_errors_none /tmp/fio-pressure.json
pass "fio randwrite+verify of 256 MiB with every GFP_NOWAIT allocation failing"
echo clear >$SYS/error_inject
expect_ge "queue_full_events (writes given back for a refill)" "$(ubk_attr queue_full_events)" 1
expect_ge "retries (writes dispatched again)" "$(ubk_attr retries)" 1
expect_ge "refills (reclaiming pool refills)" "$(ubk_attr refills)" 1
expect_eq "nomem_errors" "$(ubk_attr nomem_errors)" 0
cached1=$(meminfo_kb Cached)
echo "Cached: $cached0 -> $cached1 KiB, mem_used_bytes $(ubk_attr mem_used_bytes)"
expect_le "Cached after the fio run (KiB): the worker reclaimed page cache" "$cached1" $((cached0 - 16 * 1024))
dmesg_clean

# ---- busy,*,N: exactly N refusals, then the write lands
echo 1 >$SYS/stats_reset
echo "busy,*,5" >$SYS/error_inject
uops fill $DEV 300M 4k 21
expect_eq "queue_full_events after busy,*,5" "$(ubk_attr queue_full_events)" 5
expect_eq "retries after busy,*,5" "$(ubk_attr retries)" 5
expect_eq "write_ops after busy,*,5" "$(ubk_attr write_ops)" 1
expect_eq "error_inject after the rule is used up" "$(cat $SYS/error_inject)" ""
uops verify $DEV 300M 4k 21
# A read refused 3 times by an LBA rule (LBA in 512-byte blocks).
echo 1 >$SYS/stats_reset
echo "busy,$((300 * MiB / 512)),3" >$SYS/error_inject
uops verify $DEV 300M 4k 21
expect_eq "queue_full_events after busy,LBA,3 (read)" "$(ubk_attr queue_full_events)" 3
expect_eq "retries after busy,LBA,3 (read)" "$(ubk_attr retries)" 3
echo clear >$SYS/error_inject

# ---- the memory really runs out
uops fill $DEV 0 1M 9
rc=0
out=$(dd if=/dev/zero of=$DEV bs=1M seek=320 count=1700 oflag=direct 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "writing 1700 MiB more into a 768 MiB guest succeeded"
grep -q 'No space left on device' <<<"$out" || fail "dd: got '$out', want ENOSPC"
pass "write beyond the memory fails with ENOSPC: $(grep -m1 'No space' <<<"$out")"
expect_ge "nomem_errors" "$(ubk_attr nomem_errors)" 1
echo "MemAvailable $(meminfo_kb MemAvailable) KiB at ENOSPC, mem_used_bytes $(ubk_attr mem_used_bytes)"
uops verify $DEV 0 1M 9
blkdiscard $DEV
wait_attr_eq mem_used_bytes 0
uops fill $DEV 400M 64M 10
uops verify $DEV 400M 64M 10
pass "after a whole-device discard the device takes writes again"
ubk_unload
umount /mnt/pc
rmmod brd
dmesg_clean
echo "mem_pressure: PASS"
