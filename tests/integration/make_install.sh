#!/usr/bin/env bash
# make install DESTDIR=... PREFIX=/usr/local: the module (for KDIR's kernel,
# in /lib/modules/<kver>/updates, no depmod under DESTDIR), uringblk-admin,
# the library with headers, CMake package and pkg-config file, the udev
# rules, the systemd unit pointing at the installed helper, /etc/uringblk.conf,
# the modprobe.d example and the man pages, and nothing else; a second
# install keeps an edited /etc/uringblk.conf; a CMake project finds the
# installed library with find_package(uringblk) and runs.
# Uses the build of `make` (make check builds it first) and builds only what
# is missing.
. "$(dirname "$0")/lib.sh"

root=$TMP/root
prefix=/usr/local
make -C "$TOP" --no-print-directory install DESTDIR="$root" PREFIX=$prefix >"$TMP/install.log" 2>&1 ||
	{ cat "$TMP/install.log" >&2; fail "make install"; }
grep -q "DESTDIR set, not running depmod" "$TMP/install.log" || fail "make install ran depmod under DESTDIR"
pass "make install DESTDIR=$root PREFIX=$prefix"

# The kernel make install builds for: KDIR's (the running kernel's headers, else 6.1).
if [ -f "/lib/modules/$(uname -r)/build/Makefile" ]; then kver=$(uname -r); else kver=$KVER_6_1; fi
ko=lib/modules/$kver/updates/uringblk_driver.ko
expect_eq "installed module's vermagic" "$(modinfo -F vermagic "$root/$ko" | cut -d' ' -f1)" "$kver"

udevdir=$(pkg-config --variable=udevdir udev 2>/dev/null || echo /lib/udev)
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
expected=(
	"$ko"
	"${prefix#/}/sbin/uringblk-admin"
	"${prefix#/}/bin/uringblk-bench"
	"${prefix#/}/bin/uringblk_test"
	"${prefix#/}/include/linux/uringblk.h"
	"${prefix#/}/lib/liburingblk-uapi.a"
	"${prefix#/}/lib/pkgconfig/uringblk-uapi.pc"
	"${prefix#/}/lib/cmake/uringblk/uringblkConfig.cmake"
	"${prefix#/}/lib/cmake/uringblk/uringblkConfigVersion.cmake"
	"${prefix#/}/lib/cmake/uringblk/uringblkTargets.cmake"
	"${prefix#/}/lib/uringblk/uringblk-load"
	"${prefix#/}/share/man/man8/uringblk-admin.8"
	"${prefix#/}/share/man/man1/uringblk_test.1"
	"${prefix#/}/share/man/man1/uringblk-bench.1"
	"${prefix#/}/share/doc/uringblk/examples/uringblk-modprobe.conf"
	"${udevdir#/}/rules.d/60-uringblk.rules"
	"${unitdir#/}/uringblk.service"
	etc/uringblk.conf
)
for h in "$TOP"/userspace/lib/include/uringblk/*.hpp; do
	expected+=("${prefix#/}/include/uringblk/${h##*/}")
done
expect_files "$root" "${expected[@]}"
# Nothing else, but the build-type file of the CMake export.
unexpected=$(cd "$root" && find . -type f | sed 's|^\./||' | sort |
	grep -vxF -f <(printf '%s\n' "${expected[@]}") |
	grep -vE "^${prefix#/}/lib/cmake/uringblk/uringblkTargets-[a-z]+\.cmake$" || true)
expect_eq "files make install should not install" "$unexpected" ""

[ -x "$root$prefix/lib/uringblk/uringblk-load" ] || fail "uringblk-load not executable"
grep -qx "ExecStart=$prefix/lib/uringblk/uringblk-load start" "$root/${unitdir#/}/uringblk.service" ||
	fail "the installed unit does not run $prefix/lib/uringblk/uringblk-load"
pass "the installed unit runs $prefix/lib/uringblk/uringblk-load"
expect_eq "uringblk-admin --version" "$("$root$prefix/sbin/uringblk-admin" --version)" "uringblk-admin $VERSION"

# Again, with an edited configuration: it is kept.
echo "nr_devices=3" >>"$root/etc/uringblk.conf"
make -C "$TOP" --no-print-directory install-data DESTDIR="$root" PREFIX=$prefix >"$TMP/install2.log" 2>&1 ||
	{ cat "$TMP/install2.log" >&2; fail "second make install-data"; }
expect_eq "edited /etc/uringblk.conf after a second install" "$(tail -n1 "$root/etc/uringblk.conf")" nr_devices=3

# A CMake consumer of the installed package.
mkdir -p "$TMP/consumer"
write_consumer "$TMP/consumer/main.cpp"
cat >"$TMP/consumer/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(consumer CXX)
find_package(uringblk 1.0 REQUIRED)
add_executable(consumer main.cpp)
target_link_libraries(consumer PRIVATE uringblk::uapi)
EOF
run_logged "$TMP/consumer.log" cmake -S "$TMP/consumer" -B "$TMP/consumer/build" \
	-DCMAKE_PREFIX_PATH="$root$prefix" -DCMAKE_CXX_STANDARD=20
run_logged "$TMP/consumer-build.log" cmake --build "$TMP/consumer/build"
out=$("$TMP/consumer/build/consumer") || fail "the CMake consumer failed: $out"
pass "find_package(uringblk) + uringblk::uapi from the installed tree: $out"
