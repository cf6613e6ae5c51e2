#!/usr/bin/env bash
# Walking skeleton: load, the default geometry, an O_DIRECT io_uring write of a
# pattern read back and compared, unload, clean kernel log.
. "$(dirname "$0")/../lib.sh"

ubk_load
expect_eq "size (bytes)" "$(blockdev --getsize64 /dev/uringblk0)" $((1024 * 1024 * 1024))
expect_eq "logical block size" "$(blockdev --getss /dev/uringblk0)" 512
expect_eq "blk-mq device" "$(test -d /sys/block/uringblk0/mq && echo yes)" yes

# Pattern write with io_uring + O_DIRECT, then read back and verify (fio's
# crc32c verify reads every block back and compares it).
fio --name=pattern --filename=/dev/uringblk0 --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --size=32M --iodepth=16 --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --randrepeat=0 --output=/tmp/fio.txt ||
	{ cat /tmp/fio.txt; fail "fio write+verify failed"; }
grep -q 'err= 0' /tmp/fio.txt || { cat /tmp/fio.txt; fail "fio reported an error"; }
pass "io_uring O_DIRECT pattern write + read back verified"

# Independent check with dd: what is written is read back byte for byte,
# also after the page cache is out of the way.
head -c $((3 * 1024 * 1024)) /dev/urandom >/tmp/pat
dd if=/tmp/pat of=/dev/uringblk0 bs=64k seek=100 oflag=direct status=none
dd if=/dev/uringblk0 of=/tmp/back bs=64k skip=100 count=48 iflag=direct status=none
cmp /tmp/pat /tmp/back || fail "dd read-back differs"
pass "dd O_DIRECT read-back identical"

ubk_unload
pass "unloaded"
dmesg_clean
