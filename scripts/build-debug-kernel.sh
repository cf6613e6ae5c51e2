#!/usr/bin/env bash
# Build (once per machine) the uringblk debug kernel: Debian's linux-source-6.12
# configured as x86_64_defconfig + kvm_guest.config + tests/vm/debug-kernel.config
# (KASAN, lockdep, kmemleak, debug objects, fault injection).
#
#   scripts/build-debug-kernel.sh [--print-dir]
#
# Cached in $URINGBLK_CACHE/kernels/debug-<source version>-<hash>/ (hash of the
# fragment and of $recipe below), laid out like the extracted Debian kernels:
#   vmlinuz, initramfs.cpio.gz, root/lib/modules/<release>/, release,
#   build/ (the full build tree with Module.symvers: KDIR for out-of-tree
#   modules), build.log, build-seconds.
# --print-dir prints that directory and exits (no build). Nothing is built
# when .ready exists. Uses `nice -n 10 make -j$DEBUG_KERNEL_JOBS` (default 2).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${URINGBLK_CACHE:-/var/cache/uringblk}
frag=$here/tests/vm/debug-kernel.config
jobs=${DEBUG_KERNEL_JOBS:-2}
pkg=linux-source-6.12
# Bump when a change to this script changes what it builds (part of the
# cache key, like the fragment; edits that do not change the result keep the
# cached build).
recipe="x86_64_defconfig kvm_guest.config fragment; bzImage modules; v1"

log() { printf 'debug-kernel: %s\n' "$*" >&2; }

export DEBIAN_FRONTEND=noninteractive
build_deps=("$pkg" flex bison libelf-dev libssl-dev bc cpio xz-utils rsync kmod build-essential)
missing=()
for p in "${build_deps[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "${1:-}" = --print-dir ] && ! dpkg-query -W "$pkg" >/dev/null 2>&1; then
		log "$pkg is not installed"; exit 1
	fi
	log "installing: ${missing[*]}"
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

srcver=$(dpkg-query -W -f='${Version}' "$pkg")
hash=$({ cat "$frag"; echo "$recipe"; } | sha256sum | cut -c1-12)
dir=$cache/kernels/debug-$(printf %s "$srcver" | tr -c 'A-Za-z0-9.+-' _)-$hash

if [ "${1:-}" = --print-dir ]; then
	echo "$dir"
	exit 0
fi
if [ -f "$dir/.ready" ]; then
	echo "$dir"
	exit 0
fi
# One build at a time per cache (several checkouts may run the set-up at once):
# whoever gets the lock second finds .ready and uses the first one's build.
mkdir -p "$cache/kernels"
exec 9>"$cache/kernels/.debug-build.lock"
flock 9
if [ -f "$dir/.ready" ]; then
	echo "$dir"
	exit 0
fi

log "building $pkg $srcver with $(basename "$frag") ($hash) in $dir; log: $dir/build.log"
start=$SECONDS
# An interrupted build resumes (make is incremental; the source version is
# part of the key).
if [ ! -f "$dir/.extracted" ]; then
	rm -rf "$dir"
	mkdir -p "$dir/build"
	tar -xf "/usr/src/$pkg.tar.xz" -C "$dir/build" --strip-components=1
	touch "$dir/.extracted"
fi
rm -rf "$dir/root" && mkdir -p "$dir/root"
cd "$dir/build"
{
	make -s x86_64_defconfig
	make -s kvm_guest.config
	scripts/kconfig/merge_config.sh -m .config "$frag"
	make -s olddefconfig
} >"$dir/build.log" 2>&1

# Every line of the fragment must have survived olddefconfig (a misspelt or
# unsatisfiable option would silently vanish otherwise).
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF -- "$line" .config || { log "not in .config: $line (got: $(grep -E "^(# )?${line%%=*}[= ]" .config || echo none))"; bad=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		if grep -qE "^$opt=" .config; then log "still set: $(grep -E "^$opt=" .config)"; bad=1; fi ;;
	esac
done <"$frag"
[ $bad = 0 ] || { log "the fragment does not apply; see $dir/build/.config"; exit 1; }

nice -n 10 make -j"$jobs" bzImage modules >>"$dir/build.log" 2>&1 || {
	tail -n 40 "$dir/build.log" >&2
	log "build failed; full log: $dir/build.log"
	exit 1
}
release=$(make -s kernelrelease)
make -s INSTALL_MOD_PATH="$dir/root" INSTALL_MOD_STRIP=1 modules_install >>"$dir/build.log" 2>&1
rm -f "$dir/root/lib/modules/$release/build" "$dir/root/lib/modules/$release/source"
cp arch/x86/boot/bzImage "$dir/vmlinuz"
echo "$release" >"$dir/release"
depmod -b "$dir/root" "$release"
"$here/tests/vm/mkinitramfs.sh" "$dir" "$release"
echo $((SECONDS - start)) >"$dir/build-seconds"
touch "$dir/.ready"
log "built $release in $((SECONDS - start)) s"
echo "$dir"
