#!/usr/bin/env bash
# Idempotent set-up for uringblk: Debian packages, the two supported kernels
# (headers + matching images for the QEMU test bed), per-kernel initramfs, and
# the debug kernel (scripts/build-debug-kernel.sh: built once per machine,
# about 30 minutes on 2 cores when its cache is cold).
#
# Usage: scripts/setup.sh [--no-vm] [--no-debug]
#   --no-vm     packages and kernel headers only (no guest kernels)
#   --no-debug  no debug kernel (make demo and make bench never boot it)
# Writes build/kernels.env (KVER_6_1=..., KVER_6_12=..., KDEBUG_DIR=...,
# URINGBLK_CACHE=...).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${URINGBLK_CACHE:-/var/cache/uringblk}
want_vm=1
want_debug=1
for arg in "$@"; do
	case $arg in
	--no-vm) want_vm=0 ;;
	--no-debug) want_debug=0 ;;
	*) echo "usage: scripts/setup.sh [--no-vm] [--no-debug]" >&2; exit 2 ;;
	esac
done

log() { printf 'setup: %s\n' "$*" >&2; }

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_update_once() {
	if [ $apt_updated = 0 ]; then
		log "apt-get update"
		apt-get update -q >/dev/null
		apt_updated=1
	fi
}

have_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || return 1
	done
}

install_pkgs() {
	if ! have_pkgs "$@"; then
		apt_update_once
		log "installing: $*"
		apt-get install -y -q --no-install-recommends "$@" >/dev/null
	fi
}

# Host tools and libraries.
base_pkgs=(build-essential make cmake pkg-config git ca-certificates
	linux-headers-amd64 kmod xz-utils cpio busybox-static
	qemu-system-x86 liburing-dev nlohmann-json3-dev catch2 libcli11-dev
	fio e2fsprogs xfsprogs sqlite3 util-linux fdisk bc rsync zstd dkms dh-dkms debhelper udev systemd
	python3 man-db)
install_pkgs "${base_pkgs[@]}"

# Resolve the two supported kernel series from the package lists: the newest
# 6.1 ABI (what linux-headers-amd64 depends on) and the newest 6.12 from
# bookworm-security. Nothing is hard-coded.
resolve_61() {
	dpkg-query -W -f='${Depends}\n' linux-headers-amd64 |
		grep -o 'linux-headers-6\.1\.0-[0-9]*-amd64' | head -n1 |
		sed 's/^linux-headers-//'
}
resolve_612() {
	local v
	v=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' 2>/dev/null |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V | tail -n1)
	if [ -z "$v" ]; then
		apt_update_once
		v=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
			awk '{print $1}' | sed 's/^linux-headers-//' | sort -V | tail -n1)
	fi
	echo "$v"
}

kver61=$(resolve_61)
kver612=$(resolve_612)
[ -n "$kver61" ] || { log "cannot resolve the 6.1 kernel"; exit 1; }
[ -n "$kver612" ] || { log "cannot resolve the 6.12 kernel (is bookworm-security in the apt sources?)"; exit 1; }
install_pkgs "linux-headers-$kver61" "linux-headers-$kver612"

# The debug kernel's cache directory (its key: the linux-source-6.12 version
# and the config fragment); empty until linux-source-6.12 is installed.
kdebug=$(URINGBLK_CACHE=$cache "$here/scripts/build-debug-kernel.sh" --print-dir 2>/dev/null || true)

mkdir -p "$here/build"
cat >"$here/build/kernels.env" <<ENV
KVER_6_1=$kver61
KVER_6_12=$kver612
KDEBUG_DIR=$kdebug
URINGBLK_CACHE=$cache
ENV
log "kernels: 6.1 -> $kver61, 6.12 -> $kver612"

[ $want_vm = 1 ] || exit 0

# Kernel images and module trees for the guests, extracted into the cache.
fetch_kernel() {
	local ver=$1 dir="$cache/kernels/$1"
	if [ -f "$dir/.ready" ]; then
		return 0
	fi
	log "fetching linux-image-$ver-unsigned"
	rm -rf "$dir" && mkdir -p "$dir/root"
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q "linux-image-$ver-unsigned" >/dev/null) || {
		apt_update_once
		(cd "$tmp" && apt-get download -q "linux-image-$ver-unsigned" >/dev/null)
	}
	dpkg -x "$tmp"/linux-image-*.deb "$dir/root"
	rm -rf "$tmp"
	cp "$dir/root/boot/vmlinuz-$ver" "$dir/vmlinuz"
	depmod -b "$dir/root" "$ver"
	touch "$dir/.ready"
}

fetch_kernel "$kver61"
fetch_kernel "$kver612"

for v in "$kver61" "$kver612"; do
	"$here/tests/vm/mkinitramfs.sh" "$cache/kernels/$v" "$v"
done

# The debug kernel (installs linux-source-6.12 and the build dependencies).
if [ $want_debug = 1 ]; then
	kdebug=$(URINGBLK_CACHE=$cache "$here/scripts/build-debug-kernel.sh")
	"$here/tests/vm/mkinitramfs.sh" "$kdebug" "$(cat "$kdebug/release")"
	sed -i "s|^KDEBUG_DIR=.*|KDEBUG_DIR=$kdebug|" "$here/build/kernels.env"
fi
log "ready"
