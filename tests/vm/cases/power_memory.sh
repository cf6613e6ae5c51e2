#!/bin/bash
# vm-kernels: 6.12
# Power-loss tracking keeps memory bounded (docs/power-loss.md, "Memory"):
#  - an io_uring O_DSYNC writer (FUA writes, no FLUSH) for UBK_PL_SECONDS
#    (60) s next to a slow writer without FLUSH (so that there are always
#    data records older than the FUA writes' pins), behind one unflushed
#    write, with a 2 MiB budget: at every 5 s sample power_loss_bytes is
#    inside the budget (and above half of it: the log is full, the bound is
#    what holds it) and power_loss_pending inside what the budget can hold;
#    the oldest records were written back, so a cut keeps the first write;
#  - the same writer with nothing unflushed before it keeps no record (a
#    pin older than every data record is dropped at once);
#  - ten devices with the default budget (RAM/8), together larger than the
#    guest's RAM, each overwritten without a FLUSH: the logs together stay
#    inside the budget, a write the memory cannot hold fails with ENOSPC,
#    and the OOM killer never wakes.
. "$(dirname "$0")/../lib.sh"

DEV=/dev/uringblk0
SECS=${UBK_PL_SECONDS:-60}
BUDGET=$((2 << 20))
REC_MIN=56		# sizeof(struct ubk_pl_rec): the smallest record

# dsync_writer SECONDS [slow]: io_uring O_DSYNC random 4 KiB writes over the
# first 32 MiB, in the background; with "slow" also 200 plain writes a
# second (no FUA, no FLUSH) over the next 16 MiB.
dsync_writer() {
	local slow=()
	[ "${2:-}" = slow ] && slow=(--name=slow --rw=randwrite --offset=32M --size=16M
		--iodepth=1 --rate_iops=200)
	fio --filename=$DEV --ioengine=io_uring --direct=1 --bs=4k --time_based \
		--runtime="$1" --output=/tmp/fio.txt \
		--name=dsync --sync=dsync --rw=randwrite --size=32M --iodepth=8 "${slow[@]}" &
	FIO=$!
}

# ---- 60 s of FUA writes behind one unflushed write, 2 MiB budget ----
ubk_load power_loss=1 capacity_mb=64 power_loss_max_mb=2
dd if=/dev/urandom of=/tmp/first bs=4k count=1 status=none
dd if=/dev/zero of=$DEV bs=4k count=1 seek=16000 oflag=direct status=none
sync $DEV
dd if=/tmp/first of=$DEV bs=4k count=1 seek=16000 oflag=direct status=none
dsync_writer "$SECS" slow
max_bytes=0 max_pending=0 samples=0
while kill -0 $FIO 2>/dev/null; do
	sleep 5
	b=$(ubk_attr power_loss_bytes) p=$(ubk_attr power_loss_pending)
	echo "t=$((samples * 5 + 5))s power_loss_bytes=$b power_loss_pending=$p written_back=$(ubk_attr power_loss_written_back)"
	[ "$b" -le $BUDGET ] || fail "power_loss_bytes $b over the $BUDGET budget"
	[ "$p" -le $((BUDGET / REC_MIN)) ] || fail "power_loss_pending $p: more records than the budget holds"
	[ "$b" -gt "$max_bytes" ] && max_bytes=$b
	[ "$p" -gt "$max_pending" ] && max_pending=$p
	samples=$((samples + 1))
done
wait $FIO || { cat /tmp/fio.txt; fail "fio O_DSYNC"; }
grep -E 'IOPS=' /tmp/fio.txt | head -1
expect_ge "samples over ${SECS} s" "$samples" $((SECS / 5 - 1))
expect_le "largest power_loss_bytes" "$max_bytes" $BUDGET
expect_ge "largest power_loss_bytes (the log filled up)" "$max_bytes" $((BUDGET / 2))
expect_ge "power_loss_written_back (the oldest records went first)" \
	"$(ubk_attr power_loss_written_back)" 1
# The unflushed write is the oldest record: the budget wrote it back, so a
# cut keeps it.
echo all >$SYS/power_cut
echo 1 >$SYS/power_on
expect_eq "block 16000 after the cut (written back)" \
	"$(dd if=$DEV bs=4k count=1 skip=16000 iflag=direct status=none | md5sum)" \
	"$(md5sum </tmp/first)"
pass "${SECS} s of O_DSYNC writes stay inside a 2 MiB budget"
ubk_unload

# ---- FUA writes with nothing unflushed: no record stays ----
ubk_load power_loss=1 capacity_mb=64
dsync_writer 10
wait $FIO || { cat /tmp/fio.txt; fail "fio O_DSYNC"; }
expect_le "power_loss_pending after FUA writes only" "$(ubk_attr power_loss_pending)" 0
expect_le "power_loss_bytes after FUA writes only" "$(ubk_attr power_loss_bytes)" 0
ubk_unload

# ---- ten devices, together larger than the RAM, no FLUSH ----
ram_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
cap_mb=$((ram_kb / 1024 / 8))		# ten of them: 125 % of the RAM
ubk_load power_loss=1 nr_devices=10 capacity_mb=$cap_mb
budget=$(( (ram_kb * 1024 / 8) ))
nospc=0
for i in 0 1 2 3 4 5 6 7 8 9; do
	for round in 1 2; do
		# A write the memory cannot hold fails (ENOSPC); dd stops there.
		if ! out=$(dd if=/dev/zero of=/dev/uringblk$i bs=1M count=$cap_mb oflag=direct \
			status=none 2>&1); then
			grep -q 'No space left on device' <<<"$out" ||
				fail "uringblk$i round $round: $out, want ENOSPC or success"
			nospc=$((nospc + 1))
		fi
	done
done
total=0
for i in 0 1 2 3 4 5 6 7 8 9; do
	total=$((total + $(ubk_attr power_loss_bytes uringblk$i)))
done
echo "ten devices of $cap_mb MiB: logs $total bytes, budget $budget, $nospc writers stopped by ENOSPC"
free -m
expect_le "power_loss_bytes of ten devices" "$total" "$budget"
expect_ge "writers stopped by ENOSPC (the data alone is 125 % of the RAM)" "$nospc" 1
dmesg | grep -q 'invoked oom-killer' && fail "the OOM killer woke"
pass "ten devices larger than the RAM: bounded logs, ENOSPC, no OOM killer"
ubk_unload
dmesg_clean
