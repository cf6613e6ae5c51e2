#!/usr/bin/env bash
# Integration with the host's plumbing, in the guest:
#  - packaging/uringblk-load (what uringblk.service runs): "start" loads the
#    module with the parameters of a KEY=VALUE file and logs them, a second
#    start is a no-op, "stop" unloads, a file with an unknown parameter or a
#    bad value fails without loading anything;
#  - udev/60-uringblk.rules (copied to /etc/udev/rules.d): udevadm test gives
#    /dev/disk/by-id/uringblk-<model>_<serial> for the disk, -part1 for a
#    partition, by-uuid/by-label for its ext4 and by-partuuid/by-partlabel
#    for its GPT entry; then a real systemd-udevd creates those links (and
#    removes them on unload), leaves /dev/uringblk-ctl 0600 root:root and
#    sets the disks' queue/wbt_lat_usec to 0.
. "$(dirname "$0")/../lib.sh"

LOADER=$PWD/packaging/uringblk-load
CONF=/tmp/uringblk.conf
export URINGBLK_CONF=$CONF URINGBLK_MODULE=$UBK_KO

# ---------------------------------------------------------------- loader
cat >$CONF <<'EOF'
# test configuration
nr_devices=2

  capacity_mb = 64
write-cache="1"
EOF
out=$("$LOADER" start) || fail "uringblk-load start failed: $out"
echo "$out"
grep -q "loaded uringblk_driver with nr_devices=2 capacity_mb=64 write_cache=1" <<<"$out" ||
	fail "start did not log the options it loaded: $out"
grep -q "devices: uringblk0 uringblk1$" <<<"$out" || fail "start did not log the devices: $out"
expect_eq "nr_devices parameter" "$(read_line /sys/module/uringblk_driver/parameters/nr_devices)" 2
expect_eq "capacity_mb parameter" "$(read_line /sys/module/uringblk_driver/parameters/capacity_mb)" 64
expect_eq "uringblk1 size" "$(blockdev --getsize64 /dev/uringblk1)" $((64 * 1024 * 1024))
out=$("$LOADER" start) || fail "second start failed: $out"
grep -q "already loaded" <<<"$out" || fail "second start: $out"
pass "second start is a no-op: $out"
out=$("$LOADER" stop) || fail "stop failed: $out"
expect_eq "stop output" "$out" "uringblk-load: unloaded uringblk_driver"
ubk_absent "after stop"
expect_eq "stop when not loaded" "$("$LOADER" stop)" "uringblk-load: uringblk_driver is not loaded"

printf 'nr_devices=1\nbogus_param=3\n' >$CONF
expect_fail "start with an unknown parameter" "$CONF:2: uringblk_driver has no parameter 'bogus_param'" \
	"$LOADER" start
ubk_absent "after a refused start"
printf 'capacity_mb=64;reboot\n' >$CONF
expect_fail "start with a bad value" "bad value for capacity_mb" "$LOADER" start
ubk_absent "after a refused start"
expect_status "check with a missing file (module defaults)" 0 env URINGBLK_CONF=/nonexistent "$LOADER" check
expect_eq "check output" "$OUT" "uringblk-load: /nonexistent: no options (module defaults)"

# ---------------------------------------------------------------- udevadm test
mkdir -p /etc/udev/rules.d
cp udev/60-uringblk.rules /etc/udev/rules.d/
printf 'nr_devices=2\ncapacity_mb=64\n' >$CONF
"$LOADER" start >/dev/null || fail "start for the udev tests failed"

# The queue settings are the kernel's defaults until udev applies the rule
# (udevadm test below writes ATTR{} assignments too).
expect_eq "wbt_lat_usec before udev" "$(read_line /sys/block/uringblk1/queue/wbt_lat_usec)" 2000
model=$(ubk_attr model)
serial0=$(ubk_attr serial)
serial1=$(ubk_attr serial uringblk1)
id0="uringblk-${model// /_}_$serial0"
id1="uringblk-${model// /_}_$serial1"

# udevadm_links SYSPATH: the DEVLINKS udev would give the device, one a line.
udevadm_links() {
	local out
	out=$(udevadm test "$1" 2>/dev/null) || fail "udevadm test $1 failed"
	sed -n 's/^DEVLINKS=//p' <<<"$out" | tr ' ' '\n'
}
# expect_link WHAT LINKS LINK
expect_link() {
	grep -qxF -- "$3" <<<"$2" || fail "$1: no $3 in: $(echo $2)"
	pass "$1: $3"
}

links=$(udevadm_links /sys/block/uringblk0)
expect_link "udevadm test uringblk0" "$links" "/dev/disk/by-id/$id0"
links=$(udevadm_links /sys/block/uringblk1)
expect_link "udevadm test uringblk1" "$links" "/dev/disk/by-id/$id1"

# A GPT partition with a name and fixed UUIDs, and an ext4 with a label on it.
partuuid=3b0c5f0e-6b2a-4c43-9a55-2f3c1e5b7a01
fsuuid=5e1d9c1a-0d4e-4f27-8a9b-3c2d1e0f4a11
printf 'label: gpt\nstart=2048, size=65536, name=ubkpart, uuid=%s\n' $partuuid |
	sfdisk -q /dev/uringblk0 || fail "sfdisk failed"
for _ in $(seq 50); do
	[ -b /dev/uringblk0p1 ] && break
	sleep 0.1
done
[ -b /dev/uringblk0p1 ] || fail "/dev/uringblk0p1 did not appear"
mkfs.ext4 -q -F -L ubkfs -U $fsuuid /dev/uringblk0p1 || fail "mkfs.ext4 failed"

links=$(udevadm_links /sys/block/uringblk0/uringblk0p1)
for l in "/dev/disk/by-id/$id0-part1" "/dev/disk/by-uuid/$fsuuid" "/dev/disk/by-label/ubkfs" \
	"/dev/disk/by-partuuid/$partuuid" "/dev/disk/by-partlabel/ubkpart"; do
	expect_link "udevadm test uringblk0p1" "$links" "$l"
done

ctl=$(udevadm test /sys/class/misc/uringblk-ctl 2>&1) || fail "udevadm test uringblk-ctl failed"
grep -q "60-uringblk.rules" <<<"$ctl" || fail "60-uringblk.rules does not match uringblk-ctl: $ctl"
pass "60-uringblk.rules matches uringblk-ctl"

# ---------------------------------------------------------------- systemd-udevd
# udevadm test above created links itself: start from an empty /dev/disk.
rm -rf /dev/disk
/lib/systemd/systemd-udevd --daemon 2>/dev/null || fail "systemd-udevd did not start"
udevadm trigger --action=add --subsystem-match=block --subsystem-match=misc --settle ||
	fail "udevadm trigger failed"
# expect_resolves LINK TARGET
expect_resolves() {
	expect_eq "$1" "$(readlink -f "$1")" "$2"
}
expect_resolves "/dev/disk/by-id/$id0" /dev/uringblk0
expect_resolves "/dev/disk/by-id/$id1" /dev/uringblk1
expect_resolves "/dev/disk/by-id/$id0-part1" /dev/uringblk0p1
expect_resolves "/dev/disk/by-uuid/$fsuuid" /dev/uringblk0p1
expect_resolves "/dev/disk/by-label/ubkfs" /dev/uringblk0p1
expect_resolves "/dev/disk/by-partuuid/$partuuid" /dev/uringblk0p1
expect_eq "/dev/uringblk-ctl owner and mode" "$(stat -c '%U:%G %a' /dev/uringblk-ctl)" "root:root 600"
for d in uringblk0 uringblk1; do
	expect_eq "$d wbt_lat_usec as installed" "$(read_line /sys/block/$d/queue/wbt_lat_usec)" 0
	expect_eq "$d nomerges as installed (merging stays on)" "$(read_line /sys/block/$d/queue/nomerges)" 0
done
# The admin tool takes the by-id path.
if [ -x "$UBK_ADMIN" ]; then
	expect_status "uringblk-admin identify by-id path" 0 "$UBK_ADMIN" identify "/dev/disk/by-id/$id1"
	grep -q "$model" <<<"$OUT" || fail "identify by-id: $OUT"
fi

udevadm settle
"$LOADER" stop >/dev/null || fail "stop with udevd running failed"
udevadm settle
left=$(compgen -G "/dev/disk/by-id/uringblk-*" || true)
[ -z "$left" ] || fail "links left after unload: $left"
pass "udevd removed the links on unload"
udevadm control --exit
ubk_absent "after the udev tests"
dmesg_clean
