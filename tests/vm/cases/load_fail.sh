#!/usr/bin/env bash
# vm-run: --mem 768
# A module load that fails half way leaves nothing behind, and a prober that
# opens every uringblk disk it sees (as udev's blkid does) cannot catch a
# disk that is about to be torn down:
#  - nr_devices=64 capacity_mb=4194304 needs 64 page directories of 16 MiB
#    (1 GiB) in a 768 MiB guest: a device in the middle fails to allocate,
#    insmod fails with ENOMEM and one line naming the device, no OOM kill;
#  - after it: no module, no disk, no device node, no control node, no
#    block major, and the memory is back (within 8 MiB);
#  - all of it while a background loop opens /dev/uringblk* as fast as it
#    can; the load order adds disks only when nothing can fail any more;
#  - the module then loads normally and works.
. "$(dirname "$0")/../lib.sh"
need_uops
DEV=/dev/uringblk0

sync
echo 3 >/proc/sys/vm/drop_caches
avail0=$(mem_avail_kb)

# The prober: open (and read a block of) every uringblk disk it finds.
(
	while :; do
		for d in /dev/uringblk*; do
			[ -b "$d" ] && dd if="$d" of=/dev/null bs=4k count=1 status=none 2>/dev/null
		done
	done
) &
prober=$!

dmesg_mark
for round in 1 2; do
	rc=0
	out=$(insmod "$UBK_KO" nr_devices=64 capacity_mb=4194304 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "insmod of 64 x 4 TiB in a 768 MiB guest succeeded"
	grep -q 'Cannot allocate memory' <<<"$out" || fail "insmod: got '$out', want ENOMEM"
	pass "round $round: insmod fails with ENOMEM: $out"
	ubk_absent "round $round: after the failed load"
	[ ! -e /dev/uringblk-ctl ] || fail "round $round: /dev/uringblk-ctl exists"
done
kill "$prober"
wait "$prober" 2>/dev/null || true
dmesg_new | grep -E 'uringblk' | head -5
dmesg_new | grep -Eq 'uringblk[0-9]+: cannot allocate the page directory for 4194304 MiB: -12' ||
	fail "no log line naming the device that failed"
pass "the log names the device that could not be allocated"
dmesg_clean

sync
echo 3 >/proc/sys/vm/drop_caches
avail1=$(mem_avail_kb)
expect_ge "MemAvailable after two failed loads (KiB, within 8 MiB of $avail0)" "$avail1" $((avail0 - 8192))

# A normal load afterwards.
ubk_load capacity_mb=64
uops fill $DEV 0 1M 7
uops verify $DEV 0 1M 7
ubk_unload
ubk_absent "after rmmod"
dmesg_clean
echo "load_fail: PASS"
