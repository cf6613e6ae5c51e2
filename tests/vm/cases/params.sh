#!/usr/bin/env bash
# Module parameters and the sysfs surface:
#  - defaults: /sys/module/uringblk_driver/parameters/* (all 0444: none can
#    change once the devices exist), the queue limits, the uringblk attribute
#    set and modes;
#  - non-default parameters show up in the parameters, the queue limits and
#    the uringblk attributes (and a large I/O is split at max_io_size_kb);
#  - nr_devices=3: three devices, each with its own store, stats and serial;
#  - every invalid parameter is refused: insmod fails with EINVAL, exactly one
#    new kernel log line names the parameter, nothing is registered.
. "$(dirname "$0")/../lib.sh"
need_uops
PARAMS=/sys/module/uringblk_driver/parameters
MiB=$((1024 * 1024))

param() { read_line "$PARAMS/$1"; }

# hctx_tags: the distinct nr_tags of all blk-mq hardware contexts.
hctx_tags() { cat /sys/block/uringblk0/mq/*/nr_tags | sort -u | tr '\n' ' ' | sed 's/ $//'; }
hctx_count() { find /sys/block/uringblk0/mq -mindepth 1 -maxdepth 1 | wc -l; }

# expect_modes DIR MODE NAME...: each DIR/NAME exists with permission bits MODE.
expect_modes() {
	local dir=$1 mode=$2 n
	local -A got
	shift 2
	while read -r m f; do got[${f##*/}]=$m; done <<<"$(stat -c '%a %n' "$dir"/*)"
	for n in "$@"; do
		[ -n "${got[$n]:-}" ] || fail "$n missing from $dir"
		[ "${got[$n]}" = "$mode" ] || fail "$dir/$n: mode ${got[$n]}, want $mode"
	done
	pass "$dir: $* present with mode $mode"
}

# ---------------------------------------------------------------- defaults
ubk_load
expect_modes $PARAMS 444 nr_hw_queues poll_queues queue_depth enable_poll enable_discard \
	write_cache enable_write_zeroes capacity_mb logical_block_size max_io_size_kb nr_devices
expect_eq "parameter nr_hw_queues (default: online CPUs)" "$(param nr_hw_queues)" "$(nproc)"
expect_eq "parameter queue_depth" "$(param queue_depth)" 1024
expect_eq "parameter enable_poll" "$(param enable_poll)" Y
expect_eq "parameter enable_discard" "$(param enable_discard)" Y
expect_eq "parameter write_cache" "$(param write_cache)" Y
expect_eq "parameter enable_write_zeroes" "$(param enable_write_zeroes)" Y
expect_eq "parameter capacity_mb" "$(param capacity_mb)" 1024
expect_eq "parameter logical_block_size" "$(param logical_block_size)" 512
expect_eq "parameter max_io_size_kb" "$(param max_io_size_kb)" 4096
expect_eq "parameter nr_devices" "$(param nr_devices)" 1
expect_ge "parameter poll_queues (enable_poll=1)" "$(param poll_queues)" 1

expect_eq "queue/logical_block_size" "$(ubk_qattr logical_block_size)" 512
expect_ge "queue/physical_block_size" "$(ubk_qattr physical_block_size)" 512
expect_eq "queue/max_hw_sectors_kb" "$(ubk_qattr max_hw_sectors_kb)" 4096
expect_eq "queue/max_segments (spec 4.3: 256, the top of its range)" "$(ubk_qattr max_segments)" 256
expect_eq "queue/max_segment_size (spec 4.3)" "$(ubk_qattr max_segment_size)" $MiB
expect_ge "queue/discard_granularity" "$(ubk_qattr discard_granularity)" 512
expect_ge "queue/discard_max_bytes" "$(ubk_qattr discard_max_bytes)" $MiB
expect_ge "queue/write_zeroes_max_bytes" "$(ubk_qattr write_zeroes_max_bytes)" $MiB
expect_eq "queue/write_cache" "$(ubk_qattr write_cache)" "write back"
expect_eq "queue/fua" "$(ubk_qattr fua)" 1
expect_eq "queue/io_poll" "$(ubk_qattr io_poll)" 1
expect_eq "size" "$(blockdev --getsize64 /dev/uringblk0)" $((1024 * MiB))
expect_eq "hardware contexts" "$(hctx_count)" $(($(nproc) + $(param poll_queues)))
expect_eq "tags per hardware context" "$(hctx_tags)" 1024

S=/sys/block/uringblk0/uringblk
expect_modes $S 444 model firmware_rev serial features capacity nr_hw_queues queue_depth \
	poll_enabled write_cache read_ops write_ops read_bytes write_bytes flush_ops discard_ops \
	write_zeroes_ops queue_full_events media_errors retries polled_completions mem_used_bytes \
	dev_id admin_node
expect_modes $S 200 stats_reset
[ -n "$(ubk_attr model)" ] || fail "model is empty"
pass "model = $(ubk_attr model)"
[ -n "$(ubk_attr firmware_rev)" ] || fail "firmware_rev is empty"
pass "firmware_rev = $(ubk_attr firmware_rev)"
[ -n "$(ubk_attr serial)" ] || fail "serial is empty"
pass "serial = $(ubk_attr serial)"
[[ $(ubk_attr features) =~ ^0x[0-9a-f]+$ ]] || fail "features is not hex: $(ubk_attr features)"
pass "features = $(ubk_attr features)"
expect_eq "attribute capacity" "$(ubk_attr capacity)" $((1024 * MiB))
expect_eq "attribute nr_hw_queues" "$(ubk_attr nr_hw_queues)" "$(hctx_count)"
expect_eq "attribute queue_depth" "$(ubk_attr queue_depth)" 1024
expect_eq "attribute poll_enabled" "$(ubk_attr poll_enabled)" 1
expect_eq "attribute write_cache" "$(ubk_attr write_cache)" "write back"
expect_eq "attribute dev_id" "$(ubk_attr dev_id)" 0
[ -c "/dev/$(ubk_attr admin_node)" ] || fail "admin_node '$(ubk_attr admin_node)' is not a character device in /dev"
pass "admin_node /dev/$(ubk_attr admin_node) is a character device"

# ---------------------------------------------------------------- non-defaults
ubk_reload nr_hw_queues=1 poll_queues=2 queue_depth=64 capacity_mb=64 logical_block_size=2048 \
	max_io_size_kb=1024 write_cache=0 enable_discard=0 enable_write_zeroes=0
expect_eq "parameter nr_hw_queues" "$(param nr_hw_queues)" 1
expect_eq "parameter poll_queues" "$(param poll_queues)" 2
expect_eq "parameter queue_depth" "$(param queue_depth)" 64
expect_eq "parameter capacity_mb" "$(param capacity_mb)" 64
expect_eq "parameter logical_block_size" "$(param logical_block_size)" 2048
expect_eq "parameter max_io_size_kb" "$(param max_io_size_kb)" 1024
expect_eq "parameter write_cache" "$(param write_cache)" N
expect_eq "parameter enable_discard" "$(param enable_discard)" N
expect_eq "parameter enable_write_zeroes" "$(param enable_write_zeroes)" N
expect_eq "size" "$(blockdev --getsize64 /dev/uringblk0)" $((64 * MiB))
expect_eq "attribute capacity" "$(ubk_attr capacity)" $((64 * MiB))
expect_eq "queue/logical_block_size" "$(ubk_qattr logical_block_size)" 2048
expect_ge "queue/physical_block_size" "$(ubk_qattr physical_block_size)" 2048
expect_eq "queue/max_hw_sectors_kb" "$(ubk_qattr max_hw_sectors_kb)" 1024
expect_le "queue/max_sectors_kb" "$(ubk_qattr max_sectors_kb)" 1024
expect_eq "queue/write_cache" "$(ubk_qattr write_cache)" "write through"
expect_eq "queue/fua" "$(ubk_qattr fua)" 0
expect_eq "queue/discard_max_bytes" "$(ubk_qattr discard_max_bytes)" 0
expect_eq "queue/write_zeroes_max_bytes" "$(ubk_qattr write_zeroes_max_bytes)" 0
expect_eq "queue/io_poll" "$(ubk_qattr io_poll)" 1
expect_eq "hardware contexts (1 + 2 poll)" "$(hctx_count)" 3
expect_eq "attribute nr_hw_queues" "$(ubk_attr nr_hw_queues)" 3
expect_eq "attribute poll_queues" "$(ubk_attr poll_queues)" 2
expect_eq "tags per hardware context" "$(hctx_tags)" 64
expect_eq "attribute queue_depth" "$(ubk_attr queue_depth)" 64
expect_eq "attribute write_cache" "$(ubk_attr write_cache)" "write through"
# One 4 MiB O_DIRECT write reaches the driver as requests of at most 1 MiB.
echo 1 >$S/stats_reset
head -c $((4 * MiB)) /dev/urandom >/tmp/big
dd if=/tmp/big of=/dev/uringblk0 bs=4M count=1 oflag=direct status=none
expect_eq "write_bytes after one 4 MiB write" "$(ubk_attr write_bytes)" $((4 * MiB))
expect_ge "write_ops after one 4 MiB write (max_io_size_kb=1024)" "$(ubk_attr write_ops)" 4
dd if=/dev/uringblk0 of=/tmp/big.back bs=4M count=1 iflag=direct status=none
cmp /tmp/big /tmp/big.back || fail "4 MiB read-back differs"
pass "4 MiB read-back identical"
uops errors /dev/uringblk0 >/dev/null

# ---------------------------------------------------------------- more queues than CPUs
# nr_hw_queues (1-64) and poll_queues above the CPU count are valid: the load
# must be clean (no kernel warning), every CPU must reach a queue, I/O works.
for p in "nr_hw_queues=64" "nr_hw_queues=$(($(nproc) + 1)) poll_queues=$(($(nproc) + 1))"; do
	ubk_reload $p
	dmesg_clean
	expect_ge "hardware contexts with $p" "$(hctx_count)" $(($(nproc) + 1))
	expect_eq "attribute nr_hw_queues with $p" "$(ubk_attr nr_hw_queues)" "$(hctx_count)"
	uops fill /dev/uringblk0 0 1M 9
	uops verify /dev/uringblk0 0 1M 9
	"$UOPS" poll /dev/uringblk0 32 8 >/dev/null || fail "IOPOLL I/O with $p"
	pass "IOPOLL I/O with $p"
	dmesg_clean
done

# ---------------------------------------------------------------- nr_devices=3
ubk_reload nr_devices=3 capacity_mb=16
for n in 0 1 2; do
	[ -b /dev/uringblk$n ] || fail "/dev/uringblk$n missing"
	echo 1 >/sys/block/uringblk$n/uringblk/stats_reset
done
[ ! -e /dev/uringblk3 ] || fail "/dev/uringblk3 exists with nr_devices=3"
pass "/dev/uringblk0..2 present, no uringblk3"
for n in 0 1 2; do
	uops fill /dev/uringblk$n 1M $(((n + 1) * MiB)) $((100 + n))
done
for n in 0 1 2; do
	uops verify /dev/uringblk$n 1M $(((n + 1) * MiB)) $((100 + n))
	expect_eq "uringblk$n write_bytes (own stats)" "$(ubk_attr write_bytes uringblk$n)" $(((n + 1) * MiB))
	expect_eq "uringblk$n read_bytes (own stats)" "$(ubk_attr read_bytes uringblk$n)" $(((n + 1) * MiB))
	m=$(ubk_attr mem_used_bytes uringblk$n)
	expect_ge "uringblk$n mem_used_bytes" "$m" $(((n + 1) * MiB))
	expect_le "uringblk$n mem_used_bytes" "$m" $(((n + 1) * MiB + 64 * 1024))
	expect_eq "uringblk$n dev_id" "$(ubk_attr dev_id uringblk$n)" $n
	expect_eq "uringblk$n capacity" "$(ubk_attr capacity uringblk$n)" $((16 * MiB))
done
# What is beyond each device's own range was never written there.
uops zero /dev/uringblk0 2M 4M
uops zero /dev/uringblk1 3M 4M
expect_eq "distinct serials" "$(cat /sys/block/uringblk[012]/uringblk/serial | sort -u | wc -l)" 3

# ---------------------------------------------------------------- invalid
ubk_unload
# refuse PARAM=VALUE...: insmod must fail with EINVAL, print exactly one new
# kernel log line naming the first parameter, and register nothing.
refuse() {
	local name=${1%%=*} out lines
	dmesg_mark
	if out=$(insmod "$UBK_KO" "$@" 2>&1); then
		rmmod uringblk_driver 2>/dev/null
		fail "insmod $* succeeded, want EINVAL"
	fi
	[[ ${out,,} =~ invalid\ (argument|parameters) ]] || fail "insmod $*: '$out', want EINVAL"
	lines=$(dmesg_new)
	[[ -n $lines && $lines != *$'\n'* ]] ||
		fail "insmod $*: want exactly one new kernel log line, got: '$lines'"
	[[ $lines == *"$name"* ]] || fail "insmod $*: the kernel log line does not name $name: '$lines'"
	ubk_absent "insmod $*" >/dev/null
	pass "insmod $* refused: $lines"
}
refuse nr_hw_queues=0
refuse nr_hw_queues=65
refuse nr_hw_queues=abc
refuse queue_depth=31
refuse queue_depth=4097
refuse logical_block_size=1000
refuse logical_block_size=8192
refuse logical_block_size=256
refuse capacity_mb=0
refuse nr_devices=65
refuse max_io_size_kb=0
refuse max_io_size_kb=65536
refuse enable_poll=maybe
refuse queue_depth=4097 nr_devices=2
# After all the refusals a valid load still works.
ubk_load
uops fill /dev/uringblk0 0 1M 7
uops verify /dev/uringblk0 0 1M 7
ubk_unload
ubk_absent "after rmmod"
dmesg_clean
