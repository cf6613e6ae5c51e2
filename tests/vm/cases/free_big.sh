#!/usr/bin/env bash
# vm-kernels: 6.12
# vm-run: --cpus 1 --icount 6
# Deleting a big, fully written device yields the CPU while it frees (issue
# #22, defect 3). A 1 GiB device with power-loss tracking is filled (262,144
# store pages, and undo records up to the log's budget), then deleted with
# the soft-lockup watchdog at its shortest (watchdog_thresh=1: a CPU that
# does not schedule for 2 s is reported): the store's and the log's freeing
# loops must reach cond_resched() often enough. The guest counts
# instructions (--icount 6: 64 ns of guest time each), so the loop lasts
# 12 s of guest time, as a 16 GiB device would take on real hardware; with
# the store's cond_resched() removed the case fails with "soft lockup". On
# Debian's 6.12 (PREEMPT_VOLUNTARY: a loop without cond_resched() is not
# preempted); the debug kernel has no soft-lockup detector.
. "$(dirname "$0")/../lib.sh"
need_admin
MB=${FREE_BIG_MB:-1024}
[ "$(meminfo_kb MemAvailable)" -gt $(((MB + 512) * 1024)) ] || fail "guest too small for $MB MiB"
ubk_load nr_devices=1 capacity_mb="$MB" power_loss=1
dd if=/dev/zero of=/dev/uringblk0 bs=4M count=$((MB / 4)) oflag=direct status=none ||
	fail "filling uringblk0"
used=$(ubk_attr mem_used_bytes)
expect_ge "mem_used_bytes after filling" "$used" $((MB * 1024 * 1024))
expect_ge "power_loss_bytes (the log to free)" "$(ubk_attr power_loss_bytes)" $((1024 * 1024))
sysctl -q kernel.watchdog_thresh=1 || fail "cannot set watchdog_thresh"
dmesg_mark
t0=$EPOCHREALTIME
"$UBK_ADMIN" delete 0 >/tmp/del.out 2>&1 || { cat /tmp/del.out; fail "delete uringblk0"; }
t1=$EPOCHREALTIME
sysctl -q kernel.watchdog_thresh=10
pass "deleted a full $MB MiB device in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
dmesg_new | grep -E 'soft lockup|hogged CPU' && fail "the delete did not yield the CPU"
ubk_unload
dmesg_clean
pass "free_big"
