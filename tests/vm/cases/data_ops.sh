#!/usr/bin/env bash
# The non-read/write data operations and the counters that account for them:
#  - FLUSH/FUA: write_cache=1 -> "write back", fua 1, an fsync reaches the
#    driver as exactly one flush; write_cache=0 -> "write through", fua 0, the
#    block layer drops the flush (flush_ops unchanged);
#  - discard: the range reads back as zeroes, its backing pages are freed
#    (mem_used_bytes drops by exactly the discarded whole pages and the
#    leaves of whole 2 MiB ranges, once their RCU grace period is over; a
#    partial page is zeroed and kept), discard_ops counts it; write zeroes
#    (blkdiscard -z) reads back as zeroes and is capped at 2 MiB per
#    request; enable_discard=0 -> no discard;
#  - IOPOLL: io_poll 1, polled completions counted; a polled 1 MiB request
#    completes (256 segments); enable_poll=0 -> no poll queue, nothing polled;
#  - counters: read/write ops and bytes move by exactly what an O_DIRECT dd
#    did; stats_reset accepts "1" and rejects anything else with EINVAL.
. "$(dirname "$0")/../lib.sh"
need_uops
DEV=/dev/uringblk0
MiB=$((1024 * 1024))
PAGE=$(getconf PAGESIZE)

# feature bits (uapi/linux/uringblk.h)
F_WRITE_CACHE=0x1 F_FUA=0x2 F_FLUSH=0x4 F_DISCARD=0x8 F_WRITE_ZEROES=0x10 F_ZONED=0x20 F_POLLING=0x40
# expect_feature NAME BIT 0|1
expect_feature() {
	local f
	f=$(ubk_attr features)
	expect_eq "features ($f) bit $1" $(((f & $2) != 0)) "$3"
}

# ---------------------------------------------------------------- defaults
ubk_load

# ---- FLUSH / FUA, write-back
expect_eq "queue/write_cache (write_cache=1)" "$(ubk_qattr write_cache)" "write back"
expect_eq "queue/fua (write_cache=1)" "$(ubk_qattr fua)" 1
expect_eq "uringblk/write_cache" "$(ubk_attr write_cache)" "write back"
expect_feature WRITE_CACHE $F_WRITE_CACHE 1
expect_feature FUA $F_FUA 1
expect_feature FLUSH $F_FLUSH 1
expect_feature ZONED $F_ZONED 0
f0=$(ubk_attr flush_ops)
dd if=/dev/urandom of=$DEV bs=4k count=1 oflag=direct conv=fsync status=none
expect_eq "flush_ops after one O_DIRECT write + fsync" $(($(ubk_attr flush_ops) - f0)) 1
f0=$(ubk_attr flush_ops)
uops ops $DEV >/dev/null
# ops issues FSYNC, FSYNC(DATASYNC) and one linked FSYNC.
expect_eq "flush_ops after uring_ops ops (3 IORING_OP_FSYNC)" $(($(ubk_attr flush_ops) - f0)) 3

# ---- counters: exact op and byte counts of O_DIRECT dd
echo 1 >/sys/block/uringblk0/uringblk/stats_reset
for c in read_ops write_ops read_bytes write_bytes flush_ops discard_ops write_zeroes_ops polled_completions; do
	expect_eq "$c after stats_reset" "$(ubk_attr $c)" 0
done
head -c $MiB /dev/urandom >/tmp/pat
dd if=/tmp/pat of=$DEV bs=64k count=16 seek=32 oflag=direct status=none
expect_eq "write_ops after 16 x 64k O_DIRECT writes" "$(ubk_attr write_ops)" 16
expect_eq "write_bytes after 16 x 64k O_DIRECT writes" "$(ubk_attr write_bytes)" $MiB
expect_eq "read_ops after writes only" "$(ubk_attr read_ops)" 0
dd if=$DEV of=/tmp/back bs=4k count=256 skip=512 iflag=direct status=none
expect_eq "read_ops after 256 x 4k O_DIRECT reads" "$(ubk_attr read_ops)" 256
expect_eq "read_bytes after 256 x 4k O_DIRECT reads" "$(ubk_attr read_bytes)" $MiB
expect_eq "write_ops unchanged by reads" "$(ubk_attr write_ops)" 16
cmp /tmp/pat /tmp/back || fail "dd read-back differs"
pass "dd read-back identical"
expect_write_fails /sys/block/uringblk0/uringblk/stats_reset 2 "Invalid argument"
expect_write_fails /sys/block/uringblk0/uringblk/stats_reset abc "Invalid argument"
expect_write_fails /sys/block/uringblk0/uringblk/stats_reset 0 "Invalid argument"
expect_eq "read_ops after rejected resets" "$(ubk_attr read_ops)" 256
echo 1 >/sys/block/uringblk0/uringblk/stats_reset
expect_eq "read_ops after stats_reset" "$(ubk_attr read_ops)" 0
expect_eq "write_bytes after stats_reset" "$(ubk_attr write_bytes)" 0

# ---- discard
dmax=$(ubk_qattr discard_max_bytes)
expect_ge "queue/discard_max_bytes" "$dmax" $((8 * MiB))
expect_ge "queue/discard_granularity" "$(ubk_qattr discard_granularity)" 512
expect_feature DISCARD $F_DISCARD 1
uops fill $DEV 16M 8M 11
uops fill $DEV 24M 1M 12
m1=$(ubk_attr mem_used_bytes)
expect_ge "mem_used_bytes after writing 9 MiB" "$m1" $((9 * MiB))
d0=$(ubk_attr discard_ops)
blkdiscard -o $((16 * MiB)) -l $((8 * MiB)) $DEV
expect_ge "discard_ops after blkdiscard of 8 MiB" $(($(ubk_attr discard_ops) - d0)) 1
uops zero $DEV 16M 8M
uops verify $DEV 24M 1M 12
# 8 MiB at 16 MiB: four whole leaves, each one page of pointers. Freed by
# one RCU callback per leaf, so the count drops after a grace period.
want=$((m1 - 8 * MiB - 4 * PAGE))
for _ in $(seq 50); do
	[ "$(ubk_attr mem_used_bytes)" = "$want" ] && break
	sleep 0.1
done
m2=$(ubk_attr mem_used_bytes)
expect_eq "mem_used_bytes freed by discarding 8 MiB (pages + 4 leaves)" $((m1 - m2)) $((8 * MiB + 4 * PAGE))
# A discard that covers no whole page: the range reads back as zeroes, the
# rest of the page keeps its data, and the page stays allocated.
blkdiscard -o $((24 * MiB + 1024)) -l 2048 $DEV
uops verify $DEV 24M 1024 12
uops zero $DEV $((24 * MiB + 1024)) 2048
uops verify $DEV $((24 * MiB + 3072)) $((MiB - 3072)) 12
expect_eq "mem_used_bytes after a sub-page discard" "$(ubk_attr mem_used_bytes)" "$m2"
# A discard of one page and a half: one page freed, the half zeroed.
blkdiscard -o $((24 * MiB + 8 * PAGE)) -l $((PAGE + PAGE / 2)) $DEV
uops zero $DEV $((24 * MiB + 8 * PAGE)) $((PAGE + PAGE / 2))
uops verify $DEV $((24 * MiB + 9 * PAGE + PAGE / 2)) $((PAGE / 2)) 12
expect_eq "mem_used_bytes after discarding 1.5 pages" $((m2 - $(ubk_attr mem_used_bytes))) "$PAGE"

# ---- write zeroes
expect_eq "queue/write_zeroes_max_bytes (bounded work per request)" "$(ubk_qattr write_zeroes_max_bytes)" $((2 * MiB))
expect_eq "queue/discard_max_bytes (bounded work per request)" "$dmax" $((256 * MiB))
expect_feature WRITE_ZEROES $F_WRITE_ZEROES 1
uops fill $DEV 32M 4M 13
z0=$(ubk_attr write_zeroes_ops)
blkdiscard -z -o $((32 * MiB)) -l $((2 * MiB)) $DEV
uops zero $DEV 32M 2M
uops verify $DEV 34M 2M 13
expect_ge "write_zeroes_ops after blkdiscard -z" $(($(ubk_attr write_zeroes_ops) - z0)) 1

# ---- IOPOLL
expect_eq "queue/io_poll" "$(ubk_qattr io_poll)" 1
expect_eq "uringblk/poll_enabled" "$(ubk_attr poll_enabled)" 1
expect_ge "uringblk/poll_queues" "$(ubk_attr poll_queues)" 1
expect_feature POLLING $F_POLLING 1
p0=$(ubk_attr polled_completions)
r0=$(ubk_attr read_ops)
w0=$(ubk_attr write_ops)
"$UOPS" poll $DEV 256 16 | tee /tmp/poll.txt || fail "uring_ops poll"
n=$(awk '/^polled completions:/ { print $3 }' /tmp/poll.txt)
expect_eq "uring_ops poll completions" "$n" 512
expect_eq "polled_completions moved by" $(($(ubk_attr polled_completions) - p0)) "$n"
expect_eq "write_ops moved by (polled writes)" $(($(ubk_attr write_ops) - w0)) 256
expect_eq "read_ops moved by (polled reads)" $(($(ubk_attr read_ops) - r0)) 256

# A polled 1 MiB O_DIRECT request is one bio of 256 pages from a buffer of
# 4 KiB pages. Before 6.5 a polled bio is REQ_NOWAIT, and one that must be
# split fails with EAGAIN at every retry: io-wq retries it forever (docs/
# kernels.md). With 128 segments it had to be split; with 256 it fits.
expect_eq "queue/max_segments" "$(ubk_qattr max_segments)" 256
# Whether the pages of fio's buffer happen to be contiguous decides the
# segment count: reads into a fresh buffer hung on 6.1 with 128 segments.
for rw in read randwrite; do
	rc=0
	v=
	[ $rw = read ] || v="--verify=crc32c --do_verify=1"
	# shellcheck disable=SC2086
	timeout 60 fio --name=big --filename=$DEV --ioengine=io_uring --hipri=1 --direct=1 \
		--bs=1m --rw=$rw --size=32m --iodepth=2 $v \
		--output-format=json >/tmp/bigpoll.out 2>/tmp/bigpoll.err || rc=$?
	[ "$rc" = 0 ] || { cat /tmp/bigpoll.err; fail "polled 1 MiB $rw: fio exit $rc (124: hung)"; }
	fio_errors_none /tmp/bigpoll.out
done
pass "polled 1 MiB reads, and writes verified by polled reads"
dmesg_clean

# ---------------------------------------------------------------- features off
ubk_reload write_cache=0 enable_discard=0 enable_write_zeroes=0 enable_poll=0

expect_eq "queue/write_cache (write_cache=0)" "$(ubk_qattr write_cache)" "write through"
expect_eq "queue/fua (write_cache=0)" "$(ubk_qattr fua)" 0
expect_eq "uringblk/write_cache" "$(ubk_attr write_cache)" "write through"
expect_feature WRITE_CACHE $F_WRITE_CACHE 0
expect_feature FUA $F_FUA 0
f0=$(ubk_attr flush_ops)
dd if=/dev/urandom of=$DEV bs=4k count=1 oflag=direct conv=fsync status=none
expect_eq "flush_ops after write + fsync, write-through (no flush reaches the driver)" \
	$(($(ubk_attr flush_ops) - f0)) 0

expect_eq "queue/discard_max_bytes (enable_discard=0)" "$(ubk_qattr discard_max_bytes)" 0
expect_feature DISCARD $F_DISCARD 0
uops fill $DEV 16M 1M 14
expect_fail "blkdiscard with enable_discard=0" "Operation not supported" \
	blkdiscard -o $((16 * MiB)) -l $MiB $DEV
uops verify $DEV 16M 1M 14
expect_eq "discard_ops" "$(ubk_attr discard_ops)" 0

expect_eq "queue/write_zeroes_max_bytes (enable_write_zeroes=0)" "$(ubk_qattr write_zeroes_max_bytes)" 0
expect_feature WRITE_ZEROES $F_WRITE_ZEROES 0
# Without REQ_OP_WRITE_ZEROES the block layer writes zero pages instead.
blkdiscard -z -o $((16 * MiB)) -l $MiB $DEV
uops zero $DEV 16M 1M
expect_eq "write_zeroes_ops (enable_write_zeroes=0)" "$(ubk_attr write_zeroes_ops)" 0

expect_eq "queue/io_poll (enable_poll=0)" "$(ubk_qattr io_poll)" 0
expect_eq "uringblk/poll_enabled (enable_poll=0)" "$(ubk_attr poll_enabled)" 0
expect_feature POLLING $F_POLLING 0
# Without a poll queue an IOPOLL ring is refused (6.12: -EOPNOTSUPP) or
# served by interrupt-style completion (6.1); nothing is polled either way.
if "$UOPS" poll $DEV 32 8 >/tmp/poll.txt 2>&1; then
	pass "IOPOLL without poll queues completed (served without polling)"
else
	grep -q EOPNOTSUPP /tmp/poll.txt || { cat /tmp/poll.txt; fail "IOPOLL without poll queues"; }
	pass "IOPOLL without poll queues refused: $(tail -n 1 /tmp/poll.txt)"
fi
expect_eq "polled_completions (enable_poll=0)" "$(ubk_attr polled_completions)" 0

ubk_unload
pass "unloaded"
dmesg_clean
