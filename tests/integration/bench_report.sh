#!/usr/bin/env bash
# The performance gate's verdict and the report, without a VM: bench/report.py
# on synthetic records (known IOPS) must pass a ratio at or above its floor,
# fail one below it (exit 1), fail a row that was not measured, note a run on
# another kernel than the floors' baseline, and put several kernels' targets
# in one table, each with the blk-mq floor's ratio and "unreachable" where the
# floor itself misses the target (docs/performance.md, sections 8 and 9).
. "$(dirname "$0")/lib.sh"

REPORT=$TOP/bench/report.py

# records KERNEL UBK_IOPS BRD_IOPS [FLOOR_IOPS]: one workload, 3 repetitions,
# uringblk and brd (and the blk-mq floor, null_blk-floor, if given)
records() {
	local k=$1 u=$2 b=$3 f=${4:-} rep
	printf 'O\turingblk\nO\tbrd\n'
	[ -n "$f" ] && printf 'O\tnull_blk-floor\n'
	printf 'W\tiops-randread-4k-qd32\tread\t4K random read QD32\n'
	printf 'M\tkernel\ts\t%s\nM\treps\tn\t3\nM\truntime_s\tn\t1\nM\tclock\ts\ticount shift=0\n' "$k"
	for rep in 1 2 3; do
		printf 'X\t%s\tiops-randread-4k-qd32\tubench\turingblk\t%s\t0\t1000\t2000\t1100\t5\n' $rep "$u"
		printf 'X\t%s\tiops-randread-4k-qd32\tubench\tbrd\t%s\t0\t1000\t2000\t1100\t5\n' $rep "$b"
		[ -z "$f" ] || printf 'X\t%s\tiops-randread-4k-qd32\tubench\tnull_blk-floor\t%s\t0\t1000\t2000\t1100\t5\n' $rep "$f"
	done
}
# floors FLOOR [WORKLOAD]
floors() {
	cat <<EOF
{"settings": {"kernel": "6.1", "baseline_kernel": "6.1.0-57-amd64"},
 "rows": [{"workload": "${2:-iops-randread-4k-qd32}", "tool": "ubench", "ratio": "uringblk/brd", "floor": $1, "note": "test"}]}
EOF
}

records 6.1.0-57-amd64 80000 100000 >"$TMP/r61.tsv"
floors 0.80 >"$TMP/at.json"
floors 0.81 >"$TMP/above.json"
floors 0.50 iops-randwrite-4k-qd32 >"$TMP/missing.json"

gate() { # FLOORS RECORDS: prints the output, sets RC
	set +e
	OUT=$(python3 "$REPORT" gate --records "$2" --floors "$1" --out "$TMP/gate.json" 2>&1)
	RC=$?
	set -e
}
gate "$TMP/at.json" "$TMP/r61.tsv"
expect_eq "ratio 0.800 against floor 0.80: exit status" "$RC" 0
grep -q "PASS (0 of 1 below the floor)" <<<"$OUT" || fail "no PASS line: $OUT"
grep -q "note: the floors were measured on" <<<"$OUT" && fail "kernel note on the baseline kernel: $OUT"
expect_eq "gate.json result" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"])' "$TMP/gate.json")" PASS

gate "$TMP/above.json" "$TMP/r61.tsv"
expect_eq "ratio 0.800 against floor 0.81: exit status" "$RC" 1
grep -q "FAIL (1 of 1 below the floor)" <<<"$OUT" || fail "no FAIL line: $OUT"

gate "$TMP/missing.json" "$TMP/r61.tsv"
expect_eq "a row that was not measured: exit status" "$RC" 1

records 6.1.0-58-amd64 80000 100000 >"$TMP/r58.tsv"
gate "$TMP/at.json" "$TMP/r58.tsv"
grep -q "note: the floors were measured on 6.1.0-57-amd64, this run is on 6.1.0-58-amd64" <<<"$OUT" ||
	fail "no note for a run on another kernel: $OUT"
pass "a run on another kernel than the baseline is noted"

# Two kernels, one target table: measured, result and the blk-mq floor per
# kernel; the floor misses 1.00 on one kernel (unreachable), meets it on the other.
records 6.1.0-57-amd64 80000 100000 90000 >"$TMP/f61.tsv"
records 6.12.118+deb12-amd64 90000 100000 110000 >"$TMP/r612.tsv"
python3 "$REPORT" --records "$TMP/f61.tsv" "$TMP/r612.tsv" --out "$TMP/rep" --name both >/dev/null ||
	fail "report over two kernels failed"
row=$(grep -F '| ubench | iops-randread-4k-qd32 | IOPS uringblk/brd | >= 1.00 |' "$TMP/rep/both.md") ||
	fail "no target row in: $(head -n 12 "$TMP/rep/both.md")"
grep -q '| 0.800 (0.80–0.80) | \*\*MISS\*\* | 0.900 (unreachable) | 0.900 (0.90–0.90) | \*\*MISS\*\* | 1.100 |' <<<"$row" ||
	fail "target row: $row"
grep -q '| tool | workload | ratio | target | 6.1.0-57-amd64 | result | floor | 6.12.118+deb12-amd64 | result | floor |' \
	"$TMP/rep/both.md" || fail "no kernel columns"
expect_eq "report.json kernels" \
	"$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["kernels"]))' "$TMP/rep/both.json")" 2
