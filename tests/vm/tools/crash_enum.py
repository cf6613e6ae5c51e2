#!/usr/bin/env python3
"""Enumerate crash states with armed power cuts (docs/power-loss.md).

  crash_enum.py fs DEV MNT ext4|xfs   an fsync'ing file workload; for
        every FLUSH M it issues (crash point) and every prefix K of the
        changes logged since the FLUSH before it: a fresh filesystem, the
        workload with a cut armed at "flush M prefix K", then power on,
        mount (journal recovery), fsck clean, and every file whose fsync()
        returned before the crash intact
  crash_enum.py sqlite DEV MNT         SQLite in WAL mode, synchronous=FULL,
        a transaction loop on ext4; a cut armed at every FLUSH of the loop
        in turn: PRAGMA integrity_check is ok and every transaction whose
        COMMIT returned is there

A crash point's states are the K = 0 .. C prefixes, C the number of changes
the cut found (sysfs power_cut_last), measured by the run with K = C first
(prefix C keeps everything). The workload need not be deterministic: each
state is checked on its own run. Prints one "ok:" line per crash point and
a summary with the number of states and the time; "FAIL:" lines and exit 1
on a violation.
"""
import ctypes
import hashlib
import os
import subprocess
import sys
import time

MODE, DEV, MNT = sys.argv[1], sys.argv[2], sys.argv[3]
SYS = f"/sys/block/{os.path.basename(DEV)}/uringblk"
failures = 0


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}", flush=True)


def sysw(name, text):
    with open(f"{SYS}/{name}", "w") as f:
        f.write(text)


def sysr(name):
    return open(f"{SYS}/{name}").read().strip()


def run(*cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def mkfs(fs):
    if fs == "ext4":
        # No lazy initialisation: nothing writes behind the workload's back.
        run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", DEV)
    else:
        run("mkfs.xfs", "-q", "-f", DEV)
    run("mount", *(["-o", "commit=600"] if fs == "ext4" else []), DEV, MNT)


def fsck_clean(fs):
    r = run(*(["e2fsck", "-fn", DEV] if fs == "ext4" else ["xfs_repair", "-n", DEV]),
            check=False)
    return r.returncode == 0, r.stdout


LIBC = ctypes.CDLL(None, use_errno=True)


def write_back(fd):
    """sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER): the data written,
    no FLUSH, no metadata."""
    if LIBC.sync_file_range(fd, ctypes.c_longlong(0), ctypes.c_longlong(0), 7):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def fsync_path(name):
    """fsync() a file and its directory; False if either failed."""
    try:
        for path in (f"{MNT}/{name}", MNT):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return True
    except OSError:
        return False


def write_file(name, data):
    """Create a file and fsync it and its directory; False if any failed."""
    try:
        with open(f"{MNT}/{name}", "wb") as f:
            f.write(data)
    except OSError:
        return False
    return fsync_path(name)


def content(i, n):
    return hashlib.sha256(str(i).encode()).digest() * (n // 32)


def fs_workload():
    """Three rounds of eight files: each written and its data written back
    without a FLUSH (sync_file_range), then each fsync'ed. The first fsync
    of a round commits the round's metadata: the FLUSH before its commit
    record ends a window of about ten changes (about 30 in all). The files
    whose fsync() returned, in a dict."""
    durable = {}
    for r in range(3):
        names = []
        for i in range(8 * r, 8 * r + 8):
            data = content(i, 4096 * (1 + i % 4))
            try:
                fd = os.open(f"{MNT}/f{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                try:
                    os.write(fd, data)
                    write_back(fd)
                finally:
                    os.close(fd)
            except OSError:
                return durable
            names.append((f"f{i}", data))
        for name, data in names:
            if not fsync_path(name):
                return durable
            durable[name] = data
    return durable


def recover(fs):
    """After the cut: umount (its writes fail), power on, mount."""
    run("umount", MNT, check=False)
    sysw("power_on", "1")
    r = run("mount", DEV, MNT, check=False)
    return r.returncode == 0, r.stdout


def one_state(fs, m, k):
    """A fresh filesystem, the workload, a cut at FLUSH m keeping k changes
    (k None: all of them, to count them). Returns the changes the cut found,
    or None when the workload issued fewer than m FLUSHes."""
    mkfs(fs)
    base = content(99, 8192)
    write_file("base", base)
    cuts = int(sysr("power_cuts"))
    sysw("power_arm", f"flush {m} prefix {k if k is not None else 1 << 62}")
    durable = fs_workload()
    durable["base"] = base
    fired = sysr("power_state") == "off"
    if not fired:
        sysw("power_arm", "none")
        run("umount", MNT)
        return None
    # The armed cut's undo runs in a worker; power_on waits for it.
    ok_mount, out = recover(fs)
    if int(sysr("power_cuts")) != cuts + 1:
        fail(f"{fs} flush {m} prefix {k}: the armed cut did not run")
    changes = int(sysr("power_cut_last").split()[1])
    what = f"{fs} flush {m} prefix {k}"
    if not ok_mount:
        fail(f"{what}: mount after the crash: {out}")
        return changes
    for name, data in durable.items():
        try:
            got = open(f"{MNT}/{name}", "rb").read()
        except OSError as e:
            got = repr(e).encode()
        if got != data:
            fail(f"{what}: fsync'ed file {name} lost or damaged ({len(got)} bytes)")
    run("umount", MNT)
    clean, out = fsck_clean(fs)
    if not clean:
        fail(f"{what}: fsck after recovery:\n{out}")
    return changes


def enumerate_fs(fs):
    t0 = time.monotonic()
    states = 0
    m = 1
    while True:
        changes = one_state(fs, m, None)
        if changes is None:
            break
        states += 1
        for k in range(changes):
            one_state(fs, m, k)
            states += 1
        print(f"ok: {fs}: crash at FLUSH {m}: {changes + 1} prefix states", flush=True)
        m += 1
    dt = time.monotonic() - t0
    if m < 3:
        fail(f"{fs}: the workload issued {m - 1} FLUSHes: nothing enumerated")
    print(f"ok: {fs}: {states} crash states at {m - 1} crash points in {dt:.0f} s", flush=True)


def sqlite_state(m):
    """A transaction loop with a cut armed at its m-th FLUSH; None when the
    loop issued fewer."""
    mkfs("ext4")
    db = f"{MNT}/t.db"
    run("sqlite3", db, "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);")
    sysw("power_arm", f"flush {m} all")
    script = "PRAGMA synchronous=FULL;\n" + "".join(
        "BEGIN; INSERT INTO t(v) VALUES(hex(randomblob(200))); COMMIT; SELECT 'c', max(id) FROM t;\n"
        for _ in range(8))
    r = subprocess.run(["sqlite3", db], input=script, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    committed = sum(1 for ln in r.stdout.splitlines() if ln.startswith("c|"))
    if sysr("power_state") != "off":
        sysw("power_arm", "none")
        run("umount", MNT)
        return None
    ok_mount, out = recover("ext4")
    if not ok_mount:
        fail(f"sqlite flush {m}: mount: {out}")
        return committed
    r = run("sqlite3", db, "PRAGMA integrity_check; SELECT count(*) FROM t;", check=False)
    lines = r.stdout.split()
    if r.returncode or lines[0] != "ok" or int(lines[-1]) < committed:
        fail(f"sqlite flush {m}: {committed} committed, after the crash: {r.stdout!r}")
    run("umount", MNT)
    return committed


def enumerate_sqlite():
    t0 = time.monotonic()
    m = 1
    while True:
        committed = sqlite_state(m)
        if committed is None:
            break
        print(f"ok: sqlite: crash at FLUSH {m}: {committed} transactions committed, all there, integrity ok",
              flush=True)
        m += 1
    if m < 4:
        fail(f"sqlite: the loop issued {m - 1} FLUSHes")
    print(f"ok: sqlite: a crash at each of {m - 1} FLUSHes of 8 transactions in "
          f"{time.monotonic() - t0:.0f} s", flush=True)


if MODE == "fs":
    enumerate_fs(sys.argv[4])
else:
    enumerate_sqlite()
sys.exit(1 if failures else 0)
