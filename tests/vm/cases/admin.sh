#!/usr/bin/env bash
# The admin plane against the truth, with nr_devices=2:
#  1. every command over both transports (URING_CMD, ioctl) equals sysfs,
#     the BLK* ioctls and HDIO_GETGEO (admin_check truth);
#  2. GET_STATS counts exactly the I/O issued after a stats_reset, with the
#     write cache on and off, and only on the device it was issued to
#     (admin_check io);
#  3. the p50/p99 latencies: zero after a reset, non-zero after I/O, p50 <=
#     p99, and within a band of fio's completion latency; batched and polled
#     I/O counted exactly, with latencies;
#  4. the uringblk-admin CLI: human and JSON output against sysfs, list,
#     --transport ioctl, exit status 2 for bad usage and 1 for failures,
#     reset-stats;
#  5. every error with its exact errno (ucmd_raw errors) and unprivileged
#     callers (EACCES from open(), EPERM from the driver, no data).
. "$(dirname "$0")/../lib.sh"

need_admin
ADM=$UBK_ADMIN
ubk_load nr_devices=2
expect_eq "devices" "$(compgen -G '/sys/block/uringblk*' | wc -l)" 2

# ---- 1. every command over both transports equals the truth ----
echo "[${SECONDS} s] 1. every command over both transports equals the truth"
achk truth uringblk0
achk truth uringblk1

# ---- 2. GET_STATS counts exactly the I/O issued ----
echo "[${SECONDS} s] 2. GET_STATS counts exactly the I/O issued"
expect_eq "queue/write_cache" "$(ubk_qattr write_cache)" "write back"
achk io uringblk0 uringblk1
achk io uringblk1 uringblk0
# Write-through: the fsync's empty flush ends in the block layer, and the
# write_cache feature bit follows the live setting.
echo "write through" >"$QSYS/write_cache"
achk truth uringblk0
achk io uringblk0 uringblk1
echo "write back" >"$QSYS/write_cache"
achk truth uringblk0

# ---- 3. latency percentiles ----
echo "[${SECONDS} s] 3. latency percentiles"
# GET_STATS p50/p99 as "read_p50 read_p99 write_p50 write_p99" (uring), after
# checking that the ioctl transport gives the same answer.
lat_now() {
	local u i
	u=$("$ADMIN_CHECK" stats uringblk0 uring) || fail "GET_STATS over uring"
	i=$("$ADMIN_CHECK" stats uringblk0 ioctl) || fail "GET_STATS over ioctl"
	[ "$u" = "$i" ] || fail "GET_STATS differs between uring and ioctl: $u / $i"
	awk -F= '/^p50_read/ {a=$2} /^p99_read/ {b=$2} /^p50_write/ {c=$2}
		/^p99_write/ {d=$2} END {print a, b, c, d}' <<<"$u"
}

# stats_reset, then one fio run of two jobs one after the other (stonewall),
# QD1, 3 s each: 4 KiB random reads, then 256 KiB random writes; GET_STATS
# p50/p99 of reads and of writes are compared with the clat percentiles of
# the job of that direction.
#
# The band. The driver times each request from ->queue_rq() to its
# completion (kmod/blkmq.c); fio's psync engine times the whole pread/pwrite
# system call, which contains that interval. So for every I/O the driver's
# time is <= fio's, and therefore so is every percentile: driver p50/p99 <=
# fio p50/p99 (1.04x + 1 us of slack: each histogram's buckets are within
# 1/64 of the value, and the driver rounds to whole microseconds). psync,
# not io_uring: with io_uring fio stamps the issue time after
# io_uring_enter() returns, and a RAM disk completes inside that call, so
# fio's io_uring clat does not contain the driver's part at all.
# The lower bound depends on the share of the driver in one system call. At
# 4 KiB the copy is small next to the system call and the block layer
# (measured 12-22% on TCG, less when the host is loaded; more on hardware),
# so the bound is 1/32x: it catches a unit error (ns or ms instead of us) or
# an empty histogram, not a small bias. At 256 KiB the copy dominates
# (measured 62-80% on TCG), so the bound is 1/4x, which also catches a
# percentile taken from the wrong end of the histogram or from the other
# direction (4 KiB reads are ~30x faster).
# (The issue's example band, [0.25x, 4x] of fio's 4 KiB io_uring clat, does
# not hold: that clat does not contain the driver's time, see above.)
"$ADM" reset-stats uringblk0 >/dev/null || fail "reset-stats"
expect_eq "p50/p99 read/write after stats_reset" "$(lat_now)" "0 0 0 0"
LAT_JSON=/tmp/fio-lat.json
fio --filename=/dev/uringblk0 --direct=1 --ioengine=psync --size=512M --time_based \
	--runtime=3 --randrepeat=0 --output-format=json --output=$LAT_JSON \
	--name=r4k --rw=randread --bs=4k \
	--name=w256k --stonewall --rw=randwrite --bs=256k >/dev/null || fail "fio latency jobs"
fio_errors_none $LAT_JSON
LAT=$(lat_now)
read -ra LATV <<<"$LAT"
python3 - $LAT_JSON "${LATV[@]}" <<'PY' || fail "latency percentiles: $LAT"
import json, sys
jobs = {j["jobname"]: j for j in json.load(open(sys.argv[1]))["jobs"]}
r50, r99, w50, w99 = map(int, sys.argv[2:6])
errs = []
for name, d, g50, g99, lo in (("r4k", "read", r50, r99, 1 / 32), ("w256k", "write", w50, w99, 1 / 4)):
    job = jobs[name][d]
    pct = job["clat_ns"]["percentile"]
    f50, f99 = pct["50.000000"] / 1000, pct["99.000000"] / 1000
    print(f"{name}: {job['total_ios']} {d}s; GET_STATS p50/p99 {g50}/{g99} us, "
          f"fio clat p50/p99 {f50:.1f}/{f99:.1f} us, p50 ratio {g50 / f50:.2f} "
          f"(band [{lo:g} x, 1.04 x + 1 us])")
    if not (g50 > 0 and g99 > 0):
        errs.append(f"{d}: a percentile is 0 after I/O")
    if g50 > g99:
        errs.append(f"{d}: p50 > p99")
    if g50 > 1.04 * f50 + 1:
        errs.append(f"{d}: p50 {g50} us above fio's {f50:.1f} us")
    if g99 > 1.04 * f99 + 1:
        errs.append(f"{d}: p99 {g99} us above fio's {f99:.1f} us")
    if g50 < lo * f50:
        errs.append(f"{d}: p50 {g50} us below {lo:g} x fio's {f50:.1f} us")
sys.exit("; ".join(errs) if errs else 0)
PY
pass "p50/p99 read and write: non-zero, p50 <= p99, within the band of fio's clat"
"$ADM" reset-stats uringblk0 >/dev/null || fail "reset-stats"
expect_eq "p50/p99 read/write after stats_reset" "$(lat_now)" "0 0 0 0"

# Batched and polled I/O. uringblk-bench submits plugged batches, which
# blk-mq hands to ->queue_rqs(); the driver accounts the inline completions
# of a batch, and everything one ->poll() call reaps, together with one
# clock reading (kmod/blkmq.c). Every request must still count once, with
# its bytes and a latency, interrupt-style and polled.
UBENCH=$UBK_BIN/uringblk-bench
for mode in interrupt poll; do
	flag=""
	[ $mode = poll ] && flag=--poll
	"$ADM" reset-stats uringblk0 >/dev/null || fail "reset-stats"
	for rw in randread:4096 randwrite:2048; do
		# shellcheck disable=SC2086
		"$UBENCH" iops -d /dev/uringblk0 --rw "${rw%:*}" --bs 4k --qd 32 --count "${rw#*:}" \
			--size $((64 << 20)) $flag -q >/dev/null || fail "uringblk-bench ${rw%:*} $mode"
	done
	want_polled=0
	[ $mode = poll ] && want_polled=6144
	expect_eq "$mode: read_ops write_ops read_bytes write_bytes polled_completions" \
		"$(ubk_attr read_ops) $(ubk_attr write_ops) $(ubk_attr read_bytes) $(ubk_attr write_bytes) $(ubk_attr polled_completions)" \
		"4096 2048 $((4096 * 4096)) $((2048 * 4096)) $want_polled"
	read -ra LATV <<<"$(lat_now)"
	if ! [ "${LATV[0]}" -gt 0 ] || ! [ "${LATV[2]}" -gt 0 ] ||
		[ "${LATV[0]}" -gt "${LATV[1]}" ] || [ "${LATV[2]}" -gt "${LATV[3]}" ]; then
		fail "$mode batches: p50/p99 read/write ${LATV[*]}"
	fi
done
pass "batched (->queue_rqs) and polled I/O: every request counted once, with a latency"
"$ADM" reset-stats uringblk0 >/dev/null || fail "reset-stats"

# ---- 4. the CLI ----
echo "[${SECONDS} s] 4. the CLI"
MODEL=$(ubk_attr model)
expect_status "identify /dev/uringblk0" 0 "$ADM" identify /dev/uringblk0
printf '%s\n' "$OUT"
J=$OUT python3 - "$MODEL" "$(cat /sys/block/uringblk0/size)" <<'PY' || fail "identify human output"
import os, re, sys
model, size = sys.argv[1], sys.argv[2]
lines = os.environ["J"].splitlines()
assert lines[0] == "uringblk Identify (/dev/uringblk0):", lines[0]
cols, fields = set(), {}
for l in lines[1:]:
    m = re.fullmatch(r"([a-z_0-9]+) +: (.*)", l)
    assert m, f"not 'field : value': {l!r}"
    cols.add(l.index(" : "))
    fields[m.group(1)] = m.group(2)
assert len(cols) == 1, f"colons not aligned: columns {sorted(cols)}"
assert fields.get("model") == model, fields.get("model")
assert fields.get("capacity_sectors") == size, fields.get("capacity_sectors")
for k in ("firmware", "logical_block_size", "physical_block_size", "features", "queue_count",
          "queue_depth", "max_segments", "discard_max_bytes"):
    assert k in fields, f"no {k}"
PY
pass "identify: aligned 'field : value' lines, model '$MODEL'"

# cli_json CMD DEV: run `uringblk-admin CMD DEV -o json` over both transports,
# require exit 0 and identical JSON; the output is in $OUT and is kept in
# /tmp/cli/CMD@NAME.json for the comparison with sysfs below.
mkdir -p /tmp/cli
cli_json() {
	local uring
	expect_status "$1 $2 -o json" 0 "$ADM" "$1" "$2" -o json
	uring=$OUT
	expect_status "$1 $2 -o json --transport ioctl" 0 "$ADM" --transport ioctl "$1" "$2" -o json
	[ "$OUT" = "$uring" ] || fail "$1: ioctl JSON differs from uring JSON: $uring / $OUT"
	pass "$1 $2: --transport ioctl gives the same JSON"
	printf '%s\n' "$OUT" >"/tmp/cli/$1@$(basename "$2").json"
}
for c in identify limits features geometry stats; do
	cli_json $c /dev/uringblk0
done
cli_json identify /dev/uringblk1
cli_json stats /dev/uringblk1
# Every value of those JSON documents equals the truth, keys in the
# documented order (docs/userspace.md).
python3 - /tmp/cli/*.json <<'PY' || fail "-o json does not match sysfs"
import fcntl, json, os, struct, sys
ORDER = {
    "identify": "model firmware logical_block_size physical_block_size capacity_sectors "
                "capacity_bytes features_bitmap features queue_count queue_depth max_segments "
                "max_segment_size dma_alignment io_min io_opt discard_granularity "
                "discard_max_bytes",
    "limits": "max_hw_sectors_kb max_sectors_kb nr_hw_queues queue_depth max_segments "
              "max_segment_size dma_alignment io_min io_opt discard_granularity "
              "discard_max_bytes",
    "features": "features_bitmap features",
    "geometry": "capacity_sectors capacity_bytes logical_block_size physical_block_size "
                "cylinders heads sectors_per_track",
    "stats": "read_ops write_ops flush_ops discard_ops read_sectors write_sectors read_bytes "
             "write_bytes queue_full_events media_errors retries p50_read_latency_us "
             "p99_read_latency_us p50_write_latency_us p99_write_latency_us",
}
def check(path):
    cmd, name = os.path.basename(path)[:-5].split("@")
    dev = "/dev/" + name
    j = json.load(open(path))
    B = f"/sys/block/{name}"
    def rd(p):
        return open(p).read().strip()
    def q(a):
        return int(rd(f"{B}/queue/{a}"))
    def u(a):
        return int(rd(f"{B}/uringblk/{a}"), 0)
    assert list(j)[0] == "version" and j["version"] == 1, "first key 'version' = 1"
    assert j["device"] == dev, j["device"]
    want = {}
    lim = dict(max_segments=q("max_segments"), max_segment_size=q("max_segment_size"),
               dma_alignment=q("dma_alignment"),
               io_min=q("minimum_io_size"), io_opt=q("optimal_io_size"),
               discard_granularity=q("discard_granularity"),
               discard_max_bytes=q("discard_max_bytes"), queue_depth=u("queue_depth"))
    if cmd == "identify":
        want = dict(lim, model=rd(f"{B}/uringblk/model"), firmware=rd(f"{B}/uringblk/firmware_rev"),
                    logical_block_size=q("logical_block_size"),
                    physical_block_size=q("physical_block_size"),
                    capacity_sectors=int(rd(f"{B}/size")), capacity_bytes=int(rd(f"{B}/size")) * 512,
                    features_bitmap=u("features"), queue_count=u("nr_hw_queues"))
    elif cmd == "limits":
        want = dict(lim, max_hw_sectors_kb=q("max_hw_sectors_kb"),
                    max_sectors_kb=q("max_sectors_kb"), nr_hw_queues=u("nr_hw_queues"))
    elif cmd == "features":
        want = dict(features_bitmap=u("features"))
    elif cmd == "geometry":
        fd = os.open(dev, os.O_RDONLY)
        heads, sectors, cyl, start = struct.unpack("@BBHL", fcntl.ioctl(fd, 0x0301, bytes(16)))
        os.close(fd)
        want = dict(capacity_sectors=int(rd(f"{B}/size")), capacity_bytes=int(rd(f"{B}/size")) * 512,
                    logical_block_size=q("logical_block_size"),
                    physical_block_size=q("physical_block_size"),
                    cylinders=cyl, heads=heads, sectors_per_track=sectors)
    elif cmd == "stats":
        want = {c: u(c) for c in ("read_ops", "write_ops", "flush_ops", "discard_ops", "read_bytes",
                                  "write_bytes", "queue_full_events", "media_errors", "retries")}
        want.update(read_sectors=want["read_bytes"] // 512, write_sectors=want["write_bytes"] // 512)
        for k in ("p50_read_latency_us", "p99_read_latency_us", "p50_write_latency_us",
                  "p99_write_latency_us"):
            assert isinstance(j[k], int), k
    if cmd in ("identify", "features"):
        names = ["write_cache", "fua", "flush", "discard", "write_zeroes", "zoned", "polling"]
        want["features"] = [n for i, n in enumerate(names) if u("features") >> i & 1]
    bad = {k: (j.get(k), v) for k, v in want.items() if j.get(k) != v}
    extra = set(j) - set(want) - {"version", "device"} - (
        {"p50_read_latency_us", "p99_read_latency_us", "p50_write_latency_us",
         "p99_write_latency_us"} if cmd == "stats" else set())
    assert not bad, f"got/want: {bad}"
    assert not extra, f"keys not checked: {extra}"
    assert list(j) == ["version", "device"] + ORDER[cmd].split(), f"key order: {list(j)}"
    print(f"{cmd} {dev}: {len(want)} values equal sysfs, keys in order")
for path in sys.argv[1:]:
    try:
        check(path)
    except AssertionError as e:
        sys.exit(f"{path}: {e}")
PY
pass "identify, limits, features, geometry, stats -o json match sysfs"
# A kernel name and an index name the same device.
expect_status "identify uringblk1 -o json" 0 "$ADM" identify uringblk1 -o json
a=$OUT
expect_status "identify 1 -o json" 0 "$ADM" -o json identify 1
[ "$a" = "$OUT" ] || fail "identify uringblk1 != identify 1: $a / $OUT"
pass "identify uringblk1 = identify 1 (both /dev/uringblk1)"

expect_status "list" 0 "$ADM" list
printf '%s\n' "$OUT"
for n in 0 1; do
	grep -Eq "^/dev/uringblk$n +$MODEL +$(ubk_attr serial uringblk$n) " <<<"$OUT" ||
		fail "list: no line for /dev/uringblk$n"
done
expect_eq "list: lines" "$(grep -c '^/dev/uringblk' <<<"$OUT")" 2
expect_status "list -o json" 0 "$ADM" list -o json
python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["version"] == 1
d = j["devices"]
assert [x["name"] for x in d] == ["uringblk0", "uringblk1"], d
for x in d:
    B = "/sys/block/" + x["name"] + "/uringblk/"
    r = lambda a: open(B + a).read().strip()
    assert x["path"] == "/dev/" + x["name"], x
    assert x["dev_id"] == int(r("dev_id")), x
    assert x["capacity"] == int(r("capacity")), x
    assert (x["model"], x["serial"], x["firmware"]) == (r("model"), r("serial"), r("firmware_rev")), x
' <<<"$OUT" || fail "list -o json: $OUT"
pass "list -o json: both devices, values equal sysfs"

# Bad usage: status 2.
expect_status "no subcommand" 2 "$ADM"
expect_status "unknown subcommand" 2 "$ADM" frobnicate /dev/uringblk0
[[ $ERR == *"unknown subcommand: frobnicate"* ]] || fail "unknown subcommand: stderr '$ERR'"
expect_status "identify without a device" 2 "$ADM" identify
expect_status "identify with two devices" 2 "$ADM" identify /dev/uringblk0 /dev/uringblk1
expect_status "-o xml" 2 "$ADM" identify /dev/uringblk0 -o xml
expect_status "--transport bogus" 2 "$ADM" --transport bogus identify /dev/uringblk0
expect_status "unknown option" 2 "$ADM" stats --frobnicate /dev/uringblk0
[ -z "$OUT" ] || fail "usage error printed on stdout: $OUT"
# A command that fails: status 1, the errno name on stderr, no data.
expect_status "identify /dev/uringblk7" 1 "$ADM" identify /dev/uringblk7
[[ $ERR == *"(ENOENT)"* ]] || fail "identify /dev/uringblk7: stderr '$ERR'"
[ -z "$OUT" ] || fail "identify /dev/uringblk7 printed '$OUT'"
expect_status "stats 7 --transport ioctl" 1 "$ADM" stats 7 --transport ioctl
expect_status "identify /dev/null" 1 "$ADM" identify /dev/null
[[ $ERR == *"(ENOTBLK)"* ]] || fail "identify /dev/null: stderr '$ERR'"
expect_status "identify /dev/uringblk7 -o json" 1 "$ADM" identify /dev/uringblk7 -o json
python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["version"] == 1 and j["error"]["errno_name"] == "ENOENT" and "model" not in j, j' \
	<<<"$OUT" || fail "error JSON: $OUT"
pass "failure JSON: version 1, error ENOENT"

# reset-stats zeroes the counters.
dd if=/dev/uringblk0 of=/dev/null bs=64k count=4 iflag=direct status=none
dd if=/dev/zero of=/dev/uringblk0 bs=4k count=3 oflag=direct status=none
expect_status "stats after I/O" 0 "$ADM" stats /dev/uringblk0 -o json
python3 -c 'import json, sys; j = json.load(sys.stdin); assert j["read_ops"] >= 4 and j["write_ops"] >= 3 and j["p50_read_latency_us"] > 0, j' \
	<<<"$OUT" || fail "stats after I/O: $OUT"
expect_status "reset-stats" 0 "$ADM" reset-stats /dev/uringblk0
expect_status "stats after reset-stats" 0 "$ADM" stats /dev/uringblk0 -o json
python3 -c '
import json, sys
j = json.load(sys.stdin)
nz = {k: v for k, v in j.items() if k not in ("version", "device") and v != 0}
assert not nz, nz' <<<"$OUT" || fail "stats not zero after reset-stats: $OUT"
expect_eq "sysfs read_ops after reset-stats" "$(ubk_attr read_ops)" 0
pass "reset-stats zeroes every counter and latency"

# ---- 5. errors: the exact errno of every case, unprivileged callers ----
echo "[${SECONDS} s] 5. errors: the exact errno of every case, unprivileged callers"
"$UBK_BIN/ucmd_raw" errors 0 || fail "ucmd_raw errors 0"
"$UBK_BIN/ucmd_raw" errors 1 || fail "ucmd_raw errors 1"

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
expect_mode "/dev/uringblk-ctl" /dev/uringblk-ctl 600
# The CLI as nobody: the control node is 0600 root, open() says EACCES.
expect_status "identify as nobody" 1 "${NOBODY[@]}" "$ADM" identify /dev/uringblk0
[[ $ERR == *"(EACCES)"* ]] || fail "identify as nobody: stderr '$ERR'"
[ -z "$OUT" ] || fail "identify as nobody printed '$OUT'"
expect_status "stats -o json as nobody" 1 "${NOBODY[@]}" "$ADM" stats /dev/uringblk0 -o json
python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["error"]["errno_name"] == "EACCES" and "read_ops" not in j, j' <<<"$OUT" ||
	fail "stats -o json as nobody: $OUT"
# A small open() as nobody.
"${NOBODY[@]}" python3 -c '
import errno, os
for p in ("/dev/uringblk-ctl", "/dev/uringblk0"):
    for fl in (os.O_RDWR, os.O_RDONLY):
        try:
            os.open(p, fl)
        except PermissionError as e:
            assert e.errno == errno.EACCES, (p, e)
        else:
            raise SystemExit(f"open {p} as nobody succeeded")' || fail "open as nobody"
pass "open of /dev/uringblk-ctl and /dev/uringblk0 as nobody: EACCES"

# A block device nobody may open: the driver itself refuses (no
# CAP_SYS_ADMIN) with EPERM and writes nothing.
chmod 0666 /dev/uringblk0
expect_status "identify --transport ioctl as nobody" 1 \
	"${NOBODY[@]}" "$ADM" identify /dev/uringblk0 --transport ioctl
[[ $ERR == *"(EPERM)"* ]] || fail "identify --transport ioctl as nobody: stderr '$ERR'"
[ -z "$OUT" ] || fail "identify --transport ioctl as nobody printed '$OUT'"
"${NOBODY[@]}" python3 -c '
import ctypes, errno, fcntl, os, struct
fd = os.open("/dev/uringblk0", os.O_RDONLY)
for nr, size in ((1, 120), (2, 48), (3, 8), (5, 20), (6, 104)):
    buf = ctypes.create_string_buffer(b"\xa5" * size, size)
    cmd = struct.pack("<HHHHIIQII16x", 1, 0, nr, 0, 0, 0xFFFFFFFF, ctypes.addressof(buf), size, 0)
    try:
        fcntl.ioctl(fd, 0xC030B500 | nr, bytearray(cmd))
    except PermissionError as e:
        assert e.errno == errno.EPERM, e
    else:
        raise SystemExit(f"opcode {nr} as nobody succeeded")
    assert buf.raw == b"\xa5" * size, f"opcode {nr}: response buffer written"' ||
	fail "raw ioctl as nobody"
pass "raw ioctls as nobody: EPERM, response buffer untouched"
chmod 0600 /dev/uringblk0
# root without CAP_SYS_ADMIN: opens the control node, the driver says EPERM.
NOADMIN=(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin)
for t in uring ioctl; do
	expect_status "identify --transport $t without CAP_SYS_ADMIN" 1 \
		"${NOADMIN[@]}" "$ADM" identify /dev/uringblk0 --transport $t
	[[ $ERR == *"(EPERM)"* ]] || fail "identify $t without CAP_SYS_ADMIN: stderr '$ERR'"
	[ -z "$OUT" ] || fail "identify $t without CAP_SYS_ADMIN printed '$OUT'"
done

# The device still answers correctly, then unloads.
achk truth uringblk0
achk truth uringblk1
ubk_unload
ubk_absent "after rmmod"
dmesg_clean
pass "admin (${SECONDS} s in the guest)"
