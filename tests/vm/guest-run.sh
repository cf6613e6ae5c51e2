#!/bin/sh
# PID 1 inside the guest after switch_root: run the command that
# tests/vm/run left in the output share, record its status and the kernel
# log there, and power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
out=/run/ubk
mount -t devpts devpts /dev/pts 2>/dev/null
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm 2>/dev/null
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up 2>/dev/null
hostname uringblk-vm 2>/dev/null
echo "vm: running" >/dev/console
cd "$(cat $out/cwd)" && bash $out/cmd >$out/output 2>&1 </dev/null
echo $? >$out/rc.tmp
dmesg >$out/dmesg
mv $out/rc.tmp $out/rc
sync
/bin/busybox poweroff -f
