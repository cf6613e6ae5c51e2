# Helpers for the host-side integration tests (tests/integration/*.sh).
# shellcheck shell=bash
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ -f "$TOP/build/kernels.env" ] || { echo "FAIL: $TOP/build/kernels.env missing (make setup)" >&2; exit 1; }
# shellcheck source=/dev/null
. "$TOP/build/kernels.env"
VERSION=$(sed -n 's/^project.*uringblk VERSION \([0-9.]*\).*/\1/p' "$TOP/CMakeLists.txt")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/uringblk-it.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
pass() { echo "ok: $*"; }

expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	pass "$1 = $3"
}

# need_root: the test needs root (dkms); exit 77, which CTest reports as skipped.
need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root"
		exit 77
	fi
}

# expect_files ROOT PATH...: every PATH (relative to ROOT, globs allowed) exists.
expect_files() {
	local root=$1 p m
	shift
	for p in "$@"; do
		m=$(compgen -G "$root/$p" || true)
		[ -n "$m" ] || fail "missing: $root/$p"
	done
	pass "$# expected files under $root"
}

# run_logged LOG CMD...: run CMD with its output in LOG; on failure show the log's end.
run_logged() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 || { tail -n 60 "$log" >&2; fail "$* (log: $log)"; }
}

# A C++ consumer of liburingblk-uapi.
write_consumer() {
	cat >"$1" <<'CPP'
#include <uringblk/uringblk.hpp>
#include <iostream>
int main() {
  // Pure functions only: no device needed.
  std::cout << uringblk::errno_name(1) << ' ' << uringblk::known_features().size() << '\n';
  return uringblk::errno_name(1) == "EPERM" ? 0 : 1;
}
CPP
}
