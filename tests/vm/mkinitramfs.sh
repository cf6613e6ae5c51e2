#!/usr/bin/env bash
# Build the busybox initramfs for one extracted Debian kernel.
#   tests/vm/mkinitramfs.sh KDIR KVER
# KDIR holds root/ (the dpkg -x of linux-image-KVER-unsigned) and vmlinuz.
# The initramfs loads the virtio/9p/overlay modules, mounts the host root
# read-only over virtio-9p under a RAM overlay and switch_roots into it
# (see tests/vm/init).
set -euo pipefail
kdir=$1
kver=$2
here=$(cd "$(dirname "$0")" && pwd)
out="$kdir/initramfs.cpio.gz"
stamp="$kdir/.initramfs.stamp"
sum=$(cat "$here/init" "$0" | md5sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
	exit 0
fi

moddir="$kdir/root/lib/modules/$kver"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,lower,rw,newroot,modules}
cp /bin/busybox "$work/bin/busybox"
cp "$here/init" "$work/init"
chmod +x "$work/init"

# Resolve the load order of the wanted modules from modules.dep (deps first).
declare -A seen=()
order=()
dep_of() { grep -E "(^|/)$1\.ko(\.xz|\.zst)?:" "$moddir/modules.dep" | head -n1; }
visit() {
	local name=$1 line path deps d
	line=$(dep_of "$name") || true
	[ -n "$line" ] || return 0 # built in
	path=${line%%:*}
	[ -n "${seen[$path]:-}" ] && return 0
	seen[$path]=1
	deps=${line#*:}
	for d in $deps; do
		d=$(basename "$d")
		d=${d%%.ko*}
		visit "$d"
	done
	order+=("$path")
}
for m in virtio_pci virtio_console 9pnet_virtio 9p overlay; do
	visit "$m"
done
: >"$work/modules/order"
for p in "${order[@]}"; do
	b=$(basename "$p")
	case "$b" in
	*.ko.xz) xz -dc "$moddir/$p" >"$work/modules/${b%.xz}" ;;
	*.ko.zst) zstd -qdc "$moddir/$p" >"$work/modules/${b%.zst}" ;;
	*) cp "$moddir/$p" "$work/modules/$b" ;;
	esac
	echo "${b%.ko*}.ko" >>"$work/modules/order"
done

(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$sum" >"$stamp"
echo "mkinitramfs: $out ($(wc -l <"$work/modules/order") modules)" >&2
