#!/usr/bin/env bash
# Power-loss emulation at block level (docs/power-loss.md):
#  - tracking on, write-back, 512 and 4096-byte blocks: tests/vm/tools/power_loss.py
#    (mode all against a durable model with FUA and fsync, random with seeds:
#    whole writes kept or lost and reproducible, torn at block boundaries,
#    unflushed discard and write-zeroes undone);
#  - tracking off: a power cut is refused with ENODATA and changes nothing;
#  - write-through: nothing is pending, a cut loses nothing.
. "$(dirname "$0")/../lib.sh"

PL=tests/vm/tools/power_loss.py

for lbs in 512 4096; do
	ubk_load power_loss=1 capacity_mb=64 logical_block_size=$lbs
	expect_eq "power_loss (module parameter power_loss=1)" "$(ubk_attr power_loss)" 1
	UBK_ADMIN=$UBK_ADMIN python3 "$PL" /dev/uringblk0 || fail "power_loss.py with lbs $lbs"
	pass "block-level power-loss checks, lbs $lbs"

	# Off: a cut is refused and leaves the data alone.
	echo 0 >"$SYS/power_loss"
	head -c 65536 /dev/urandom >/tmp/pat
	dd if=/tmp/pat of=/dev/uringblk0 bs=64k oflag=direct status=none
	expect_write_fails "$SYS/power_cut" all "No data available"
	dd if=/dev/uringblk0 of=/tmp/back bs=64k count=1 iflag=direct status=none
	cmp /tmp/pat /tmp/back || fail "data changed by a refused power cut"
	pass "tracking off: power cut refused (ENODATA), data unchanged"
	expect_write_fails "$SYS/power_cut" "sideways 1" "Invalid argument"
	ubk_unload
done

# The admin plane: POWER_CUT over URING_CMD and over the ioctl, through
# uringblk-admin power-cut; its counts equal what the cut did.
[ -x "$UBK_ADMIN" ] || fail "not built: $UBK_ADMIN"
ubk_load power_loss=0 capacity_mb=64
expect_fail "power-cut with tracking off" "ENODATA" "$UBK_ADMIN" power-cut uringblk0
echo 1 >"$SYS/power_loss"
head -c 1048576 /dev/urandom >/tmp/pat
for t in uring ioctl; do
	dd if=/dev/urandom of=/dev/uringblk0 bs=4k count=40 oflag=direct status=none
	out=$("$UBK_ADMIN" power-cut uringblk0 --mode random --seed 5 --transport "$t" -o json) ||
		fail "power-cut over $t: $out"
	read -r pending reverted <<<"$(python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["pending"], j["reverted"])' <<<"$out")"
	expect_eq "power-cut over $t: non-durable writes at the cut" "$pending" 40
	[ "$reverted" -gt 0 ] && [ "$reverted" -lt 40 ] || fail "random cut over $t undid $reverted of 40"
	expect_eq "power_state after a cut over $t" "$(ubk_attr power_state)" off
	"$UBK_ADMIN" power-on uringblk0 --transport "$t" || fail "power-on over $t"
	expect_eq "power_state after power-on over $t" "$(ubk_attr power_state)" on
	out=$("$UBK_ADMIN" power-cut uringblk0 --resume --transport "$t") || fail "power-cut all over $t"
	grep -q "0 non-durable changes" <<<"$out" || fail "second cut over $t: $out"
	expect_eq "power_state after a cut with --resume over $t" "$(ubk_attr power_state)" on
done
# (a random cut keeps what it kept: durable from then on)
dd if=/tmp/pat of=/dev/uringblk0 bs=64k oflag=direct conv=fsync status=none
dd if=/dev/urandom of=/dev/uringblk0 bs=4k count=40 oflag=direct status=none
"$UBK_ADMIN" power-cut uringblk0 --resume >/dev/null || fail "power-cut all"
dd if=/dev/uringblk0 of=/tmp/back bs=64k count=16 iflag=direct status=none
cmp /tmp/pat /tmp/back || fail "power-cut all over the admin plane: the fsync'ed data is not back"
pass "POWER_CUT over URING_CMD and ioctl: counts, ENODATA when off, durable data back"
ubk_unload

# Concurrency: tracking on, 4 writers with verify and periodic fsync (the
# store stays correct; records come and go), then power cuts that resume
# at once while 4 writers run (the cut quiesces a busy queue; the requests
# in flight fail, the others go on; no hang, no warning).
ubk_load power_loss=1 capacity_mb=256
fio --name=conc --filename=/dev/uringblk0 --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --size=32M --offset_increment=32M --numjobs=4 \
	--iodepth=16 --fsync=64 --verify=crc32c --do_verify=1 --verify_fatal=1 \
	--output=/tmp/fio.txt || { cat /tmp/fio.txt; fail "fio verify with tracking on"; }
expect_eq "fio jobs with err= 0" "$(grep -c 'err= 0' /tmp/fio.txt)" 4
pass "4 writers with verify and fsync, tracking on: data verified"
fio --name=cut --filename=/dev/uringblk0 --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --size=32M --offset_increment=32M --numjobs=4 \
	--iodepth=16 --time_based --runtime=8 --continue_on_error=io \
	--output=/tmp/fio2.txt &
fpid=$!
for seed in 1 2 3 4 5; do
	sleep 1
	echo "torn $seed resume" >"$SYS/power_cut" || fail "power cut $seed under load"
done
wait $fpid || { cat /tmp/fio2.txt; fail "fio under power cuts"; }
expect_ge "power_cuts under load" "$(ubk_attr power_cuts)" 5
expect_eq "power_state after cuts with resume" "$(ubk_attr power_state)" on
pass "5 power cuts (resume) during 4 busy writers: no hang, I/O goes on"
ubk_unload

# Write-through: every write is durable when it completes.
ubk_load power_loss=1 capacity_mb=64 write_cache=0
expect_eq "queue/write_cache" "$(ubk_qattr write_cache)" "write through"
head -c 1048576 /dev/urandom >/tmp/pat
dd if=/tmp/pat of=/dev/uringblk0 bs=64k oflag=direct status=none
expect_eq "power_loss_pending (write-through)" "$(ubk_attr power_loss_pending)" 0
echo all resume >"$SYS/power_cut"
dd if=/dev/uringblk0 of=/tmp/back bs=64k count=16 iflag=direct status=none
cmp /tmp/pat /tmp/back || fail "write-through data lost by a power cut"
expect_eq "power_cut_reverted (write-through)" "$(ubk_attr power_cut_reverted)" 0
pass "write-through: a power cut loses nothing"
ubk_unload
dmesg_clean
