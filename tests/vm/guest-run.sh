#!/bin/sh
# PID 1 inside the guest after switch_root: run the command that
# tests/vm/run left in the output share, record its status and the kernel
# log there, and power off. tests/vm/run copies this script into the share
# (/run/ubk), so it runs wherever the repository is.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
out=/run/ubk
mount -t devpts devpts /dev/pts 2>/dev/null
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm 2>/dev/null
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up 2>/dev/null
hostname uringblk-vm 2>/dev/null

# The repository, at its host path, writable: a RAM overlay over its own
# read-only 9p export (ubkrepo). The guest's tmpfs on /tmp and /run would hide
# a checkout there otherwise (the host root export, "hostroot", is mounted
# once, by the initramfs, and a virtio-9p export cannot be mounted twice);
# doing it for every checkout keeps one code path.
repo=$(cat $out/cwd)
r=/run/ubk-repo
if ! err=$(mkdir -p $r/lower $r/upper $r/work "$repo" 2>&1 &&
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 ubkrepo $r/lower 2>&1 &&
	mount -t overlay overlay -o "lowerdir=$r/lower,upperdir=$r/upper,workdir=$r/work" "$repo" 2>&1); then
	echo "vm: cannot mount the repository $repo in the guest: $err" >$out/output
	dmesg >$out/dmesg
	echo 125 >$out/rc
	sync
	/bin/busybox poweroff -f
fi

echo "vm: running" >/dev/console
cd "$repo" && bash $out/cmd >$out/output 2>&1 </dev/null
echo $? >$out/rc.tmp

# Debug kernel: a kmemleak scan once the module is gone (the case unloaded
# it, or never loaded it). A suspected leak whose allocation backtrace shows
# uringblk, or a raw kernel address (the code of a module unloaded since,
# which kallsyms can no longer name), is the module's: it goes into the
# kernel log as "uringblk-vm: kmemleak ..." lines, which tests/vm/run fails
# on. Other suspects (core-kernel false positives, boot-time objects) are
# only kept in build/vm/last-kmemleak.txt and counted in the output.
kml=/sys/kernel/debug/kmemleak
if [ -w $kml ] && [ ! -d /sys/module/uringblk_driver ]; then
	# kmemleak reports only objects older than 5 s.
	sleep 5
	echo scan >$kml
	echo scan >$kml
	cat $kml >$out/kmemleak
	awk '
		/^unreferenced object/ { flush(); blk = $0; own = 0; bt = 0; next }
		blk != "" { blk = blk "\n" $0 }
		/^ *backtrace/ { bt = 1; next }
		bt && /uringblk|(^|[] ])0xffffffff[0-9a-f]+$/ { own = 1 }
		function flush() { if (blk != "" && own) print blk; blk = "" }
		END { flush() }' $out/kmemleak >$out/kmemleak.own
	n_all=$(grep -c '^unreferenced object' $out/kmemleak)
	n_own=$(grep -c '^unreferenced object' $out/kmemleak.own)
	if [ "$n_own" != 0 ]; then
		echo "vm: kmemleak: $n_own leak(s) attributable to uringblk:" >>$out/output
		cat $out/kmemleak.own >>$out/output
		while IFS= read -r l; do
			printf 'uringblk-vm: kmemleak %s\n' "$l" >/dev/kmsg
		done <$out/kmemleak.own
	elif [ "$n_all" != 0 ]; then
		echo "vm: kmemleak: $n_all suspected leak(s), none attributable to uringblk (build/vm/last-kmemleak.txt)" >>$out/output
	fi
fi

dmesg >$out/dmesg
mv $out/rc.tmp $out/rc
sync
/bin/busybox poweroff -f
