#!/usr/bin/env bash
# Crash-state enumeration with armed power cuts (docs/power-loss.md,
# "Enumerating crash states"), as users of crash-testing tools run it:
#  - ext4 and XFS: an fsync'ing workload of five files; for every FLUSH it
#    issues and every prefix of the changes before it, a fresh filesystem,
#    the workload with "flush M prefix K" armed, power on, mount, fsck clean,
#    every fsync'ed file intact (tests/vm/tools/crash_enum.py);
#  - SQLite in WAL mode: a cut armed at each FLUSH of a transaction loop,
#    PRAGMA integrity_check ok, every committed transaction there.
. "$(dirname "$0")/../lib.sh"

MNT=/mnt/enum
mkdir -p $MNT
ubk_load power_loss=1 capacity_mb=512
for what in "fs ext4" "fs xfs" sqlite; do
	set -- $what
	python3 tests/vm/tools/crash_enum.py "$1" /dev/uringblk0 $MNT ${2:-} ||
		fail "crash enumeration: $what"
done
expect_eq "power_state at the end" "$(ubk_attr power_state)" on
ubk_unload
dmesg_clean
