#!/usr/bin/env bash
# Performance gate (make perf-gate): a short dedicated measurement of the
# gated workloads on uringblk and brd in one test-bed guest, compared with the
# ratio floors of bench/gate.json.
#
#   bench/gate.sh [--kernel 6.1|6.12] [--reps N] [--runtime S] [--floors FILE]
#                 [--records FILE]
#
# The workloads, tools, kernel, repetitions and run length come from the
# floors file ("settings" and "rows"); the options override them. The run is
# bench/run.sh --tag gate (files build/bench/*-gate-<kernel>.*), then
# bench/report.py gate prints measured ratio, floor, margin and PASS/FAIL per
# row and writes build/bench/gate.json. --records FILE skips the measurement
# and evaluates an earlier run's records-gate-<kernel>.tsv.
#
# Exit status: 0 every ratio at or above its floor; 1 a ratio below its floor
# (or not measured); otherwise that of bench/run.sh (guest failure, timeout).
# docs/performance.md, "Performance gate".
# shellcheck disable=SC2154 # g_* are assigned by the eval below
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
floors=$repo/bench/gate.json
kernel=""
reps=""
runtime=""
records=""

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--floors) floors=$2; shift 2 ;;
	--records) records=$2; shift 2 ;;
	-h | --help) usage ;;
	*) echo "bench/gate: unknown option $1" >&2; usage ;;
	esac
done
command -v python3 >/dev/null || { echo "bench/gate: python3 needed (make setup)" >&2; exit 2; }
[ -f "$floors" ] || { echo "bench/gate: no floors file $floors" >&2; exit 2; }

# settings and the set of workloads / tools of the rows, from the floors file
# (assigns g_kernel g_reps g_runtime g_ramp_ms g_region g_workloads g_tools
# g_devices g_fx g_fx_args g_icount g_cpus)
# shellcheck disable=SC2046
eval $(python3 - "$floors" <<'EOF'
import json, shlex, sys
g = json.load(open(sys.argv[1]))
s = g.get("settings", {})
rows = g["rows"]
wl = []
for r in rows:
    if r["workload"] not in wl:
        wl.append(r["workload"])
tools = sorted({r["tool"] for r in rows})
ub = [t for t in tools if t in ("ubench", "ubench-fx")]
cmp_tools = ",".join(([ "fio"] if "fio" in tools else []) + (["ubench"] if ub else []))
fx = sorted({r["workload"] for r in rows if r["tool"] == "ubench-fx"})
devs = []
for r in rows:
    for d in r["ratio"].split("/"):
        if d not in devs:
            devs.append(d)
out = {
    "g_kernel": s.get("kernel", "6.1"), "g_reps": s.get("reps", 5), "g_runtime": s.get("runtime_s", 2),
    "g_ramp_ms": s.get("ramp_ms", 250), "g_region": s.get("region_mib", 128),
    "g_workloads": ",".join(wl), "g_tools": cmp_tools, "g_devices": ",".join(devs),
    # a glob that matches none of the workloads when no row uses ubench-fx
    "g_fx": "@(" + "|".join(fx) + ")" if fx else "none-",
    "g_fx_args": s.get("fx_args", "--fixed-buffers --fixed-files --batch-submit 8 --batch-complete 8"),
    # icount_shift: count instructions (one vCPU); absent: host clock, 2 vCPUs
    "g_icount": s.get("icount_shift", ""), "g_cpus": s.get("cpus", 1 if "icount_shift" in s else 2),
}
for k, v in out.items():
    print(f"{k}={shlex.quote(str(v))}")
EOF
) || { echo "bench/gate: cannot read $floors" >&2; exit 2; }
kernel=${kernel:-$g_kernel}
reps=${reps:-$g_reps}
runtime=${runtime:-$g_runtime}

t0=$SECONDS
mkdir -p "$repo/build/bench" || exit 2
if [ -z "$records" ]; then
	echo "bench/gate: kernel $kernel, $reps reps x ${runtime}s, $g_cpus vCPUs${g_icount:+, icount shift $g_icount}; workloads $g_workloads; tools $g_tools; devices $g_devices"
	"$repo/bench/run.sh" --kernel "$kernel" --reps "$reps" --runtime "$runtime" --cpus "$g_cpus" \
		${g_icount:+--icount "$g_icount"} --tag gate -- \
		--workloads "$g_workloads" --tools "$g_tools" --devices "$g_devices" --no-default-variants \
		--ramp-ms "$g_ramp_ms" --region "$g_region" --fx-workloads "$g_fx" --fx-args "$g_fx_args" \
		>"$repo/build/bench/gate-run.log" 2>&1
	st=$?
	grep -E '^(bench/run|compare):|FAILED' "$repo/build/bench/gate-run.log"
	if [ $st != 0 ]; then
		echo "bench/gate: the measurement failed (status $st; build/bench/gate-run.log, compare-gate-$kernel.log)" >&2
		[ $st = 1 ] && st=3	# keep 1 for "below a floor"
		exit $st
	fi
	records=$repo/build/bench/records-gate-$kernel.tsv
fi
python3 "$repo/bench/report.py" gate --records "$records" --floors "$floors" --out "$repo/build/bench/gate.json"
st=$?
echo "bench/gate: $((SECONDS - t0)) s"
exit $st
