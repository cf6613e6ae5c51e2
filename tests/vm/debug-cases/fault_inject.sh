#!/usr/bin/env bash
# Fault injection (debug kernel only: tests/vm/run --kernel debug). Every
# allocation failure the module can meet must end in a clean errno: never an
# oops, a leak (kmemleak, checked by guest-run.sh after the case) or a
# half-registered device.
#  1. load, N-th failure: fail the N-th slab or page allocation made from the
#     module's code during finit_module, N = 1, 2, ... until the load path
#     has no more (fault_sweep.py, /proc/thread-self/fail-nth, a stack-trace
#     filter on the module area), with one disk and with nr_devices=2; then
#     the same without the filter (every fault point of the system call,
#     the module loader's own included), as far as the time budget goes.
#  2. load, random failures: insmod in a subshell with make-it-fail
#     (task-filter=Y) at 1, 10, 50 % (and 100 % for the module's own
#     allocations), several times each. User pages (__GFP_HIGHMEM) never fail:
#     a page fault that cannot allocate is retried for ever.
#  3. I/O: dd writes and reads with make-it-fail at the same probabilities
#     (all allocations of the task, then only the module's), and bios failed
#     by fail_make_request; the device must keep serving and verify after.
#  4. admin: uringblk-admin identify / stats with make-it-fail.
# Knobs: UBK_FI_BUDGET (seconds per N-th sweep, default 150), UBK_FI_REPS
# (runs per probability, default 3).
. "$(dirname "$0")/../lib.sh"
need_admin
D=/sys/kernel/debug
[ -d $D/failslab ] && [ -d $D/fail_page_alloc ] ||
	fail "no fault injection in this kernel ($KVER): run on the debug kernel (tests/vm/run --kernel debug)"
SWEEP=$(dirname "$0")/fault_sweep.py
BUDGET=${UBK_FI_BUDGET:-150}
REPS=${UBK_FI_REPS:-3}
# probs FILTER: the probabilities (%) used with that filter. 100 % of every
# allocation of a task also fails its page tables, and the fault is retried
# for ever: only the module's allocations go to 100 %.
probs() { if [ "$1" = module ]; then echo 1 10 50 100; else echo 1 10 50; fi; }
DEV=/dev/uringblk0

# The module area: everything above the kernel image (modules are mapped
# between its end and MODULES_END); only the module under test runs there in
# the tasks that get faults. The image ends at its highest symbol (those
# without a [module] field).
kend=$(awk 'NF == 3 && $1 > m { m = $1 } END { print m }' /proc/kallsyms)
[ -n "$kend" ] && [ "$kend" != 0000000000000000 ] || fail "cannot read the kernel's symbols from /proc/kallsyms"
MOD_START=0x$kend
MOD_END=0xffffffffff000000

wr() { printf '%s\n' "$2" >"$D/$1" || fail "cannot write '$2' to $D/$1"; }
# fi_set PROBABILITY FILTER(module|all): failslab + fail_page_alloc for
# tasks with make-it-fail, every GFP mode and order.
fi_set() {
	local a
	for a in failslab fail_page_alloc; do
		wr $a/probability "$1"
		wr $a/interval 1
		wr $a/times -1
		wr $a/space 0
		wr $a/verbose 0
		wr $a/task-filter Y
		wr $a/ignore-gfp-wait N
		wr $a/stacktrace-depth 32
		if [ "$2" = module ]; then
			wr $a/require-start $MOD_START
			wr $a/require-end $MOD_END
		else
			wr $a/require-start 0
			wr $a/require-end 18446744073709551615
		fi
	done
	wr fail_page_alloc/ignore-gfp-highmem Y
	wr fail_page_alloc/min-order 0
}
fi_off() {
	wr failslab/probability 0
	wr fail_page_alloc/probability 0
	wr fail_make_request/probability 0
}
# failing CMD...: run CMD with make-it-fail (only this subshell's tasks);
# a CMD still running after 120 s is killed and fails the case (a hang).
failing() {
	local rc=0
	(echo 1 >/proc/self/make-it-fail && exec timeout -k 5 120 "$@") || rc=$?
	[ $rc != 124 ] && [ $rc != 137 ] || fail "$* hung with make-it-fail"
	return $rc
}

check_absent() {
	local what=$1 left
	left=$(compgen -G '/dev/uringblk*'; compgen -G '/sys/block/uringblk*'; [ -d /sys/module/uringblk_driver ] && echo /sys/module/uringblk_driver; grep -w uringblk /proc/devices) || true
	[ -z "$left" ] || fail "$what: left behind: $left"
}

# The device must still work (no faults): a verified write + read.
verify_dev() {
	head -c $((1024 * 1024)) /dev/urandom >/tmp/pat
	dd if=/tmp/pat of=$DEV bs=64k seek=$1 oflag=direct status=none || fail "$2: write without faults"
	dd if=$DEV of=/tmp/back bs=64k skip=$1 count=16 iflag=direct status=none || fail "$2: read without faults"
	cmp -s /tmp/pat /tmp/back || fail "$2: read-back differs"
}

dmesg_mark

# ------------------------------------------------------ 1. load, N-th failure
check_absent "before the sweep"
# A small tag set first (blk-mq allocates the requests page by page and
# halves the depth when that fails, hundreds of near-identical fault points
# at the default depth): the sweep then reaches every fault point of the
# load within the budget. Then the defaults, as far as the budget goes.
SMALL="nr_hw_queues=1 enable_poll=0 queue_depth=32"
fi_set 0 module
python3 "$SWEEP" "$UBK_KO" --params "$SMALL" --budget "$BUDGET" || fail "N-th failure sweep (module allocations, $SMALL)"
python3 "$SWEEP" "$UBK_KO" --params "$SMALL nr_devices=2" --budget "$BUDGET" || fail "N-th failure sweep (module allocations, $SMALL nr_devices=2)"
python3 "$SWEEP" "$UBK_KO" --budget "$BUDGET" || fail "N-th failure sweep (module allocations)"
fi_set 0 all
python3 "$SWEEP" "$UBK_KO" --params "$SMALL" --budget "$BUDGET" || fail "N-th failure sweep (whole finit_module)"
check_absent "after the N-th failure sweeps"
pass "load with the N-th allocation failed: errno or loaded, nothing left behind"

# ------------------------------------------------------ 2. load, random failures
declare -A outcome=()
for filter in module; do
	for p in $(probs $filter); do
		fi_set "$p" $filter
		for _ in $(seq "$REPS"); do
			if failing insmod "$UBK_KO" $SMALL 2>/tmp/insmod.err; then
				fi_off
				[ -b $DEV ] || fail "insmod succeeded at p=$p ($filter) but $DEV is missing"
				rmmod uringblk_driver || fail "rmmod after insmod at p=$p ($filter)"
				outcome[loaded]=$((${outcome[loaded]:-0} + 1))
			else
				fi_off
				err=$(tail -n 1 /tmp/insmod.err)
				[ -n "$err" ] || fail "insmod failed silently at p=$p ($filter)"
				outcome["${err##*: }"]=$((${outcome["${err##*: }"]:-0} + 1))
			fi
			check_absent "insmod at p=$p ($filter)"
		done
	done
done
check_absent "after the random load failures"
for k in "${!outcome[@]}"; do echo "  insmod with make-it-fail: ${outcome[$k]} x $k"; done
pass "insmod with random allocation failures: errno or loaded, nothing left behind"

# ------------------------------------------------------ 3. I/O
fi_off
ubk_load
verify_dev 0 "before the I/O faults"
io_ok=0 io_err=0
for filter in module; do
	for p in $(probs $filter); do
		fi_set "$p" $filter
		for i in $(seq "$REPS"); do
			if failing dd if=/tmp/pat of=$DEV bs=64k seek=$((i * 16)) oflag=direct status=none 2>/dev/null; then
				io_ok=$((io_ok + 1))
			else
				io_err=$((io_err + 1))
			fi
			if failing dd if=$DEV of=/dev/null bs=64k count=16 skip=$((i * 16)) iflag=direct status=none 2>/dev/null; then
				io_ok=$((io_ok + 1))
			else
				io_err=$((io_err + 1))
			fi
		done
		fi_off
	done
done
echo "  dd with make-it-fail: $io_ok succeeded, $io_err failed"
# fail_make_request: the block layer fails the bios of a flagged disk.
wr fail_make_request/probability 100
wr fail_make_request/interval 1
wr fail_make_request/times -1
wr fail_make_request/verbose 0
echo 1 >/sys/block/uringblk0/make-it-fail
if dd if=/tmp/pat of=$DEV bs=64k count=16 oflag=direct status=none 2>/dev/null; then
	fail "fail_make_request at 100 %: the write succeeded"
fi
echo 0 >/sys/block/uringblk0/make-it-fail
fi_off
verify_dev 32 "after the I/O faults"
pass "I/O with allocation and bio failures: no crash, the device verifies after"

# ------------------------------------------------------ 4. admin commands
adm_ok=0 adm_err=0
for filter in module; do
	for p in $(probs $filter); do
		fi_set "$p" $filter
		for _ in $(seq "$REPS"); do
			for c in identify stats; do
				if failing "$UBK_ADMIN" $c $DEV >/dev/null 2>&1; then
					adm_ok=$((adm_ok + 1))
				else
					adm_err=$((adm_err + 1))
				fi
			done
		done
		fi_off
	done
done
echo "  uringblk-admin with make-it-fail: $adm_ok succeeded, $adm_err failed"
"$UBK_ADMIN" identify $DEV >/dev/null || fail "identify without faults after the admin faults"
"$UBK_ADMIN" stats $DEV >/dev/null || fail "stats without faults after the admin faults"
pass "admin commands with allocation failures: no crash, they work after"

ubk_unload
check_absent "after the final rmmod"
dmesg_clean
pass "fault injection: clean kernel log"
