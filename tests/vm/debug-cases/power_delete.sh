#!/usr/bin/env bash
# DEL_DEVICE racing POWER_CUT on the debug kernel (KASAN, lockdep,
# kmemleak): a runtime device with tracking on holds a durable 32 MiB and an
# unflushed discard of it, so the cut must allocate to restore 8192 pages; the
# cutting task has fail_page_alloc failing every non-sleeping allocation of
# the module (the store falls back to its pool and its refill worker, and
# gives the cut BLK_STS_RESOURCE), and `uringblk-admin delete --force` runs
# while the cut is restoring. The cut must either finish or fail with an
# errno; the delete must finish; no refill work may run on a freed store.
# The delete comes 0.1-0.5 s after the cut starts: in some rounds it must
# find the cut still restoring (the cut then fails with an errno), or the
# case tested nothing. Rounds: UBK_PD_ROUNDS (default 12).
. "$(dirname "$0")/../lib.sh"
need_admin
fi_setup_nowait_module

insmod "$UBK_KO" nr_devices=0 power_loss=1 || fail "insmod nr_devices=0 power_loss=1"
ROUNDS=${UBK_PD_ROUNDS:-12}
cut_ok=0 cut_err=0
for r in $(seq "$ROUNDS"); do
	out=$("$UBK_ADMIN" create --capacity-mb 64 -o json) || fail "create: $out"
	id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["dev_id"])' <<<"$out")
	dev=/dev/uringblk$id
	udevadm settle 2>/dev/null || true
	dd if=/dev/urandom of=$dev bs=1M count=32 oflag=direct conv=fsync status=none
	blkdiscard -o 0 -l $((32 << 20)) $dev
	fi_write fail_page_alloc/probability 100
	( echo 1 >/proc/self/make-it-fail
	  exec "$UBK_ADMIN" power-cut uringblk$id >/tmp/cut.$r 2>&1 ) &
	cpid=$!
	sleep "0.$((r % 5 + 1))"
	"$UBK_ADMIN" delete "$id" --force >/tmp/del.$r 2>&1 || { cat /tmp/del.$r; fail "delete --force racing a cut"; }
	if wait $cpid; then cut_ok=$((cut_ok + 1)); else cut_err=$((cut_err + 1)); fi
	fi_write fail_page_alloc/probability 0
	[ ! -e $dev ] || fail "$dev still exists after delete --force"
done
echo "cuts that finished: $cut_ok, that failed with an errno: $cut_err"
[ "$cut_err" -ge 1 ] || fail "no delete came while a cut was restoring: the race was not tested"
tail -n 2 /tmp/cut.* | grep -v '^$' | sort | uniq -c | sort -rn | head -5
sleep 1	# a refill queued by a cut would run now, on a freed store
rmmod uringblk_driver || fail "rmmod"
dmesg_clean
pass "$ROUNDS deletes racing power cuts under fail_page_alloc: no report"
