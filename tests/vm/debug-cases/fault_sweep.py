#!/usr/bin/env python3
"""Fail the N-th fault point of a module load, for N = 1, 2, ... (guest side).

    fault_sweep.py KO [--params "k=v ..."] [--max N] [--budget SECONDS]

Used by tests/vm/debug-cases/fault_inject.sh, which configures failslab and
fail_page_alloc first (every GFP mode, order 0 and up; optionally a
stack-trace filter). For each N this process writes N to
/proc/thread-self/fail-nth and calls finit_module(2) itself, so the count
starts at the system call (an insmod binary would spend it on exec).
/proc/thread-self/fail-nth reads 0 afterwards when the N-th fault point
was reached and failed. Each load must:
  - succeed (then the module is removed with delete_module(2)), or fail with
    an errno;
  - after a failure, or after the removal, leave nothing behind: no
    /sys/module/uringblk_driver, /dev/uringblk*, /sys/block/uringblk*, block
    major in /proc/devices;
  - add no kernel bug, warning, lockdep or KASAN report to the kernel log
    (read from /dev/kmsg after every N, so a report names its N).
The first refusal with each errno other than ENOMEM is loaded once more with
the same N and the fault's stack trace on, and the stack is printed (for
information: the kernel's loader itself turns some failures into EINVAL).
The sweep ends at the first N that the load path no longer reaches (all its
fault points were failed once) or at --max / --budget. Exit 1 on a breach.
"""
import argparse
import ctypes
import errno
import glob
import os
import re
import sys
import time

SYS_finit_module = 313
SYS_delete_module = 176
MOD = "uringblk_driver"
BAD = re.compile(
    r"BUG:|WARNING:|Oops|general protection|refcount_t|list_add corruption|"
    r"list_del corruption|hung task|soft lockup|KASAN|possible circular locking|"
    r"possible recursive locking|inconsistent lock state|possible irq lock inversion|"
    r"suspicious RCU usage|sleeping function called from invalid context|"
    r"DEBUG_LOCKS_WARN_ON|ODEBUG:|UBSAN:")

libc = ctypes.CDLL(None, use_errno=True)


def kmsg_open():
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    os.lseek(fd, 0, os.SEEK_END)
    return fd


def kmsg_new(fd):
    out = []
    while True:
        try:
            rec = os.read(fd, 8192)
        except BlockingIOError:
            return out
        except OSError as e:
            if e.errno == errno.EPIPE:  # overwritten records: go on
                continue
            raise
        text = rec.decode(errors="replace")
        out.append(text.split(";", 1)[-1].rstrip("\n"))


def leftovers():
    left = []
    if os.path.exists("/sys/module/" + MOD):
        left.append("/sys/module/" + MOD)
    left += glob.glob("/dev/uringblk*") + glob.glob("/sys/block/uringblk*")
    with open("/proc/devices") as f:
        if any(line.split()[-1:] == ["uringblk"] for line in f):
            left.append("uringblk in /proc/devices")
    return left


def remove():
    for _ in range(50):
        if libc.syscall(SYS_delete_module, MOD.encode(), os.O_NONBLOCK) == 0:
            return None
        e = ctypes.get_errno()
        if e not in (errno.EBUSY, errno.EAGAIN):
            return e
        time.sleep(0.1)
    return errno.EBUSY


def set_verbose(level):
    for a in ("failslab", "fail_page_alloc"):
        try:
            with open("/sys/kernel/debug/%s/verbose" % a, "w") as f:
                f.write("%d\n" % level)
        except OSError:
            pass


def trace_point(ko, params, nth, kmsg, n):
    """Load again with the same N and the fault's stack trace on (verbose 2);
    return the kernel log from "FAULT_INJECTION" on. Fault points can move
    between loads, so this is the stack of the N-th point of this load."""
    set_verbose(2)
    try:
        os.write(nth, b"%d" % n)
        r = libc.syscall(SYS_finit_module, ko, params.encode(), 0)
        err = ctypes.get_errno() if r != 0 else 0
        os.write(nth, b"0")
        if r == 0:
            remove()
        log = kmsg_new(kmsg)
    finally:
        set_verbose(0)
    at = [i for i, l in enumerate(log) if "FAULT_INJECTION" in l]
    head = "again: %s" % (errno.errorcode.get(err, str(err)) if err else "loaded")
    return [head] + (log[at[0]:at[0] + 40] if at else ["(no fault injected)"]), log


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ko")
    ap.add_argument("--params", default="")
    ap.add_argument("--max", type=int, default=5000)
    ap.add_argument("--budget", type=float, default=600)
    a = ap.parse_args()

    ko = os.open(a.ko, os.O_RDONLY)
    nth = os.open("/proc/thread-self/fail-nth", os.O_RDWR)
    kmsg = kmsg_open()
    start = time.monotonic()
    outcomes = {}
    bad = 0
    n = 0
    complete = False
    while n < a.max and time.monotonic() - start < a.budget:
        n += 1
        os.write(nth, b"%d" % n)
        r = libc.syscall(SYS_finit_module, ko, a.params.encode(), 0)
        err = ctypes.get_errno() if r != 0 else 0
        left_n = int(os.pread(nth, 32, 0).strip() or b"0")
        os.write(nth, b"0")
        injected = left_n == 0
        early, again = [], []
        if r == 0:
            what = "loaded" if injected else "loaded, fault point not reached"
            e = remove()
            if e is not None:
                print("N=%d: loaded, but delete_module failed: %s" % (n, os.strerror(e)))
                bad += 1
                break
        else:
            what = "refused: %s" % errno.errorcode.get(err, str(err))
            if not injected:
                what += " (without an injected fault)"
                bad += 1
            elif err != errno.ENOMEM and what not in outcomes:
                # Not a test failure (the loader maps some failures to other
                # errnos), but say where: the first time each errno shows.
                early = kmsg_new(kmsg)  # the first load's log, checked below
                trace, again = trace_point(ko, a.params, nth, kmsg, n)
                print("N=%d: %s; the failed fault point, loading again with N=%d:" % (n, what, n))
                print("\n".join("  " + l for l in trace))
        outcomes.setdefault(what, []).append(n)
        rest = leftovers()
        if rest:
            print("N=%d (%s): left behind: %s" % (n, what, " ".join(rest)))
            bad += 1
        log = early + again + kmsg_new(kmsg)
        hits = [l for l in log if BAD.search(l)]
        if hits:
            print("N=%d (%s): kernel log:" % (n, what))
            print("\n".join("  " + l for l in log[-60:]))
            bad += 1
        if bad:
            break
        if not injected:
            complete = True
            break
    secs = time.monotonic() - start
    points = n - 1 if complete else n
    print("fault sweep%s: %d load(s) in %.0f s, %d fault point(s)%s" % (
        " [%s]" % a.params if a.params else "", n, secs, points,
        "" if complete else " (stopped before the end: --max/--budget)"))
    for what, ns in sorted(outcomes.items()):
        print("  %5d  %s (N = %s%s)" % (len(ns), what, " ".join(map(str, ns[:8])),
                                       " ..." if len(ns) > 8 else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
