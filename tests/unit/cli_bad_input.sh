#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bad input a new user types, given to the built tools (no device needed):
#   cli_bad_input.sh BIN_DIR
# Each check runs one command and wants an exit status and a word in its stderr.
set -u
BIN=${1:?usage: cli_bad_input.sh BIN_DIR}
# A directory on a filesystem with O_DIRECT (not tmpfs) for the regular-file runs.
TMP=$(mktemp -d "${TMPDIR:-$BIN}/cli_bad_input.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failed=0 n=0

# want STATUS WORD CMD...: CMD exits STATUS and its stderr contains WORD.
want() {
	local status=$1 word=$2
	shift 2
	n=$((n + 1))
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" != "$status" ] || ! grep -qF -- "$word" "$TMP/err"; then
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

echo "$((n - failed)) of $n checks passed"
[ "$failed" = 0 ]
