#!/usr/bin/env bash
# Where does the time go? Profile one workload on one device with perf
# (software cpu-clock sampling: the TCG guest has no PMU). Runs INSIDE the
# test-bed guest, as root, in the repository root:
#
#   tests/vm/run [--kernel 6.1|6.12] -- bench/profile.sh [--device D]
#       [--workload W] [--runtime S] [--region MiB] [--params "k=v ..."]
#       [--iostats 0|1] [--wbt USEC] [--callers] [--chains SYM,...]
#       [--tree SYM,...] [--top N]
#
# D: uringblk (default), brd or null_blk (memory_backed=1 unless --params
# says otherwise). W: a bench/fio job name (default iops-randread-4k-qd32).
# Prints fio's result, the flat profile (self time per symbol, all CPUs) and,
# with --callers, the call chains into the top symbols; with --chains, who
# calls the given kernel symbols (e.g. read_hpet,ktime_get); with --tree,
# what the given symbols spend their time in (inclusive, callee tree, e.g.
# __blkdev_direct_IO_async to compare drivers per I/O). Exit status non-zero
# when the device, fio or perf fails.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
device=uringblk
workload=iops-randread-4k-qd32
runtime=5
region=256
params=""
iostats=""
callers=0
chains=""
tree=""
wbt=""
top=45

while [ $# -gt 0 ]; do
	case "$1" in
	--device) device=$2; shift 2 ;;
	--workload) workload=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--region) region=$2; shift 2 ;;
	--params) params=$2; shift 2 ;;
	--iostats) iostats=$2; shift 2 ;;
	--callers) callers=1; shift ;;
	--chains) chains=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--wbt) wbt=$2; shift 2 ;;
	--top) top=$2; shift 2 ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2 ;;
	*) echo "profile: unknown option $1" >&2; exit 2 ;;
	esac
done
job=$here/fio/$workload.fio
[ -f "$job" ] || { echo "profile: no job $job" >&2; exit 2; }
die() { echo "profile: ERROR: $*" >&2; exit 1; }
command -v perf >/dev/null || die "perf not installed (linux-perf)"

case $device in
uringblk)
	ko=$repo/build/kmod/$(uname -r)/uringblk_driver.ko
	if [ ! -f "$ko" ]; then
		for k in "$repo"/build/kmod/*/uringblk_driver.ko; do
			[ "$(modinfo -F vermagic "$k" 2>/dev/null | cut -d' ' -f1)" = "$(uname -r)" ] && ko=$k && break
		done
	fi
	[ -f "$ko" ] || die "module not built for $(uname -r)"
	# shellcheck disable=SC2086
	insmod "$ko" capacity_mb=1024 $params || die "insmod"
	dev=/dev/uringblk0
	;;
brd)
	# shellcheck disable=SC2086
	modprobe brd rd_nr=1 rd_size=1048576 max_part=0 $params || die "modprobe brd"
	dev=/dev/ram0
	;;
null_blk)
	# shellcheck disable=SC2086
	modprobe null_blk nr_devices=1 memory_backed=1 gb=1 bs=512 submit_queues="$(nproc)" poll_queues=1 $params ||
		die "modprobe null_blk"
	dev=/dev/nullb0
	;;
*) die "unknown device $device" ;;
esac
for _ in $(seq 100); do [ -b $dev ] && break; sleep 0.1; done
[ -b $dev ] || die "$dev did not appear"
n=$(basename $dev)
[ -n "$iostats" ] && echo "$iostats" >/sys/block/$n/queue/iostats
[ -n "$wbt" ] && echo "$wbt" >/sys/block/$n/queue/wbt_lat_usec
echo "profile: $device $dev ($params) scheduler=$(cat /sys/block/$n/queue/scheduler)" \
	"iostats=$(cat /sys/block/$n/queue/iostats) hctx=$(ls /sys/block/$n/mq 2>/dev/null | wc -l)" \
	"nr_requests=$(cat /sys/block/$n/queue/nr_requests)" \
	"wbt_lat_usec=$(cat /sys/block/$n/queue/wbt_lat_usec 2>/dev/null || echo n/a)" \
	"clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

fio --name=prefill --filename=$dev --ioengine=io_uring --direct=1 --rw=write --bs=1M \
	--iodepth=8 --size="${region}M" --output=/dev/null || die "pre-fill"

echo 0 >/proc/sys/kernel/kptr_restrict 2>/dev/null
echo -1 >/proc/sys/kernel/perf_event_paranoid 2>/dev/null
cd /tmp || exit 1
# Sample the steady state only. perf starts first with its events disabled
# (its start-up takes long under TCG); fio starts (seconds: it maps the
# ceph/rbd libraries it links); once fio's status line shows I/O, wait 2 s,
# enable sampling through perf's control FIFO for $runtime s, then stop
# both (fio on SIGINT still reports).
# perf scans /lib/modules/<release> at start-up; in the test bed that tree is
# on 9p and the scan takes minutes: hide it (module symbols come from
# /proc/kallsyms anyway).
hide_modules='mount -t tmpfs none "/lib/modules/$(uname -r)" && exec perf "$@"'
perfq() { unshare -m sh -c "$hide_modules" perf "$@"; }
rm -f /tmp/perf.ctl /tmp/perf.ack
mkfifo /tmp/perf.ctl /tmp/perf.ack || die "mkfifo"
# not through perfq: $! must be perf itself (unshare and sh exec it)
unshare -m sh -c "$hide_modules" perf record -q -B -N -a -g -e cpu-clock -F 1999 -o /tmp/perf.data -D -1 \
	--control fifo:/tmp/perf.ctl,/tmp/perf.ack -- sleep 100000 >/tmp/perf.log 2>&1 &
ppid=$!
echo "profile: perf started (pid $ppid) at ${SECONDS}s"
exec 8<>/tmp/perf.ctl 9<>/tmp/perf.ack
perf_ctl() { # perf_ctl enable|disable: send and wait for the ack
	echo "$1" >&8
	read -r -t 300 _ <&9 || die "perf did not acknowledge '$1' ($(cat /tmp/perf.log))"
}
stdbuf -oL fio --filename=$dev --size="${region}M" --time_based --runtime=$((runtime + 300)) \
	--eta=always --eta-newline=1 --output-format=normal "$job" >/tmp/fio.txt 2>&1 &
fpid=$!
echo "profile: fio started (pid $fpid) at ${SECONDS}s"
for _ in $(seq 600); do
	grep -q 'IOPS\]' /tmp/fio.txt && break
	kill -0 $fpid 2>/dev/null || break
	sleep 0.2
done
kill -0 $fpid 2>/dev/null || { cat /tmp/fio.txt; die "fio ended early"; }
sleep 2
echo "profile: fio running at ${SECONDS}s; sampling"
l0=$(wc -l </tmp/fio.txt)
perf_ctl enable
sleep "$runtime"
perf_ctl disable
l1=$(wc -l </tmp/fio.txt)
# fio's status lines during the window: "[r=10.7k IOPS]" -> mean IOPS
win_iops=$(sed -n "$((l0 + 1)),${l1}p" /tmp/fio.txt | tr '\r' '\n' |
	sed -n 's/.*[rw]=\([0-9.]*\)\([kM]\{0,1\}\) IOPS\].*/\1 \2/p' |
	awk '{ v = $1 * ($2 == "k" ? 1000 : ($2 == "M" ? 1e6 : 1)); s += v; n++ } END { if (n) printf "%d", s / n }')
echo "profile: sampled until ${SECONDS}s"
# stop PID [SIGNAL]: signal it, give it 60 s, then SIGKILL
stop() {
	case $1 in '' | 0 | *[!0-9]*) return 0 ;; esac
	kill -"${2:-INT}" "$1" 2>/dev/null
	for _ in $(seq 300); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.2
	done
	echo "profile: pid $1 ignored SIG${2:-INT}; killed" >&2
	kill -KILL "$1" 2>/dev/null
}
stop $fpid
wait $fpid
rc=$?
echo "profile: fio stopped (status $rc) at ${SECONDS}s"
# perf ends when its workload (sleep) does
stop "$(pgrep -P $ppid -x sleep | head -1)" TERM
stop $ppid
wait $ppid
echo "profile: perf and fio stopped at ${SECONDS}s"
# fio stopped by SIGINT exits 0 or 128+
if ! grep -q 'err= 0' /tmp/fio.txt || { [ $rc != 0 ] && [ $rc -lt 128 ]; }; then
	cat /tmp/fio.txt
	die "fio failed (status $rc)"
fi
[ -s /tmp/perf.data ] || die "perf recorded nothing ($(cat /tmp/perf.log))"
grep -v '^Jobs' /tmp/fio.txt | grep -E 'IOPS=|clat percentiles|50.00th|99.00th' | head -8
echo "profile: ${win_iops:-?} IOPS (fio status lines) while sampling ${runtime}s"

echo
echo "=== flat profile (self, all CPUs), $device, $workload"
perfq report -i /tmp/perf.data --no-children --sort sym --stdio -g none --percent-limit 0.3 2>/dev/null |
	grep -v '^#' | grep -v '^$' | head -"$top"
echo
echo "=== by command"
perfq report -i /tmp/perf.data --no-children --sort comm --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
echo
echo "=== by module (dso)"
perfq report -i /tmp/perf.data --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -10
echo
echo "=== inclusive (children), fio only"
perfq report -i /tmp/perf.data --children --comm fio --sort sym --stdio -g none --percent-limit 2 2>/dev/null |
	grep -v '^#' | grep -v '^$' | head -"$top"
if [ $callers = 1 ]; then
	echo
	echo "=== call chains (caller graph), fio only"
	perfq report -i /tmp/perf.data --no-children --comm fio --sort sym --stdio -g caller,0.5,callee --percent-limit 2 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -300
fi
if [ -n "$chains" ]; then
	echo
	echo "=== who calls $chains (callee order, all commands)"
	perfq report -i /tmp/perf.data --no-children --symbols "$chains" --sort sym --stdio \
		-g callee,0.5,8 --max-stack 10 2>/dev/null | grep -v '^#' | grep -v '^$' | head -200
fi
if [ -n "$tree" ]; then
	echo
	echo "=== where $tree spend their time (fio only; inclusive samples, % of fio's samples, CPU us per I/O)"
	perfq script -i /tmp/perf.data -F comm,ip,sym 2>/dev/null |
		awk -v syms="$tree" -v comm=fio -v hz=1999 -v ios="$(( ${win_iops:-0} * runtime ))" \
			-f "$here/lib/perf-tree.awk"
fi
exit 0
