#!/usr/bin/env python3
"""A model check of power cuts under concurrent I/O (docs/power-loss.md).

  pl_model.py DEV SEED [CUTS]

Four writer threads, each pinned to a CPU of its own (so to its own
hardware queue where there are enough) and owning the 4 KiB blocks
b = thread (mod 4) of a 4 MiB region, issue seeded random writes (each
block value names its block and a version), discards, write-zeroes,
FLUSHes and read-backs, while a delay rule holds 5 % of all requests for
DELAY seconds, so that requests are in flight at every cut. A cutter thread
cuts the power CUTS times at seeded random moments in every mode (all,
random, torn, prefix), checks the image and powers on. The oracle:

  - every block holds its durable value (from the last cut, or a write that
    completed before a FLUSH was issued) or a value written to it since,
    by a write that succeeded, failed or was in flight;
  - after `all`, a write that had completed before the cut began is never
    there, unless a FLUSH was in flight at any moment of the write's own
    flight or of the cut (the driver applies a write at dispatch, so a FLUSH
    overlapping it may have made it durable, as a real disk may);
  - a request in flight at the cut fails: no write whose delay could not
    have run out before the cut began reports success;
  - a write that succeeded reads back (read-your-writes, until a cut);
  - while the power is off every request fails with EIO.

The device needs tracking on and 4096-byte logical blocks. Exit 0 when every
check held; "FAIL:" lines and the seed otherwise.
"""
import fcntl
import mmap
import os
import random
import struct
import sys
import threading
import time

DEV, SEED = sys.argv[1], int(sys.argv[2], 0)
CUTS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
SYS = f"/sys/block/{os.path.basename(DEV)}/uringblk"
BLK, NBLK, NTHR, DELAY = 4096, 1024, 4, 0.4
ZERO = bytes(BLK)
HAS_POWER_ON = os.path.exists(f"{SYS}/power_on")
# UBK_PL_STRICT=0 turns the `all` check off (to tell an oracle fault from a
# driver fault when it fires).
STRICT = os.environ.get("UBK_PL_STRICT", "1") == "1"

lock = threading.RLock()
failures = []
durable = [ZERO] * NBLK             # what the medium holds for sure
since = [set() for _ in range(NBLK)]  # values written since (any outcome)
done_before = [set() for _ in range(NBLK)]  # completed OK, not yet durable
# Completed OK with no FLUSH in flight at any moment of their flight, and
# no FLUSH returned since: `all` must undo these.
undoable = [set() for _ in range(NBLK)]
flush_gen = 0                        # FLUSHes issued so far (registered)
flushing = {}                        # FLUSHes in flight: id -> what they may make durable
cut_window = None                    # (start, end) of the cut in progress
paused = threading.Event()
stop = threading.Event()
stats = {"writes": 0, "ok": 0, "eio": 0, "late_fail": 0, "flushes": 0}


def fail(msg):
    with lock:
        failures.append(msg)
    print(f"FAIL: {msg} (seed {SEED:#x})", flush=True)


def sysw(name, text):
    with open(f"{SYS}/{name}", "w") as f:
        f.write(text)


def value(blk, version):
    return struct.pack("<QQ", blk, version) * (BLK // 16)


class Writer(threading.Thread):
    def __init__(self, t):
        super().__init__(daemon=True)
        self.t = t
        self.last = {}      # block -> the value of its last successful write
        self.rng = random.Random(SEED * 1000 + t)
        self.version = 0

    def run(self):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[self.t % len(cpus)]})
        fd = os.open(DEV, os.O_RDWR | os.O_DIRECT)
        buf = mmap.mmap(-1, BLK)
        mine = list(range(self.t, NBLK, NTHR))
        while not stop.is_set():
            if paused.is_set():
                time.sleep(0.01)
                continue
            op = self.rng.random()
            blk = self.rng.choice(mine)
            try:
                if op < 0.75:
                    self.write(fd, buf, blk)
                elif op < 0.82:
                    self.zero(fd, blk, discard=self.rng.random() < 0.5)
                elif op < 0.9:
                    self.flush(fd)
                else:
                    self.readback(fd, buf, blk)
            except OSError as e:
                if e.errno != 5:
                    fail(f"thread {self.t}: errno {e.errno} ({e.strerror})")
        os.close(fd)

    def begin(self, blk, val):
        with lock:
            since[blk].add(val)
            stats["writes"] += 1
            # A FLUSH already in flight counts as one issued during the write.
            return flush_gen - len(flushing), time.monotonic()

    def end(self, blk, val, gen, t0, ok):
        now = time.monotonic()
        with lock:
            cw = cut_window
            if ok:
                stats["ok"] += 1
                done_before[blk].add(val)
                if gen == flush_gen:
                    undoable[blk].add(val)
                self.last[blk] = val
            else:
                stats["eio"] += 1
        # Held by the delay rule past the cut's start, and still a success:
        # the cut let an in-flight request complete.
        if ok and cw and t0 < cw[0] and now - t0 >= 0.8 * DELAY and t0 + DELAY > cw[0] + 0.05:
            fail(f"a write delayed across the cut reported success (block {blk})")

    def write(self, fd, buf, blk):
        self.version += 1
        val = value(blk, self.t << 48 | self.version)
        buf[:] = val
        gen, t0 = self.begin(blk, val)
        try:
            os.pwritev(fd, [buf], blk * BLK)
        except OSError:
            self.end(blk, val, gen, t0, False)
            raise
        self.end(blk, val, gen, t0, True)

    def zero(self, fd, blk, discard):
        gen, t0 = self.begin(blk, ZERO)
        req = 0x1277 if discard else 0x127F       # BLKDISCARD, BLKZEROOUT
        try:
            fcntl.ioctl(fd, req, struct.pack("QQ", blk * BLK, BLK))
        except OSError:
            self.end(blk, ZERO, gen, t0, False)
            raise
        self.end(blk, ZERO, gen, t0, True)

    def flush(self, fd):
        """What completed before the FLUSH was issued is durable once it
        completes: the last such value of a block, and the older ones can
        never come back. What completed before it returned may be durable."""
        global flush_gen
        with lock:
            last = {}
            for w in WRITERS:
                last.update(w.last)
            done = [set(d) for d in done_before]
            flushing[id(done)] = done
            flush_gen += 1
        err = None
        try:
            os.fsync(fd)
        except OSError as e:
            err = e
        with lock:
            # One step with the update: a cut in between would see neither.
            del flushing[id(done)]
            if err:
                raise err
            stats["flushes"] += 1
            for b, v in last.items():
                durable[b] = v
                since[b] -= done[b] - {v}
            for b in range(NBLK):
                # Completed before the FLUSH returned: perhaps before it was
                # dispatched too, so perhaps durable; `all` cannot rule it out.
                done_before[b].clear()
                undoable[b].clear()

    def readback(self, fd, buf, blk):
        want = self.last.get(blk)
        if want is None:
            return
        os.preadv(fd, [buf], blk * BLK)
        with lock:
            still = self.last.get(blk) == want and cut_window is None
        if still and bytes(buf) != want:
            fail(f"block {blk}: a write that succeeded does not read back")


def describe(v):
    """A block value as (thread, version), or 'zero'."""
    if v == ZERO:
        return "zero"
    blk, ver = struct.unpack_from("<QQ", v)
    return f"t{ver >> 48}v{ver & 0xffffffffffff}"


def read_all():
    fd = os.open(DEV, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, 1 << 20)
    img = b""
    for p in range(0, NBLK * BLK, 1 << 20):
        os.preadv(fd, [buf], p)
        img += bytes(buf)
    os.close(fd)
    return [img[i * BLK:(i + 1) * BLK] for i in range(NBLK)]


def cutter():
    global cut_window
    rng = random.Random(SEED)
    modes = ["all", "random", "torn", "prefix"]
    for n in range(CUTS):
        time.sleep(rng.uniform(0.5, 2.0))
        mode = modes[n % len(modes)]
        spec = mode if mode == "all" else f"{mode} {rng.randrange(1 << 32) if mode != 'prefix' else rng.randrange(20)}"
        with lock:
            t_start = time.monotonic()
            cut_window = (t_start, None)
            completed = [set(s) for s in undoable]
            flushes_before = flush_gen
            busy = bool(flushing)
        sysw("power_cut", spec)
        with lock:
            cut_window = (t_start, time.monotonic())
            # A FLUSH in flight at the snapshot, or issued before the cut
            # quiesced the queue, may have made durable whatever completed
            # before it: then `all` rules nothing out.
            if busy or flush_gen != flushes_before or not STRICT:
                completed = [set() for _ in range(NBLK)]
        paused.set()
        time.sleep(DELAY + 0.3)     # every delayed request has completed
        if HAS_POWER_ON:
            rfd = os.open(DEV, os.O_RDONLY | os.O_DIRECT)
            try:
                os.preadv(rfd, [mmap.mmap(-1, BLK)], 0)
                fail("a read while the power is off succeeded")
            except OSError as e:
                if e.errno != 5:
                    fail(f"a read while off: errno {e.errno}")
            os.close(rfd)
            sysw("power_on", "1")
        img = read_all()
        with lock:
            for b in range(NBLK):
                allowed = {durable[b]} | since[b]
                if mode == "all":
                    # Zeroes are not unique: another discard may be in flight.
                    allowed -= completed[b] - {durable[b], ZERO}
                if img[b] not in allowed:
                    fail(f"cut {n} ({spec}): block {b} holds {describe(img[b])}, the model "
                         f"allows {sorted(map(describe, allowed))} (durable "
                         f"{describe(durable[b])}; completed before the cut: "
                         f"{sorted(map(describe, completed[b]))})")
                durable[b] = img[b]
                since[b] = set()
                done_before[b] = set()
                undoable[b] = set()
            for w in WRITERS:
                w.last = {}
            cut_window = None
        print(f"ok: cut {n} ({spec}) checked", flush=True)
        paused.clear()
    stop.set()


WRITERS = [Writer(t) for t in range(NTHR)]


def main():
    if int(open(f"/sys/block/{os.path.basename(DEV)}/queue/logical_block_size").read()) != BLK:
        print("FAIL: needs logical_block_size=4096")
        return 2
    fd = os.open(DEV, os.O_RDWR)
    fcntl.ioctl(fd, 0x1277, struct.pack("QQ", 0, NBLK * BLK))
    os.fsync(fd)
    os.close(fd)
    sysw("error_inject", f"delay,0,{int(DELAY * 1e6)},5")
    for w in WRITERS:
        w.start()
    c = threading.Thread(target=cutter)
    c.start()
    c.join()
    for w in WRITERS:
        w.join()
    sysw("error_inject", "clear")
    print(f"ok: {CUTS} cuts; {stats['writes']} writes/zeroes ({stats['ok']} ok, "
          f"{stats['eio']} EIO), {stats['flushes']} flushes; seed {SEED:#x}", flush=True)
    return 1 if failures else 0


sys.exit(main())
