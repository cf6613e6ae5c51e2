#!/usr/bin/env bash
# systemd unit and its helper on the host (systemd cannot run as PID 1 here;
# tests/vm/cases/udev.sh runs the helper for real in the guest):
#  - uringblk.service as `make install-data` generates it passes
#    `systemd-analyze verify` (unit syntax, ExecStart/ExecStop executables,
#    the man: documentation link, dependencies against the host's units);
#    the shipped unit is Type=oneshot + RemainAfterExit and differs from the
#    generated one only in the helper's directory;
#  - uringblk-load check: KEY=VALUE parsing (comments, blanks, spaces around
#    "=", quotes, "-" for "_"), keys validated against the module's own
#    parameter list (modinfo), bad names/values/duplicates/lines refused with
#    the line number; every parameter the shipped /etc/uringblk.conf mentions
#    exists, and the shipped file loads with the module defaults;
#  - device= lines become uringblk-admin create options and are checked by the
#    CLI itself (create --dry-run) without loading; nr_devices=0 is accepted.
. "$(dirname "$0")/lib.sh"

# ---- the unit
make -C "$TOP" --no-print-directory install-data PREFIX="$TMP/usr" SYSCONFDIR="$TMP/etc" \
	UDEVRULESDIR="$TMP/udev" SYSTEMDUNITDIR="$TMP/units" >/dev/null
unit=$TMP/units/uringblk.service
out=$(MANPATH=$TMP/usr/share/man systemd-analyze verify "$unit" 2>&1) ||
	fail "systemd-analyze verify: $out"
expect_eq "systemd-analyze verify output" "$out" ""
shipped=$TOP/packaging/uringblk.service
for kv in Type=oneshot RemainAfterExit=yes 'ExecStart=/usr/lib/uringblk/uringblk-load start' \
	'ExecStop=/usr/lib/uringblk/uringblk-load stop' WantedBy=multi-user.target; do
	grep -qxF "$kv" "$shipped" || fail "packaging/uringblk.service lacks $kv"
done
pass "uringblk.service: oneshot, RemainAfterExit, helper start/stop, WantedBy multi-user"
[ "$(sed "s|$TMP/usr/lib/uringblk/|/usr/lib/uringblk/|g" "$unit")" = "$(cat "$shipped")" ] ||
	fail "the generated unit differs from packaging/uringblk.service beyond the helper's directory"
pass "generated unit = shipped unit but for the helper's directory"

# ---- the helper
ko=$TOP/build/kmod/$KVER_6_1/uringblk_driver.ko
[ -f "$ko" ] || fail "module not built: $ko (make kmod-all)"
load=$TMP/usr/lib/uringblk/uringblk-load
[ -x "$load" ] || fail "$load not installed executable"
export URINGBLK_MODULE=$ko
admin=$TOP/build/cmake/userspace/admin/uringblk-admin
[ -x "$admin" ] || fail "uringblk-admin not built: $admin (make userspace)"
export URINGBLK_ADMIN=$admin
conf=$TMP/test.conf

# check_conf WANT-STATUS PATTERN: uringblk-load check on $conf.
check_conf() {
	local rc=0 out
	out=$(URINGBLK_CONF=$conf "$load" check 2>&1) || rc=$?
	[ "$rc" = "$1" ] || fail "check on $(tr '\n' '|' <"$conf"): exit $rc, want $1 ($out)"
	grep -qF -- "$2" <<<"$out" || fail "check on $(tr '\n' '|' <"$conf"): '$out', want '$2'"
	pass "check $(tr '\n' '|' <"$conf" | cut -c1-60): $out"
}

printf '# comment\n\n   # indented comment\nnr_devices=2\n  capacity_mb = 64  \nwrite-cache="0"\nqueue_depth='"'"'128'"'"'\n' >"$conf"
check_conf 0 "uringblk-load: $conf: nr_devices=2 capacity_mb=64 write_cache=0 queue_depth=128"
printf 'nr_devices=2\n' >"$conf"
printf 'logical_block_size=4096' >>"$conf" # no final newline
check_conf 0 "nr_devices=2 logical_block_size=4096"
printf 'nr_devices=1\nno_such_param=1\n' >"$conf"
check_conf 1 "$conf:2: uringblk_driver has no parameter 'no_such_param'"
printf 'capacity_mb=64 nr_devices=2\n' >"$conf"
check_conf 1 "$conf:1: bad value for capacity_mb"
printf 'capacity_mb=$(reboot)\n' >"$conf"
check_conf 1 "bad value for capacity_mb"
printf 'capacity_mb=\n' >"$conf"
check_conf 1 "bad value for capacity_mb: ''"
printf 'nr_devices=1\nnr-devices=2\n' >"$conf"
check_conf 1 "$conf:2: nr_devices set twice"
printf 'nr_devices\n' >"$conf"
check_conf 1 "$conf:1: expected KEY=VALUE"
printf 'nr devices=1\n' >"$conf"
check_conf 1 "bad parameter name 'nr devices'"

# device= lines (nr_devices=0 is a module parameter value like any other).
printf 'nr_devices=0\ndevice=capacity_mb=256,logical_block_size=4096,write_cache=off\n device = "capacity-mb=64,serial_suffix=s1"\n' >"$conf"
check_conf 0 "uringblk-load: $conf: nr_devices=0"
check_conf 0 "$conf:2: device: uringblk-admin create --capacity-mb 256 --logical-block-size 4096 --write-cache off"
check_conf 0 "$conf:3: device: uringblk-admin create --capacity-mb 64 --serial-suffix s1"
printf 'device=capacity_mb=0\n' >"$conf"
check_conf 1 "$conf:1: device: --capacity-mb: '0' is out of range (1..4194304)"
printf 'nr_devices=1\ndevice=logical_block_size=4096,max_io_size_kb=6\n' >"$conf"
check_conf 1 "$conf:2: device: create: max_io_size_kb=6 out of range (4-32768, multiple of 4)"
printf 'device=write_cache=maybe\n' >"$conf"
check_conf 1 "$conf:1: device: --write-cache: maybe not in {on,off}"
printf 'device=frob=1\n' >"$conf"
check_conf 1 "$conf:1: device: The following arguments were not expected: 1 --frob"
printf 'device=capacity_mb=$(reboot)\n' >"$conf"
check_conf 1 "$conf:1: device: bad value for capacity_mb"
printf 'device=capacity_mb\n' >"$conf"
check_conf 1 "$conf:1: device: expected KEY=VALUE, got 'capacity_mb'"
printf 'device=\n' >"$conf"
check_conf 1 "$conf:1: device= names no parameters"
printf 'device=capacity_mb=8\n' >"$conf"
rc=0
out=$(URINGBLK_CONF=$conf URINGBLK_ADMIN=/nonexistent/uringblk-admin "$load" check 2>&1) || rc=$?
expect_eq "device= without uringblk-admin: exit" "$rc" 1
grep -qF "device= lines need uringblk-admin" <<<"$out" || fail "without uringblk-admin: $out"

# The shipped file: loads with the defaults, and every key it mentions is real.
cp "$TOP/packaging/uringblk.conf" "$conf"
check_conf 0 "no options (module defaults)"
sed -n 's/^#\([a-z_]*\)=\(.*\)$/\1=\2/p' "$TOP/packaging/uringblk.conf" | grep -v '^device=' >"$conf"
[ "$(wc -l <"$conf")" -ge 10 ] || fail "the shipped uringblk.conf documents few parameters: $(cat "$conf")"
check_conf 0 "nr_devices=1 capacity_mb=1024"
# ... and every module parameter is documented in it (a new parameter needs a
# commented line there).
for p in $(modinfo -F parm "$ko" | sed 's/:.*//'); do
	grep -q "^#$p=" "$TOP/packaging/uringblk.conf" || fail "packaging/uringblk.conf does not mention $p"
done
pass "packaging/uringblk.conf mentions every module parameter"
# ... and its example device= lines are valid.
sed -n 's/^#\(device=.*\)$/\1/p' "$TOP/packaging/uringblk.conf" >"$conf"
[ -s "$conf" ] || fail "packaging/uringblk.conf has no example device= line"
check_conf 0 "device: uringblk-admin create"

rc=0
"$load" >/dev/null 2>&1 || rc=$?
expect_eq "uringblk-load without an action: exit" "$rc" 2
