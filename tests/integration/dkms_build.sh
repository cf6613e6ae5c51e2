#!/usr/bin/env bash
# DKMS: the tree `make dkms-src` installs is a DKMS source tree that
# `dkms add`, `dkms build`, `dkms install` and `dkms remove` handle for both
# supported kernels' headers (kernel_source_dir = /lib/modules/<kver>/build,
# as on a real host), giving a uringblk_driver.ko built for that kernel that
# depmod accepts.
#
# Hermetic: dkms runs with --sourcetree, --dkmstree and --installtree in a
# scratch directory and with --no-depmod, so the test never touches
# /usr/src, /var/lib/dkms or /lib/modules (a real uringblk-dkms install on
# the host is left alone) and any number of runs, concurrent or interrupted,
# leave nothing behind. The one host file dkms itself may create is its
# module-signing key /var/lib/dkms/mok.{key,pub}, as on any DKMS build.
. "$(dirname "$0")/lib.sh"
need_root

root=$TMP/root
src=$root/usr/src/uringblk-$VERSION
dk=(--sourcetree "$root/usr/src" --dkmstree "$TMP/dkms" --installtree "$root/lib/modules")

make -C "$TOP" --no-print-directory dkms-src DESTDIR="$root" >/dev/null
# The tree holds what Kbuild compiles, and nothing from build/ or userspace.
objs=$(sed -n 's/\\$//; /uringblk_driver-y/,/^$/p' "$TOP/Kbuild" | grep -o 'kmod/[a-z_]*\.o')
[ -n "$objs" ] || fail "no objects found in Kbuild"
for o in $objs; do
	[ -f "$src/${o%.o}.c" ] || fail "DKMS tree lacks ${o%.o}.c"
done
expect_files "$src" dkms.conf Kbuild uapi/linux/uringblk.h 'kmod/*.h'
extra=$(cd "$src" && find . -type f ! -path './kmod/*' ! -name dkms.conf ! -name Kbuild ! -path ./uapi/linux/uringblk.h)
expect_eq "files outside kmod/, Kbuild, dkms.conf, uapi" "$extra" ""
expect_eq "dkms.conf PACKAGE_VERSION" "$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src/dkms.conf")" "$VERSION"

mkdir -p "$TMP/dkms"
run_logged "$TMP/add.log" dkms add -m uringblk -v "$VERSION" "${dk[@]}"
pass "dkms add"
for kver in "$KVER_6_1" "$KVER_6_12"; do
	[ -f "/lib/modules/$kver/build/Makefile" ] || fail "no headers for $kver (make setup)"
	# dkms installs only for kernels whose module directory exists.
	mkdir -p "$root/lib/modules/$kver"
	run_logged "$TMP/build-$kver.log" dkms build -m uringblk -v "$VERSION" -k "$kver" "${dk[@]}"
	pass "dkms build -k $kver"
	run_logged "$TMP/install-$kver.log" dkms install -m uringblk -v "$VERSION" -k "$kver" --no-depmod "${dk[@]}"
	ko=$(compgen -G "$root/lib/modules/$kver/updates/dkms/uringblk_driver.ko*" || true)
	[ -n "$ko" ] || fail "dkms install -k $kver: no module in $root/lib/modules/$kver/updates/dkms"
	pass "dkms install -k $kver: ${ko#"$root"}"
	expect_eq "vermagic of the $kver module" "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$kver"
	expect_eq "module name" "$(modinfo -F name "$ko")" uringblk_driver
	modinfo -F parm "$ko" | grep -q '^capacity_mb:' || fail "module lacks the capacity_mb parameter"
	# (warns that modules.order/builtin are missing: this tree has only our module)
	depmod -b "$root" "$kver" 2>/dev/null || fail "depmod -b $root $kver failed"
	grep -q "^updates/dkms/uringblk_driver.ko[^:]*:" "$root/lib/modules/$kver/modules.dep" ||
		fail "depmod -b did not index the module"
	pass "depmod indexes updates/dkms/uringblk_driver.ko for $kver"
done
status=$(dkms status -m uringblk -v "$VERSION" "${dk[@]}" 2>/dev/null)
echo "$status"
expect_eq "kernels with the module installed" "$(grep -c ': installed' <<<"$status")" 2

run_logged "$TMP/remove.log" dkms remove -m uringblk -v "$VERSION" --all --no-depmod "${dk[@]}"
expect_eq "dkms status after remove" "$(dkms status -m uringblk "${dk[@]}" 2>/dev/null)" ""
left=$(find "$root/lib/modules" -name 'uringblk_driver.ko*')
expect_eq "modules left after dkms remove" "$left" ""
