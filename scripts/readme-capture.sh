#!/usr/bin/env bash
# Runs inside the VM test bed to capture the README's "Use" examples for error
# injection, uringblk-bench and uringblk_test:
#
#   tests/vm/run --kernel 6.1 -- scripts/readme-capture.sh
#
# Loads the module with its defaults (one 1 GiB device, one poll queue) and
# prints each command after a "$ " prompt as a user would type it (the build
# directories are put first in PATH), followed by its output.
set -uo pipefail
kver=$(uname -r)
ko=build/kmod/$kver/uringblk_driver.ko
[ -f "$ko" ] || make --no-print-directory kmod-all >&2 || exit 1
export PATH=$PWD/build/cmake/bin:$PWD/build/cmake/userspace/admin:$PATH
for t in uringblk-admin uringblk-bench uringblk_test; do
	command -v "$t" >/dev/null || { echo "readme-capture: $t not built (make)" >&2; exit 1; }
done

insmod "$ko" || exit 1
for _ in $(seq 50); do [ -b /dev/uringblk0 ] && break; sleep 0.1; done

# Echo the command, then run it; its status is kept but does not stop the script.
run() {
	printf '$ %s\n' "$*"
	eval "$*" 2>&1
}

echo '--- inject'
run uringblk-admin inject add /dev/uringblk0 read,1000,2
run uringblk-admin inject list /dev/uringblk0
run dd if=/dev/uringblk0 of=/dev/null bs=4k skip=125 count=1 iflag=direct
run uringblk-admin inject list /dev/uringblk0
run "uringblk-admin stats /dev/uringblk0 | grep -E '^(read_ops|media_errors)'"
run uringblk-admin inject clear /dev/uringblk0
run uringblk-admin inject list /dev/uringblk0

echo '--- bench'
run uringblk-bench iops -d /dev/uringblk0 --time 3
run uringblk-bench latency -d /dev/uringblk0 --poll --time 2

echo '--- uringblk_test'
run uringblk_test -d /dev/uringblk0 --basic --poll --admin-commands

rmmod uringblk_driver
