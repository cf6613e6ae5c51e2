#!/usr/bin/env bash
# Host entry of the device comparison: boots a test-bed guest
# (tests/vm/run), runs bench/compare.sh in it and copies the results to
# build/bench/.
#
#   bench/run.sh [--kernel 6.1|6.12] [--reps N] [--runtime S] [--cpus N]
#                [--mem MiB] [--timeout S] [--tag NAME] [--icount SHIFT]
#                [-- COMPARE-OPTIONS...]
#
# --icount SHIFT: guest time counts instructions (tests/vm/run --icount; one
# vCPU, so --cpus defaults to 1): every rate is then instructions per I/O,
# independent of host load (docs/performance.md, "Counting instructions").
#
# Writes build/bench/compare.json, compare.md, results.tsv (fio) and
# records.tsv (every tool's measurements, the input of bench/report.py) of the
# latest run, the same files suffixed with the kernel series
# (compare-6.1.json, records-6.1.tsv, ...) and the whole console output in
# compare-<series>.log. With --tag NAME (an
# experiment: other workloads, variants) the files are compare-NAME-<series>.*
# only, and compare.json is left alone. Options after "--" go to
# bench/compare.sh (e.g. --workloads, --tools, --variant, --ubk-params, --quick).
#
# Exit status: that of the guest run (tests/vm/run: compare.sh's status, 1 for
# a bad kernel log, 124 timeout, 125 guest died); 3 when the run finished but
# its results could not be extracted; 2 for usage errors.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
kernel=6.1
reps=3
runtime=3
cpus=""
icount=""
mem=3072
tmo=""
tag=""
extra=()

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--icount) icount=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--tag)
		tag=$2
		[[ $tag =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "bench/run: --tag: letters, digits, . _ -" >&2; exit 2; }
		shift 2
		;;
	--) shift; extra=("$@"); break ;;
	-h | --help) usage ;;
	*) echo "bench/run: unknown option $1" >&2; usage ;;
	esac
done
case "$kernel" in 6.1 | 6.12) ;; *) echo "bench/run: --kernel 6.1 or 6.12" >&2; exit 2 ;; esac
if [ -n "$icount" ]; then
	cpus=${cpus:-1}
	clock="icount shift=$icount: guest time = 2^$icount ns per instruction"
	vm_icount=(--icount "$icount")
else
	cpus=${cpus:-2}
	clock="host: TCG guest time follows the host clock"
	vm_icount=()
fi
for v in "$reps" "$runtime" "$cpus" "$mem"; do
	[[ $v =~ ^[0-9]+$ ]] || { echo "bench/run: not a whole number: '$v'" >&2; exit 2; }
done
# Budget: boot + pre-fill + probes, then per repetition up to ~100 runs
# (8 workloads x 3-6 devices and variants with fio and uringblk-bench, plus
# the fixed-buffer variant) of runtime + 1 s ramp + ~3 s of start-up under TCG.
[ -n "$tmo" ] || tmo=$((400 + reps * 100 * (runtime + 4)))

out=$repo/build/bench
mkdir -p "$out"
sfx=${tag:+$tag-}$kernel
log=$out/compare-$sfx.log
# no stale records for bench/report.py when this run produces none
rm -f "$out/records-$sfx.tsv"
host_load="host loadavg $(cut -d' ' -f1-3 /proc/loadavg) at start, $(nproc) host CPUs"
echo "bench/run: kernel $kernel, $reps reps x ${runtime}s, $cpus vCPUs, $mem MiB, timeout ${tmo}s; $host_load; clock $clock"

# UBK_KO (a module built elsewhere, under the repository) is passed on.
"$repo/tests/vm/run" --kernel "$kernel" --cpus "$cpus" --mem "$mem" --timeout "$tmo" "${vm_icount[@]}" -- \
	env ${UBK_KO:+UBK_KO="$UBK_KO"} bench/compare.sh --reps "$reps" --runtime "$runtime" \
	--host-load "$host_load" --clock "$clock" "${extra[@]}" |
	tee "$log"
status=${PIPESTATUS[0]}
echo "bench/run: host loadavg at the end $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"

# extract NAME: the lines between "=== BEGIN NAME" and "=== END NAME" (the
# last such block, should the console show one twice)
extract() {
	awk -v name="$1" '
		$0 == "=== BEGIN " name { on = 1; buf = ""; next }
		$0 == "=== END " name { on = 0; last = buf; done = 1; next }
		on { buf = buf $0 "\n" }
		END { printf "%s", last; exit !done }' "$log"
}
got=0
for f in compare.json compare.md results.tsv records.tsv; do
	base=${f%.*}
	ext=${f##*.}
	if extract "$f" >"$out/$base-$sfx.$ext.tmp"; then
		mv "$out/$base-$sfx.$ext.tmp" "$out/$base-$sfx.$ext"
		[ -n "$tag" ] || cp "$out/$base-$sfx.$ext" "$out/$f"
		got=$((got + 1))
	else
		rm -f "$out/$base-$sfx.$ext.tmp"
	fi
done
if [ $got = 4 ]; then
	if [ -n "$tag" ]; then
		echo "bench/run: results in $out/compare-$sfx.json, compare-$sfx.md, results-$sfx.tsv, records-$sfx.tsv (log $log)"
	else
		echo "bench/run: results in $out/compare.json, compare.md, results.tsv, records.tsv (and *-$sfx.*; log $log)"
	fi
	if command -v python3 >/dev/null && ! python3 -m json.tool "$out/compare-$sfx.json" >/dev/null; then
		echo "bench/run: $out/compare-$sfx.json is not valid JSON" >&2
		[ "$status" = 0 ] && status=3
	fi
else
	echo "bench/run: the run printed no complete results (see $log)" >&2
	[ "$status" = 0 ] && status=3
fi
exit "$status"
