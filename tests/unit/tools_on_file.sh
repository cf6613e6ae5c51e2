#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# uringblk-bench and uringblk_test run on a plain file (no device, no module):
#   tools_on_file.sh BIN_DIR
# Ctrl-C keeps what finished (exit 130), the settings line shows what runs, and input errors
# exit 2. Each check runs one command and looks at its exit status and output.
set -u
BIN=${1:?usage: tools_on_file.sh BIN_DIR}
BENCH=$BIN/uringblk-bench
UT=$BIN/uringblk_test
# A directory on a filesystem with O_DIRECT (not tmpfs), as cli_bad_input.sh does.
TMP=$(mktemp -d "${TMPDIR:-$BIN}/tools_on_file.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
F=$TMP/f.img
truncate -s 64M "$F"
failed=0 n=0

# run STATUS CMD...: CMD exits STATUS; its stdout is in $TMP/out, its stderr in $TMP/err.
run() {
	local status=$1
	shift
	n=$((n + 1))
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" != "$status" ]; then
		echo "FAIL: $* -> exit $rc (want $status); stdout: $(head -c 600 "$TMP/out"); stderr: $(head -c 300 "$TMP/err")"
		failed=$((failed + 1))
		return 1
	fi
	echo "ok: $* -> exit $rc"
}

# has FILE TEXT / hasnt FILE TEXT: FILE (out or err) contains TEXT, or does not.
has() {
	grep -qF -- "$2" "$TMP/$1" && return 0
	echo "FAIL: $1 of the last command lacks '$2': $(head -c 600 "$TMP/$1")"
	failed=$((failed + 1))
}
hasnt() {
	grep -qF -- "$2" "$TMP/$1" || return 0
	echo "FAIL: $1 of the last command has '$2': $(head -c 600 "$TMP/$1")"
	failed=$((failed + 1))
}

# Ctrl-C after 2 s (timeout(1): SIGINT; --preserve-status: the tool's own exit status).
int2() { timeout --preserve-status -s INT 2 "$@"; }

# --- Ctrl-C: stop at the next completion, print what finished, exit 130.
if run 130 int2 "$BENCH" iops -d "$F" --time 30 -o json; then
	has out '"interrupted": true'
	has out '"ios": '
	has out '"p99_9": '
fi
if run 130 int2 "$BENCH" iops -d "$F" --time 30; then
	has out "interrupted by SIGINT: the last point ran short"
	has out "IOPS"
fi
# A sweep keeps the points it finished: the first point (qd 1, 1 s) is done at 2 s.
if run 130 int2 "$BENCH" scaling -d "$F" --depths 1,2,4,8 --thread-list 1 --time 1 -o json; then
	has out '"interrupted": true'
	has out '"qd": 1,'
	hasnt out '"qd": 8,'
fi
if run 130 int2 "$UT" -d "$F" --allow-file --duration=30 --basic; then
	has out "(interrupted): "
	has out "I/Os ("
	has out "FAIL duration=30 concurrent=4: interrupted by SIGINT"
	has out "uringblk_test: 0 passed, 1 failed, 0 skipped, 1 not run (interrupted by SIGINT)"
	hasnt out "PASS basic"
fi
# The progress line is cleared before the results (on a terminal: script(1) gives one).
if command -v script >/dev/null; then
	if run 130 script -qec "timeout --preserve-status -s INT 2 '$BENCH' iops -d '$F' --time 30" /dev/null; then
		# The last progress line is cleared ("\r\e[K"), then the report follows.
		has out $'MiB/s\r\e[Kuringblk-bench iops'
	fi
fi

# --- The settings line shows the values that run (and the JSON shows), a clamp is said.
if run 0 "$BENCH" iops -d "$F" --batch-submit 64 --qd 32 --time 0.2; then
	hasnt out "batch-submit=64"
	has out "qd=32"
	has err "--batch-submit 64 is above the queue depth 32: using 32"
fi
if run 0 "$BENCH" iops -d "$F" --batch-submit 64 --qd 32 --time 0.2 -o json -q; then
	has out '"batch_submit": 32,'
	has out '"interrupted": false'
fi

# --- Input errors exit 2 and say what the user gave.
run 2 "$BENCH" scaling -d "$F" --depths '' && has err "--depths: empty list"
run 2 "$BENCH" scaling -d "$F" --thread-list '' && has err "--thread-list: empty list"
run 2 "$BENCH" iops -d "$F" a b c && has err "unexpected arguments: a b c"
run 2 "$UT" -d "$F" --basic a b c && has err "unexpected arguments: a b c"
# Values the file cannot take are input errors too (they were exit 1).
run 2 "$BENCH" iops -d "$F" --offset 1g && has err "--offset 1073741824 is not below the size"
run 2 "$BENCH" iops -d "$F" --size 1g && has err "exceeds the size"
run 2 "$BENCH" bandwidth -d "$F" --size 64k --bs 64k --threads 2 && has err "fewer blocks than threads"
run 2 "$UT" -d "$F" --allow-file --io-size=1000 && has err "--io-size"
# ... while an I/O or set-up failure stays 1.
run 1 "$BENCH" iops -d "$TMP/none" && has err "$TMP/none"

echo "$n commands run, $failed checks failed"
[ "$failed" = 0 ]
