#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bad input a new user types, given to the built tools (no device needed):
#   cli_bad_input.sh BIN_DIR [URINGBLK_ADMIN]
# Each check runs one command and wants an exit status and a word in its stderr.
set -u
BIN=${1:?usage: cli_bad_input.sh BIN_DIR}
# A directory on a filesystem with O_DIRECT (not tmpfs) for the regular-file runs.
TMP=$(mktemp -d "${TMPDIR:-$BIN}/cli_bad_input.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failed=0 n=0

# want STATUS WORD CMD...: CMD exits STATUS and its stderr contains WORD (any stderr if WORD is
# empty).
want() {
	local status=$1 word=$2
	shift 2
	n=$((n + 1))
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" != "$status" ] || { [ -n "$word" ] && ! grep -qF -- "$word" "$TMP/err"; }; then
		echo "FAIL: $* -> exit $rc (want $status), stderr: $(head -c 300 "$TMP/err") (want '$word')"
		failed=$((failed + 1))
	else
		echo "ok: $* -> exit $rc: $(head -n1 "$TMP/err")"
	fi
}

UT=$BIN/uringblk_test
BENCH=$BIN/uringblk-bench
NODEV=/nonexistent/uringblk-none

# uringblk_test: sizes overflowing 64 bits, suffixes where no size is meant, out of range.
want 2 "--io-size" "$UT" -d "$NODEV" --io-size 17179869184G
want 2 "--io-size" "$UT" -d "$NODEV" --io-size=-4096
want 2 "--duration" "$UT" -d "$NODEV" --duration=18014398509481985k
want 2 "--duration" "$UT" -d "$NODEV" --duration=5k
want 2 "--duration" "$UT" -d "$NODEV" --duration=0
want 2 "--seed" "$UT" -d "$NODEV" --basic --seed=1k
want 2 "--concurrent" "$UT" -d "$NODEV" --duration=1 --concurrent=257
want 2 "--frob" "$UT" -d "$NODEV" --frob

# uringblk-bench: times that overflow the nanosecond clock are refused up front.
want 2 "--time" "$BENCH" iops -d "$NODEV" --time 1e99
want 2 "--time" "$BENCH" iops -d "$NODEV" --time 2e10
want 2 "--ramp" "$BENCH" iops -d "$NODEV" --ramp 1e99
want 2 "--count" "$BENCH" iops -d "$NODEV" --count 99999999999999999999
# -o json with a path that is not UTF-8: refused before anything runs (not after the run).
BAD="$TMP/bad-$(printf '\377')"
truncate -s 16M "$BAD"
want 2 "UTF-8" "$BENCH" iops -d "$BAD" -o json --time 0.2 -q
# A run that measured no I/O is no result: exit 1, not a table of zeros.
truncate -s 16M "$TMP/f.img"
want 1 "no I/O completed" "$BENCH" iops -d "$TMP/f.img" --time 1e-9 -q
# A write benchmark takes the device exclusively unless told otherwise (flag is known).
want 1 "$NODEV" "$BENCH" iops --rw randwrite --allow-mounted-write -d "$NODEV"

# uringblk-admin create/delete/set: every input error is a usage error (exit 2), found before
# the control node is opened: bad syntax, and values outside the driver's rules (the range in
# the message and the help comes from kmod/dev_params.h). 1 is for a failed operation.
ADMIN=${2:-$BIN/uringblk-admin}
if [ -x "$ADMIN" ]; then
	want 2 "--capacity-mb: '0' is out of range (1..4194304)" "$ADMIN" create --capacity-mb 0
	want 2 "--capacity-mb: '0' is out of range (1..4194304)" "$ADMIN" create --capacity-mb 0 --dry-run
	want 2 "Run with --help for more information." "$ADMIN" create --capacity-mb 0
	want 2 "--capacity-mb: '4194305' is out of range (1..4194304)" "$ADMIN" create --capacity-mb 4194305
	want 2 "logical_block_size=1000 out of range (512, 1024, 2048 or 4096)" "$ADMIN" create --logical-block-size 1000
	want 2 "logical_block_size=1000 out of range (512, 1024, 2048 or 4096)" "$ADMIN" create --logical-block-size 1000 --dry-run
	want 2 "max_io_size_kb=6 out of range (4-32768, multiple of 4)" "$ADMIN" create --logical-block-size 4096 --max-io-size-kb 6
	want 2 "--max-io-size-kb: '2' is out of range (4..32768)" "$ADMIN" create --max-io-size-kb 2
	want 2 "--queue-depth: '4097' is out of range (32..4096)" "$ADMIN" create --queue-depth 4097
	want 2 "--nr-hw-queues: '0' is out of range (1..64)" "$ADMIN" create --nr-hw-queues 0
	want 2 "--io-timeout-ms: '9' is out of range (10..3600000)" "$ADMIN" create --io-timeout-ms 9
	want 2 "poll_queues=1 out of range (0 with polling off)" "$ADMIN" create --poll off --poll-queues 1
	want 2 "--poll-queues: '17' is out of range (0..16)" "$ADMIN" create --poll-queues 17
	want 2 "--max-sectors-kb: '2' is out of range (4..32768)" "$ADMIN" set 0 --max-sectors-kb 2
	# The serial suffix: the character and the set, not the character's code.
	want 2 "serial_suffix: '/' is not allowed (allowed: [A-Za-z0-9_.-]" "$ADMIN" create --serial-suffix a/b
	want 2 "longer than 8" "$ADMIN" create --serial-suffix 123456789
	# --id: the driver's indexes; URINGBLK_DEV_ID_ANY is not one of them.
	want 2 "omit --id for the lowest free index" "$ADMIN" create --id 4294967295
	want 2 "omit --id for the lowest free index" "$ADMIN" create --id 4294967295 --dry-run
	want 2 "--id: '64' is out of range (0..63)" "$ADMIN" create --id 64
	# The help shows the real ranges and the exit statuses.
	want 0 "1..4194304" sh -c '"$0" create --help >&2' "$ADMIN"
	want 0 "0..63" sh -c '"$0" create --help >&2' "$ADMIN"
	want 0 "130 interrupted" sh -c '"$0" --help >&2' "$ADMIN"
	want 0 "130 interrupted" sh -c '"$0" create --help >&2' "$ADMIN"
	# The man page has the same table and footer.
	MAN=$(dirname "$0")/../../man/uringblk-admin.8
	want 0 "" grep -qx '\.B 130' "$MAN"
	want 0 "" grep -qF 'Run with \-\-help for more information.' "$MAN"
	want 0 "" grep -qF '4294967295 (URINGBLK_DEV_ID_ANY' "$MAN"
	# inject add: a rule's syntax is input as well.
	want 2 "COUNT 0 out of range" "$ADMIN" inject add 0 read,1000,0
	want 2 "Run with --help for more information." "$ADMIN" inject add 0 read,1000,0
	want 2 "--capacity-mb" "$ADMIN" create --capacity-mb -1
	want 2 "--capacity-mb" "$ADMIN" create --capacity-mb 4294967296
	want 2 "--capacity-mb" "$ADMIN" create --capacity-mb 1k
	want 2 "--write-cache" "$ADMIN" create --write-cache maybe
	want 2 "--id" "$ADMIN" create --id x
	want 2 "--frob" "$ADMIN" create --frob
	want 2 "device is required" "$ADMIN" delete
	want 2 "is empty" "$ADMIN" delete ''
	want 2 "not expected: 1" "$ADMIN" delete 0 1
	want 1 "(ENOENT)" "$ADMIN" delete /nonexistent/disk
	want 2 "nothing to change" "$ADMIN" set 0
	want 2 "--max-sectors-kb" "$ADMIN" set 0 --max-sectors-kb x
	want 2 "--write-cache" "$ADMIN" set 0 --write-cache 1
	want 2 "device is required" "$ADMIN" set --inject-reset
	# power-cut: the mode and the seed go together; checked before the control node is opened
	want 2 "--mode torn needs --seed N" "$ADMIN" power-cut 0 --mode torn
	want 2 "--seed is for --mode random or torn" "$ADMIN" power-cut 0 --seed 3
	want 2 "sideways not in" "$ADMIN" power-cut 0 --mode sideways
	want 2 "--seed" "$ADMIN" power-cut 0 --mode random --seed -1
	want 2 "device is required" "$ADMIN" power-cut
	want 2 "--mode torn needs --seed N" "$ADMIN" power-cut 0 --resume --mode torn
	# power-on (ABI 1.2): one device, no options of its own
	want 2 "device is required" "$ADMIN" power-on
	want 2 "is empty" "$ADMIN" power-on ''
	want 2 "not expected: 1" "$ADMIN" power-on 0 1
	want 2 "--resume" "$ADMIN" power-on 0 --resume
	want 1 "(ENOENT)" "$ADMIN" power-on /nonexistent/disk
	# power-cut's 1.2 modes and flags; power-log, power-mark, power-arm (ABI 1.2)
	want 2 "--mode prefix needs --keep K" "$ADMIN" power-cut 0 --mode prefix
	want 2 "--mode drop needs --drop N,N,..." "$ADMIN" power-cut 0 --mode drop
	want 2 "--drop: change numbers start at 1" "$ADMIN" power-cut 0 --mode drop --drop 2,0
	want 2 "--drop: at most 64 changes (65 given)" "$ADMIN" power-cut 0 --mode drop --drop "$(seq -s, 65)"
	want 2 "--drop is for --mode drop" "$ADMIN" power-cut 0 --mode all --drop 1
	want 2 "--tear is for --mode torn" "$ADMIN" power-cut 0 --mode prefix --keep 1 --tear physical
	want 2 "device is required" "$ADMIN" power-log
	want 2 "tag: 'ten' is not a number" "$ADMIN" power-mark 0 ten
	want 2 "--at is required" "$ADMIN" power-arm 0
	want 2 "--at change: N starts at 1" "$ADMIN" power-arm 0 --at change:0
	want 2 "give change:N, flush:N, lba:SECTOR+NR, mark:TAG or none" "$ADMIN" power-arm 0 --at lba:8
	want 2 "drop not in" "$ADMIN" power-arm 0 --at flush:1 --mode drop
	want 2 "--at none disarms" "$ADMIN" power-arm 0 --at none --mode all
	want 1 "(ENOENT)" "$ADMIN" power-log /nonexistent/disk
	# Without the module (no control node, no /sys/module/uringblk_driver: an empty sysfs): every
	# subcommand that needs it says so and how to load it, exit 1; list prints no empty table.
	if [ ! -e /dev/uringblk-ctl ]; then
		mkdir -p "$TMP/sys/block"
		NOMOD="env URINGBLK_SYSFS_ROOT=$TMP/sys"
		LOAD="the uringblk module is not loaded (no /dev/uringblk-ctl, no $TMP/sys/module/uringblk_driver): load it with 'modprobe uringblk_driver' or 'insmod"
		want 1 "$LOAD" $NOMOD "$ADMIN" list
		want 1 "$LOAD" $NOMOD "$ADMIN" list -o json
		want 1 "$LOAD" $NOMOD "$ADMIN" identify 0
		want 1 "$LOAD" $NOMOD "$ADMIN" stats uringblk0 --transport ioctl
		want 1 "$LOAD" $NOMOD "$ADMIN" reset-stats 0
		want 1 "$LOAD" $NOMOD "$ADMIN" inject list 0
		want 1 "$LOAD" $NOMOD "$ADMIN" create
		want 1 "$LOAD" $NOMOD "$ADMIN" delete 0
		want 1 "$LOAD" $NOMOD "$ADMIN" params 0
		want 1 "$LOAD" $NOMOD "$ADMIN" power-on 0
		want 1 "$LOAD" $NOMOD "$ADMIN" power-cut 0 --resume
		want 1 "$LOAD" $NOMOD "$ADMIN" power-cut 0 --mode drop --drop 1,2
		want 1 "$LOAD" $NOMOD "$ADMIN" power-log 0
		want 1 "$LOAD" $NOMOD "$ADMIN" power-mark 0 0x2a
		want 1 "$LOAD" $NOMOD "$ADMIN" power-arm 0 --at change:1 --mode prefix --keep 0
		# create --dry-run checks the options only: it needs no module (uringblk-load check).
		want 0 "" $NOMOD "$ADMIN" create --dry-run --capacity-mb 8
		# Loaded (/sys/module/uringblk_driver) but no control node: that node is named.
		mkdir -p "$TMP/sys/module/uringblk_driver"
		want 1 "open /dev/uringblk-ctl: No such file or directory (ENOENT)" $NOMOD "$ADMIN" create
		want 1 "open /dev/uringblk-ctl: No such file or directory (ENOENT)" $NOMOD "$ADMIN" power-log 0
	fi
fi

echo "$((n - failed)) of $n checks passed"
[ "$failed" = 0 ]
