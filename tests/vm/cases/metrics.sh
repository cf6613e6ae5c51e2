#!/usr/bin/env bash
# uringblk-admin metrics on real devices: the exposition passes the strict
# parser (prom_check, tests/unit/prom_text.hpp); its counters equal the
# driver's sysfs counters after known I/O; the latency quantiles are numbers
# after I/O and NaN without; devices can be chosen (and a device named twice
# is reported once); --textfile writes DIR/uringblk.prom and nothing else;
# without the module loaded it reports uringblk_devices 0.
. "$(dirname "$0")/../lib.sh"

PROM_CHECK=$UBK_BIN/prom_check
for t in "$UBK_ADMIN" "$PROM_CHECK"; do
	[ -x "$t" ] || fail "not built: $t (make userspace)"
done

# metric NAME LABELS FILE: the value of the sample NAME{LABELS} in FILE.
metric() {
	local v
	v=$(awk -v s="$1{$2}" '$1 == s { print $2 }' "$3")
	[ -n "$v" ] || fail "no sample $1{$2} in $3"
	printf '%s\n' "$v"
}

ubk_load nr_devices=2 capacity_mb=64
# Known I/O on uringblk0 only: 8 x 64 KiB O_DIRECT writes, then reads.
dd if=/dev/urandom of=/tmp/pat bs=64k count=8 status=none
dd if=/tmp/pat of=/dev/uringblk0 bs=64k oflag=direct status=none
dd if=/dev/uringblk0 of=/dev/null bs=64k count=8 iflag=direct status=none

"$UBK_ADMIN" metrics >/tmp/m.prom || fail "uringblk-admin metrics failed"
"$PROM_CHECK" /tmp/m.prom >/tmp/m.families || { cat /tmp/m.prom; fail "the exposition is not valid"; }
pass "metrics: valid exposition, $(wc -l </tmp/m.families) families"
expect_eq "uringblk_devices" "$(awk '$1 == "uringblk_devices" { print $2 }' /tmp/m.prom)" 2
for d in uringblk0 uringblk1; do
	for c in read_ops write_ops flush_ops discard_ops write_zeroes_ops read_bytes write_bytes \
		queue_full_events media_errors retries polled_completions; do
		expect_eq "$d uringblk_${c}_total" "$(metric "uringblk_${c}_total" "device=\"$d\"" /tmp/m.prom)" \
			"$(ubk_attr "$c" "$d")"
	done
	expect_eq "$d uringblk_capacity_bytes" "$(metric uringblk_capacity_bytes "device=\"$d\"" /tmp/m.prom)" \
		$((64 * 1024 * 1024))
done
expect_ge "uringblk0 write bytes" "$(metric uringblk_write_bytes_total 'device="uringblk0"' /tmp/m.prom)" $((512 * 1024))
grep -qxF "uringblk_device_info{device=\"uringblk1\",model=\"$(ubk_attr model)\",serial=\"$(ubk_attr serial uringblk1)\",firmware=\"$(ubk_attr firmware_rev)\"} 1" /tmp/m.prom ||
	fail "uringblk_device_info of uringblk1 missing or wrong"
pass "uringblk_device_info of uringblk1"
for q in 0.5 0.99; do
	v=$(metric uringblk_write_latency_seconds "device=\"uringblk0\",quantile=\"$q\"" /tmp/m.prom)
	[[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] && [ "$v" != 0 ] || fail "uringblk0 write latency q$q: '$v'"
	pass "uringblk0 write latency q$q = $v s"
	# uringblk1 was never written.
	expect_eq "uringblk1 write latency q$q" \
		"$(metric uringblk_write_latency_seconds "device=\"uringblk1\",quantile=\"$q\"" /tmp/m.prom)" NaN
done

# Device selection: an index, and one disk named twice.
"$UBK_ADMIN" metrics 1 >/tmp/m1.prom || fail "metrics 1 failed"
"$PROM_CHECK" /tmp/m1.prom >/dev/null || fail "metrics 1: invalid exposition"
expect_eq "metrics 1: devices" "$(awk '$1 == "uringblk_devices" { print $2 }' /tmp/m1.prom)" 1
grep -q 'device="uringblk0"' /tmp/m1.prom && fail "metrics 1 reports uringblk0"
pass "metrics 1 reports uringblk1 only"
"$UBK_ADMIN" metrics uringblk0 /dev/uringblk0 >/tmp/m2.prom || fail "metrics uringblk0 /dev/uringblk0 failed"
"$PROM_CHECK" /tmp/m2.prom >/dev/null || fail "the same disk twice: invalid exposition (duplicate series?)"
expect_eq "the same disk twice: devices" "$(awk '$1 == "uringblk_devices" { print $2 }' /tmp/m2.prom)" 1

# The textfile for node_exporter.
mkdir -p /tmp/textfile
expect_status "metrics --textfile" 0 "$UBK_ADMIN" metrics --textfile /tmp/textfile
expect_eq "metrics --textfile stdout" "$OUT" ""
expect_eq "textfile directory" "$(ls -A /tmp/textfile)" uringblk.prom
expect_mode "uringblk.prom" /tmp/textfile/uringblk.prom 644
"$PROM_CHECK" /tmp/textfile/uringblk.prom >/dev/null || fail "uringblk.prom is not valid"
pass "uringblk.prom is valid"
expect_status "metrics on a device that is not uringblk" 1 "$UBK_ADMIN" metrics /dev/null
expect_status "metrics -o json" 2 "$UBK_ADMIN" metrics -o json

ubk_unload
"$UBK_ADMIN" metrics >/tmp/m0.prom || fail "metrics without the module failed"
"$PROM_CHECK" /tmp/m0.prom >/dev/null || fail "metrics without the module: invalid exposition"
expect_eq "metrics without the module" "$(grep -v '^#' /tmp/m0.prom)" "uringblk_devices 0"
dmesg_clean
