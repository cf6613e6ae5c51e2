#!/usr/bin/env bash
# The power state of power-loss emulation (docs/power-loss.md, "The power
# state"), and the defects of the first version that made a test lie:
#  - after a cut the device is off: reads, writes and flushes fail with EIO
#    until power_on (sysfs, POWER_ON over both transports); a cut with
#    "resume" powers on at once; a 1.1 client's POWER_CUT resumes;
#  - a request in flight at the cut (delayed by injection, interrupt-style
#    and polled) fails, in both kinds of cut, and its data is gone;
#  - a log that could not track a change (the nomem rule) stays broken
#    across a refused cut and a FLUSH, until tracking is off and on again;
#  - a switch to write-through is a FLUSH;
#  - a partition's page cache does not keep undone data;
#  - the log stays inside the module-wide budget (power_loss_max_mb) with a
#    FUA writer (io_uring O_DSYNC) and with four devices writing;
#  - the crash recipe without a shutdown ioctl, on ext4 and XFS;
#  - a model check with four writers and cuts in every mode
#    (tests/vm/tools/pl_model.py; UBK_PL_SEED= picks another seed).
. "$(dirname "$0")/../lib.sh"

[ -x "$UBK_ADMIN" ] || fail "not built: $UBK_ADMIN"
DEV=/dev/uringblk0

# read4k OFFSET_BLOCKS: md5 of one 4 KiB block read with O_DIRECT.
read4k() {
	dd if=$DEV bs=4k skip="$1" count=1 iflag=direct status=none | md5sum | cut -d' ' -f1
}
# flush: fsync() of the whole device (a FLUSH request); fails with its errno.
flush() {
	python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_WRONLY); os.fsync(fd)' "${1:-$DEV}"
}
ZERO=$(head -c 4096 /dev/zero | md5sum | cut -d' ' -f1)
AA=$(head -c 4096 /dev/zero | tr '\0' '\252' | md5sum | cut -d' ' -f1)

# ---- the power state ----
ubk_load power_loss=1 capacity_mb=64
expect_eq "power_state at load" "$(ubk_attr power_state)" on
head -c 65536 /dev/urandom >/tmp/durable
dd if=/tmp/durable of=$DEV bs=64k oflag=direct conv=fsync status=none
dd if=/dev/urandom of=$DEV bs=64k seek=1 count=1 oflag=direct status=none
echo all >"$SYS/power_cut"
expect_eq "power_state after a cut" "$(ubk_attr power_state)" off
expect_fail "read while off" "Input/output error" \
	dd if=$DEV of=/dev/null bs=4k count=1 iflag=direct status=none
expect_fail "write while off" "Input/output error" \
	dd if=/tmp/durable of=$DEV bs=4k count=1 oflag=direct status=none
expect_fail "flush while off" "Input/output error" flush
expect_write_fails "$SYS/power_on" 0 "Invalid argument"
echo 1 >"$SYS/power_on"
expect_eq "power_state after power_on" "$(ubk_attr power_state)" on
dd if=$DEV of=/tmp/back bs=64k count=1 iflag=direct status=none
cmp /tmp/durable /tmp/back || fail "durable data after the cut"
expect_eq "the unflushed block after the cut" "$(read4k 16)" "$ZERO"
pass "cut: off (read, write, flush fail with EIO), power_on: on, durable data back"

echo 1 >"$SYS/power_on"
expect_eq "power_on while on" "$(ubk_attr power_state)" on
echo "random 3 resume" >"$SYS/power_cut"
expect_eq "power_state after a cut with resume" "$(ubk_attr power_state)" on
for bad in "all resume x" "all again" "random" "random x" "torn 1 resum" "resume"; do
	expect_write_fails "$SYS/power_cut" "$bad" "Invalid argument"
done
expect_eq "power_state after refused cuts" "$(ubk_attr power_state)" on

# The admin plane (ABI 1.2) and a client of ABI 1.1, whose cut resumes.
"$UBK_ADMIN" power-cut uringblk0 >/dev/null || fail "power-cut"
expect_eq "power_state after uringblk-admin power-cut" "$(ubk_attr power_state)" off
for t in uring ioctl; do
	"$UBK_ADMIN" power-cut uringblk0 --transport "$t" >/dev/null || fail "power-cut over $t while off"
	"$UBK_ADMIN" power-on uringblk0 --transport "$t" >/dev/null || fail "power-on over $t"
	expect_eq "power_state after power-on over $t" "$(ubk_attr power_state)" on
done
abi11_cut() {
	python3 - "$1" <<'EOF'
import ctypes, fcntl, os, struct, sys
# _IOWR(0xB5, 0x0c, struct uringblk_cmd of 48 bytes)
IOC = (3 << 30) | (48 << 16) | (0xB5 << 8) | 0x0c
buf = ctypes.create_string_buffer(32)
buf[:16] = struct.pack("<IIQ", 0, 0, 0)	# mode all, flags 0, seed 0
cmd = struct.pack("<HHHHIIQII16x", 1, int(sys.argv[1]), 0x0c, 0, 16,
                  0xFFFFFFFF, ctypes.addressof(buf), 32, 0)
fd = os.open("/dev/uringblk0", os.O_RDONLY)
ret = fcntl.ioctl(fd, IOC, bytearray(cmd))
print(ret)
EOF
}
abi11_cut 1 >/dev/null || fail "POWER_CUT of a 1.1 client"
expect_eq "power_state after a 1.1 client's cut" "$(ubk_attr power_state)" on
abi11_cut 2 >/dev/null || fail "POWER_CUT of a 1.2 client"
expect_eq "power_state after a 1.2 client's cut" "$(ubk_attr power_state)" off
"$UBK_ADMIN" power-on uringblk0 >/dev/null
pass "POWER_CUT/POWER_ON over URING_CMD and ioctl; a 1.1 client's cut resumes"
ubk_unload

# ---- a request in flight at the cut fails ----
# The reproducer of the defect: a write delayed by injection completes
# after the cut that undid it. Interrupt-style (xfs_io) and polled (fio
# hipri on a poll queue), with the power left off and with resume.
ubk_load power_loss=1 capacity_mb=64
# inflight_ge N SECONDS: wait until N writes are in flight (dispatched,
# waiting on the delay list).
inflight_ge() {
	local i inw
	for i in $(seq $(($2 * 10))); do
		read -r _ inw <"$QSYS/../inflight"
		[ "$inw" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "cut ($kind): $inw writes in flight after $2 s, want $1"
}
# The longest delay a rule takes is 10 s; on the debug kernel fio and
# xfs_io take longer than that to start one after the other under TCG, so
# this part runs on the Debian kernels only.
kinds="off resume"
case $KVER in *ubkdebug*) kinds=; echo "skipped on the debug kernel: the in-flight writes (10 s delay limit)" ;; esac
for kind in $kinds; do
	sfx=; [ $kind = resume ] && sfx=" resume"
	echo "delay,0,10000000" >"$SYS/error_inject"
	# fio first: it takes seconds to start under TCG (tens on the debug
	# kernel); the 10 s delay counts from each write's dispatch.
	fio --name=p --filename=$DEV --ioengine=io_uring --hipri=1 --direct=1 \
		--rw=write --bs=4k --size=4k --offset=1M --buffer_pattern=0xaa \
		--output=/tmp/w2.txt >/dev/null 2>&1 &
	w2=$!
	inflight_ge 1 60
	xfs_io -d -c 'pwrite -S 0xaa 0 4k' $DEV >/tmp/w1.txt 2>&1 &
	w1=$!
	inflight_ge 2 8
	echo "all$sfx" >"$SYS/power_cut"
	st1=0; wait $w1 || st1=$?
	st2=0; wait $w2 || st2=$?
	echo clear >"$SYS/error_inject"
	[ $kind = off ] && echo 1 >"$SYS/power_on"
	grep -q "Input/output error" /tmp/w1.txt ||
		{ cat /tmp/w1.txt; fail "cut ($kind): the delayed write did not fail"; }
	[ $st2 -ne 0 ] && grep -q "err= *5\|Input/output error" /tmp/w2.txt ||
		{ cat /tmp/w2.txt; fail "cut ($kind): the delayed polled write did not fail"; }
	expect_eq "cut ($kind): block 0 after the failed write" "$(read4k 0)" "$ZERO"
	expect_eq "cut ($kind): block at 1 MiB after the failed polled write" "$(read4k 256)" "$ZERO"
	pass "cut ($kind): delayed writes in flight (interrupt-style and polled) fail with EIO"
done
# Written now, the same write succeeds and is durable after a FLUSH.
xfs_io -d -c 'pwrite -S 0xaa 0 4k' $DEV >/dev/null || fail "write after the cuts"
flush
echo all >"$SYS/power_cut"
echo 1 >"$SYS/power_on"
expect_eq "a flushed write after the cuts survives the next" "$(read4k 0)" "$AA"
ubk_unload

# ---- a broken log stays broken ----
ubk_load power_loss=1 capacity_mb=64
dd if=/dev/urandom of=$DEV bs=64k count=1 oflag=direct status=none
# A write over existing data under the nomem rule gets no copy of the
# old content.
echo "nomem,*,1" >"$SYS/error_inject"
dd if=/dev/urandom of=$DEV bs=4k seek=10 count=1 oflag=direct status=none
echo clear >"$SYS/error_inject"
expect_eq "power_loss_broken after an untracked change" "$(ubk_attr power_loss_broken)" 1
expect_eq "power_loss_untracked" "$(ubk_attr power_loss_untracked)" 1
dd if=$DEV of=/tmp/before bs=64k count=2 iflag=direct status=none
expect_write_fails "$SYS/power_cut" all "Input/output error"
expect_eq "power_state after a refused cut" "$(ubk_attr power_state)" on
dd if=$DEV of=/tmp/after bs=64k count=2 iflag=direct status=none
cmp /tmp/before /tmp/after || fail "a refused cut changed data"
expect_eq "power_loss_broken after a refused cut" "$(ubk_attr power_loss_broken)" 1
expect_write_fails "$SYS/power_cut" all "Input/output error"
flush
expect_eq "power_loss_broken after a FLUSH" "$(ubk_attr power_loss_broken)" 1
expect_write_fails "$SYS/power_cut" all "Input/output error"
echo 0 >"$SYS/power_loss"
echo 1 >"$SYS/power_loss"
expect_eq "power_loss_broken after tracking off and on" "$(ubk_attr power_loss_broken)" 0
dd if=/dev/urandom of=$DEV bs=4k count=1 oflag=direct status=none
echo all >"$SYS/power_cut" || fail "cut after tracking off and on"
echo 1 >"$SYS/power_on"
dd if=$DEV of=/tmp/after bs=64k count=2 iflag=direct status=none
cmp /tmp/before /tmp/after || fail "the cut after mending did not undo its one write"
pass "broken log: cuts refused (EIO) and data kept, across a FLUSH, until tracking off/on"
ubk_unload

# ---- a switch to write-through is a FLUSH ----
ubk_load power_loss=1 capacity_mb=64
xfs_io -d -c 'pwrite -S 0xaa 0 4k' $DEV >/dev/null
expect_eq "power_loss_pending before the switch" "$(ubk_attr power_loss_pending)" 1
echo "write through" >"$QSYS/write_cache"
echo all >"$SYS/power_cut"
echo 1 >"$SYS/power_on"
expect_eq "a write before the switch to write-through, after a cut" "$(read4k 0)" "$AA"
echo "write back" >"$QSYS/write_cache"
xfs_io -d -c 'pwrite -S 0xaa 4k 4k' $DEV >/dev/null
"$UBK_ADMIN" set uringblk0 --write-cache off >/dev/null || fail "set --write-cache off"
"$UBK_ADMIN" set uringblk0 --write-cache on >/dev/null || fail "set --write-cache on"
echo all >"$SYS/power_cut"
echo 1 >"$SYS/power_on"
expect_eq "a write before SET_PARAMS write-through and back, after a cut" "$(read4k 1)" "$AA"
pass "a switch to write-through (sysfs, SET_PARAMS) makes earlier writes durable"
ubk_unload

# ---- partitions: no stale page cache after a cut ----
ubk_load power_loss=1 capacity_mb=64
echo 'start=2048, size=40960' | sfdisk -q $DEV >/dev/null
blockdev --rereadpt $DEV || true
for _ in $(seq 50); do [ -b ${DEV}p1 ] && break; sleep 0.1; done
[ -b ${DEV}p1 ] || fail "no partition ${DEV}p1"
flush
xfs_io -d -c 'pwrite -S 0x11 0 4k' ${DEV}p1 >/dev/null
flush ${DEV}p1
xfs_io -d -c 'pwrite -S 0x22 0 4k' ${DEV}p1 >/dev/null
# Held open (as a mount would hold it), the partition keeps its page cache:
# the last close would drop it.
exec 3<${DEV}p1
got=$(dd if=${DEV}p1 bs=4k count=1 status=none | od -An -tx1 -N1 | tr -d ' ')
expect_eq "buffered read of the partition before the cut" "$got" 22
echo all >"$SYS/power_cut"
echo 1 >"$SYS/power_on"
got=$(dd if=${DEV}p1 bs=4k count=1 status=none | od -An -tx1 -N1 | tr -d ' ')
expect_eq "buffered read of the partition after the cut" "$got" 11
exec 3<&-
pass "a partition's page cache is dropped by a cut"
ubk_unload

# ---- the crash recipe without a shutdown ioctl ----
# cut, unmount (its writes fail: the power is off), power on, mount: the
# journal is replayed, fsck is clean, the fsync'ed file is intact.
MNT=/mnt/ps
mkdir -p $MNT
ubk_load power_loss=1 capacity_mb=512
for fs in ext4 xfs; do
	if ! grep -qw $fs /proc/filesystems && ! modprobe $fs 2>/dev/null; then
		echo "skipped $fs: not in this kernel ($KVER)"	# the debug kernel has no XFS
		continue
	fi
	case $fs in
	ext4) mkfs.ext4 -q -F $DEV ;;
	xfs) mkfs.xfs -q -f $DEV ;;
	esac
	mount $DEV $MNT
	head -c 200000 /dev/urandom >/tmp/kept
	cp /tmp/kept $MNT/kept
	sync $MNT/kept $MNT	# fsync of the file and of its directory
	head -c 300000 /dev/urandom >$MNT/lost	# in the page cache only
	echo all >"$SYS/power_cut"
	umount $MNT || fail "$fs: umount with the power off"
	echo 1 >"$SYS/power_on"
	mount $DEV $MNT || fail "$fs: mount after power on"
	cmp /tmp/kept $MNT/kept || fail "$fs: the fsync'ed file after the cut"
	umount $MNT
	case $fs in
	ext4) e2fsck -fn $DEV >/tmp/fsck.txt 2>&1 || { cat /tmp/fsck.txt; fail "ext4: e2fsck after recovery"; } ;;
	xfs) xfs_repair -n $DEV >/tmp/fsck.txt 2>&1 || { cat /tmp/fsck.txt; fail "xfs: xfs_repair -n after recovery"; } ;;
	esac
	pass "$fs: cut, umount (writes fail), power on, mount: recovered, clean, fsync'ed data intact"
done
ubk_unload

# ---- the budget ----
# A FUA writer (io_uring O_DSYNC: FUA, no FLUSH) behind one unflushed write:
# its records stay inside a 1 MiB budget, and the oldest go first.
# The debug kernel logs about 1,500 records a second: 30 s to fill 1 MiB.
secs=10
case $KVER in *ubkdebug*) secs=30 ;; esac
ubk_load power_loss=1 capacity_mb=64 power_loss_max_mb=1
dd if=/dev/urandom of=$DEV bs=4k count=1 oflag=direct status=none
fio --name=dsync --filename=$DEV --ioengine=io_uring --direct=1 --sync=dsync \
	--rw=randwrite --bs=4k --size=32M --iodepth=8 --time_based --runtime=$secs \
	--output=/tmp/fio.txt || { cat /tmp/fio.txt; fail "fio O_DSYNC"; }
echo "power_loss_pending=$(ubk_attr power_loss_pending) bytes=$(ubk_attr power_loss_bytes) written_back=$(ubk_attr power_loss_written_back)"
expect_le "power_loss_bytes after an O_DSYNC writer" "$(ubk_attr power_loss_bytes)" 1048576
expect_le "power_loss_pending after an O_DSYNC writer" "$(ubk_attr power_loss_pending)" 20000
expect_ge "power_loss_written_back" "$(ubk_attr power_loss_written_back)" 1
dmesg | grep -q "uringblk0: power-loss log over the budget" || fail "no kernel log line for the budget"
pass "O_DSYNC io_uring writer: the log stays inside power_loss_max_mb"
ubk_unload

# Four devices overwriting without a FLUSH share one 8 MiB budget.
ubk_load power_loss=1 capacity_mb=32 nr_devices=4 power_loss_max_mb=8
for i in 0 1 2 3; do
	for pass_ in 1 2; do
		dd if=/dev/urandom of=/dev/uringblk$i bs=1M count=16 oflag=direct status=none
	done
done
total=0
for i in 0 1 2 3; do
	total=$((total + $(ubk_attr power_loss_bytes uringblk$i)))
done
expect_le "power_loss_bytes of four devices" "$total" $((8 << 20))
expect_ge "power_loss_written_back of uringblk3" "$(ubk_attr power_loss_written_back uringblk3)" 1
dmesg | grep -q "power-loss log over the budget" || fail "no kernel log line for the budget"
pass "four devices stay inside one module-wide budget"
ubk_unload
expect_fail "power_loss_max_mb above the RAM" "Invalid" \
	insmod "$UBK_KO" power_loss_max_mb=4194304

# ---- the model check: four writers on four hardware queues, cuts in every
# mode at seeded random moments, requests in flight at each (delay rule) ----
ubk_load power_loss=1 capacity_mb=64 logical_block_size=4096 nr_hw_queues=4
python3 tests/vm/tools/pl_model.py $DEV "${UBK_PL_SEED:-0x5eed}" 8 || fail "pl_model.py"
ubk_unload
dmesg_clean
