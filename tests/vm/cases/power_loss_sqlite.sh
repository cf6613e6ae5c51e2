#!/usr/bin/env bash
# The worked example of docs/power-loss.md: SQLite in WAL mode on ext4 on a
# device with power-loss tracking, a transaction loop, a power cut while it
# runs, then PRAGMA integrity_check and every committed row present.
#  - synchronous=FULL: every transaction whose COMMIT returned survives;
#  - synchronous=OFF (no fsync): the database stays consistent but loses
#    committed transactions, which shows the check can fail.
. "$(dirname "$0")/../lib.sh"

command -v sqlite3 >/dev/null || fail "sqlite3 missing"
MNT=/mnt/db
mkdir -p "$MNT"

# run SYNC: prints "committed=N survived=M integrity=..."
run() {
	local sync=$1 committed survived integrity
	mkfs.ext4 -q -F /dev/uringblk0
	mount /dev/uringblk0 "$MNT"
	sqlite3 "$MNT/t.db" "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);" >/dev/null
	# One transaction per line; after each COMMIT the id it committed.
	for i in $(seq 1 100000); do
		echo "BEGIN; INSERT INTO t(v) VALUES(hex(randomblob(300))); COMMIT; SELECT 'c', max(id) FROM t;"
	done | (echo "PRAGMA synchronous=$sync;"; cat) |
		stdbuf -oL sqlite3 "$MNT/t.db" >/tmp/sqlite.log 2>/dev/null &
	sleep 6
	xfs_io -x -c shutdown "$MNT"		# the crash: nothing more is written
	pkill -x sqlite3 || true
	wait || true
	committed=$(grep -c '^c|' /tmp/sqlite.log || true)
	echo "all" >"$SYS/power_cut"
	umount "$MNT"
	echo 1 >"$SYS/power_on"
	mount /dev/uringblk0 "$MNT"		# journal recovery
	integrity=$(sqlite3 "$MNT/t.db" "PRAGMA integrity_check;")
	survived=$(sqlite3 "$MNT/t.db" "SELECT count(*) FROM t;")
	umount "$MNT"
	echo "committed=$committed survived=$survived integrity=$integrity"
}

ubk_load power_loss=1 capacity_mb=256
run FULL >/tmp/run.txt
read -r c s i <<<"$(tail -n 1 /tmp/run.txt | tr '=' ' ' | awk '{print $2, $4, $6}')"
expect_eq "synchronous=FULL: integrity_check" "$i" ok
expect_ge "synchronous=FULL: rows after the cut (committed $c)" "$s" "$c"
[ "$c" -gt 10 ] || fail "synchronous=FULL: only $c transactions committed before the cut"
pass "synchronous=FULL: all $c committed transactions survived the power cut ($s rows)"

run OFF >/tmp/run.txt
read -r c s i <<<"$(tail -n 1 /tmp/run.txt | tr '=' ' ' | awk '{print $2, $4, $6}')"
expect_eq "synchronous=OFF: integrity_check" "$i" ok
[ "$s" -lt "$c" ] || fail "synchronous=OFF: all $c committed transactions survived: the check cannot fail"
pass "control: synchronous=OFF lost $((c - s)) of $c committed transactions (database consistent)"
ubk_unload
dmesg_clean
