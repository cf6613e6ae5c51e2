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
  prefix   "prefix K" keeps exactly changes 1..K, "drop LIST" loses exactly
           the listed ones (overlapping writes included); power_log lists
           the changes, their numbers, FUA and the mark before them
  physical "torn SEED physical" tears only at the physical block (4 KiB)
  numbers  four writers on four hardware queues at once: power-log numbers
           the changes 1..N in log order, one number each, and "prefix K"
           and "drop LIST" cut exactly by those numbers (one image per log
           and seed); needs UBK_ADMIN (power-log lists up to 4096 changes)
  armed    cuts armed at the N-th change, the N-th FLUSH, an LBA range and
           a mark: the triggering request fails with EIO, and so does every
           later one until power_on; the image is the model's

Usage: power_loss.py DEVICE [CHECK,...] (e.g. /dev/uringblk0; default:
all checks). Exit status 0 when
every check passed; each failure is printed with "FAIL:".
"""
import fcntl
import mmap
import os
import random
import struct
import json
import subprocess
import sys
import threading

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
    """Cut (the device is off afterwards: checked), then power on."""
    with open(f"{SYS}/power_cut", "w") as f:
        f.write(spec)
    state = open(f"{SYS}/power_state").read().strip()
    if state != "off":
        fail(f"power_state after a cut: {state!r}, want 'off'")
    with open(f"{SYS}/power_on", "w") as f:
        f.write("1")


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


def discard(fd, pos, length):
    """BLKDISCARD of [pos, pos + length)."""
    fcntl.ioctl(fd, 0x1277, struct.pack("QQ", pos, length))


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
    (rule nomem), 1500 multi-page writes into unallocated space (the
    region is discarded first, and no two writes overlap: under nomem the
    copy of a page that exists cannot be made, which would break the log),
    then a cut must restore exactly the durable state."""
    region = 32 << 20
    d = Dev()
    discard(d.fd, 0, region)
    d.flush()
    durable = read_image(region)
    retries = attr("retries")
    sizes = [8, 16, 64] if LBS == 512 else [2, 4, 8]
    lens = [rng.choice(sizes) * LBS for _ in range(1500)]
    starts = [sum(lens[:i]) for i in range(len(lens))]
    assert starts[-1] + lens[-1] <= region
    order = list(range(len(lens)))
    rng.shuffle(order)
    with open(f"{SYS}/error_inject", "w") as f:
        f.write("nomem,*,1000000000")
    want = 0
    for i in order:
        pos, n = starts[i], lens[i]
        d.write(pos, rng.randbytes(n))
        # One record per MiB chunk the write touches (powerloss.c).
        want += (pos + n - 1) // (1 << 20) - pos // (1 << 20) + 1
    with open(f"{SYS}/error_inject", "w") as f:
        f.write("clear")
    d.close()
    retried = attr("retries") - retries
    pending = attr("power_loss_pending")
    if attr("power_loss_broken"):
        fail("retry: the log broke (a retried write was logged again over its own pages?)")
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


def sysw(name, text):
    with open(f"{SYS}/{name}", "w") as f:
        f.write(text)


def expect_einval(name, text):
    """Writing text to sysfs file name must fail with EINVAL."""
    try:
        sysw(name, text)
        fail(f"{name} {text!r} accepted")
    except OSError as e:
        if e.errno != 22:
            fail(f"{name} {text!r}: {e}")


def sysr(name):
    return open(f"{SYS}/{name}").read()


def power_log():
    """sysfs power_log: (changes, [(seq, op, sector, sectors, fua, mark)])."""
    lines = sysr("power_log").splitlines()
    changes = int(lines[0].split()[1])
    out = []
    for ln in lines[1:]:
        seq, op, sector, sectors, fua, mark = ln.split()
        out.append((int(seq), op, int(sector), int(sectors), fua == "fua",
                    None if mark == "-" else int(mark.split("=")[1])))
    return changes, out


def pattern(i):
    return bytes([i & 0xff]) * 4096


def fua_write(pos, byte):
    """One 4 KiB write with FUA and no FLUSH after it: an asynchronous
    O_DSYNC direct write (io_uring); a synchronous one is followed by a
    FLUSH, which would make everything before it durable."""
    subprocess.run(["fio", "--name=fua", f"--filename={DEV}", "--ioengine=io_uring",
                    "--direct=1", "--sync=dsync", "--rw=write", "--bs=4k", "--size=4k",
                    f"--offset={pos}", f"--buffer_pattern={byte:#04x}",
                    "--output=/dev/null"], check=True)


def states_workload(d):
    """After a flush, ten 4 KiB writes: change i (1..10) writes block i
    with pattern i, except change 6 (block 3 again, pattern 6) and change 9
    (block 3 again, with FUA). Returns [(change, block)]."""
    d.write(0, bytes(64 << 10))
    d.flush()
    writes = []
    for i in range(1, 11):
        blk = 3 if i in (6, 9) else i
        if i == 9:
            fua_write(blk * 4096, i)
        else:
            d.write(blk * 4096, pattern(i))
        writes.append((i, blk))
    return writes


def expected(writes, kept):
    """Block values after a cut keeping the change numbers in `kept`."""
    img = {b: bytes(4096) for b in range(16)}
    for i, blk in writes:
        if i in kept:
            img[blk] = pattern(i)
    return img


def check_image(d, img, what):
    bad = [b for b in img if d.read(b * 4096, 4096) != img[b]]
    if bad:
        fail(f"{what}: blocks {bad} differ from the model")
        return False
    return True


def check_prefix(rng):
    d = Dev()
    writes = states_workload(d)
    changes, log = power_log()
    want = [(i, "write", blk * 4096 // 512, 4096 // 512, i == 9, None)
            for i, blk in writes]
    # A FUA write is logged (as a pin) only while older changes are pending.
    if changes != 10 or log != want:
        fail(f"power_log: {changes} changes {log}, want 10 {want}")
    else:
        ok("power_log: 10 changes, numbered in order, FUA marked")
    for n, k in enumerate((0, 1, 5, 6, 8, 10)):
        if n:
            states_workload(d)
        power_cut(f"prefix {k}")
        last = sysr("power_cut_last").split()
        if int(last[1]) != 10:
            fail(f"prefix {k}: power_cut_last {last}, want 10 changes")
        kept = set(range(1, k + 1)) | {9}      # FUA: durable whatever K
        check_image(d, expected(writes, kept), f"prefix {k}")
    ok("prefix K: exactly changes 1..K (and the FUA one) survive, K = 0, 1, 5, 6, 8, 10")
    for drop in ([1], [6], [3, 6], [2, 4, 7, 10], [9]):
        states_workload(d)
        power_cut("drop " + ",".join(map(str, drop)))
        kept = (set(range(1, 11)) - set(drop)) | {9}
        check_image(d, expected(writes, kept), f"drop {drop}")
    ok("drop LIST: exactly the listed changes are lost (FUA ones never)")
    for bad in ("prefix", "drop", "drop 0", "drop 1,x", "drop " + ",".join(["1"] * 65),
                "prefix 1 sideways"):
        expect_einval("power_cut", bad)
    # Marks: the changes after a mark name it.
    states_workload(d)
    sysw("power_mark", "0x2a")
    d.write(20 * 4096, pattern(20))
    _, log = power_log()
    if log[-1][5] != 42 or log[0][5] not in (None, 42) or log[-2][5] == 42:
        fail(f"power_log after a mark: {log}")
    else:
        ok("power_log: a change after a mark names the mark")
    power_cut("all")
    d.close()


def check_physical(rng):
    if LBS == 4096:
        ok("physical: logical block = physical block, nothing to check")
        return
    d = Dev()
    d.write(0, bytes(1 << 20))
    d.flush()
    new = rng.randbytes(1 << 20)
    for p in range(0, 1 << 20, 64 << 10):
        d.write(p, new[p:p + (64 << 10)])
    power_cut("torn 77 physical")
    got = d.read(0, 1 << 20)
    units_kept = units_lost = 0
    for u in range(0, 1 << 20, 4096):
        blk = [got[u + i:u + i + LBS] == new[u + i:u + i + LBS] for i in range(0, 4096, LBS)]
        zero = [got[u + i:u + i + LBS] == bytes(LBS) for i in range(0, 4096, LBS)]
        if all(blk):
            units_kept += 1
        elif all(zero):
            units_lost += 1
        else:
            fail(f"physical: 4 KiB unit at {u} torn inside: {blk}")
            break
    if not units_kept or not units_lost:
        fail(f"physical: {units_kept} units kept, {units_lost} lost: nothing torn")
    ok(f"torn physical: {units_kept} 4 KiB units kept, {units_lost} lost, none torn inside")
    d.close()


def expect_eio(fn, what):
    try:
        fn()
    except OSError as e:
        if e.errno == 5:
            return True
        fail(f"{what}: {e}, want EIO")
        return False
    fail(f"{what}: succeeded, want EIO")
    return False


def check_armed(rng):
    d = Dev()
    d.write(0, bytes(64 << 10))
    d.flush()
    # At the 4th change: changes 1-3 made (1 and 2 flushed), 4th fails.
    sysw("power_arm", "change 4 all")
    if sysr("power_arm").strip() != "change 4 all" or sysr("power_state").strip() != "armed":
        fail(f"power_arm {sysr('power_arm')!r}, power_state {sysr('power_state')!r}")
    d.write(1 * 4096, pattern(1))
    d.write(2 * 4096, pattern(2))
    d.flush()
    d.write(3 * 4096, pattern(3))
    expect_eio(lambda: d.write(4 * 4096, pattern(4)), "the armed 4th change")
    expect_eio(lambda: d.read(0, 4096), "a read after the armed cut fired")
    if sysr("power_state").strip() != "off" or sysr("power_arm").strip() != "none":
        fail(f"after the trigger: power_state {sysr('power_state')!r}, power_arm {sysr('power_arm')!r}")
    sysw("power_on", "1")
    img = {b: bytes(4096) for b in range(8)}
    img[1], img[2] = pattern(1), pattern(2)
    if check_image(d, img, "armed change 4"):
        ok("armed at the 4th change: it fails with EIO, the power is off, flushed data kept, the rest lost")
    # At the 2nd FLUSH: the flush fails and makes nothing durable.
    sysw("power_arm", "flush 2 all")
    d.write(1 * 4096, pattern(11))
    d.flush()
    d.write(2 * 4096, pattern(12))
    expect_eio(d.flush, "the armed 2nd FLUSH")
    sysw("power_on", "1")
    img[1], img[2] = pattern(11), pattern(2)
    if check_image(d, img, "armed flush 2"):
        ok("armed at the 2nd FLUSH: it fails, the write before it is lost")
    # An LBA range: writes elsewhere go on.
    sysw("power_arm", "lba 80 8 all")       # block 10 with 4 KiB blocks
    d.write(5 * 4096, pattern(5))
    d.write(6 * 4096, pattern(6))
    expect_eio(lambda: d.write(10 * 4096, pattern(10)), "a write into the armed range")
    sysw("power_on", "1")
    if check_image(d, img, "armed lba"):
        ok("armed at an LBA range: the write into it fails, earlier unflushed writes are lost")
    # A mark.
    sysw("power_arm", "mark 7 prefix 1")
    d.write(1 * 4096, pattern(21))
    d.write(2 * 4096, pattern(22))
    sysw("power_mark", "6")
    if sysr("power_state").strip() != "armed":
        fail("a mark with another tag fired the armed cut")
    sysw("power_mark", "7")
    if sysr("power_state").strip() != "off":
        fail(f"power_state after the armed mark: {sysr('power_state')!r}")
    sysw("power_on", "1")
    img[1] = pattern(21)
    if check_image(d, img, "armed mark, prefix 1"):
        ok("armed at a mark (prefix 1): the cut happens at the mark, the first change kept")
    sysw("power_arm", "change 1 all")
    sysw("power_arm", "none")
    if sysr("power_state").strip() != "on":
        fail("power_arm none did not disarm")
    for bad in ("change 0 all", "lba 0 0 all", "flush 1 drop 1", "change 1 all resume",
                "sometimes 1 all", "change 1"):
        expect_einval("power_arm", bad)
    d.close()


def concurrent_writes(per_thread):
    """Four threads, each on a CPU of its own (so a hardware queue of its
    own where there are enough), write 4 KiB blocks t, t + 4, ... at once:
    4 * per_thread changes, block b holding pattern(b % 251 + 1)."""
    def writer(t):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[t % len(cpus)]})
        d = Dev()
        for b in range(t, 4 * per_thread, 4):
            d.write(b * 4096, pattern(b % 251 + 1))
        d.close()
    ts = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def admin_power_log():
    out = subprocess.run([os.environ["UBK_ADMIN"], "power-log", NAME, "-o", "json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def check_numbers(rng):
    nblk = 4 * 128
    d = Dev()
    for n, spec in enumerate(("prefix", "drop")):
        d.write(0, bytes(nblk * 4096 // 2))
        d.write(nblk * 4096 // 2, bytes(nblk * 4096 // 2))
        d.flush()
        concurrent_writes(nblk // 4)
        log = admin_power_log()
        seqs = [c["seq"] for c in log["changes"]]
        blocks = [c["sector"] * 512 // 4096 for c in log["changes"]]
        if (log["nr_changes"] != nblk or seqs != list(range(1, nblk + 1))
                or sorted(blocks) != list(range(nblk))):
            dup = len(seqs) - len(set(seqs))
            fail(f"power-log after {nblk} concurrent writes: {log['nr_changes']} changes, "
                 f"{len(seqs)} listed, {dup} numbers shared, numbers in order: "
                 f"{seqs == sorted(seqs)}")
            power_cut("all")
            continue
        if n == 0:
            ok(f"power-log: {nblk} changes from 4 queues at once, numbered 1..{nblk} in log order")
        seq_of = dict(zip(blocks, seqs))
        if spec == "prefix":
            k = rng.randrange(1, nblk)
            power_cut(f"prefix {k}")
            lost = set(range(k + 1, nblk + 1))
        else:
            lost = set(rng.sample(range(1, nblk + 1), 64))
            power_cut("drop " + ",".join(map(str, sorted(lost))))
            k = None
        want = {b: bytes(4096) if seq_of[b] in lost else pattern(b % 251 + 1)
                for b in range(nblk)}
        if check_image(d, want, f"{spec} after concurrent writes"):
            ok(f"{spec} {k if k is not None else '(64 numbers)'}: the image follows "
               f"power-log's numbers")
    d.close()


CHECKS = {"all": check_all, "random": check_random, "torn": check_torn,
          "discard": check_discard, "retry": check_retry, "prefix": check_prefix,
          "physical": check_physical, "numbers": check_numbers,
          "armed": check_armed}


def main():
    rng = random.Random(2026)
    if open(f"{SYS}/power_loss").read().strip() != "1":
        fail("tracking is off")
        return 1
    for name in (sys.argv[2].split(",") if len(sys.argv) > 2 else CHECKS):
        CHECKS[name](rng)
    return 1 if failures else 0


sys.exit(main())
