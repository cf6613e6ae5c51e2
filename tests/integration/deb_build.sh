#!/usr/bin/env bash
# Debian packages: `dpkg-buildpackage -us -uc -b` on a copy of the tree (so
# that no build output lands in the repository) builds uringblk-dkms (arch
# all) and uringblk-tools; both are unpacked with `dpkg -x` into a scratch
# root and checked:
#  - uringblk-dkms: /usr/src/uringblk-<ver>/ is exactly what `make dkms-src`
#    installs (dkms.conf included), its maintainer scripts run DKMS (postinst
#    common.postinst, prerm dkms remove), it depends on dkms, and DKMS builds
#    the module from the unpacked tree (hermetic dkms trees, 6.12 headers);
#  - uringblk-tools: uringblk-admin (runs: --version, metrics), the library,
#    headers, CMake package and a relocatable .pc (a C++ program builds and
#    runs against the unpacked files through pkg-config), the udev rules,
#    systemd unit and its helper, /etc/uringblk.conf as a conffile, the
#    modprobe.d example, the man pages (render without warnings); the unit is
#    not enabled or started by the postinst.
. "$(dirname "$0")/lib.sh"
need_root

dpkg-checkbuilddeps "$TOP/debian/control" || fail "build dependencies missing (make setup)"

# A clean copy: no build/, .git or leftovers of an in-tree package build.
rsync -a --exclude=/build --exclude=/.git --exclude='/obj-*' --exclude=/debian/.debhelper \
	--exclude=/debian/tmp --exclude=/debian/files --exclude='/debian/*.substvars' \
	--exclude='/debian/*.debhelper*' --exclude=/debian/debhelper-build-stamp \
	--exclude=/debian/uringblk-dkms/ --exclude=/debian/uringblk-tools/ \
	"$TOP/" "$TMP/src/"
(cd "$TMP/src" && run_logged "$TMP/build.log" dpkg-buildpackage -us -uc -b -j"$(nproc)")
pass "dpkg-buildpackage -us -uc -b"

deb_dkms=$TMP/uringblk-dkms_${VERSION}_all.deb
deb_tools=$(compgen -G "$TMP/uringblk-tools_${VERSION}_*.deb" | head -n1)
[ -f "$deb_dkms" ] || fail "no $deb_dkms: $(ls "$TMP")"
[ -n "$deb_tools" ] || fail "no uringblk-tools_${VERSION}_*.deb: $(ls "$TMP")"
expect_eq "uringblk-dkms Architecture" "$(dpkg-deb -f "$deb_dkms" Architecture)" all
dpkg-deb -f "$deb_dkms" Depends | grep -q '\bdkms\b' || fail "uringblk-dkms does not depend on dkms"
pass "uringblk-dkms depends on dkms"
expect_eq "uringblk-tools Version" "$(dpkg-deb -f "$deb_tools" Version)" "$VERSION"

root=$TMP/root
dpkg -x "$deb_dkms" "$root"
dpkg -x "$deb_tools" "$root"

# ---- uringblk-dkms
make -C "$TOP" --no-print-directory dkms-src DESTDIR="$TMP/ref" >/dev/null
diff -r "$TMP/ref/usr/src/uringblk-$VERSION" "$root/usr/src/uringblk-$VERSION" ||
	fail "the packaged DKMS tree differs from make dkms-src"
pass "packaged /usr/src/uringblk-$VERSION = make dkms-src"
dpkg-deb -e "$deb_dkms" "$TMP/ctl-dkms"
grep -q 'for DKMS_POSTINST in /usr/lib/dkms/common.postinst' "$TMP/ctl-dkms/postinst" &&
	grep -q '\$DKMS_POSTINST \$DKMS_NAME \$DKMS_VERSION' "$TMP/ctl-dkms/postinst" &&
	grep -q '^DKMS_NAME=uringblk$' "$TMP/ctl-dkms/postinst" &&
	grep -q "^DKMS_VERSION=$VERSION\$" "$TMP/ctl-dkms/postinst" ||
	fail "uringblk-dkms postinst does not run DKMS for uringblk $VERSION"
grep -q 'dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all' "$TMP/ctl-dkms/prerm" ||
	fail "uringblk-dkms prerm does not remove the module"
pass "uringblk-dkms maintainer scripts: dkms add/build/install, dkms remove"
dk=(--sourcetree "$root/usr/src" --dkmstree "$TMP/dkms" --installtree "$TMP/mods")
mkdir -p "$TMP/dkms"
run_logged "$TMP/dkms.log" dkms build -m uringblk -v "$VERSION" -k "$KVER_6_12" "${dk[@]}"
ko=$(compgen -G "$TMP/dkms/uringblk/$VERSION/$KVER_6_12/*/module/uringblk_driver.ko*" | head -n1)
[ -n "$ko" ] || fail "dkms build from the package: no module"
expect_eq "vermagic of the module DKMS built from the package" "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$KVER_6_12"

# ---- uringblk-tools
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
expect_files "$root" usr/sbin/uringblk-admin usr/bin/uringblk-bench usr/bin/uringblk_test \
	usr/include/uringblk/uringblk.hpp \
	usr/include/uringblk/device.hpp usr/include/linux/uringblk.h \
	"usr/lib/$multiarch/liburingblk-uapi.a" "usr/lib/$multiarch/pkgconfig/uringblk-uapi.pc" \
	"usr/lib/$multiarch/cmake/uringblk/uringblkConfig.cmake" \
	"usr/lib/$multiarch/cmake/uringblk/uringblkConfigVersion.cmake" \
	"usr/lib/$multiarch/cmake/uringblk/uringblkTargets.cmake" \
	usr/lib/uringblk/uringblk-load lib/udev/rules.d/60-uringblk.rules \
	lib/systemd/system/uringblk.service etc/uringblk.conf \
	usr/share/man/man8/uringblk-admin.8.gz usr/share/man/man1/uringblk_test.1.gz \
	usr/share/man/man1/uringblk-bench.1.gz \
	usr/share/doc/uringblk-tools/examples/uringblk-modprobe.conf usr/share/doc/uringblk-tools/copyright
[ -x "$root/usr/lib/uringblk/uringblk-load" ] || fail "uringblk-load is not executable"
cmp "$TOP/udev/60-uringblk.rules" "$root/lib/udev/rules.d/60-uringblk.rules" || fail "udev rules differ"
grep -qx 'ExecStart=/usr/lib/uringblk/uringblk-load start' "$root/lib/systemd/system/uringblk.service" ||
	fail "the unit does not run /usr/lib/uringblk/uringblk-load"
expect_eq "uringblk-admin --version" "$("$root/usr/sbin/uringblk-admin" --version)" "uringblk-admin $VERSION"
mkdir -p "$TMP/sysfs/block"
URINGBLK_SYSFS_ROOT=$TMP/sysfs "$root/usr/sbin/uringblk-admin" metrics | grep -qx 'uringblk_devices 0' ||
	fail "the packaged uringblk-admin metrics does not work"
pass "packaged uringblk-admin metrics runs"
for page in man8/uringblk-admin.8 man1/uringblk_test.1 man1/uringblk-bench.1; do
	warn=$(man --warnings -l "$root/usr/share/man/$page.gz" 2>&1 >/dev/null)
	expect_eq "man page warnings ($page)" "$warn" ""
done

dpkg-deb -e "$deb_tools" "$TMP/ctl-tools"
expect_eq "uringblk-tools conffiles" "$(cat "$TMP/ctl-tools/conffiles")" /etc/uringblk.conf
if grep -Eq 'deb-systemd-invoke (start|restart)|systemctl (start|restart)' "$TMP/ctl-tools/postinst"; then
	fail "uringblk-tools postinst starts the unit"
fi
grep -q "deb-systemd-helper enable" "$TMP/ctl-tools/postinst" && ! grep -q "was-enabled" "$TMP/ctl-tools/postinst" &&
	fail "uringblk-tools postinst enables the unit"
pass "uringblk-tools postinst neither enables nor starts uringblk.service"

# The library through its .pc, relocated: ${pcfiledir} gives the unpacked prefix.
write_consumer "$TMP/consumer.cpp"
pc=$root/usr/lib/$multiarch/pkgconfig
expect_eq "pkg-config --modversion" "$(PKG_CONFIG_PATH=$pc pkg-config --modversion uringblk-uapi)" "$VERSION"
# shellcheck disable=SC2046
g++ -std=c++20 -o "$TMP/consumer" "$TMP/consumer.cpp" $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs uringblk-uapi) ||
	fail "a program does not build against the packaged library (pkg-config)"
out=$("$TMP/consumer") || fail "the pkg-config consumer failed: $out"
pass "a program built with pkg-config --cflags --libs uringblk-uapi runs: $out"

# Nothing of the build in the repository (dpkg-buildpackage writes the .debs
# next to the source tree: here in $TMP).
for a in obj-"$(dpkg-architecture -qDEB_HOST_GNU_TYPE)" debian/.debhelper debian/tmp debian/files \
	debian/uringblk-dkms debian/uringblk-tools; do
	[ ! -e "$TOP/$a" ] || fail "package build output in the repository: $a"
done
pass "no package build output in the repository"
