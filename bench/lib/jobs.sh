# shellcheck shell=bash
# shellcheck disable=SC2154 # jobs_dir: set by the caller
# Reading the bench/fio job files: the one place that turns a job into the
# equivalent uringblk-bench command line. Sourced by bench/compare.sh and
# bench/ab.sh, which set jobs_dir (the bench/fio directory).

# jobval WORKLOAD KEY: the job's last "KEY=value" (empty when unset)
jobval() { sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*\([^[:space:];#]*\).*/\1/p" "$jobs_dir/$1.fio" | tail -n 1; }
# polled WORKLOAD: the job asks for polled I/O (hipri=1)
polled() { [ "$(jobval "$1" hipri)" = 1 ]; }

# ubench_job_args WORKLOAD DEVICE-PATH RUNTIME-S RAMP-S SIZE-BYTES POLL(0|1):
# uringblk-bench arguments equivalent to the job (mode from the name's
# prefix; rw, bs, iodepth, fixedbufs and registerfiles from the job)
ubench_job_args() {
	local w=$1 path=$2 runtime=$3 ramp=$4 size=$5 poll=$6 mode rw bs qd a
	case $w in lat-*) mode=latency ;; bw-*) mode=bandwidth ;; *) mode=iops ;; esac
	rw=$(jobval "$w" rw)
	bs=$(jobval "$w" bs)
	qd=$(jobval "$w" iodepth)
	a="$mode -d $path --rw ${rw:-randread} --bs ${bs:-4k} --qd ${qd:-1}"
	a+=" --time $runtime --ramp $ramp --size $size"
	[ "$poll" = 1 ] && a+=" --poll"
	[ "$(jobval "$w" fixedbufs)" = 1 ] && a+=" --fixed-buffers"
	[ "$(jobval "$w" registerfiles)" = 1 ] && a+=" --fixed-files"
	echo "$a"
}
