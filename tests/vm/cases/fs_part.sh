#!/usr/bin/env bash
# The device as a disk:
#  - memory: nothing is allocated at load, writing 256 MiB takes 256 MiB
#    (mem_used_bytes, /proc/meminfo), unloading gives it back (within 16 MiB);
#  - ext4: mkfs, a tree of a few hundred files, sha256sum -c after a remount
#    from a cold cache, e2fsck -fn clean, journal flushes reach the driver;
#  - partitions: sfdisk two partitions -> uringblk0p1/p2 appear, p1 maps onto
#    the disk at its start sector, an ext4 on p2 keeps its data, p1 untouched;
#  - rmmod while a partition is mounted or the disk is open fails (in use)
#    and the device keeps working; after the close rmmod succeeds.
. "$(dirname "$0")/../lib.sh"
need_uops
MiB=$((1024 * 1024))
MNT=/tmp/mnt
mkdir -p $MNT

cold_cache() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# ---------------------------------------------------------------- memory
cold_cache
a0=$(mem_avail_kb)
ubk_load
expect_eq "mem_used_bytes right after load" "$(ubk_attr mem_used_bytes)" 0
uops fill /dev/uringblk0 0 256M 21
m=$(ubk_attr mem_used_bytes)
expect_ge "mem_used_bytes after writing 256 MiB" "$m" $((256 * MiB))
expect_le "mem_used_bytes after writing 256 MiB" "$m" $((257 * MiB))
cold_cache
a1=$(mem_avail_kb)
# (MemAvailable + per-CPU free pages, page cache dropped each time; 4 MiB of
# slack for unrelated kernel activity.)
expect_ge "available memory drop with 256 MiB stored (KiB)" $((a0 - a1)) $((252 * 1024))
uops verify /dev/uringblk0 0 8M 21
uops verify /dev/uringblk0 248M 8M 21
ubk_unload
cold_cache
a2=$(mem_avail_kb)
expect_le "available memory still missing after unload (KiB)" $((a0 - a2)) $((16 * 1024))

# ---------------------------------------------------------------- ext4
ubk_load capacity_mb=256
head -c $((4 * MiB)) /dev/urandom >/tmp/blob
# make_tree DIR: 4 directories of ~100 files of 10 KiB, and two of 4 and 1 MiB.
make_tree() {
	local i
	for i in 0 1 2 3; do
		mkdir -p "$1/d$i/sub"
		dd if=/tmp/blob bs=1M skip=$i count=1 status=none | split -a 3 -b 10k - "$1/d$i/sub/f"
	done
	cp /tmp/blob "$1/big1"
	dd if=/tmp/blob of="$1/big2" bs=1M count=1 status=none
	(cd "$1" && find . -type f -print0 | xargs -0 sha256sum) >/tmp/sums
}
# check_tree DIR: every file of make_tree DIR is back, byte for byte.
check_tree() {
	(cd "$1" && sha256sum -c --quiet /tmp/sums) || fail "$2: sha256sum -c failed"
	pass "$2: $(wc -l </tmp/sums) files identical (sha256sum -c)"
}
mkfs.ext4 -q -F /dev/uringblk0 || fail "mkfs.ext4"
pass "mkfs.ext4 /dev/uringblk0"
mount -t ext4 /dev/uringblk0 $MNT || fail "mount"
f0=$(ubk_attr flush_ops)
make_tree $MNT
expect_ge "files in the tree" "$(wc -l </tmp/sums)" 400
sync
expect_ge "flush_ops after ext4 writes + sync (journal commit)" $(($(ubk_attr flush_ops) - f0)) 1
umount $MNT
cold_cache
e2fsck -fn /dev/uringblk0 >/tmp/fsck.txt 2>&1 || { cat /tmp/fsck.txt; fail "e2fsck -fn reports problems"; }
pass "e2fsck -fn clean"
mount -t ext4 /dev/uringblk0 $MNT || fail "remount"
check_tree $MNT "ext4 after umount, cold cache, mount"
umount $MNT

# ---------------------------------------------------------------- partitions
printf 'label: dos\n,100MiB,L\n,,L\n' | sfdisk -q /dev/uringblk0 || fail "sfdisk"
for _ in $(seq 50); do
	[ -b /dev/uringblk0p1 ] && [ -b /dev/uringblk0p2 ] && break
	sleep 0.1
done
[ -b /dev/uringblk0p1 ] && [ -b /dev/uringblk0p2 ] || fail "/dev/uringblk0p1 and p2 did not appear"
pass "/dev/uringblk0p1 and /dev/uringblk0p2 appeared"
[ ! -e /dev/uringblk0p3 ] || fail "/dev/uringblk0p3 exists"
expect_eq "p1 size" "$(blockdev --getsize64 /dev/uringblk0p1)" $((100 * MiB))
p2size=$(blockdev --getsize64 /dev/uringblk0p2)
expect_ge "p2 size" "$p2size" $((150 * MiB))
start1=$(read_line /sys/block/uringblk0/uringblk0p1/start)
start2=$(read_line /sys/block/uringblk0/uringblk0p2/start)
expect_ge "p2 starts after p1" "$start2" $((start1 + 100 * MiB / 512))
# p1 is the disk from its start sector on.
uops fill /dev/uringblk0p1 0 4M 31
dd if=/dev/uringblk0 of=/tmp/p1-via-disk bs=512 skip="$start1" count=$((4 * MiB / 512)) \
	iflag=direct status=none
dd if=/dev/uringblk0p1 of=/tmp/p1 bs=1M count=4 iflag=direct status=none
cmp /tmp/p1 /tmp/p1-via-disk || fail "p1 data is not at sector $start1 of the disk"
pass "p1 data sits at sector $start1 of the disk"
mkfs.ext4 -q -F /dev/uringblk0p2 || fail "mkfs.ext4 p2"
mount -t ext4 /dev/uringblk0p2 $MNT || fail "mount p2"
make_tree $MNT
umount $MNT
cold_cache
e2fsck -fn /dev/uringblk0p2 >/tmp/fsck.txt 2>&1 || { cat /tmp/fsck.txt; fail "e2fsck -fn p2"; }
pass "e2fsck -fn p2 clean"
mount -t ext4 /dev/uringblk0p2 $MNT || fail "remount p2"
check_tree $MNT "ext4 on p2 after umount, cold cache, mount"
uops verify /dev/uringblk0p1 0 4M 31

# ---------------------------------------------------------------- rmmod while busy
expect_fail "rmmod while p2 is mounted" "in use|Resource temporarily unavailable|busy" \
	rmmod uringblk_driver
[ -d /sys/module/uringblk_driver ] && [ -b /dev/uringblk0p2 ] || fail "module or p2 gone after the refused rmmod"
echo "still writable" >$MNT/after-rmmod
sync
check_tree $MNT "p2 after the refused rmmod"
umount $MNT
exec 3</dev/uringblk0
expect_fail "rmmod while /dev/uringblk0 is open" "in use|Resource temporarily unavailable|busy" \
	rmmod uringblk_driver
uops verify /dev/uringblk0p1 0 4M 31
exec 3<&-
ubk_unload
[ ! -e /dev/uringblk0p1 ] && [ ! -e /dev/uringblk0p2 ] || fail "partition nodes left after rmmod"
pass "rmmod after close: module and partitions gone"
dmesg_clean
