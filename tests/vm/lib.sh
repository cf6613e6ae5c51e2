# Helpers for VM test cases (sourced inside the guest, in the repo root).
# shellcheck shell=bash
set -euo pipefail

KVER=$(uname -r)
UBK_KO=${UBK_KO:-$PWD/build/kmod/$KVER/uringblk_driver.ko}
UBK_BIN=${UBK_BIN:-$PWD/build/cmake/bin}
SYS=/sys/block/uringblk0/uringblk
QSYS=/sys/block/uringblk0/queue

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
pass() { echo "ok: $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	pass "$1 = $3"
}

# ubk_load [param=value...]: insmod and wait for /dev/uringblk0.
ubk_load() {
	[ -f "$UBK_KO" ] || fail "module not built: $UBK_KO (make kmod-all)"
	insmod "$UBK_KO" "$@" || fail "insmod $* failed"
	for _ in $(seq 50); do
		[ -b /dev/uringblk0 ] && return 0
		sleep 0.1
	done
	fail "/dev/uringblk0 did not appear"
}

ubk_unload() {
	rmmod uringblk_driver || fail "rmmod failed"
	[ ! -e /dev/uringblk0 ] || fail "/dev/uringblk0 still present after rmmod"
	[ ! -d /sys/module/uringblk_driver ] || fail "module still present after rmmod"
}

# Fail if the kernel log got a warning since the case began (tests/vm/run
# checks the whole log again at the end).
dmesg_clean() {
	if dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|refcount_t|list_(add|del) corruption|hung task|soft lockup|KASAN|detected stall|stall on CPU|rcu: INFO|invoked oom-killer|Out of memory'; then
		fail "kernel log shows a bug or warning"
	fi
}

# ---- helpers for the data_verify, data_ops, params and fs_part cases ----

UOPS=$UBK_BIN/uring_ops

# read_line FILE: the first line of FILE (a builtin read: process start-up
# is expensive under TCG).
read_line() {
	local v
	IFS= read -r v <"$1" || [ -n "$v" ] || fail "cannot read $1"
	printf '%s\n' "$v"
}

# ubk_attr NAME [DISK]: /sys/block/DISK/uringblk/NAME (DISK: uringblk0).
ubk_attr() { read_line "/sys/block/${2:-uringblk0}/uringblk/$1"; }

# ubk_qattr NAME [DISK]: /sys/block/DISK/queue/NAME.
ubk_qattr() { read_line "/sys/block/${2:-uringblk0}/queue/$1"; }

# ubk_reload [param=value...]: unload (checked) and load with new parameters.
ubk_reload() {
	ubk_unload
	ubk_load "$@"
}

# need_uops: the uring_ops tool must be built.
need_uops() { [ -x "$UOPS" ] || fail "uring_ops not built: $UOPS (make userspace)"; }

# uops ARGS...: run uring_ops, show its output, fail with it when it fails.
uops() {
	"$UOPS" "$@" || fail "uring_ops $*"
}

# expect_fail WHAT PATTERN CMD...: CMD must fail and its output (stdout +
# stderr) must match the extended regexp PATTERN; the output is left in
# $FAIL_OUT.
expect_fail() {
	local what=$1 pat=$2
	shift 2
	if FAIL_OUT=$("$@" 2>&1); then
		fail "$what: succeeded, want a failure matching '$pat' (output: $FAIL_OUT)"
	fi
	grep -Eq -- "$pat" <<<"$FAIL_OUT" || fail "$what: failed with '$FAIL_OUT', want '$pat'"
	pass "$what fails: $(tail -n 1 <<<"$FAIL_OUT")"
}

# expect_write_fails FILE VALUE PATTERN: writing VALUE to FILE must fail with
# an error matching PATTERN (e.g. "Invalid argument").
expect_write_fails() {
	local f=$1 v=$2 pat=$3 err
	if err=$( (printf '%s\n' "$v" >"$f") 2>&1); then
		fail "writing '$v' to $f succeeded, want '$pat'"
	fi
	grep -Eq -- "$pat" <<<"$err" || fail "writing '$v' to $f: got '$err', want '$pat'"
	pass "writing '$v' to $f fails ($pat)"
}

# expect_ge WHAT GOT MIN / expect_le WHAT GOT MAX (integers).
expect_ge() {
	[ "$2" -ge "$3" ] || fail "$1: got $2, want >= $3"
	pass "$1 = $2 (>= $3)"
}
expect_le() {
	[ "$2" -le "$3" ] || fail "$1: got $2, want <= $3"
	pass "$1 = $2 (<= $3)"
}

# expect_mode WHAT FILE OCTAL: the permission bits of FILE.
expect_mode() { expect_eq "$1 mode" "$(stat -c %a "$2")" "$3"; }

# dmesg_mark; ...; dmesg_new: the kernel log lines printed since the mark.
dmesg_mark() {
	local -a l
	mapfile -t l <<<"$(dmesg)"
	DMESG_MARK=${#l[@]}
}
dmesg_new() {
	local -a l
	mapfile -t l <<<"$(dmesg)"
	[ "${#l[@]}" -ge "$DMESG_MARK" ] || fail "kernel log rotated: cannot tell new lines"
	[ "${#l[@]}" -eq "$DMESG_MARK" ] || printf '%s\n' "${l[@]:DMESG_MARK}"
}

# wait_attr_eq NAME WANT [DISK]: wait up to 5 s for ubk_attr NAME to read
# WANT (memory freed after an RCU grace period), then check it.
wait_attr_eq() {
	local i
	for i in $(seq 50); do
		[ "$(ubk_attr "$1" "${3:-uringblk0}")" = "$2" ] && break
		sleep 0.1
	done
	expect_eq "${3:-uringblk0} $1" "$(ubk_attr "$1" "${3:-uringblk0}")" "$2"
}

# meminfo_kb FIELD: a /proc/meminfo value in KiB (e.g. MemAvailable).
meminfo_kb() { awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo; }

# ubk_absent WHAT: no trace of the module (after rmmod or a refused insmod).
ubk_absent() {
	local devs
	[ ! -d /sys/module/uringblk_driver ] || fail "$1: /sys/module/uringblk_driver exists"
	devs=$(compgen -G '/dev/uringblk*' || true)
	[ -z "$devs" ] || fail "$1: device nodes exist: $devs"
	devs=$(compgen -G '/sys/block/uringblk*' || true)
	[ -z "$devs" ] || fail "$1: disks registered: $devs"
	mapfile -t devs </proc/devices
	[[ " ${devs[*]} " != *" uringblk "* ]] || fail "$1: block major still registered"
	pass "$1: nothing registered"
}

# ---- helpers for the admin and admin_stress cases ----

ADMIN_CHECK=$UBK_BIN/admin_check
UBK_ADMIN=${UBK_ADMIN:-$(dirname "$UBK_BIN")/userspace/admin/uringblk-admin}

# need_admin: admin_check, ucmd_raw and the uringblk-admin CLI must be built.
need_admin() {
	local t
	for t in "$ADMIN_CHECK" "$UBK_BIN/ucmd_raw" "$UBK_ADMIN"; do
		[ -x "$t" ] || fail "not built: $t (make userspace)"
	done
}

# achk ARGS...: run admin_check (its output shows every failed check).
achk() { "$ADMIN_CHECK" "$@" || fail "admin_check $*"; }

# expect_status WHAT WANT CMD...: CMD must exit with status WANT; its stdout
# and stderr are left in $OUT and $ERR.
expect_status() {
	local what=$1 want=$2 rc=0
	shift 2
	"$@" >/tmp/.es.out 2>/tmp/.es.err || rc=$?
	# read, not $(cat): every fork counts on a loaded TCG host.
	IFS= read -r -d '' OUT </tmp/.es.out || true
	IFS= read -r -d '' ERR </tmp/.es.err || true
	OUT=${OUT%$'\n'} ERR=${ERR%$'\n'}
	[ "$rc" = "$want" ] || fail "$what: exit $rc, want $want (stdout: '$OUT', stderr: '$ERR')"
	pass "$what: exit $rc"
}

# fio_errors_none FILE: every job of a fio --output-format=json file has error 0.
fio_errors_none() {
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
bad = [(x["jobname"], x["error"]) for x in j["jobs"] if x["error"]]
sys.exit("fio job errors: %s" % bad if bad else 0)' "$1" || fail "fio reported errors ($1)"
}

# mem_avail_kb: MemAvailable plus the free pages parked on the per-CPU page
# lists (/proc/zoneinfo "count:"), which MemAvailable leaves out: a burst of
# frees (rmmod of a full store) can park tens of MiB there for a while.
mem_avail_kb() {
	local pcp
	pcp=$(awk '$1 == "count:" { s += $2 } END { print s + 0 }' /proc/zoneinfo)
	echo $(($(meminfo_kb MemAvailable) + pcp * $(getconf PAGESIZE) / 1024))
}

# ---- fault injection on the debug kernel ----
FI=/sys/kernel/debug

# fi_write NAME VALUE: one fault-injection knob under $FI.
fi_write() { printf '%s\n' "$2" >"$FI/$1" || fail "cannot write '$2' to $FI/$1"; }

# fi_setup_nowait_module: failslab and fail_page_alloc armed at probability
# 0 for tasks with make-it-fail (task filter), non-sleeping allocations only
# (GFP_NOWAIT / GFP_ATOMIC), made from the module's code (the stack filter
# from the kernel's end to the top of the module area). Set a
# probability to open a window, back to 0 to close it.
fi_setup_nowait_module() {
	[ -d $FI/fail_page_alloc ] ||
		fail "no fault injection in this kernel ($KVER): run on the debug kernel (tests/vm/run --kernel debug)"
	local a kend
	kend=$(awk 'NF == 3 && $1 > m { m = $1 } END { print m }' /proc/kallsyms)
	for a in failslab fail_page_alloc; do
		fi_write $a/probability 0
		fi_write $a/interval 1
		fi_write $a/times -1
		fi_write $a/verbose 0
		fi_write $a/task-filter Y
		fi_write $a/ignore-gfp-wait Y
		fi_write $a/require-start 0x$kend
		fi_write $a/require-end 0xffffffffff000000
	done
	fi_write fail_page_alloc/ignore-gfp-highmem Y
	fi_write fail_page_alloc/min-order 0
}
