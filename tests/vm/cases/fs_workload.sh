#!/usr/bin/env bash
# vm-run: --mem 4096 --cpus 2
# Issue 17's filesystem workload on a 1 GiB device in a 4 GiB, 2-vCPU guest
# (the set-up of the soft-lockup report, docs/testbed.md "Soft lockups in
# clear_page_rep"), with the kernel-log scan on:
#  - fio randwrite + verify (io_uring, direct) over the first 128 MiB;
#  - a GPT with two partitions; on p1 ext4, on p2 XFS, each: mkfs, a tree of
#    ~800 files (32 MiB) with sha256 sums, sync, umount, drop caches,
#    e2fsck -fn / xfs_repair -n clean, mount, sha256sum -c, umount;
#  - the longest page zeroing (clear_page, which every page allocation does
#    on Debian's init_on_alloc kernels) is measured with the function_graph
#    tracer and printed ("... (page zeroing) >= 1 ms: N calls, max M us").
# UBK_FS_DEV=brd or null_blk runs the same workload on brd / null_blk
# (memory_backed=1) instead of uringblk, for comparison (not in make check).
. "$(dirname "$0")/../lib.sh"
command -v mkfs.xfs >/dev/null || fail "mkfs.xfs missing on the host (xfsprogs: make setup)"
MiB=$((1024 * 1024))
MNT=/tmp/mnt
mkdir -p $MNT
dev_kind=${UBK_FS_DEV:-uringblk}

# ---- the device (1 GiB)
case $dev_kind in
uringblk)
	ubk_load capacity_mb=1024
	DEV=/dev/uringblk0 PART=/dev/uringblk0p
	;;
brd)
	modprobe brd rd_nr=1 rd_size=1048576 max_part=4 || fail "modprobe brd"
	DEV=/dev/ram0 PART=/dev/ram0p
	;;
null_blk)
	modprobe null_blk nr_devices=1 memory_backed=1 gb=1 queue_mode=2 || fail "modprobe null_blk"
	DEV=/dev/nullb0 PART=/dev/nullb0p
	;;
*) fail "UBK_FS_DEV: uringblk, brd or null_blk" ;;
esac
for _ in $(seq 50); do
	[ -b $DEV ] && break
	sleep 0.1
done
[ -b $DEV ] || fail "$DEV did not appear"
expect_eq "$DEV size" "$(blockdev --getsize64 $DEV)" $((1024 * MiB))

# ---- clear_page latency: clear_page_rep itself is assembly ftrace cannot
# hook, and Debian's kernels inline its callers up to get_page_from_freelist,
# so function_graph times that (a page allocation: its zeroing plus the
# free-list work, microseconds on an idle path); calls
# of 1 ms or more are recorded (tracing_thresh). A clean run shows none or a
# few (a vCPU descheduled by the host mid-call).
T=/sys/kernel/debug/tracing
tracing=0 tfn=
for f in clear_page_rep kernel_init_pages post_alloc_hook get_page_from_freelist; do
	grep -qx "$f" $T/available_filter_functions 2>/dev/null && { tfn=$f; break; }
done
if [ -w $T/tracing_thresh ] && [ -n "$tfn" ]; then
	echo $tfn >$T/set_ftrace_filter
	echo 1000 >$T/tracing_thresh
	echo 8192 >$T/buffer_size_kb
	echo function_graph >$T/current_tracer
	echo 1 >$T/tracing_on
	tracing=1
fi
clear_page_report() {
	local n max
	[ $tracing = 1 ] || { echo "note: clear_page tracing unavailable"; return 0; }
	echo 0 >$T/tracing_on
	# Lines look like " 1)  # 1234.567 us |  } /* clear_page_rep */".
	# (A file, not <(...): the guest has no /dev/fd.)
	grep -oE '[0-9]+\.[0-9]+ us' $T/trace |
		awk '{ n++; if ($1 > m) m = $1 } END { printf "%d %d\n", n, m }' >/tmp/zero.txt
	read -r n max </tmp/zero.txt
	echo "$tfn (page zeroing) >= 1 ms: $n calls, max $max us"
	[ -z "${UBK_FS_TRACE_DUMP:-}" ] || grep -E '[0-9]+\.[0-9]+ us' $T/trace | tail -n 20
	echo nop >$T/current_tracer
	echo 0 >$T/tracing_thresh
	echo >$T/set_ftrace_filter
}

# ---- fio verify
fio --name=verify --filename=$DEV --ioengine=io_uring --direct=1 --rw=randwrite \
	--bs=4k --iodepth=16 --size=128M --verify=crc32c --do_verify=1 \
	--output-format=json --output=/tmp/fio.json >/dev/null || fail "fio verify"
fio_errors_none /tmp/fio.json
pass "fio randwrite + verify of 128 MiB"

# ---- GPT: p1 and p2, ~500 MiB each
printf 'label: gpt\n,500MiB,L\n,,L\n' | sfdisk -q $DEV || fail "sfdisk gpt"
for _ in $(seq 50); do
	[ -b ${PART}1 ] && [ -b ${PART}2 ] && break
	sleep 0.1
done
[ -b ${PART}1 ] && [ -b ${PART}2 ] || fail "${PART}1 and ${PART}2 did not appear"
pass "GPT: ${PART}1 and ${PART}2"

# ---- the tree: 8 directories of ~100 files of 40 KiB (32 MiB)
head -c $((32 * MiB)) /dev/urandom >/tmp/blob
make_tree() {
	local i
	for i in 0 1 2 3 4 5 6 7; do
		mkdir -p "$1/d$i"
		dd if=/tmp/blob bs=1M skip=$((i * 4)) count=4 status=none | split -a 3 -b 40k - "$1/d$i/f"
	done
	(cd "$1" && find . -type f -print0 | xargs -0 sha256sum) >/tmp/sums
}
cold_cache() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# fs_round FS PARTITION MKFS FSCK...: the whole round on one filesystem.
fs_round() {
	local fs=$1 p=$2 mkfs=$3
	shift 3
	$mkfs "$p" >/tmp/mkfs.txt 2>&1 || { cat /tmp/mkfs.txt; fail "$mkfs $p"; }
	mount -t "$fs" "$p" $MNT || fail "mount $fs"
	make_tree $MNT
	expect_ge "$fs: files in the tree" "$(wc -l </tmp/sums)" 800
	sync
	umount $MNT
	cold_cache
	"$@" "$p" >/tmp/fsck.txt 2>&1 || { cat /tmp/fsck.txt; fail "$fs: $* reports problems"; }
	pass "$fs: $* clean"
	mount -t "$fs" "$p" $MNT || fail "remount $fs"
	(cd $MNT && sha256sum -c --quiet /tmp/sums) || fail "$fs: sha256sum -c failed"
	pass "$fs: $(wc -l </tmp/sums) files identical after umount, cold cache, mount"
	umount $MNT
}
fs_round ext4 ${PART}1 "mkfs.ext4 -q -F" e2fsck -fn
# (The debug kernel is built without XFS: ext4 only there.)
if modprobe -q xfs 2>/dev/null || grep -qw xfs /proc/filesystems; then
	fs_round xfs ${PART}2 "mkfs.xfs -q -f" xfs_repair -n
else
	echo "note: no XFS in $(uname -r): ext4 only"
fi

clear_page_report
case $dev_kind in
uringblk) ubk_unload ;;
brd) rmmod brd ;;
null_blk) rmmod null_blk ;;
esac
dmesg_clean
