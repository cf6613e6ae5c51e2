#!/usr/bin/env bash
# A/B of two uringblk module builds (or two parameter sets), interleaved in
# one guest boot. Runs INSIDE the test-bed guest, as root, in the repository
# root; from the host:
#
#   tests/vm/run --kernel 6.1 -- bench/ab.sh --a OLD.ko --b NEW.ko [options]
#   tests/vm/run --kernel 6.1 --cpus 1 --icount 0 -- bench/ab.sh ...
#
# With --icount (docs/performance.md, "Counting instructions") the guest's
# time counts instructions: the paired ratios then agree to about 0.1 % and
# any difference beyond that is real (in instructions; what a cache miss
# costs is not counted). Without it, host load decides much of the spread.
#
#   --a KO, --b KO        the two builds (default: both build/kmod/$(uname -r))
#   --a-params, --b-params "k=v ..."   module parameters of each side
#   --reps N              repetitions (default 7); the order alternates
#                         AB, BA, AB, ... so drift hits both sides alike
#   --runtime S           seconds per measurement (default 3), after 1 s ramp
#   --workloads LIST      fio job names in bench/fio (default
#                         iops-randread-4k-qd32,iops-randwrite-4k-qd32)
#   --tool fio|ubench     what runs each job (default fio): ubench runs the
#                         equivalent uringblk-bench command (bench/lib/jobs.sh,
#                         as bench/compare.sh and the gate do: plugged
#                         batches, so ->queue_rqs())
#   --tolerance T         paired ratios within 1 +- T count as equal (default
#                         0.002: instruction counting repeats to about 0.1 %)
#
# For each repetition both sides are loaded in turn (capacity 1 GiB), the
# measured region (256 MiB) is written first, and every workload runs once.
# The report gives, per workload, the paired ratios B/A of the repetitions,
# their median and quartiles, the ratio of the best runs (host load only
# ever slows a run down), and a verdict: "B faster" when the lower quartile
# of the paired ratios is above 1, "B slower" when the upper quartile is
# below 1, otherwise "cannot tell"; and "same" when every paired ratio is
# within the tolerance. Exit status 0 unless a run failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
jobs_dir=$here/fio
# shellcheck source=bench/lib/jobs.sh
. "$here/lib/jobs.sh"
ubench=${UBK_BENCH:-$(dirname "$here")/build/cmake/bin/uringblk-bench}
kver=$(uname -r)
a=$PWD/build/kmod/$kver/uringblk_driver.ko
b=$a
a_params="" b_params=""
reps=7 runtime=3 tool=fio tolerance=0.002
workloads="iops-randread-4k-qd32,iops-randwrite-4k-qd32"
while [ $# -gt 0 ]; do
	case $1 in
	--a) a=$2; shift 2 ;;
	--b) b=$2; shift 2 ;;
	--a-params) a_params=$2; shift 2 ;;
	--b-params) b_params=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--workloads) workloads=$2; shift 2 ;;
	--tool) tool=$2; shift 2 ;;
	--tolerance) tolerance=$2; shift 2 ;;
	*) echo "bench/ab: unknown option $1" >&2; exit 2 ;;
	esac
done
case $tool in
fio) ;;
ubench) [ -x "$ubench" ] || { echo "bench/ab: $ubench not built (make userspace)" >&2; exit 2; } ;;
*) echo "bench/ab: --tool fio or ubench, not $tool" >&2; exit 2 ;;
esac
for ko in "$a" "$b"; do
	[ -f "$ko" ] || { echo "bench/ab: no module $ko" >&2; exit 2; }
done
IFS=, read -r -a wls <<<"$workloads"
out=$(mktemp -d)
records=$out/records.tsv
: >"$records"

run_side() { # SIDE KO PARAMS REP
	local side=$1 ko=$2 params=$3 rep=$4 wl iops
	# shellcheck disable=SC2086
	insmod "$ko" capacity_mb=1024 $params || return 1
	for _ in $(seq 50); do [ -b /dev/uringblk0 ] && break; sleep 0.1; done
	fio --name=fill --filename=/dev/uringblk0 --rw=write --bs=1M --size=256M \
		--ioengine=io_uring --direct=1 --iodepth=8 >/dev/null || return 1
	for wl in "${wls[@]}"; do
		if [ "$tool" = fio ]; then
			fio --filename=/dev/uringblk0 --size=256M --time_based \
				--runtime="$runtime" --ramp_time=1 --output-format=json \
				--output="$out/$side-$rep-$wl.json" "$here/fio/$wl.fio" >/dev/null || return 1
			iops=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"][0]; print(j["read"]["iops"] + j["write"]["iops"])' "$out/$side-$rep-$wl.json")
		else
			local poll=0
			polled "$wl" && poll=1
			# shellcheck disable=SC2046
			"$ubench" $(ubench_job_args "$wl" /dev/uringblk0 "$runtime" 1 $((256 << 20)) $poll) \
				-o json -q >"$out/$side-$rep-$wl.json" || return 1
			iops=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["iops"])' "$out/$side-$rep-$wl.json")
		fi
		printf '%s\t%s\t%s\t%s\n' "$rep" "$side" "$wl" "$iops" >>"$records"
		printf 'rep %s %s %-28s %10.0f IOPS\n' "$rep" "$side" "$wl" "$iops"
	done
	rmmod uringblk_driver
}

for rep in $(seq 1 "$reps"); do
	if [ $((rep % 2)) = 1 ]; then order="A B"; else order="B A"; fi
	for side in $order; do
		if [ "$side" = A ]; then
			run_side A "$a" "$a_params" "$rep" || { echo "bench/ab: run A $rep failed" >&2; exit 1; }
		else
			run_side B "$b" "$b_params" "$rep" || { echo "bench/ab: run B $rep failed" >&2; exit 1; }
		fi
	done
done

python3 - "$records" "$tolerance" <<'PY'
import sys, statistics as st
tol = float(sys.argv[2])
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
data = {}
for rep, side, wl, iops in rows:
    data.setdefault(wl, {}).setdefault(side, {})[int(rep)] = float(iops)
def q(xs, p):
    xs = sorted(xs); k = (len(xs) - 1) * p; f = int(k); c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)
print("\n| workload | A median IOPS | B median IOPS | paired B/A median | quartiles | min-max | best B / best A | verdict |")
print("|---|---|---|---|---|---|---|---|")
for wl, d in data.items():
    reps = sorted(set(d["A"]) & set(d["B"]))
    r = [d["B"][i] / d["A"][i] for i in reps]
    lo, hi = q(r, 0.25), q(r, 0.75)
    if all(abs(x - 1) <= tol for x in r):
        verdict = "same"
    else:
        verdict = "B faster" if lo > 1 else "B slower" if hi < 1 else "cannot tell"
    print(f"| {wl} | {st.median(d['A'].values()):.0f} | {st.median(d['B'].values()):.0f} | "
          f"{st.median(r):.3f} | {lo:.3f}-{hi:.3f} | {min(r):.3f}-{max(r):.3f} | "
          f"{max(d['B'].values()) / max(d['A'].values()):.3f} | {verdict} |")
PY
