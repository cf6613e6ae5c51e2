#!/usr/bin/env python3
"""Block-level checks of uringblk's power-loss emulation (docs/power-loss.md).

Run in a test-bed guest by tests/vm/cases/power_loss.sh on a device with
tracking on (uringblk/power_loss = 1). Every check compares what is read
back, block by block, with a model of what must have survived:

  all      a writer that never flushes loses exactly its writes; writes
           with FUA (O_DSYNC) and writes followed by fsync() are all kept
  random   every block holds either its durable value or the value written
           after it; acknowledged-durable data is intact; the same seed over
           the same writes gives the same image, another seed another one
  torn     multi-block writes come back torn (some blocks old, some new),
           never inside a logical block
  discard  a discard and a write-zeroes that were not flushed come back

  retry    writes given back for memory and retried are logged once

Usage: power_loss.py DEVICE [CHECK,...] (e.g. /dev/uringblk0; default:
all checks). Exit status 0 when
every check passed; each failure is printed with "FAIL:".
"""
import mmap
import os
import random
import sys

DEV = sys.argv[1]
NAME = os.path.basename(DEV)
SYS = f"/sys/block/{NAME}/uringblk"
LBS = int(open(f"/sys/block/{NAME}/queue/logical_block_size").read())
failures = 0


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}", flush=True)


def ok(msg):
    print(f"ok: {msg}", flush=True)


def attr(name):
    return int(open(f"{SYS}/{name}").read())


def power_cut(spec):
    with open(f"{SYS}/power_cut", "w") as f:
        f.write(spec)


class Dev:
    """O_DIRECT access through one aligned bounce buffer."""

    def __init__(self, flags=0):
        self.fd = os.open(DEV, os.O_RDWR | os.O_DIRECT | flags)
        self.buf = mmap.mmap(-1, 1 << 20)

    def close(self):
        os.close(self.fd)

    def write(self, pos, data):
        self.buf[: len(data)] = data
        n = os.pwritev(self.fd, [memoryview(self.buf)[: len(data)]], pos)
        assert n == len(data), (pos, n)

    def read(self, pos, length):
        n = os.preadv(self.fd, [memoryview(self.buf)[:length]], pos)
        assert n == length, (pos, n)
        return bytes(self.buf[:length])

    def flush(self):
        os.fsync(self.fd)


def read_image(region):
    d = Dev()
    img = b"".join(d.read(p, min(1 << 20, region - p)) for p in range(0, region, 1 << 20))
    d.close()
    return img


def blocks_differ(a, b):
    return [i for i in range(0, len(a), LBS) if a[i:i + LBS] != b[i:i + LBS]]


def fill(rng, region):
    """Durable baseline: random data over the region, then a flush."""
    d = Dev()
    for p in range(0, region, 1 << 20):
        d.write(p, rng.randbytes(min(1 << 20, region - p)))
    d.flush()
    d.close()
    return read_image(region)


def check_all(rng):
    region = 8 << 20
    base = fill(rng, region)
    current = bytearray(base)
    durable = bytearray(base)
    d = Dev()
    # O_DSYNC on a block device: the write goes with FUA and is followed by
    # a FLUSH (generic_write_sync()), so it makes everything durable, as
    # fsync() does. FUA alone (journal commits) is covered by the
    # filesystem case.
    dsync = Dev(os.O_DSYNC)
    n_plain = n_dsync = n_fsync = 0
    for i in range(3000):
        nblk = rng.choice([1, 1, 2, 3, 8, 16])
        pos = rng.randrange(0, region // LBS - nblk) * LBS
        data = rng.randbytes(nblk * LBS)
        current[pos:pos + len(data)] = data
        kind = rng.random()
        if kind < 0.03:
            dsync.write(pos, data)
            durable = bytearray(current)
            n_dsync += 1
        elif kind < 0.06:
            d.write(pos, data)
            d.flush()
            durable = bytearray(current)
            n_fsync += 1
        else:
            d.write(pos, data)
            n_plain += 1
    if read_image(region) != current:
        fail("all: the image before the cut is not what was written")
    d.close()
    dsync.close()
    pending = attr("power_loss_pending")
    before = attr("power_cut_reverted")
    power_cut("all")
    got = read_image(region)
    bad = blocks_differ(got, durable)
    if bad:
        fail(f"all: {len(bad)} blocks differ from the durable model (first at byte {bad[0]})")
    else:
        ok(f"all: unflushed writes undone, everything before the last of {n_dsync} O_DSYNC "
           f"writes and {n_fsync} fsync() kept: image = durable model "
           f"({pending} records pending at the cut, {n_plain} plain writes in all)")
    if attr("power_cut_reverted") <= before:
        fail("all: power_cut_reverted did not grow")
    if attr("power_loss_pending") != 0:
        fail("all: records left after the cut")


def random_run(rng_seed, seed, region, mode, sizes):
    """The same writes from the same durable state, then a cut."""
    rng = random.Random(rng_seed)
    base = fill(rng, region)
    d = Dev()
    # Each write to its own slot: a block's candidates are old and new only.
    slot = max(sizes) * LBS
    writes = []
    for s in range(region // slot):
        nblk = rng.choice(sizes)
        data = rng.randbytes(nblk * LBS)
        d.write(s * slot, data)
        writes.append((s * slot, data))
    d.close()
    power_cut(f"{mode} {seed}")
    return base, writes, read_image(region)


def check_random(rng):
    region = 4 << 20
    sizes = [1, 2, 4, 8]
    base, writes, img1 = random_run(7, 1234, region, "random", sizes)
    kept = lost = mixed = 0
    for pos, data in writes:
        got = img1[pos:pos + len(data)]
        if got == data:
            kept += 1
        elif got == base[pos:pos + len(data)]:
            lost += 1
        else:
            mixed += 1
    if mixed:
        fail(f"random: {mixed} writes neither kept nor lost as a whole")
    if not (kept and lost):
        fail(f"random: kept {kept}, lost {lost}: want both")
    else:
        ok(f"random seed 1234: {kept} writes kept, {lost} lost, none torn")
    _, _, img2 = random_run(7, 1234, region, "random", sizes)
    if img2 != img1:
        fail("random: the same seed over the same writes gave another image")
    else:
        ok("random: same seed, same writes: identical image")
    _, _, img3 = random_run(7, 99, region, "random", sizes)
    if img3 == img1:
        fail("random: another seed gave the same image")
    else:
        ok("random: another seed: another image")


def check_torn(rng):
    region = 4 << 20
    sizes = [8, 16]
    base, writes, img = random_run(11, 42, region, "torn", sizes)
    torn_before = attr("power_cut_torn")
    kept = lost = torn = 0
    for pos, data in writes:
        got = img[pos:pos + len(data)]
        old = base[pos:pos + len(data)]
        states = set()
        for b in range(0, len(data), LBS):
            if got[b:b + LBS] == data[b:b + LBS]:
                states.add("new")
            elif got[b:b + LBS] == old[b:b + LBS]:
                states.add("old")
            else:
                fail(f"torn: block at {pos + b} is neither old nor new: torn inside a logical block")
                return
        if states == {"new"}:
            kept += 1
        elif states == {"old"}:
            lost += 1
        else:
            torn += 1
    if not torn:
        fail(f"torn: no torn write among {len(writes)} (kept {kept}, lost {lost})")
    else:
        ok(f"torn seed 42: {torn} writes torn at {LBS}-byte block boundaries, "
           f"{kept} kept, {lost} lost; power_cut_torn {torn_before}")


def check_discard(rng):
    region = 4 << 20
    base = fill(rng, region)
    import fcntl
    import struct
    BLKDISCARD, BLKZEROOUT = 0x1277, 0x127F
    fd = os.open(DEV, os.O_RDWR)
    fcntl.ioctl(fd, BLKDISCARD, struct.pack("QQ", 1 << 20, 1 << 20))
    fcntl.ioctl(fd, BLKZEROOUT, struct.pack("QQ", 3 << 20, 256 << 10))
    os.close(fd)
    mid = read_image(region)
    if mid[1 << 20:2 << 20] != bytes(1 << 20):
        fail("discard: range does not read zeroes before the cut")
    power_cut("all")
    got = read_image(region)
    if got != base:
        fail(f"discard/write-zeroes not undone: {len(blocks_differ(got, base))} blocks differ")
    else:
        ok("an unflushed discard (1 MiB) and write-zeroes (256 KiB) are undone by the cut")


def check_retry(rng):
    """Writes given back for memory (BLK_STS_RESOURCE) and dispatched
    again are logged once: with every allocation forced onto the pool
    (rule nomem), writes into unallocated space over and over, then a cut
    must restore exactly the durable state."""
    region = 16 << 20
    d = Dev()
    d.write(0, bytes(4096))
    d.flush()
    durable = read_image(region)
    retries = attr("retries")
    with open(f"{SYS}/error_inject", "w") as f:
        f.write("nomem,*,1000000000")
    want = 0
    for i in range(1500):
        nblk = rng.choice([8, 16, 64])
        pos = rng.randrange(0, region // LBS - nblk) * LBS
        d.write(pos, rng.randbytes(nblk * LBS))
        # One record per MiB chunk the write touches (powerloss.c).
        want += (pos + nblk * LBS - 1) // (1 << 20) - pos // (1 << 20) + 1
    with open(f"{SYS}/error_inject", "w") as f:
        f.write("clear")
    d.close()
    retried = attr("retries") - retries
    pending = attr("power_loss_pending")
    if pending != want:
        fail(f"retry: {pending} undo records for 1500 writes ({retried} retried): want {want}")
    power_cut("all")
    got = read_image(region)
    if got != durable:
        fail(f"retry: {len(blocks_differ(got, durable))} blocks differ after the cut "
             f"({retried} dispatches retried)")
    elif retried == 0:
        fail("retry: no write was given back and retried: the check proves nothing")
    else:
        ok(f"retry: {retried} writes given back for memory and retried, "
           f"each logged once: the cut restores the durable state exactly")


CHECKS = {"all": check_all, "random": check_random, "torn": check_torn,
          "discard": check_discard, "retry": check_retry}


def main():
    rng = random.Random(2026)
    if open(f"{SYS}/power_loss").read().strip() != "1":
        fail("tracking is off")
        return 1
    for name in (sys.argv[2].split(",") if len(sys.argv) > 2 else CHECKS):
        CHECKS[name](rng)
    return 1 if failures else 0


sys.exit(main())
