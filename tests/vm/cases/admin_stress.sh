#!/usr/bin/env bash
# The admin plane under load, with nr_devices=2:
#  - fio 4k randrw on every hardware queue of uringblk0 for 15 s (io_uring:
#    one job per default queue, pinned one per CPU, and one hipri=1 job per
#    poll queue) while two processes send admin commands in a loop
#    (admin_check loop: on uringblk0 under I/O >= 1000 iterations of
#    IDENTIFY + GET_STATS over URING_CMD and again over ioctl, i.e. >= 2000
#    IDENTIFY and 2000 GET_STATS, for >= 8 s; 500 iterations on the idle
#    uringblk1 at the same time): every answer
#    valid, GET_STATS counters never decrease; afterwards fio saw no error
#    and GET_STATS counted exactly fio's bytes;
#  - ucmd_raw fuzz 10000 random commands on each device;
#  - then no kernel warning (also checked by tests/vm/run), both devices
#    still answer every command correctly, and rmmod works.
. "$(dirname "$0")/../lib.sh"

need_admin
ubk_load nr_devices=2
achk truth uringblk0
achk truth uringblk1

NRQ=$(ubk_attr nr_hw_queues)
PQ=$(ubk_attr poll_queues)
DQ=$((NRQ - PQ))
NCPU=$(nproc)
expect_ge "poll queues" "$PQ" 1
expect_ge "default queues" "$DQ" 1
echo "hardware queues: $NRQ ($DQ default, $PQ poll), $NCPU CPUs"

"$UBK_ADMIN" reset-stats uringblk0 >/dev/null || fail "reset-stats"
FIO_JSON=/tmp/stress.json
# numjobs = nr_hw_queues: the default queues are mapped from the CPUs, so
# their jobs are pinned one per CPU (split); hipri jobs use the poll queues.
fio --output-format=json --output=$FIO_JSON --filename=/dev/uringblk0 --direct=1 \
	--ioengine=io_uring --rw=randrw --bs=4k --size=512M --time_based --runtime=15 \
	--randrepeat=0 --verify_state_save=0 \
	--name=irq --numjobs="$DQ" --iodepth=16 --cpus_allowed="0-$((NCPU - 1))" \
	--cpus_allowed_policy=split \
	--name=poll --numjobs="$PQ" --iodepth=8 --hipri=1 >/tmp/stress.fio.out 2>&1 &
FIO_PID=$!
# Wait for I/O to start before the admin loops.
for _ in $(seq 600); do
	[ "$(ubk_attr read_ops)" -gt 0 ] && break
	kill -0 $FIO_PID 2>/dev/null || break
	sleep 0.1
done
[ "$(ubk_attr read_ops)" -gt 0 ] || { cat /tmp/stress.fio.out; fail "fio did not start"; }

echo "[${SECONDS} s] fio running, admin loops start"
"$ADMIN_CHECK" loop uringblk1 500 0 >/tmp/loop1.out 2>&1 &
LOOP1_PID=$!
"$ADMIN_CHECK" loop uringblk0 1000 8 --require-io || fail "admin loop on uringblk0 under fio"
wait $LOOP1_PID || { cat /tmp/loop1.out; fail "admin loop on the idle uringblk1"; }
cat /tmp/loop1.out
wait $FIO_PID || { cat /tmp/stress.fio.out $FIO_JSON; fail "fio failed"; }
fio_errors_none $FIO_JSON
pass "fio randrw on $NRQ queues: no errors"

# GET_STATS counted exactly fio's bytes (fio's I/Os >= requests: merges).
achk truth uringblk0
J=$("$UBK_ADMIN" stats uringblk0 -o json) || fail "stats"
J=$J python3 - $FIO_JSON "$(ubk_attr polled_completions)" <<'PY' || fail "GET_STATS vs fio"
import json, os, sys
fio = json.load(open(sys.argv[1]))["jobs"]
polled = int(sys.argv[2])
s = json.loads(os.environ["J"])
rb = sum(j["read"]["io_bytes"] for j in fio)
wb = sum(j["write"]["io_bytes"] for j in fio)
rios = sum(j["read"]["total_ios"] for j in fio)
wios = sum(j["write"]["total_ios"] for j in fio)
print(f"fio: {rios} reads ({rb} B), {wios} writes ({wb} B); GET_STATS: {s['read_ops']} reads "
      f"({s['read_bytes']} B), {s['write_ops']} writes ({s['write_bytes']} B), "
      f"queue_full {s['queue_full_events']}, retries {s['retries']}, polled {polled}")
errs = []
if (s["read_bytes"], s["write_bytes"]) != (rb, wb):
    errs.append("bytes differ from fio's")
if not (0 < s["read_ops"] <= rios and 0 < s["write_ops"] <= wios):
    errs.append("ops not in (0, fio's I/Os]")
if s["read_ops"] * 4096 > rb or s["write_ops"] * 4096 > wb:
    errs.append("more requests than 4 KiB pieces")
if s["media_errors"]:
    errs.append("media errors")
if not polled:
    errs.append("no polled completions: hipri did not use a poll queue")
if not (0 < s["p50_read_latency_us"] <= s["p99_read_latency_us"]
        and 0 < s["p50_write_latency_us"] <= s["p99_write_latency_us"]):
    errs.append("latency percentiles")
sys.exit("; ".join(errs) if errs else 0)
PY
pass "GET_STATS counts exactly fio's bytes"

echo "[${SECONDS} s] fuzz"
# Fuzz both devices. The seed is printed; UBK_FUZZ_SEED=N reproduces a run.
SEED=${UBK_FUZZ_SEED:-$(date +%s)}
echo "fuzz seed $SEED (reproduce with UBK_FUZZ_SEED=$SEED)"
"$UBK_BIN/ucmd_raw" fuzz 10000 "$SEED" 0 || fail "ucmd_raw fuzz 10000 $SEED 0"
"$UBK_BIN/ucmd_raw" fuzz 10000 $((SEED + 1)) 1 || fail "ucmd_raw fuzz 10000 $((SEED + 1)) 1"
dmesg_clean

# Both devices still answer every command correctly.
achk truth uringblk0
achk truth uringblk1
ubk_unload
ubk_absent "after rmmod"
dmesg_clean
pass "admin_stress (${SECONDS} s in the guest)"
