#!/usr/bin/env bash
# Runs inside the VM for `make demo`: load uringblk, show the device, and a
# short fio 4 KiB random-read run on /dev/uringblk0 next to brd's /dev/ram0.
set -euo pipefail
kver=$(uname -r)
ko=build/kmod/$kver/uringblk_driver.ko
admin=build/cmake/userspace/admin/uringblk-admin

echo "== kernel $kver"
insmod "$ko"
modprobe brd rd_nr=1 rd_size=$((1024 * 1024))
for _ in $(seq 50); do [ -b /dev/uringblk0 ] && break; sleep 0.1; done

echo
echo "== lsblk"
lsblk -o NAME,SIZE,LOG-SEC,PHY-SEC,ROTA,SCHED,TYPE /dev/uringblk0 /dev/ram0

if [ -x "$admin" ]; then
	echo
	echo "== uringblk-admin identify /dev/uringblk0"
	"$admin" identify /dev/uringblk0 || true
fi

# Fill both devices first so reads hit real pages on both.
for d in /dev/uringblk0 /dev/ram0; do
	fio --name=fill --filename=$d --ioengine=io_uring --direct=1 --rw=write \
		--bs=1M --size=256M --iodepth=4 --output=/dev/null
done

echo
echo "== fio: 4 KiB random read, io_uring, QD32, direct, 5 s each"
printf '%-16s %10s %12s %12s\n' device IOPS "p50 (us)" "p99 (us)"
for d in /dev/uringblk0 /dev/ram0; do
	fio --name=rr --filename=$d --ioengine=io_uring --direct=1 --rw=randread \
		--bs=4k --size=256M --iodepth=32 --time_based --runtime=5 \
		--output-format=json --output=/tmp/fio.json
	python3 - "$d" <<'PY'
import json, sys
j = json.load(open("/tmp/fio.json"))["jobs"][0]["read"]
pct = j["clat_ns"]["percentile"]
print(f"{sys.argv[1]:<16} {j['iops']:>10.0f} {pct['50.000000']/1000:>12.1f} {pct['99.000000']/1000:>12.1f}")
PY
done
echo "(TCG guest: compare the ratio between devices, not the absolute numbers)"

rmmod brd
rmmod uringblk_driver
echo
echo "== unloaded cleanly"
