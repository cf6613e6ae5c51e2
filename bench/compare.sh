#!/usr/bin/env bash
# uringblk vs brd vs null_blk (memory_backed=1), measured side by side in one
# boot. Runs INSIDE the test-bed guest, as root, in the repository root; the
# host entry is bench/run.sh (docs/performance.md).
#
#   bench/compare.sh [--reps N] [--runtime S] [--ramp-ms MS] [--region MiB]
#                    [--workloads a,b,...] [--devices uringblk,brd,null_blk,null_blk-floor]
#                    [--ubk-params "k=v ..."] [--nullb-params "k=v ..."]
#                    [--variant NAME=BASE:ATTR=VAL[,ATTR=VAL...]] [--no-nostats]
#                    [--variant-workloads GLOB] [--host-load TEXT] [--clock TEXT] [--out DIR]
#                    [--tools fio,ubench] [--fx-workloads GLOB] [--fx-args "ARGS"]
#                    [--no-poll-fallback] [--quick]
#
# Loads the devices with the same capacity (1 GiB) and logical block
# size (512 B), pre-fills the measured region of each, then runs every
# workload (bench/fio/<workload>.fio) on every device, devices interleaved and
# their order rotated in each repetition, and prints the median IOPS, MiB/s,
# p50/p99 total latency (fio lat_ns), the ratios uringblk/brd and uringblk/null_blk and
# pass/fail against the targets. It also measures 4K random read on uringblk
# with block-layer accounting off (variant "uringblk-nostats") and as
# installed, with the udev rule's queue setting wbt_lat_usec=0
# (variant "uringblk-installed"; --no-default-variants, alias --no-nostats,
# drops both). A variant is
# a base device measured again with /sys/block/<dev>/queue/ATTR set to VAL
# during its runs (fio exec_prerun/exec_postrun), e.g.
#   --variant uringblk-nowbt=uringblk:iostats=0,wbt_lat_usec=0
# Variants run on the workloads matching --variant-workloads (default
# iops-randread-4k-*; "*" for all).
#
# "null_blk-floor" is the blk-mq floor: a second null_blk disk, made through
# null_blk's configfs beside /dev/nullb0, that moves no data and completes
# inline (memory_backed=0 irqmode=0; otherwise like null_blk). What any
# blk-mq RAM disk pays before copying a byte; it runs the workloads that
# have targets (4 KiB, 64 KiB read), and bench/report.py shows its ratio to
# each target's reference (brd or null_blk) next to the target.
#
# Tools (--tools, default both): "fio" runs the job file; "ubench" runs the
# equivalent uringblk-bench (build/cmake/bin/uringblk-bench or $UBK_BENCH:
# same rw, bs, queue depth, polling, region, runtime and ramp) on every device,
# in the same rotated order right after fio; and on the workloads matching
# --fx-workloads (default "iops-rand*-4k-qd32*") the "driver-exposing" tool
# "ubench-fx" = uringblk-bench with --fx-args (default "--fixed-buffers
# --fixed-files --batch-submit 8 --batch-complete 8"), which takes most of
# the submission-side cost out of the measurement.
#
# Polled workloads on a device without poll queues (brd): a probe at start
# submits a few polled reads with fio (hipri=1) and uringblk-bench (--poll).
# Where they fail (6.12: EOPNOTSUPP), that device runs the polled workloads
# interrupt-style (fio hipri=0, uringblk-bench without --poll): brd completes
# every bio inline in the submitter either way; the probe results and the
# mode used are recorded ("polled_runs"). --no-poll-fallback disables this.
#
# Results: DIR (default /tmp/uringblk-bench) gets compare.json, compare.md,
# results.tsv, records.tsv (every measurement of every tool, for
# bench/report.py) and the raw fio / uringblk-bench JSON; compare.json,
# compare.md, results.tsv and records.tsv are also printed between
# "=== BEGIN <name>" / "=== END <name>" lines so the host (bench/run.sh) can
# copy them out of the guest. compare.* and results.tsv cover fio only.
#
# Exit status: 0 when every measurement ran (missing a target is reported, not
# a failure); 1 when a device could not be set up or a fio run failed; 2 for
# usage errors. Without build/kmod/$(uname -r)/uringblk_driver.ko the uringblk
# part is skipped with a message and brd and null_blk are still measured.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
jobs_dir=$here/fio
lib=$here/lib
# shellcheck source=bench/lib/jobs.sh
. "$lib/jobs.sh"

reps=3
runtime=3
ramp_ms=500
region_mib=256
capacity_gib=1
bs=512
workloads="iops-randread-4k-qd32,iops-randread-4k-qd32-poll,iops-randwrite-4k-qd32,iops-randwrite-4k-qd32-poll,bw-seqread-64k-qd16,bw-seqwrite-64k-qd16,lat-randread-4k-qd1,lat-randread-4k-qd1-poll"
tools="fio,ubench"
ubench=${UBK_BENCH:-$repo/build/cmake/bin/uringblk-bench}
fx_glob="iops-rand*-4k-qd32*"
fx_args="--fixed-buffers --fixed-files --batch-submit 8 --batch-complete 8"
poll_fallback=1
devices="uringblk,brd,null_blk,null_blk-floor"
ubk_params=""
nullb_params=""
# Default variants: block-layer accounting off, and the queue settings the
# packaged udev rule gives every uringblk disk ("as installed"; plain
# "uringblk" is the bare module with the kernel's defaults).
VARIANT_SPECS=("uringblk-nostats=uringblk:iostats=0" "uringblk-installed=uringblk:wbt_lat_usec=0")
variant_glob="iops-randread-4k-*"
host_load=""
clock=""
out=/tmp/uringblk-bench
ko=${UBK_KO:-$repo/build/kmod/$(uname -r)/uringblk_driver.ko}

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--ramp-ms) ramp_ms=$2; shift 2 ;;
	--region) region_mib=$2; shift 2 ;;
	--workloads) workloads=$2; shift 2 ;;
	--devices) devices=$2; shift 2 ;;
	--ubk-params) ubk_params=$2; shift 2 ;;
	--nullb-params) nullb_params=$2; shift 2 ;;
	--variant) VARIANT_SPECS+=("$2"); shift 2 ;;
	--no-nostats | --no-default-variants)
		v=()
		for x in "${VARIANT_SPECS[@]}"; do [[ $x == uringblk-nostats=* || $x == uringblk-installed=* ]] || v+=("$x"); done
		VARIANT_SPECS=("${v[@]}")
		shift
		;;
	--variant-workloads) variant_glob=$2; shift 2 ;;
	--host-load) host_load=$2; shift 2 ;;
	--clock) clock=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--tools) tools=$2; shift 2 ;;
	--fx-workloads) fx_glob=$2; shift 2 ;;
	--fx-args) fx_args=$2; shift 2 ;;
	--no-poll-fallback) poll_fallback=0; shift ;;
	--quick) reps=1; runtime=1; ramp_ms=0; region_mib=128; shift ;;
	-h | --help) usage ;;
	*) echo "compare: unknown option $1" >&2; usage ;;
	esac
done
for v in "$reps" "$runtime" "$ramp_ms" "$region_mib"; do
	[[ $v =~ ^[0-9]+$ ]] || { echo "compare: not a whole number: '$v'" >&2; usage; }
done
[ "$reps" -ge 1 ] && [ "$runtime" -ge 1 ] || { echo "compare: --reps and --runtime must be >= 1" >&2; usage; }
[ "$region_mib" -ge 1 ] && [ "$region_mib" -le $((capacity_gib * 1024)) ] ||
	{ echo "compare: --region must be 1..$((capacity_gib * 1024)) MiB" >&2; usage; }
IFS=, read -r -a WL <<<"$workloads"
IFS=, read -r -a WANT <<<"$devices"
IFS=, read -r -a TOOLS <<<"$tools"
use_fio=0
use_ub=0
for x in "${TOOLS[@]}"; do
	case $x in
	fio) use_fio=1 ;;
	ubench) use_ub=1 ;;
	*) echo "compare: --tools: fio and/or ubench, not '$x'" >&2; exit 2 ;;
	esac
done
[ $use_fio = 1 ] || [ $use_ub = 1 ] || { echo "compare: --tools: none given" >&2; exit 2; }
for w in "${WL[@]}"; do
	[ -f "$jobs_dir/$w.fio" ] || { echo "compare: no job file $jobs_dir/$w.fio" >&2; exit 2; }
done

log() { echo "compare: $*"; }
fatal() {
	echo "compare: ERROR: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || fatal "must run as root (inside the test-bed guest: bench/run.sh)"
command -v fio >/dev/null || fatal "fio not found"
if [ $use_ub = 1 ] && [ ! -x "$ubench" ]; then
	fatal "$ubench not built (make userspace), or --tools fio"
fi

mkdir -p "$out/raw" || fatal "cannot create $out"
rm -f "$out"/raw/*.json "$out"/raw/*.err "$out"/*.tsv
records=$out/records.tsv
results=$out/results.tsv
: >"$records"
: >"$results"
rec() { (IFS=$'\t'; echo "$*") >>"$records"; }
failures=0

wanted() {
	local d
	for d in "${WANT[@]}"; do [ "$d" = "$1" ] && return 0; done
	return 1
}
wait_dev() {
	local i
	for i in $(seq 100); do
		[ -b "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
mem_mib() { awk '$1 == "MemAvailable:" { print int($2 / 1024) }' /proc/meminfo; }

# ---------------------------------------------------------------- devices
declare -A PATH_OF PARAMS_OF
DEVS=()

if wanted uringblk && [ ! -f "$ko" ] && [ -z "${UBK_KO:-}" ]; then
	# build/kmod/<dir> is named after the headers' kernel.release, which
	# need not be uname -r (Debian: 6.1.192 vs 6.1.0-56-amd64): take the
	# build whose vermagic is this kernel.
	for k in "$repo"/build/kmod/*/uringblk_driver.ko; do
		[ -f "$k" ] || continue
		if [ "$(modinfo -F vermagic "$k" 2>/dev/null | cut -d' ' -f1)" = "$(uname -r)" ]; then
			log "using $k (vermagic $(uname -r))"
			ko=$k
			break
		fi
	done
fi
if wanted uringblk; then
	if [ ! -f "$ko" ]; then
		log "SKIP uringblk: $ko not built (make kmod-all); measuring brd and null_blk only"
	elif [ -d /sys/module/uringblk_driver ]; then
		fatal "uringblk_driver is already loaded"
	else
		p="capacity_mb=$((capacity_gib * 1024)) $ubk_params"
		# shellcheck disable=SC2086
		insmod "$ko" $p || fatal "insmod $ko $p failed"
		wait_dev /dev/uringblk0 || fatal "/dev/uringblk0 did not appear"
		PATH_OF[uringblk]=/dev/uringblk0
		PARAMS_OF[uringblk]="insmod uringblk_driver.ko $p"
		DEVS+=(uringblk)
	fi
fi
if wanted brd; then
	[ -d /sys/module/brd ] && fatal "brd is already loaded"
	p="rd_nr=1 rd_size=$((capacity_gib * 1024 * 1024)) max_part=0"
	# shellcheck disable=SC2086
	modprobe brd $p || fatal "modprobe brd $p failed"
	wait_dev /dev/ram0 || fatal "/dev/ram0 did not appear"
	PATH_OF[brd]=/dev/ram0
	PARAMS_OF[brd]="modprobe brd $p"
	DEVS+=(brd)
fi
if wanted null_blk; then
	[ -d /sys/module/null_blk ] && fatal "null_blk is already loaded"
	# One submission queue per CPU like uringblk's default, plus one poll
	# queue for the hipri=1 runs; otherwise null_blk's defaults.
	p="nr_devices=1 memory_backed=1 gb=$capacity_gib bs=$bs submit_queues=$(nproc) poll_queues=1 $nullb_params"
	# shellcheck disable=SC2086
	modprobe null_blk $p || fatal "modprobe null_blk $p failed"
	wait_dev /dev/nullb0 || fatal "/dev/nullb0 did not appear"
	PATH_OF[null_blk]=/dev/nullb0
	PARAMS_OF[null_blk]="modprobe null_blk $p"
	DEVS+=(null_blk)
fi
if wanted null_blk-floor; then
	[ -d /sys/module/null_blk ] || modprobe null_blk nr_devices=0 || fatal "modprobe null_blk nr_devices=0 failed"
	modprobe configfs 2>/dev/null
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config ||
		fatal "cannot mount configfs (null_blk-floor)"
	nbf=/sys/kernel/config/nullb/nullb_floor
	[ -e $nbf ] && fatal "$nbf exists already"
	mkdir $nbf || fatal "mkdir $nbf (null_blk without configfs?)"
	p="size=$((capacity_gib * 1024)) blocksize=$bs submit_queues=$(nproc) poll_queues=1 memory_backed=0 irqmode=0"
	for kv in $p power=1; do
		echo "${kv#*=}" >"$nbf/${kv%%=*}" || fatal "null_blk-floor: cannot set $kv"
	done
	# the disk is named after the configfs directory on 6.1 and 6.12;
	# older null_blk named it nullb<index>
	PATH_OF[null_blk-floor]=/dev/${nbf##*/}
	wait_dev "${PATH_OF[null_blk-floor]}" || PATH_OF[null_blk-floor]=/dev/nullb$(cat $nbf/index)
	wait_dev "${PATH_OF[null_blk-floor]}" || fatal "null_blk-floor: neither /dev/${nbf##*/} nor ${PATH_OF[null_blk-floor]} appeared"
	PARAMS_OF[null_blk-floor]="null_blk configfs: $p"
	DEVS+=(null_blk-floor)
fi
[ ${#DEVS[@]} -gt 0 ] || fatal "no device to measure"
for d in "${DEVS[@]}"; do
	dv=${PATH_OF[$d]}
	sz=$(blockdev --getsize64 "$dv") || fatal "blockdev $dv"
	ss=$(blockdev --getss "$dv")
	[ "$sz" = $((capacity_gib << 30)) ] || fatal "$d: capacity $sz bytes, want $((capacity_gib << 30))"
	[ "$ss" = "$bs" ] || fatal "$d: logical block size $ss, want $bs"
done

# -------------------------------------------------------------- pre-fill
# Write the whole measured region once, so that reads hit allocated pages and
# writes overwrite them (no first-touch allocation during the measurement).
for d in "${DEVS[@]}"; do
	dv=${PATH_OF[$d]}
	before=$(mem_mib)
	t0=$(date +%s.%N)
	fio --name=prefill --filename="$dv" --ioengine=io_uring --direct=1 --rw=write \
		--bs=1M --iodepth=8 --size="${region_mib}M" --output="$out/prefill-$d.txt" ||
		{ cat "$out/prefill-$d.txt" >&2; fatal "$d: pre-fill failed"; }
	after=$(mem_mib)
	log "pre-filled $region_mib MiB of $d ($dv) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; MemAvailable -$((before - after)) MiB"
done

# ------------------------------------------------------- polled I/O probe
# jobval WORKLOAD KEY: the value of KEY= in the job file ("" when absent)
any_polled=0
for w in "${WL[@]}"; do polled "$w" && any_polled=1; done
# POLL_MODE[dev]: "iopoll" (polled workloads run polled) or "interrupt"
# (the device rejects polled I/O: they run interrupt-style on it)
declare -A POLL_MODE PROBE_FIO PROBE_UB
for d in "${DEVS[@]}"; do
	POLL_MODE[$d]=iopoll
	PROBE_FIO[$d]=n/a
	PROBE_UB[$d]=n/a
	[ $any_polled = 1 ] || continue
	dv=${PATH_OF[$d]}
	fio --name=pollprobe --filename="$dv" --ioengine=io_uring --direct=1 --hipri=1 --rw=randread \
		--bs=4k --iodepth=1 --size=1M --number_ios=16 --output-format=json \
		--output="$out/raw/pollprobe-$d.json" >/dev/null 2>"$out/raw/pollprobe-$d.err"
	rc=$?
	e=$(awk -f "$lib/fio-json.awk" "$out/raw/pollprobe-$d.json" 2>/dev/null | awk -F '\t' '$1 == "jobs.0.error" { print $2 }')
	if [ $rc = 0 ] && [ "$e" = 0 ]; then PROBE_FIO[$d]=ok; else PROBE_FIO[$d]="fails (status $rc, error ${e:-?}: $(tr '\n' ' ' <"$out/raw/pollprobe-$d.err" | cut -c1-120))"; fi
	if [ $use_ub = 1 ]; then
		if "$ubench" iops -d "$dv" --poll --qd 1 --count 16 --size 1048576 -o json -q \
			>"$out/raw/pollprobe-ub-$d.json" 2>"$out/raw/pollprobe-ub-$d.err"; then
			PROBE_UB[$d]=ok
		else
			PROBE_UB[$d]="fails ($(tr '\n' ' ' <"$out/raw/pollprobe-ub-$d.err" | cut -c1-120))"
		fi
	fi
	if [ $poll_fallback = 1 ] && { [ "${PROBE_FIO[$d]}" != ok ] || [[ ${PROBE_UB[$d]} == fails* ]]; }; then
		POLL_MODE[$d]=interrupt
	fi
	log "polled I/O on $d: fio hipri=1 ${PROBE_FIO[$d]}; uringblk-bench --poll ${PROBE_UB[$d]}; polled workloads run ${POLL_MODE[$d]}"
done

# ------------------------------------------------------- device metadata
sched_of() { # the active scheduler: "[x]" in the list, or the only entry
	local s
	s=$(cat "/sys/block/$1/queue/scheduler" 2>/dev/null) || return 0
	case $s in *\[*) s=${s#*[}; s=${s%%]*} ;; esac
	echo "$s"
}
describe() { # describe NAME DEVICE-NAME-IN-OUTPUT
	local d=$1 o=$2 n s
	n=$(basename "${PATH_OF[$d]}")
	rec O "$o"
	rec D "$o" path s "${PATH_OF[$d]}"
	rec D "$o" params s "${PARAMS_OF[$d]}"
	rec D "$o" capacity_bytes n "$(blockdev --getsize64 "${PATH_OF[$d]}")"
	rec D "$o" logical_block_size n "$(blockdev --getss "${PATH_OF[$d]}")"
	s=$(sched_of "$n")
	rec D "$o" scheduler s "${s:-n/a}"
	rec D "$o" nr_hw_queues n "$(find "/sys/block/$n/mq" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)"
	rec D "$o" nr_requests s "$(cat "/sys/block/$n/queue/nr_requests" 2>/dev/null || echo n/a)"
	rec D "$o" io_poll s "$(cat "/sys/block/$n/queue/io_poll" 2>/dev/null || echo n/a)"
	rec D "$o" write_cache s "$(cat "/sys/block/$n/queue/write_cache" 2>/dev/null || echo n/a)"
	rec D "$o" iostats s "$(cat "/sys/block/$n/queue/iostats" 2>/dev/null || echo n/a)"
	rec D "$o" wbt_lat_usec s "$(cat "/sys/block/$n/queue/wbt_lat_usec" 2>/dev/null || echo n/a)"
	rec D "$o" poll_probe_fio s "${PROBE_FIO[$d]}"
	rec D "$o" poll_probe_ubench s "${PROBE_UB[$d]}"
	rec D "$o" polled_runs s "${POLL_MODE[$d]}"
}
ORDER=("${DEVS[@]}")
for d in "${DEVS[@]}"; do describe "$d" "$d"; done
# Variants: NAME=BASE:ATTR=VAL,... -> $out/variant-NAME-on.sh / -off.sh set
# and restore the queue attributes; the fio job runs them as exec_prerun /
# exec_postrun.
VARIANTS=()
for spec in "${VARIANT_SPECS[@]}"; do
	[[ $spec =~ ^([A-Za-z0-9_.-]+)=([A-Za-z0-9_]+):([A-Za-z0-9_]+=[^,]+(,[A-Za-z0-9_]+=[^,]+)*)$ ]] ||
		{ echo "compare: bad --variant '$spec' (NAME=BASE:ATTR=VAL[,ATTR=VAL...])" >&2; exit 2; }
	vname=${BASH_REMATCH[1]}
	vbase=${BASH_REMATCH[2]}
	vattrs=${BASH_REMATCH[3]}
	if [ -z "${PATH_OF[$vbase]:-}" ]; then
		log "SKIP variant $vname: $vbase is not measured"
		continue
	fi
	q=/sys/block/$(basename "${PATH_OF[$vbase]}")/queue
	on="#!/bin/sh"
	off="#!/bin/sh"
	ok=1
	IFS=, read -r -a kvs <<<"$vattrs"
	for kv in "${kvs[@]}"; do
		a=${kv%%=*}
		if [ ! -w "$q/$a" ]; then
			log "SKIP variant $vname: $q/$a is not writable"
			ok=0
			break
		fi
		on+=$'\n'"echo '${kv#*=}' >$q/$a"
		off+=$'\n'"echo '$(cat "$q/$a")' >$q/$a"
	done
	[ $ok = 1 ] || continue
	printf '%s\n' "$on" >"$out/variant-$vname-on.sh"
	printf '%s\n' "$off" >"$out/variant-$vname-off.sh"
	chmod +x "$out/variant-$vname-on.sh" "$out/variant-$vname-off.sh"
	PATH_OF[$vname]=${PATH_OF[$vbase]}
	POLL_MODE[$vname]=${POLL_MODE[$vbase]}
	PROBE_FIO[$vname]=${PROBE_FIO[$vbase]}
	PROBE_UB[$vname]=${PROBE_UB[$vbase]}
	PARAMS_OF[$vname]="${PARAMS_OF[$vbase]}; queue/ ${vattrs//,/ } during its runs"
	"$out/variant-$vname-on.sh"
	describe "$vname" "$vname"
	"$out/variant-$vname-off.sh"
	VARIANTS+=("$vname")
	ORDER+=("$vname")
done
variants_off() {
	local v
	for v in "${VARIANTS[@]}"; do "$out/variant-$v-off.sh"; done
}
# devices_for WORKLOAD: the devices and variants that run it (the floor
# only the workloads that have targets: 4 KiB, 64 KiB read)
devices_for() {
	local v d
	for d in "${DEVS[@]}"; do
		[ "$d" = null_blk-floor ] && [[ $1 != *-4k-* && $1 != bw-seqread-* ]] && continue
		echo "$d"
	done
	# shellcheck disable=SC2053
	[[ $1 == $variant_glob ]] || return 0
	for v in "${VARIANTS[@]}"; do echo "$v"; done
}

for d in "${ORDER[@]}"; do
	log "device $d: ${PATH_OF[$d]}: ${PARAMS_OF[$d]} (scheduler $(sched_of "$(basename "${PATH_OF[$d]}")"))"
done

# ------------------------------------------------------------- workloads
wtitle() { sed -n '1s/^; *//p' "$jobs_dir/$1.fio"; }
wdir() { case "$1" in *read*) echo read ;; *) echo write ;; esac; }
for w in "${WL[@]}"; do rec W "$w" "$(wdir "$w")" "$(wtitle "$w")"; done

# Targets (docs/performance.md, "Targets"): uringblk/brd and uringblk/null_blk
# of the median IOPS; "-" marks a ratio reported for information. Latency
# targets (QD1 p50) are evaluated by bench/report.py.
target() { # target WORKLOAD NUM DEN VALUE
	local w
	for w in "${WL[@]}"; do [ "$w" = "$1" ] && rec T "$1" "$2" "$3" "$4" && return; done
}
target iops-randread-4k-qd32-poll uringblk brd 1.10
target iops-randwrite-4k-qd32-poll uringblk brd 1.10
target iops-randread-4k-qd32 uringblk brd 1.00
target iops-randwrite-4k-qd32 uringblk brd 1.00
target iops-randread-4k-qd32-poll uringblk null_blk 1.30
target iops-randwrite-4k-qd32-poll uringblk null_blk 1.30
target iops-randread-4k-qd32 uringblk null_blk 1.30
target iops-randwrite-4k-qd32 uringblk null_blk 1.30
target bw-seqread-64k-qd16 uringblk brd 1.00
target bw-seqread-64k-qd16 uringblk null_blk -
target bw-seqwrite-64k-qd16 uringblk brd -
target bw-seqwrite-64k-qd16 uringblk null_blk -
for w in "${WL[@]}"; do
	for v in "${VARIANTS[@]}"; do
		# shellcheck disable=SC2053
		[[ $w == $variant_glob ]] && target "$w" "$v" brd -
	done
done
for w in "${WL[@]}"; do target "$w" brd null_blk -; done
# any other workload given with --workloads: report its ratios too
t=$'\t'
for w in "${WL[@]}"; do
	grep -q "^T${t}${w}${t}uringblk${t}brd${t}" "$records" || target "$w" uringblk brd -
done

kver=$(uname -r)
rec M date s "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
rec M kernel s "$kver"
rec M cpus n "$(nproc)"
rec M mem_mib n "$(awk '$1 == "MemTotal:" { print int($2 / 1024) }' /proc/meminfo)"
rec M fio_version s "$(fio --version)"
rec M reps n "$reps"
rec M runtime_s n "$runtime"
rec M ramp_s n "$(awk -v m="$ramp_ms" 'BEGIN { print m / 1000 }')"
rec M region_mib n "$region_mib"
rec M capacity_mib n "$((capacity_gib * 1024))"
rec M logical_block_size n "$bs"
rec M uringblk_present b "$([ -n "${PATH_OF[uringblk]:-}" ] && echo true || echo false)"
if [ -n "${PATH_OF[uringblk]:-}" ]; then
	rec M uringblk_ko s "${ko#"$repo"/}"
	rec M uringblk_srcversion s "$(modinfo -F srcversion "$ko" 2>/dev/null)"
	rec M uringblk_ko_md5 s "$(md5sum <"$ko" | cut -d' ' -f1)"
fi
rec M host_load s "${host_load:-unknown}"
rec M clock s "${clock:-host}"
rec M tools s "$tools"
if [ $use_ub = 1 ]; then
	rec M ubench s "${ubench#"$repo"/}"
	rec M ubench_fx_args s "$fx_args"
	rec M ubench_fx_workloads s "$fx_glob"
fi
rec M poll_fallback b "$([ $poll_fallback = 1 ] && echo true || echo false)"
rec M clocksource s "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)"

# ------------------------------------------------------------ measuring
# One fio process per (repetition, workload): the workload's job file becomes
# the [global] section and each device one stonewalled job, in the rotated
# order, so the devices run one after the other and fio's start-up (seconds
# under TCG) is paid once per workload, not once per device.
# run_workload REP WORKLOAD DEVICE...
run_workload() {
	local r=$1 w=$2 d jf j rc dir lines
	shift 2
	dir=$(wdir "$w")
	jf="$out/raw/r$r.$w.fio"
	j="$out/raw/r$r.$w.json"
	{
		echo "; generated by bench/compare.sh from bench/fio/$w.fio"
		echo "[global]"
		sed -e '/^[[:space:]]*[;#]/d' -e '/^[[:space:]]*\[/d' -e '/^[[:space:]]*$/d' "$jobs_dir/$w.fio"
		echo "size=${region_mib}M"
		echo "time_based=1"
		echo "runtime=$runtime"
		echo "ramp_time=${ramp_ms}ms"
		# total latency (lat: submission to completion) percentiles; clat
		# starts when io_uring_enter() returns, after a RAM disk has done
		# the whole I/O inside it
		echo "lat_percentiles=1"
		for d in "$@"; do
			echo
			echo "[$d]"
			echo "stonewall"
			echo "filename=${PATH_OF[$d]}"
			if [ "${POLL_MODE[$d]}" = interrupt ] && polled "$w"; then
				echo "; $d rejects polled I/O: interrupt-style (bench/compare.sh, polled_runs)"
				echo "hipri=0"
			fi
			if [ -x "$out/variant-$d-on.sh" ]; then
				echo "exec_prerun=$out/variant-$d-on.sh"
				echo "exec_postrun=$out/variant-$d-off.sh"
			fi
		done
	} >"$jf"
	(cd "$out/raw" && fio --output-format=json --output="$j" "$jf" 2>"$out/raw/r$r.$w.err")
	rc=$?
	variants_off
	# one "R" record per job that ran without error
	lines=$(awk -f "$lib/fio-json.awk" "$j" 2>/dev/null | awk -F '\t' -v r="$r" -v w="$w" -v dir="$dir" '
		split($1, p, ".") >= 3 && p[1] == "jobs" {
			i = p[2]
			if (!(i in seen)) { seen[i] = 1; order[++n] = i }
			rest = substr($1, length(p[1]) + length(p[2]) + 3)
			if (rest == "jobname") name[i] = $2
			else if (rest == "error") err[i] = $2
			else if (rest == dir ".iops") iops[i] = $2
			else if (rest == dir ".bw_bytes") bw[i] = $2
			else if (rest == dir ".lat_ns.percentile.50.000000") p50[i] = $2
			else if (rest == dir ".lat_ns.percentile.99.000000") p99[i] = $2
			else if (rest == dir ".lat_ns.mean") mean[i] = $2
			else if (rest == "usr_cpu") ucpu[i] = $2
			else if (rest == "sys_cpu") scpu[i] = $2
		}
		END {
			for (x = 1; x <= n; x++) {
				i = order[x]
				if (err[i] != "0" || iops[i] == "" || iops[i] + 0 <= 0 || p50[i] == "" || p99[i] == "")
					continue
				printf "R\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.4f\n", r, w, name[i], iops[i], bw[i], p50[i], p99[i], mean[i], (ucpu[i] + scpu[i]) / 100 * 1e6 / iops[i]
			}
		}')
	for d in "$@"; do
		if ! printf '%s\n' "$lines" | awk -F '\t' -v d="$d" '$4 == d { f = 1 } END { exit !f }'; then
			failures=$((failures + 1))
			echo "compare: FAILED: rep $r $w on $d (${PATH_OF[$d]}): fio status $rc" >&2
		fi
	done
	if [ $rc != 0 ] || [ -z "$lines" ]; then
		sed 's/^/  fio: /' "$out/raw/r$r.$w.err" >&2
	fi
	[ -n "$lines" ] || return 0
	# R (fio, for aggregate.awk) without the CPU column; X (every tool):
	# X rep workload tool device iops bw_bytes p50_ns p99_ns mean_ns cpu_us_per_io
	printf '%s\n' "$lines" | cut -f1-9 >>"$records"
	printf '%s\n' "$lines" | awk -F '\t' -v OFS='\t' '{ print "X", $2, $3, "fio", $4, $5, $6, $7, $8, $9, $10 }' >>"$records"
	printf '%s\n' "$lines" | cut -f2-9 >>"$results"
	printf '%s\n' "$lines" | awk -F '\t' '{ printf "  rep %s  %-28s %-17s %10.0f IOPS %8.1f MiB/s  p50 %8.1f us  p99 %8.1f us\n", $2, $3, $4, $5, $6 / 1048576, $7 / 1000, $8 / 1000 }'
}

# ubench_args WORKLOAD TOOL DEVICE: the uringblk-bench command line
# equivalent to the fio job (bench/lib/jobs.sh)
ubench_args() {
	local w=$1 tool=$2 d=$3 poll=0 a
	if polled "$w" && [ "${POLL_MODE[$d]}" != interrupt ]; then poll=1; fi
	a=$(ubench_job_args "$w" "${PATH_OF[$d]}" "$runtime" \
		"$(awk -v m="$ramp_ms" 'BEGIN { print m / 1000 }')" $((region_mib << 20)) $poll)
	[ "$tool" = ubench-fx ] && a+=" $fx_args"
	echo "$a -o json -q"
}
# run_ubench REP WORKLOAD TOOL DEVICE...: one uringblk-bench process per device
run_ubench() {
	local r=$1 w=$2 tool=$3 d j a rc line
	shift 3
	for d in "$@"; do
		j="$out/raw/r$r.$w.$tool.$d.json"
		a=${UBARGS["$w|$tool|$d"]}
		[ -x "$out/variant-$d-on.sh" ] && "$out/variant-$d-on.sh"
		# shellcheck disable=SC2086
		"$ubench" $a >"$j" 2>"${j%.json}.err"
		rc=$?
		[ -x "$out/variant-$d-off.sh" ] && "$out/variant-$d-off.sh"
		line=$(awk -f "$lib/fio-json.awk" "$j" 2>/dev/null | awk -F '\t' -v OFS='\t' -v r="$r" -v w="$w" -v t="$tool" -v d="$d" '
			{ v[$1] = $2 }
			END {
				if (v["tool"] != "uringblk-bench" || v["results.0.iops"] + 0 <= 0)
					exit
				printf "X\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%s\n", r, w, t, d,
					v["results.0.iops"], v["results.0.bw_mib_s"] * 1048576,
					v["results.0.lat_us.p50"] * 1000, v["results.0.lat_us.p99"] * 1000,
					v["results.0.lat_us.mean"] * 1000, v["results.0.cpu.us_per_io"]
			}')
		if [ $rc != 0 ] || [ -z "$line" ]; then
			failures=$((failures + 1))
			echo "compare: FAILED: rep $r $w $tool on $d: uringblk-bench $a: status $rc" >&2
			sed 's/^/  uringblk-bench: /' "${j%.json}.err" >&2
			continue
		fi
		printf '%s\n' "$line" >>"$records"
		printf '%s\n' "$line" | awk -F '\t' '{ printf "  rep %s  %-28s %-17s %10.0f IOPS %8.1f MiB/s  p50 %8.1f us  p99 %8.1f us  %6.2f us CPU/IO  [%s]\n", $2, $3, $5, $6, $7 / 1048576, $8 / 1000, $9 / 1000, $11, $4 }'
	done
}
# tools_for WORKLOAD: the uringblk-bench tools that run it
ub_tools_for() {
	[ $use_ub = 1 ] || return 0
	echo ubench
	# shellcheck disable=SC2053
	[[ $1 == $fx_glob ]] && echo ubench-fx
	return 0
}

# the command lines, once (forks are slow under TCG)
declare -A UBARGS
for w in "${WL[@]}"; do
	for tool in $(ub_tools_for "$w"); do
		for d in $(devices_for "$w"); do
			UBARGS["$w|$tool|$d"]=$(ubench_args "$w" "$tool" "$d")
		done
	done
done

njobs=0
nfio=0
for w in "${WL[@]}"; do
	nd=$(devices_for "$w" | wc -l)
	[ $use_fio = 1 ] && nfio=$((nfio + nd))
	njobs=$((njobs + nd * ($use_fio + $(ub_tools_for "$w" | grep -c .))))
done
log "tools: $tools; $reps repetitions x $njobs runs of $runtime s + ${ramp_ms} ms: about $(((reps * (njobs * (runtime + 2) + ${#WL[@]} * 3) + 59) / 60)) min"

printf 'rep\tworkload\tdevice\tiops\tbw_bytes\tp50_ns\tp99_ns\tlat_mean_ns\n' >"$results"
t_start=$SECONDS
for ((r = 1; r <= reps; r++)); do
	wi=0
	for w in "${WL[@]}"; do
		mapfile -t list <<<"$(devices_for "$w")"	# (the guest has no /dev/fd)
		n=${#list[@]}
		rot=$(((r - 1 + wi) % n))
		order=()
		for ((i = 0; i < n; i++)); do order+=("${list[$(((i + rot) % n))]}"); done
		[ $use_fio = 1 ] && run_workload "$r" "$w" "${order[@]}"
		for tool in $(ub_tools_for "$w"); do
			run_ubench "$r" "$w" "$tool" "${order[@]}"
		done
		wi=$((wi + 1))
	done
done
nres=$(grep -c '^X	' "$records")
log "measured in $((SECONDS - t_start)) s: $nres of $((reps * njobs)) runs, $failures failed"
[ "$nres" -gt 0 ] || fatal "no measurement succeeded"
[ "$nres" = $((reps * njobs)) ] || [ "$failures" -gt 0 ] || failures=$((reps * njobs - nres))

# ----------------------------------------------------------- reporting
awk -v out=json -f "$lib/aggregate.awk" "$records" >"$out/compare.json" || fatal "aggregation failed"
awk -v out=md -f "$lib/aggregate.awk" "$records" >"$out/compare.md" || fatal "aggregation failed"
echo
awk -v out=text -f "$lib/aggregate.awk" "$records" || fatal "aggregation failed"
if [ -z "${PATH_OF[uringblk]:-}" ]; then
	echo "compare: uringblk was not measured (module not built): no uringblk ratio"
fi
echo
for f in compare.json compare.md results.tsv records.tsv; do
	echo "=== BEGIN $f"
	cat "$out/$f"
	echo "=== END $f"
done

# Unload (the guest is thrown away, but a clean unload belongs to the run).
for d in "${DEVS[@]}"; do
	case $d in
	uringblk) rmmod uringblk_driver || { echo "compare: rmmod uringblk_driver failed" >&2; failures=$((failures + 1)); } ;;
	brd) rmmod brd || true ;;
	null_blk) rmmod null_blk || true ;;
	null_blk-floor)
		if echo 0 >"$nbf/power"; then rmdir "$nbf" || true; fi
		[ -d /sys/module/null_blk ] && ! wanted null_blk && { rmmod null_blk || true; }
		;;
	esac
done

[ $failures = 0 ] || { echo "compare: $failures measurement(s) failed" >&2; exit 1; }
exit 0
