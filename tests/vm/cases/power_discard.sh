#!/bin/bash
# vm-kernels: 6.12
# vm-run: --cpus 1 --icount 8
# A discard with power-loss tracking on takes the pages it covers whole out
# of the store into the undo log instead of copying them (docs/power-loss.md,
# "Memory"): a change that frees pages anyway costs no copies and no memory,
# so a 128 MiB discard (32,768 pages, one request) is bounded work inside
# ->queue_rq(), as without tracking. The guest counts instructions (256 ns
# of guest time each, as in free_big) and the soft-lockup watchdog is at
# its shortest (2 s): with a copy of every page the discard's ->queue_rq()
# did not yield for longer than that. Then:
#  - the log is not broken, the store's memory dropped by the discarded
#    pages, the log holds them, the range reads zeroes;
#  - a cut (all) undoes the discard: the range reads back what was written;
#  - a discard an armed cut fires at fails and changes nothing. (The race in
#    which a cut fired on another queue finds pages already taken, and puts
#    them back, has no deterministic test.)
. "$(dirname "$0")/../lib.sh"
need_admin
DEV=/dev/uringblk0
MiB=$((1024 * 1024))
LEN=$((128 * MiB))
sum() { dd if=$DEV iflag=direct bs=4M count=$((LEN / 4 / MiB)) status=none | sha1sum | cut -d' ' -f1; }
zeroes() { [ "$(dd if=$DEV iflag=direct bs=4M count=$((LEN / 4 / MiB)) status=none | tr -d '\0' | wc -c)" = 0 ]; }

ubk_load nr_devices=1 capacity_mb=512 power_loss_max_mb=512
expect_ge "queue/discard_max_bytes (one request)" "$(ubk_qattr discard_max_bytes)" $LEN
fio --name=fill --filename=$DEV --rw=write --bs=1m --size=$LEN --direct=1 --ioengine=libaio \
	--iodepth=4 --refill_buffers --output-format=json >/tmp/fill.json 2>/tmp/fill.err ||
	{ cat /tmp/fill.err; fail "filling $DEV"; }
fio_errors_none /tmp/fill.json
s0=$(sum)
echo 1 >$SYS/power_loss
m0=$(ubk_attr mem_used_bytes)
expect_ge "mem_used_bytes after the fill" "$m0" $LEN

sysctl -q kernel.watchdog_thresh=1 || fail "cannot set watchdog_thresh"
dmesg_mark
blkdiscard -o 0 -l $LEN $DEV || fail "blkdiscard $DEV"
sysctl -q kernel.watchdog_thresh=10
dmesg_new | grep -E 'soft lockup' && fail "the tracked discard did not yield the CPU"
pass "a tracked 128 MiB discard: no soft lockup"
expect_eq "power_loss_broken after the discard" "$(ubk_attr power_loss_broken)" 0
expect_le "mem_used_bytes after the discard" "$(ubk_attr mem_used_bytes)" $((m0 - LEN))
expect_ge "power_loss_bytes (the pages, taken)" "$(ubk_attr power_loss_bytes)" $LEN
zeroes || fail "the range does not read zeroes after the discard"
pass "discarded: zeroes, the pages in the log"

"$UBK_ADMIN" power-cut 0 >/tmp/cut.out 2>&1 || { cat /tmp/cut.out; fail "power-cut"; }
"$UBK_ADMIN" power-on 0 >/tmp/on.out 2>&1 || { cat /tmp/on.out; fail "power-on"; }
expect_eq "content after the cut undid the discard" "$(sum)" "$s0"

"$UBK_ADMIN" power-arm 0 --at change:1 >/tmp/arm.out 2>&1 || { cat /tmp/arm.out; fail "power-arm"; }
blkdiscard -o 0 -l $LEN $DEV 2>/dev/null && fail "a discard the armed cut fired at succeeded"
wait_attr_eq power_state off
"$UBK_ADMIN" power-on 0 >/tmp/on.out 2>&1 || { cat /tmp/on.out; fail "power-on after the armed cut"; }
expect_eq "content after the refused discard" "$(sum)" "$s0"
echo 0 >$SYS/power_loss
ubk_unload
dmesg_clean
pass "power_discard"
