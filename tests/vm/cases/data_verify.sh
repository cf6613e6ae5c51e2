#!/usr/bin/env bash
# Data integrity across the data path:
#  - fio random write + crc32c verify at bs 512, 4k, 64k, 1M x iodepth 1, 32
#    x io_uring, libaio, each in a fresh range, the device byte counters moving
#    by exactly what fio wrote and read;
#  - four concurrent fio jobs on distinct ranges, spread over the CPUs (and so
#    over the hardware queues);
#  - uring_ops ops (every io_uring data op of spec 5.1.1, data compared) and
#    uring_ops errors (EOF, misalignment, recovery);
#  - the same essentials with logical_block_size=4096 (512-byte I/O must fail
#    with EINVAL) and with nr_hw_queues=1, reloading the module in between.
. "$(dirname "$0")/../lib.sh"
need_uops

# One fio process per configuration (fio's start-up costs seconds under TCG):
# a job file of sections run one after the other (stonewall), each writing a
# fresh range at random and reading every block back, checking its crc32c and
# header. A range never written before reads back as zeroes, so a lost or
# misdirected write fails the verify.
JOBS=/tmp/verify.fio
jobs_begin() {
	cat >"$JOBS" <<-EOT
		[global]
		filename=/dev/uringblk0
		direct=1
		rw=randwrite
		verify=crc32c
		do_verify=1
		verify_fatal=1
		verify_state_save=0
		randrepeat=0
		stonewall
	EOT
	next_off=0 total=0 njobs=0
	DESC=()
}
# job ENGINE BS DEPTH SIZE [NUMJOBS]: NUMJOBS > 1 runs that many jobs at once
# on consecutive SIZE ranges, spread over the CPUs.
job() {
	local engine=$1 bs=$2 depth=$3 size=$4 n=${5:-1} bytes
	bytes=$(numfmt --from=iec "$size")
	cat >>"$JOBS" <<-EOT
		[$engine-bs$bs-qd$depth-x$n]
		ioengine=$engine
		bs=$bs
		iodepth=$depth
		offset=$next_off
		size=$size
	EOT
	if [ "$n" -gt 1 ]; then
		printf 'numjobs=%s\noffset_increment=%s\ncpus_allowed=0-%s\ncpus_allowed_policy=split\n' \
			"$n" "$size" $(($(nproc) - 1)) >>"$JOBS"
	fi
	# The next range starts 1 MiB past this one.
	next_off=$((next_off + n * bytes + 1024 * 1024))
	total=$((total + n * bytes))
	njobs=$((njobs + n))
	DESC+=("$engine bs=$bs iodepth=$depth $n x $size")
}
# jobs_run: run the job file; every job must finish without error, and every
# byte must have gone through the device once each way (uringblk counters).
jobs_run() {
	local r0 w0 out=/tmp/fio-verify.txt d
	r0=$(ubk_attr read_bytes)
	w0=$(ubk_attr write_bytes)
	if ! fio --output="$out" "$JOBS"; then
		cat "$out" >&2
		fail "fio write+verify failed"
	fi
	if grep 'err=' "$out" | grep -vq 'err= 0'; then
		cat "$out" >&2
		fail "fio reported an error"
	fi
	expect_eq "fio jobs finished with err=0" "$(grep -c 'err= 0' "$out")" "$njobs"
	expect_eq "uringblk write_bytes moved by" $(($(ubk_attr write_bytes) - w0)) "$total"
	expect_eq "uringblk read_bytes moved by" $(($(ubk_attr read_bytes) - r0)) "$total"
	for d in "${DESC[@]}"; do
		pass "fio $d: written and read back, crc32c verified"
	done
}

# check_queues N: N default hardware queues plus the poll queues, as blk-mq
# hardware contexts and in the uringblk sysfs attribute.
check_queues() {
	local mq
	mq=$(find /sys/block/uringblk0/mq -mindepth 1 -maxdepth 1 | wc -l)
	expect_eq "blk-mq hardware contexts ($1 default + poll_queues)" "$mq" $(($1 + $(ubk_attr poll_queues)))
	expect_eq "uringblk/nr_hw_queues" "$(ubk_attr nr_hw_queues)" "$mq"
}

# ---- default configuration: 512-byte blocks, one queue per CPU
ubk_load
expect_eq "logical block size" "$(blockdev --getss /dev/uringblk0)" 512
check_queues "$(nproc)"
jobs_begin
for engine in io_uring libaio; do
	for depth in 1 32; do
		job $engine 512 $depth 256K
		job $engine 4k $depth 1M
		job $engine 64k $depth 2M
		job $engine 1M $depth 4M
	done
done
job io_uring 4k 16 2M 4
jobs_run
uops ops /dev/uringblk0
uops errors /dev/uringblk0
dmesg_clean

# ---- logical_block_size=4096
ubk_reload logical_block_size=4096
expect_eq "logical block size" "$(blockdev --getss /dev/uringblk0)" 4096
expect_eq "queue/logical_block_size" "$(ubk_qattr logical_block_size)" 4096
expect_fail "512-byte O_DIRECT write on a 4096-byte-block device" "Invalid argument" \
	dd if=/dev/zero of=/dev/uringblk0 bs=512 count=1 oflag=direct status=none
expect_fail "512-byte O_DIRECT read on a 4096-byte-block device" "Invalid argument" \
	dd if=/dev/uringblk0 of=/dev/null bs=512 count=1 iflag=direct status=none
jobs_begin
job io_uring 4k 32 1M
job libaio 4k 1 1M
job io_uring 64k 1 2M
job libaio 1M 32 4M
jobs_run
uops ops /dev/uringblk0
uops errors /dev/uringblk0
dmesg_clean

# ---- nr_hw_queues=1
ubk_reload nr_hw_queues=1
check_queues 1
jobs_begin
job io_uring 4k 32 1M
job libaio 64k 32 2M
job io_uring 4k 16 2M 4
jobs_run
uops ops /dev/uringblk0

ubk_unload
pass "unloaded"
dmesg_clean
