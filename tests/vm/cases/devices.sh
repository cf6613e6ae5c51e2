#!/usr/bin/env bash
# Devices created, changed and deleted at run time (ABI 1.1, uringblk-admin
# create/params/set/delete/list):
#  - nr_devices=0 loads with no disk and the control node;
#  - a 512-byte and a 4K-sector device: sysfs (logical_block_size, size,
#    write_cache, serial with its suffix) equals the GET_PARAMS answer, data
#    written is read back; set changes write_cache and max_sectors_kb and
#    drops injection rules;
#  - bad parameters: EINVAL (client side and from the kernel itself), no
#    device created; a taken --id is EEXIST;
#  - 100 create/delete cycles with I/O: memory back to the baseline;
#  - delete while fio runs: EBUSY (with the udevadm hint), --force: fio gets
#    I/O errors and ends, no kernel warning; --force with the polling fio
#    stopped (SIGSTOP) while requests wait on the poll list (completed,
#    delayed, held): the delete returns at once;
#  - 4 concurrent creates get distinct ids; a deleted id is reused;
#  - an ADD_DEVICE whose answer cannot be copied is undone, and the undo
#    spares a later device that took its index meanwhile (ucmd_raw add-undo);
#  - a 1.0 client (abi_minor 0) is still served (ucmd_raw errors);
#  - rmmod with runtime devices frees everything;
#  - packaging/uringblk-load start with nr_devices=0 and device= lines creates
#    them in order; a line the kernel refuses unloads the module again.
. "$(dirname "$0")/../lib.sh"
need_admin
RAW=$UBK_BIN/ucmd_raw
CTL=/dev/uringblk-ctl
MiB=$((1024 * 1024))

adm() { "$UBK_ADMIN" "$@"; }
# udev (when it runs in the guest) opens a new disk to probe it: wait for it.
settle() { udevadm settle -t 30 >/dev/null 2>&1 || true; }
# json_u32 KEY TEXT: an integer member of uringblk-admin's JSON (no fork).
json_num() {
	[[ $2 =~ \"$1\":\ ([0-9]+) ]] || fail "no '$1' in: $2"
	echo "${BASH_REMATCH[1]}"
}
json_str() {
	[[ $2 =~ \"$1\":\ \"([^\"]*)\" ]] || fail "no '$1' in: $2"
	echo "${BASH_REMATCH[1]}"
}
# ids: the device ids LIST_DEVICES names, space-separated.
ids() { adm list -o json | python3 -c 'import json,sys; print(*[d["dev_id"] for d in json.load(sys.stdin)["devices"]])'; }
# create ARGS...: uringblk-admin create -o json; sets NEW (the id) and NEWJ.
create() {
	NEWJ=$(adm create -o json "$@") || fail "create $*: $NEWJ"
	NEW=$(json_num dev_id "$NEWJ")
	[ -b /dev/uringblk$NEW ] || fail "create $*: /dev/uringblk$NEW is not a block device"
}
# delete ID [--force]: settle first (udev probes a new disk), then delete.
delete() {
	settle
	adm delete "$@" >/dev/null || fail "delete $*"
	[ ! -e /dev/uringblk$1 ] || fail "delete $1: /dev/uringblk$1 still exists"
	[ ! -d /sys/block/uringblk$1 ] || fail "delete $1: /sys/block/uringblk$1 still exists"
}
slab_kb() { meminfo_kb Slab; }

if pgrep -x systemd-udevd >/dev/null 2>&1 || pgrep -x udevd >/dev/null 2>&1; then
	echo "udevd runs in this guest: settling after each create"
else
	echo "no udevd in this guest (udevadm settle returns at once)"
fi

# ---------------------------------------------------------------- load with none
mem_before_load=$(mem_avail_kb)
[ -f "$UBK_KO" ] || fail "module not built: $UBK_KO"
insmod "$UBK_KO" nr_devices=0 || fail "insmod nr_devices=0"
for _ in $(seq 50); do [ -c $CTL ] && break; sleep 0.1; done
[ -c $CTL ] || fail "$CTL did not appear"
pass "nr_devices=0: control node present"
devs=$(compgen -G '/sys/block/uringblk*' || true)
[ -z "$devs" ] || fail "nr_devices=0 registered disks: $devs"
expect_eq "LIST_DEVICES with none" "$(ids)" ""
out=$(adm list -o json)
grep -q '"devices": \[\]' <<<"$out" || fail "list -o json with none: $out"

# ---------------------------------------------------------------- two devices
create --capacity-mb 64 --logical-block-size 512 --serial-suffix a-512
A=$NEW
create --capacity-mb 96 --logical-block-size 4096 --write-cache off --serial-suffix b.4k
B=$NEW
expect_eq "first id" "$A" 0
expect_eq "second id" "$B" 1
settle

# check_sysfs ID: sysfs equals what GET_PARAMS answers.
check_sysfs() {
	local id=$1 j lbs cap wc suffix want_wc serial
	j=$(adm params -o json "$id") || fail "params $id: $j"
	lbs=$(json_num logical_block_size "$j")
	cap=$(json_num capacity_mb "$j")
	wc=$(json_str write_cache "$j")
	suffix=$(json_str serial_suffix "$j")
	grep -q '"runtime": true' <<<"$j" || fail "uringblk$id: GET_PARAMS does not say runtime: $j"
	expect_eq "uringblk$id queue/logical_block_size" "$(ubk_qattr logical_block_size uringblk$id)" "$lbs"
	expect_eq "uringblk$id size (512 B sectors)" "$(read_line /sys/block/uringblk$id/size)" $((cap * 2048))
	want_wc="write through"
	[ "$wc" = on ] && want_wc="write back"
	expect_eq "uringblk$id queue/write_cache" "$(ubk_qattr write_cache uringblk$id)" "$want_wc"
	serial=$(printf 'UBK%08X' "$id")
	[ -n "$suffix" ] && serial="$serial-$suffix"
	expect_eq "uringblk$id uringblk/serial" "$(ubk_attr serial uringblk$id)" "$serial"
}
check_sysfs "$A"
check_sysfs "$B"
j=$(adm params -o json "$B")
expect_eq "B logical_block_size" "$(json_num logical_block_size "$j")" 4096
expect_eq "B write_cache" "$(json_str write_cache "$j")" off
expect_eq "B serial_suffix" "$(json_str serial_suffix "$j")" b.4k
out=$(adm list)
echo "$out"
grep -Eq "^/dev/uringblk$A .* runtime$" <<<"$out" || fail "list does not show uringblk$A as runtime"

# data: fio verify and an independent dd read-back on each
for id in $A $B; do
	fio --name=v$id --filename=/dev/uringblk$id --ioengine=io_uring --direct=1 \
		--rw=randwrite --bs=4k --size=16M --iodepth=16 --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --output=/tmp/fio.$id.txt ||
		{ cat /tmp/fio.$id.txt; fail "fio verify on uringblk$id"; }
	head -c $((2 * MiB)) /dev/urandom >/tmp/pat
	dd if=/tmp/pat of=/dev/uringblk$id bs=64k seek=40 oflag=direct status=none
	dd if=/dev/uringblk$id of=/tmp/back bs=64k skip=40 count=32 iflag=direct status=none
	cmp /tmp/pat /tmp/back || fail "uringblk$id: dd read-back differs"
	pass "uringblk$id: data written is read back (fio verify, dd)"
done

# set
adm set "$B" --write-cache on >/dev/null || fail "set --write-cache on"
expect_eq "B queue/write_cache after set" "$(ubk_qattr write_cache uringblk$B)" "write back"
check_sysfs "$B"
adm set "$B" --max-sectors-kb 64 >/dev/null || fail "set --max-sectors-kb 64"
expect_eq "B queue/max_sectors_kb after set" "$(ubk_qattr max_sectors_kb uringblk$B)" 64
expect_status "set --max-sectors-kb 6 on a 4K device" 2 adm set "$B" --max-sectors-kb 6
grep -q "max_sectors_kb=6 out of range (4-.*, multiple of 4)" <<<"$ERR" || fail "set message: $ERR"
echo "read,*,5" >/sys/block/uringblk$A/uringblk/error_inject
adm set "$A" --inject-reset >/dev/null || fail "set --inject-reset"
out=$(adm inject list -o json "$A")
grep -q '"rules": \[\]' <<<"$out" || fail "rules left after --inject-reset: $out"
pass "set --inject-reset dropped the injection rules"

# ---------------------------------------------------------------- bad parameters
before=$(ids)
expect_status "create --capacity-mb 0" 2 adm create --capacity-mb 0
grep -qF -- "--capacity-mb: '0' is out of range (1..4194304)" <<<"$ERR" || fail "message: $ERR"
expect_status "create --logical-block-size 1000" 2 adm create --logical-block-size 1000
# The kernel's own check (the client's bypassed): EINVAL, nothing created.
dmesg_mark
expect_fail "raw ADD_DEVICE capacity_mb=4194305" "res=-EINVAL" "$RAW" add any capacity_mb=4194305
expect_fail "raw ADD_DEVICE logical_block_size=1000" "res=-EINVAL" "$RAW" add any logical_block_size=1000
expect_fail "raw ADD_DEVICE write_cache=3" "res=-EINVAL" "$RAW" add any write_cache=3
expect_fail "raw ADD_DEVICE serial_suffix=a/b" "res=-EINVAL" "$RAW" add any serial_suffix=a/b
expect_fail "raw ADD_DEVICE reserved" "res=-EINVAL" "$RAW" add any reserved0=1
expect_fail "raw ADD_DEVICE id 64" "res=-E" "$RAW" add 64
dmesg_new
expect_eq "devices after bad parameters" "$(ids)" "$before"
expect_status "create --id $A (taken)" 1 adm create --id "$A" --capacity-mb 8
grep -q "(EEXIST)" <<<"$ERR" || fail "taken id: $ERR"
create --id 5 --capacity-mb 8
expect_eq "create --id 5" "$NEW" 5
delete 5
expect_eq "devices after the bad ones and --id" "$(ids)" "$before"

# ---------------------------------------------------------------- 1.0 client
"$RAW" -v errors "$A" >/tmp/raw.txt 2>&1 || { grep -v "^ok" /tmp/raw.txt | tail -n 40; fail "ucmd_raw errors $A"; }
grep -q "^ok   .*abi_minor 0" /tmp/raw.txt || fail "ucmd_raw errors did not try abi_minor 0"
pass "ucmd_raw errors on runtime device $A (abi_minor 0 included)"

# ---------------------------------------------------------------- undo
ids_before=$(ids)
"$RAW" add-undo || fail "ucmd_raw add-undo"
expect_eq "devices after add-undo" "$(ids)" "$ids_before"
pass "the undo of an ADD_DEVICE spares a later device with its index"

# ---------------------------------------------------------------- id reuse
create --capacity-mb 8
C=$NEW
expect_eq "next free id" "$C" 2
delete "$C"
create --capacity-mb 8
expect_eq "id reused after delete" "$NEW" "$C"
delete "$NEW"

# ---------------------------------------------------------------- 100 cycles
settle
sync
mem0=$(mem_avail_kb) slab0=$(slab_kb)
for i in $(seq 100); do
	create --capacity-mb 16 --logical-block-size $((i % 2 ? 512 : 4096))
	dd if=/dev/urandom of=/dev/uringblk$NEW bs=64k count=8 oflag=direct status=none ||
		fail "cycle $i: write to uringblk$NEW"
	delete "$NEW"
done
expect_eq "devices after 100 cycles" "$(ids)" "$before"
sleep 2
mem1=$(mem_avail_kb) slab1=$(slab_kb)
echo "MemAvailable(+pcp) $mem0 -> $mem1 KiB, Slab $slab0 -> $slab1 KiB"
expect_le "MemAvailable lost over 100 cycles (KiB)" $((mem0 - mem1)) 16384
expect_le "Slab grown over 100 cycles (KiB)" $((slab1 - slab0)) 8192
dmesg_clean

# ---------------------------------------------------------------- delete under I/O
create --capacity-mb 64
D=$NEW
settle
fio --name=busy --filename=/dev/uringblk$D --ioengine=io_uring --direct=1 --rw=randrw \
	--bs=4k --size=32M --iodepth=8 --time_based --runtime=60 \
	--output=/tmp/fio.busy.txt >/dev/null 2>&1 &
FIO=$!
sleep 3
kill -0 $FIO 2>/dev/null || { cat /tmp/fio.busy.txt; fail "fio ended early"; }
expect_status "delete while open" 1 adm delete "$D"
grep -q "(EBUSY)" <<<"$ERR" || fail "delete while open: $ERR"
grep -q "udevadm settle" <<<"$ERR" || fail "EBUSY message without the udevadm hint: $ERR"
[ -b /dev/uringblk$D ] || fail "refused delete removed the device"
expect_status "delete --force while fio runs" 0 adm delete "$D" --force
rc=0
timeout 60 tail --pid=$FIO -f /dev/null || fail "fio still runs 60 s after the forced delete (hang)"
wait $FIO || rc=$?
[ "$rc" != 0 ] || { cat /tmp/fio.busy.txt; fail "fio saw no error after the forced delete"; }
pass "fio ended with status $rc after the forced delete"
grep -Eq "err=|error" /tmp/fio.busy.txt && grep -E "err=|error" /tmp/fio.busy.txt | head -n 3
[ ! -e /dev/uringblk$D ] || fail "uringblk$D still exists after delete --force"
dmesg_clean

# ---------------------------------------------------------------- a stopped poller
# fio polls a poll queue (hipri, depth 64; --thread: SIGSTOP stops the job
# itself, not only the parent of a forked job) and is stopped with
# requests completed but not reaped, or delayed, or held by a timeout rule:
# delete --force must not wait for a poller that will not come.
for kind in plain delay held; do
	create --capacity-mb 64 --poll-queues 1
	D=$NEW
	settle
	case $kind in
	delay) echo "delay,*,2000000,50" >/sys/block/uringblk$D/uringblk/error_inject ;;
	held) echo "timeout,*,20" >/sys/block/uringblk$D/uringblk/error_inject ;;
	esac
	fio --name=poll --thread --filename=/dev/uringblk$D --ioengine=io_uring --direct=1 --hipri=1 \
		--rw=randwrite --bs=4k --size=32M --iodepth=64 --time_based --runtime=60 \
		--output=/tmp/fio.poll.txt >/dev/null 2>&1 &
	FIO=$!
	sleep 3
	kill -STOP $FIO
	sleep 1
	read -r r w </sys/block/uringblk$D/inflight
	expect_ge "requests in flight with the poller stopped ($kind)" $((r + w)) 1
	adm delete "$D" --force >/tmp/del.out 2>&1 &
	DP=$!
	for _ in $(seq 60); do kill -0 $DP 2>/dev/null || break; sleep 1; done
	if kill -0 $DP 2>/dev/null; then
		kill -CONT $FIO
		wait $DP
		fail "delete --force waited for the stopped poller ($kind) for 60 s"
	fi
	wait $DP || { cat /tmp/del.out; fail "delete --force with the poller stopped ($kind)"; }
	kill -CONT $FIO
	timeout 60 tail --pid=$FIO -f /dev/null || fail "fio still runs 60 s after the forced delete ($kind)"
	wait $FIO || true
	[ ! -e /dev/uringblk$D ] || fail "uringblk$D still exists after delete --force"
	pass "delete --force with the poller stopped ($kind): at once"
done
dmesg_clean

# ---------------------------------------------------------------- concurrent creates
for k in 1 2 3 4; do
	adm create -o json --capacity-mb 8 >/tmp/cc.$k 2>&1 &
	pids[k]=$!
done
got=()
for k in 1 2 3 4; do
	wait "${pids[k]}" || fail "concurrent create $k: $(cat /tmp/cc.$k)"
	got+=("$(json_num dev_id "$(cat /tmp/cc.$k)")")
done
expect_eq "distinct ids from 4 concurrent creates" "$(printf '%s\n' "${got[@]}" | sort -u | wc -l)" 4
for id in "${got[@]}"; do
	[ -b /dev/uringblk$id ] || fail "concurrent create: no /dev/uringblk$id"
done
pass "concurrent creates: ids ${got[*]}"
for id in "${got[@]}"; do delete "$id"; done
expect_eq "devices after the concurrent ones" "$(ids)" "$before"

# ---------------------------------------------------------------- rmmod
create --capacity-mb 32
dd if=/dev/urandom of=/dev/uringblk$NEW bs=1M count=8 oflag=direct status=none
settle
# What the devices hold (runtime ones: 0, 1 and the last) comes back at rmmod.
used_kb=0
for f in /sys/block/uringblk*/uringblk/mem_used_bytes; do
	used_kb=$((used_kb + $(read_line "$f") / 1024))
done
expect_ge "data held by the devices before rmmod (KiB)" "$used_kb" $((32 * 1024))
sync
mem_pre=$(mem_avail_kb)
ubk_unload
ubk_absent "rmmod with runtime devices"
sleep 2
mem_after=$(mem_avail_kb)
echo "MemAvailable(+pcp): before load $mem_before_load, before rmmod $mem_pre, after $mem_after KiB"
expect_ge "MemAvailable regained by rmmod (KiB; devices held $used_kb)" $((mem_after - mem_pre)) $((used_kb - 4096))
expect_le "MemAvailable lost over the whole case (KiB; /tmp files, logs)" $((mem_before_load - mem_after)) 65536
dmesg_clean

# ---------------------------------------------------------------- uringblk-load
LOADER=$PWD/packaging/uringblk-load
export URINGBLK_CONF=/tmp/uringblk.conf URINGBLK_MODULE=$UBK_KO URINGBLK_ADMIN=$UBK_ADMIN
printf 'nr_devices=0\ndevice=capacity_mb=32,logical_block_size=4096,write_cache=off\ndevice = capacity_mb=16,serial_suffix=two\n' >$URINGBLK_CONF
out=$("$LOADER" start) || fail "uringblk-load start with device= lines: $out"
echo "$out"
grep -q "devices: uringblk0 uringblk1$" <<<"$out" || fail "start did not create the two devices: $out"
expect_eq "loader device 0 logical block size" "$(ubk_qattr logical_block_size uringblk0)" 4096
expect_eq "loader device 0 write_cache" "$(ubk_qattr write_cache uringblk0)" "write through"
expect_eq "loader device 1 serial" "$(ubk_attr serial uringblk1)" UBK00000001-two
out=$("$LOADER" stop) || fail "uringblk-load stop: $out"
ubk_absent "after uringblk-load stop"
# Valid for the CLI, refused by the kernel (index 0, which the first line
# took: EEXIST): start fails, nothing stays loaded.
printf 'nr_devices=0\ndevice=capacity_mb=8\ndevice=capacity_mb=8,id=0\n' >$URINGBLK_CONF
expect_fail "uringblk-load start with a device the kernel refuses" "create failed" "$LOADER" start
ubk_absent "after a failed device= create"
dmesg_clean
