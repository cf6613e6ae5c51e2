#!/usr/bin/env bash
# Error handling and error injection (spec 8, docs/error-injection.md):
#  - io_timeout_ms: validated at load, the default of queue/io_timeout, which
#    also works at run time;
#  - error_inject: the listing is the lines that create the rules, malformed
#    lines are EINVAL and change nothing, a 17th rule is ENOSPC, clear; the
#    same through uringblk-admin inject (and -o json);
#  - an I/O that covers the LBA of a rule fails with the exact errno (-EIO
#    read/write, -ENOSPC nospc, -ETIMEDOUT timeout) and its neighbours do
#    not, at 512 B and 4 KiB logical blocks, single blocks and multi-block
#    I/O straddling the LBA, interrupt and polled (IOPOLL) queues; a failed
#    write leaves the old data;
#  - COUNT is exact under concurrency, PCT is within 5 sigma (read errors and
#    timeouts), timed-out I/O waits for io_timeout plus blk-mq's timer slack
#    and none is lost; a delay longer than io_timeout is not a timeout;
#  - delayed I/O shows in GET_STATS p50/p99 (interrupt and polled);
#  - media_errors and timeouts count exactly the injected failures; retries
#    and queue_full_events count nothing;
#  - a burst of 1000 injected errors adds a handful of kernel log lines, the
#    device serves other LBAs meanwhile and a full fio verify pass afterwards
#    is clean;
#  - rmmod while requests are held is refused at once (the open block device
#    pins the module) and succeeds cleanly once they timed out.
. "$(dirname "$0")/../lib.sh"
need_uops
need_admin
INJ=$UBK_BIN/inject_io
[ -x "$INJ" ] || fail "not built: $INJ (make userspace)"
DEV=/dev/uringblk0
E=$SYS/error_inject
T=200	# io_timeout_ms for most of the case
# blk-mq checks deadlines with a per-queue timer that it sets about a second
# after the deadline (block/blk-timeout.c); TCG adds its own slowness.
SLACK_MS=2500

inj() { printf '%s\n' "$1" >"$E" || fail "writing '$1' to error_inject"; }
listing() { cat "$E"; }
expect_listing() { expect_eq "error_inject listing" "$(listing)" "$1"; }

# io ARGS...: run inject_io on $DEV, keep its summary line in $IO.
io() {
	IO=$("$INJ" "$DEV" "$@") || fail "inject_io $*: $IO"
	echo "  inject_io $*: $IO"
}
# f NAME: a number of the last summary line.
f() { sed -n "s/.* $1=\(-\{0,1\}[0-9]*\).*/\1/p" <<<" $IO"; }

ctr() { ubk_attr "$1"; }
# stats_json KEY: a GET_STATS field through uringblk-admin.
stats_json() {
	"$UBK_ADMIN" stats -o json $DEV | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# ---------------------------------------------------------------- parameter
for bad in 9 3600001; do
	dmesg_mark
	if insmod "$UBK_KO" io_timeout_ms=$bad 2>/dev/null; then
		fail "insmod io_timeout_ms=$bad succeeded"
	fi
	expect_eq "log line for io_timeout_ms=$bad" "$(dmesg_new | grep -c 'uringblk: ')" 1
	dmesg_new | grep -q "io_timeout_ms=$bad out of range (10-3600000)" ||
		fail "no range message for io_timeout_ms=$bad: $(dmesg_new)"
	ubk_absent "insmod io_timeout_ms=$bad"
done

ubk_load io_timeout_ms=$T
expect_eq "parameters/io_timeout_ms" "$(read_line /sys/module/uringblk_driver/parameters/io_timeout_ms)" $T
expect_eq "queue/io_timeout (io_timeout_ms=$T)" "$(ubk_qattr io_timeout)" $T
expect_mode "error_inject" "$E" 644
expect_mode "timeouts" "$SYS/timeouts" 444
expect_listing ""
for c in media_errors timeouts retries queue_full_events; do
	expect_eq "$c at load" "$(ctr $c)" 0
done

# ---------------------------------------------------------------- grammar
inj "read,1000,5"
inj "timeout,0,10"
inj "delay,0,2000,50"
inj "nospc,*,1"
expect_listing "read,1000,5
nospc,*,1
timeout,0,10
delay,0,2000,50"
for bad in "read,1000" "read,1000,0" "timeout,0,101" "delay,0,10000001" "read, 1,1" \
	"frob,1,1" "read,-1,1" "read,99999999999999999999,1" "clear," "nospc,1,1,0" ""; do
	expect_write_fails "$E" "$bad" "Invalid argument"
done
# Two lines in one write(2) (bash's printf may write them one by one).
python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    os.write(fd, b"read,1,1\nread,2,2\n")
except OSError as e:
    sys.exit(e.errno)' "$E" && fail "two rules in one write accepted"
expect_listing "read,1000,5
nospc,*,1
timeout,0,10
delay,0,2000,50"
pass "malformed lines change nothing"
inj "read,1000,9"		# same key: replaced in place
inj "timeout,0,20"
expect_listing "read,1000,9
nospc,*,1
timeout,0,20
delay,0,2000,50"
for i in $(seq 1 12); do inj "write,$i,1"; done
expect_eq "rules active" "$(listing | wc -l)" 16
expect_write_fails "$E" "write,13,1" "No space left on device"
expect_eq "rules after a refused 17th" "$(listing | wc -l)" 16
inj "write,12,3"		# a replacement never hits the limit
inj clear
expect_listing ""
pass "grammar, replacement, 16-rule limit and clear"

# The same through uringblk-admin.
"$UBK_ADMIN" inject add $DEV read,1000,5 timeout,0,10 >/dev/null || fail "uringblk-admin inject add"
expect_listing "read,1000,5
timeout,0,10"
out=$("$UBK_ADMIN" inject list -o json $DEV) || fail "uringblk-admin inject list"
expect_eq "inject list -o json" "$(python3 -c '
import json, sys
j = json.loads(sys.argv[1])
print(" ".join(r["rule"] for r in j["rules"]), j["rules"][0]["count"], j["rules"][1]["any"])' "$out")" \
	"read,1000,5 timeout,0,10 5 True"
expect_status "uringblk-admin inject add (bad rule)" 2 "$UBK_ADMIN" inject add $DEV read,1000,0
grep -q "COUNT 0 out of range" <<<"$ERR" || fail "no reason in '$ERR'"
expect_status "uringblk-admin inject clear" 0 "$UBK_ADMIN" inject clear $DEV
expect_listing ""

# ---------------------------------------------------------------- 512 B blocks
LBS=512
uops fill $DEV 0 1M 7 >/dev/null
m0=$(ctr media_errors)
inj "read,1000,2"
io read $((1000 * LBS)) $LBS -e EIO
io read $((999 * LBS)) $LBS -e 0
io read $((1001 * LBS)) $LBS -e 0
io read $((996 * LBS)) 4096 -e EIO	# blocks 996-1003 straddle 1000
expect_listing ""			# COUNT 2 used up
io read $((1000 * LBS)) $LBS -e 0
io read $((992 * LBS)) 4096 -e 0	# 992-999: just before
io read $((1001 * LBS)) 4096 -e 0	# 1001-1008: just after
expect_eq "media_errors after 2 injected read errors" $(($(ctr media_errors) - m0)) 2

inj "write,1000,1"
io write $((997 * LBS)) 2048 -e EIO	# 997-1000
uops verify $DEV $((997 * LBS)) 2048 7 >/dev/null
pass "a failed write leaves the old data"
io read $((1000 * LBS)) $LBS -e 0	# write rules do not see reads
inj "nospc,1000,1"
inj "read,2000,1"
io read $((1000 * LBS)) $LBS -e 0	# nospc does not see reads either
io write $((1000 * LBS)) $LBS -e ENOSPC
io write $((2000 * LBS)) $LBS -e 0	# read rules do not see writes
expect_listing "read,2000,1"
inj clear
expect_eq "media_errors (nospc is not a media error)" $(($(ctr media_errors) - m0)) 3

t0=$(ctr timeouts)
inj "timeout,1000,100"
io read $((1000 * LBS)) $LBS -e ETIMEDOUT
expect_ge "timed-out read waited (ms)" "$(f err_min_ms)" $T
expect_le "timed-out read waited (ms)" "$(f err_max_ms)" $((T + SLACK_MS))
io read $((1001 * LBS)) $LBS -e 0
expect_le "neighbour of a timeout rule (ms)" "$(f ok_max_ms)" $T
io read $((1000 * LBS)) $LBS -p -e ETIMEDOUT
expect_le "timed-out polled read (ms)" "$(f err_max_ms)" $((T + SLACK_MS))
io write $((1000 * LBS)) $LBS -e ETIMEDOUT
echo 1000 >"$QSYS/io_timeout"
expect_eq "queue/io_timeout at run time" "$(ubk_qattr io_timeout)" 1000
io read $((1000 * LBS)) $LBS -e ETIMEDOUT
expect_ge "timed-out read with queue/io_timeout=1000 (ms)" "$(f err_min_ms)" 1000
echo $T >"$QSYS/io_timeout"
expect_eq "timeouts" $(($(ctr timeouts) - t0)) 4
inj clear
io read $((1000 * LBS)) $LBS -e 0
pass "clear restores"

# COUNT is exact with many I/Os in flight (4 KiB with gaps: no merging).
m0=$(ctr media_errors)
inj "read,*,100"
io read 0 4k -n 300 -s 8k -q 16
expect_eq "EIO of 300 reads with read,*,100" "$(f EIO)" 100
expect_eq "ok of 300 reads with read,*,100" "$(f ok)" 200
inj "write,*,50"
io write 4M 4k -n 120 -s 8k -q 16 -p
expect_eq "EIO of 120 polled writes with write,*,50" "$(f EIO)" 50
expect_eq "ok of 120 polled writes" "$(f ok)" 70
expect_listing ""
expect_eq "media_errors after 150 injected errors" $(($(ctr media_errors) - m0)) 150

# PCT: 2000 reads, 30 %: 600 expected, sigma 20.5; 5 sigma bounds.
inj "read,*,1000000,30"
io read 0 4k -n 2000 -s 8k -q 32
expect_ge "EIO of 2000 reads at 30 %" "$(f EIO)" 498
expect_le "EIO of 2000 reads at 30 %" "$(f EIO)" 702
expect_listing "read,*,$((1000000 - $(f EIO))),30"
inj clear
# Timeouts at 25 %, 200 reads in flight at once: 50 expected, sigma 6.1.
t0=$(ctr timeouts)
inj "timeout,0,25"
io read 8M 4k -n 200 -s 8k -q 200
expect_eq "I/Os completed (none lost)" $(($(f ok) + $(f ETIMEDOUT))) 200
expect_ge "ETIMEDOUT of 200 reads at 25 %" "$(f ETIMEDOUT)" 20
expect_le "ETIMEDOUT of 200 reads at 25 %" "$(f ETIMEDOUT)" 80
expect_le "all 200 done within io_timeout + slack (ms)" "$(f total_ms)" $((T + SLACK_MS))
expect_eq "timeouts counts them" $(($(ctr timeouts) - t0)) "$(f ETIMEDOUT)"
inj clear

# ---------------------------------------------------------------- delay
stats_reset() { echo 1 >"$SYS/stats_reset"; }
stats_reset
inj "delay,0,20000"
io read 0 4k -n 20 -s 8k -e 0
expect_ge "delayed read latency (ms)" "$(f ok_max_ms)" 20
expect_ge "GET_STATS p50 read latency with delay 20 ms (us)" "$(stats_json p50_read_latency_us)" 19500
stats_reset
io write 1M 4k -n 20 -s 8k -p -e 0
expect_ge "GET_STATS p50 polled write latency with delay 20 ms (us)" "$(stats_json p50_write_latency_us)" 19500
stats_reset
inj "delay,0,20000,10"
io read 0 4k -n 400 -s 8k -q 16 -e 0
p50=$(stats_json p50_read_latency_us)
p99=$(stats_json p99_read_latency_us)
expect_le "p50 read latency with 10 % delayed (us)" "$p50" 19000
expect_ge "p99 read latency with 10 % delayed (us)" "$p99" 19500
# A delay beyond io_timeout: the request timer is re-armed, not fired.
t0=$(ctr timeouts)
inj "delay,0,600000"
io read 0 4k -e 0
expect_ge "read delayed by 600 ms (ms)" "$(f ok_max_ms)" 600
expect_eq "timeouts after a long delay" $(($(ctr timeouts) - t0)) 0
inj clear
expect_eq "retries (nothing requeued)" "$(ctr retries)" 0
expect_eq "queue_full_events (nothing requeued)" "$(ctr queue_full_events)" 0

# ---------------------------------------------------------------- burst
# 1000 injected errors: exact count, a few log lines, other LBAs served.
m0=$(ctr media_errors)
dmesg_mark
inj "read,*,1000"
io read 0 4k -n 1200 -s 8k -q 32
expect_eq "EIO of 1200 reads with read,*,1000" "$(f EIO)" 1000
expect_eq "media_errors after the burst" $(($(ctr media_errors) - m0)) 1000
new=$(dmesg_new)
expect_le "kernel log lines added by 1000 injected errors" "$(grep -c . <<<"$new" || true)" 20
expect_eq "block layer 'I/O error' lines" "$(grep -c 'I/O error, dev' <<<"$new" || true)" 0
grep -q "uringblk0: error injection: -EIO for READ" <<<"$new" || fail "no summary line: $new"
pass "burst logged as: $(tail -n 1 <<<"$new")"

inj "read,1000,1000000"
inj "write,1000,1000000"
fio --name=other-lbas --filename=$DEV --direct=1 --ioengine=io_uring --iodepth=16 \
	--rw=randwrite --bs=4k --offset=16M --size=8M --verify=crc32c --verify_fatal=1 \
	--output-format=json --output=/tmp/fio-other.json >/dev/null || fail "fio during a rule"
fio_errors_none /tmp/fio-other.json
io read $((1000 * LBS)) $LBS -e EIO
pass "other LBAs served while a rule is active"
inj clear
fio --name=verify --filename=$DEV --direct=1 --ioengine=io_uring --iodepth=16 \
	--rw=write --bs=64k --size=128M --verify=crc32c --verify_fatal=1 \
	--output-format=json --output=/tmp/fio-verify.json >/dev/null || fail "fio verify after the burst"
fio_errors_none /tmp/fio-verify.json
pass "fio verify pass after 1000 injected errors is clean"
dmesg_clean

# ---------------------------------------------------------------- 4 KiB blocks
ubk_reload logical_block_size=4096
expect_eq "queue/io_timeout (default)" "$(ubk_qattr io_timeout)" 30000
LBS=4096
uops fill $DEV 0 1M 9 >/dev/null
inj "read,10,2"
io read $((10 * LBS)) $LBS -e EIO
io read $((9 * LBS)) $LBS -e 0
io read $((11 * LBS)) $LBS -e 0
io read $((8 * LBS)) $((4 * LBS)) -e EIO	# 8-11
expect_listing ""
inj "write,10,1"
io write $((9 * LBS)) $((2 * LBS)) -e EIO	# 9-10
uops verify $DEV $((9 * LBS)) $((2 * LBS)) 9 >/dev/null
inj "nospc,11,1"
io write $((10 * LBS)) $LBS -e 0		# the rules above are used up
io write $((11 * LBS)) $((3 * LBS)) -e ENOSPC	# 11-13
echo $T >"$QSYS/io_timeout"
inj "timeout,10,100"
io read $((10 * LBS)) $LBS -p -e ETIMEDOUT
expect_le "timed-out polled read, 4 KiB blocks (ms)" "$(f err_max_ms)" $((T + SLACK_MS))
io read $((11 * LBS)) $LBS -e 0
inj clear
expect_eq "media_errors (4 KiB blocks)" "$(ctr media_errors)" 3
expect_eq "timeouts (4 KiB blocks)" "$(ctr timeouts)" 1

# ---------------------------------------------------------------- rmmod
# Requests held for a 3 s timeout: rmmod is refused at once (the open
# device pins the module, it does not wait), the requests time out with
# -ETIMEDOUT, and then rmmod unloads cleanly.
echo 3000 >"$QSYS/io_timeout"
inj "timeout,0,100"
"$INJ" $DEV read 0 4k -n 4 -s 8k -q 4 -e ETIMEDOUT >/tmp/held.out 2>&1 &
held=$!
for _ in $(seq 100); do
	read -r r _ </sys/block/uringblk0/inflight
	[ "$r" = 4 ] && break
	sleep 0.05
done
expect_eq "reads held in flight" "$r" 4
start=$(date +%s%N)
if rmmod uringblk_driver 2>/tmp/rmmod.err; then
	fail "rmmod succeeded with the device open"
fi
ms=$((($(date +%s%N) - start) / 1000000))
grep -q "in use" /tmp/rmmod.err || fail "rmmod: $(cat /tmp/rmmod.err)"
expect_le "rmmod refused without waiting (ms)" "$ms" 1500
wait $held || fail "held reads: $(cat /tmp/held.out)"
pass "held reads: $(cat /tmp/held.out)"
ubk_unload
ubk_absent "rmmod after held requests"
dmesg_clean
