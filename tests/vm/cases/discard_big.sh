#!/usr/bin/env bash
# Bounded work per request (docs/data-plane.md 2.3): discard and write-zeroes
# of a whole 16 GiB sparse device, with data in it, give no RCU stall, no
# soft lockup and no other warning, and read back as zeroes:
#  - 512 MiB written in one run plus 1 MiB every 256 MiB, then blkdiscard of
#    the whole device: zeroes, mem_used_bytes back to 0;
#  - the same data, then blkdiscard -z (BLKZEROOUT, REQ_NOUNMAP: zeroed in
#    place, at most 2 MiB per request) and fallocate --punch-hole (write
#    zeroes that may unmap) of the whole device: zeroes;
#  - the queue limits say so: discard_max_bytes 256 MiB,
#    write_zeroes_max_bytes 2 MiB.
. "$(dirname "$0")/../lib.sh"
need_uops
DEV=/dev/uringblk0
MiB=$((1024 * 1024))
GiB=$((1024 * MiB))

ubk_load capacity_mb=16384
expect_eq "queue/discard_max_bytes" "$(ubk_qattr discard_max_bytes)" $((256 * MiB))
expect_eq "queue/write_zeroes_max_bytes" "$(ubk_qattr write_zeroes_max_bytes)" $((2 * MiB))

populate() {
	uops fill $DEV 1G 512M "$1" >/dev/null
	local off
	for off in $(seq 0 $((256 * MiB)) $((16 * GiB - MiB))); do
		[ "$off" -ge $((1 * GiB)) ] && [ "$off" -lt $((1536 * MiB)) ] && continue
		uops fill $DEV "$off" 1M "$1" >/dev/null
	done
	expect_ge "mem_used_bytes after populating" "$(ubk_attr mem_used_bytes)" $((560 * MiB))
}

check_zero() {
	uops zero $DEV 1G 512M
	uops zero $DEV 0 1M
	uops zero $DEV $((16 * GiB - 256 * MiB)) 1M
	uops zero $DEV $((8 * GiB)) 1M
}

populate 31
t0=$(date +%s%N)
blkdiscard $DEV
t1=$(date +%s%N)
echo "blkdiscard of 16 GiB: $(((t1 - t0) / 1000000)) ms (TCG)"
check_zero
wait_attr_eq mem_used_bytes 0
dmesg_clean

populate 32
t0=$(date +%s%N)
blkdiscard -z $DEV
t1=$(date +%s%N)
echo "blkdiscard -z of 16 GiB: $(((t1 - t0) / 1000000)) ms (TCG)"
check_zero
dmesg_clean

populate 33
fallocate --punch-hole --keep-size -o 0 -l $((16 * GiB)) $DEV
check_zero
wait_attr_eq mem_used_bytes 0
dmesg_clean

# One request of the largest size on fully written pages: the memset path.
uops fill $DEV 0 2M 34 >/dev/null
t0=$(date +%s%N)
blkdiscard -z -o 0 -l $((2 * MiB)) $DEV
t1=$(date +%s%N)
echo "one 2 MiB REQ_NOUNMAP write-zeroes on written pages: $(((t1 - t0) / 1000)) us (TCG, whole command)"
uops zero $DEV 0 2M
ubk_unload
dmesg_clean
echo "discard_big: PASS"
