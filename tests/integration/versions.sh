#!/usr/bin/env bash
# One version everywhere: the CMake project version (the source of truth) is
# dkms.conf's PACKAGE_VERSION, the upstream version of debian/changelog, the
# man page's, and what uringblk-admin --version prints (built from CMake's).
. "$(dirname "$0")/lib.sh"

[ -n "$VERSION" ] || fail "no version in CMakeLists.txt's project()"
expect_eq "dkms.conf PACKAGE_VERSION" "$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$TOP/dkms.conf")" "$VERSION"
changelog=$(cd "$TOP" && dpkg-parsechangelog -S Version)
expect_eq "debian/changelog upstream version" "${changelog%-*}" "$VERSION"
for page in "$TOP"/man/*.[18]; do
	expect_eq "man page version (${page##*/})" "$(sed -n 's/^\.TH .* "uringblk \([0-9.]*\)" .*/\1/p' "$page")" "$VERSION"
done
