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
	if dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|refcount_t|list_(add|del) corruption|hung task|soft lockup|KASAN'; then
		fail "kernel log shows a bug or warning"
	fi
}
