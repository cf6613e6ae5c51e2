#!/usr/bin/env bash
# vm-kernels: 6.12
# The torture test (issue #22, tests/vm/tools/torture.cpp): I/O actors
# (interrupt and polled, verified against a model), error injection, power
# cuts, device creation and deletion, SET_PARAMS, sysfs readers and memory
# pressure at once, for TORTURE_DURATION seconds (default 120) from
# TORTURE_SEED (default 22). Two devices at load with several hardware
# queues, a poll queue, power-loss tracking and a short request timeout (the
# timeout rule's requests come back in about 2 s); on the debug kernel the
# memory actor also opens short fail_page_alloc/failslab windows for one
# I/O actor's non-sleeping allocations in modules (set up as in
# debug-cases/power_delete.sh). Then every device is deleted, the module
# unloaded, and the kernel log must be clean (on the debug kernel
# tests/vm/run also checks kmemleak).
. "$(dirname "$0")/../lib.sh"
need_admin
TORTURE=$UBK_BIN/torture
[ -x "$TORTURE" ] || fail "not built: $TORTURE (make userspace)"
DURATION=${TORTURE_DURATION:-120}
SEED=${TORTURE_SEED:-22}

if [ -d $FI/fail_page_alloc ]; then
	fi_setup_nowait_module
	pass "fault injection set up (task filter, module call sites)"
fi

ubk_load nr_devices=2 nr_hw_queues=2 poll_queues=1 power_loss=1 capacity_mb=128 \
	io_timeout_ms=2000
[ -b /dev/uringblk1 ] || sleep 1
udevadm settle 2>/dev/null || true

rc=0
"$TORTURE" --duration "$DURATION" --seed "$SEED" ${TORTURE_ARGS:-} || rc=$?
[ -d $FI/fail_page_alloc ] && { fi_write fail_page_alloc/probability 0; fi_write failslab/probability 0; }
if [ "$rc" != 0 ]; then
	# The blocked tasks and the end of the kernel log, for a hang; blk-mq's
	# view of each queue (a request in a dispatch list waits for a queue
	# run; a busy tag without one is the driver's).
	echo w >/proc/sysrq-trigger 2>/dev/null || true
	dmesg | tail -n 150
	for f in /sys/kernel/debug/block/uringblk*/state \
		/sys/kernel/debug/block/uringblk*/hctx*/{state,dispatch,busy,tags,dispatched,queued,run}; do
		[ -r "$f" ] && printf '%s:\n%s\n' "$f" "$(head -c 4096 "$f")"
	done
	cat /sys/block/uringblk*/inflight 2>/dev/null
	fail "torture failed (exit $rc, seed $SEED)"
fi

# Every device, however it was created, then the module.
udevadm settle 2>/dev/null || true
for s in /sys/block/uringblk*; do
	[ -e "$s" ] || continue
	id=${s##*/uringblk}
	"$UBK_ADMIN" delete "$id" >/tmp/del.out 2>&1 || { cat /tmp/del.out; fail "delete uringblk$id after the run"; }
done
pass "every device deleted"
ubk_unload
ubk_absent "after the torture run"
dmesg_clean
pass "torture: ${DURATION} s, seed $SEED"
