#!/usr/bin/env python3
"""A filesystem workload with fsync discipline, for power-cut tests.

  fs_crash.py work DIR STATE SEED OPS [SYNC]
                                        run OPS operations in DIR (seeded),
                                        recording in STATE (a JSON file kept
                                        outside the filesystem) every file
                                        whose content was made durable; a new
                                        file is fsync'ed with probability
                                        SYNC (default 0.6)
  fs_crash.py burst DIR STATE SEED OPS  OPS creations without fsync, each
                                        written back (so the device holds
                                        non-durable data and metadata)
  fs_crash.py verify DIR STATE          after a power cut and a mount: every
                                        file recorded durable must exist with
                                        its recorded content

Operations: create a file with random content (1-64 KiB), sometimes
fsync() it and its directory (then it is durable); overwrite a durable
file without fsync (its content is then undetermined until the next fsync
of it, so it leaves the durable set); overwrite and fsync (durable with
the new content); unlink a durable file and fsync the directory.
Three of the four remove a file from the durable set, so creations fsync
with probability 0.6 by default: the set then grows by about 0.08 files per
operation (0.55 * 0.6 - 0.25) instead of shrinking to nothing, and a cut
has fsync'ed files to check.
"""
import hashlib
import json
import os
import random
import sys


def load(state):
    try:
        with open(state) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"durable": {}, "next": 0}


def save(state, st):
    tmp = state + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f)
    os.replace(tmp, state)


def fsync_dir(d):
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(fd)
    os.close(fd)


def write_file(path, data, sync):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, data)
    if sync:
        os.fsync(fd)
    os.close(fd)


def work(d, state, seed, ops, psync):
    """The durable set only ever lists what is certain: a file leaves it
    (and the state is saved) before it is changed, and enters it after the
    fsync that made the change durable returned. The workload may be
    killed (or see EIO after a shutdown) between any two syscalls."""
    st = load(state)
    rng = random.Random(seed)
    os.makedirs(d, exist_ok=True)
    durable = st["durable"]
    done = 0
    for _ in range(ops):
        r = rng.random()
        names = sorted(durable)
        if r < 0.55 or not names:
            name = f"f{st['next']:06d}"
            st["next"] += 1
            save(state, st)
            data = rng.randbytes(rng.randrange(1, 65) * 1024 - rng.randrange(0, 1000))
            sync = rng.random() < psync
            write_file(os.path.join(d, name), data, sync)
            if sync:
                fsync_dir(d)
                durable[name] = hashlib.sha256(data).hexdigest()
            elif rng.random() < 0.75:
                # Write back without a flush: the data reaches the device
                # but is not durable (posix_fadvise(DONTNEED) starts
                # writeback and waits for nothing).
                fd = os.open(os.path.join(d, name), os.O_RDONLY)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(fd)
        elif r < 0.70:
            name = rng.choice(names)
            del durable[name]          # undetermined until fsynced again
            save(state, st)
            data = rng.randbytes(rng.randrange(1, 33) * 1024)
            write_file(os.path.join(d, name), data, False)
        elif r < 0.90:
            name = rng.choice(names)
            del durable[name]
            save(state, st)
            data = rng.randbytes(rng.randrange(1, 33) * 1024)
            write_file(os.path.join(d, name), data, True)
            durable[name] = hashlib.sha256(data).hexdigest()
        else:
            name = rng.choice(names)
            del durable[name]
            save(state, st)
            os.unlink(os.path.join(d, name))
            fsync_dir(d)
        save(state, st)
        done += 1
    print(f"work: {done} operations, {len(durable)} durable files")

def burst(d, state, seed, ops):
    st = load(state)
    rng = random.Random(seed)
    for i in range(ops):
        name = f"f{st['next']:06d}"
        st["next"] += 1
        save(state, st)
        p = os.path.join(d, name)
        write_file(p, rng.randbytes(rng.randrange(1, 65) * 1024), False)
        fd = os.open(p, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
        if rng.random() < 0.2:
            os.rename(p, p + "r")
    print(f"burst: {ops} files without fsync")


def verify(d, state):
    st = load(state)
    bad = 0
    for name, digest in sorted(st["durable"].items()):
        p = os.path.join(d, name)
        try:
            with open(p, "rb") as f:
                got = hashlib.sha256(f.read()).hexdigest()
        except FileNotFoundError:
            print(f"LOST: {name} was fsync'ed and is missing")
            bad += 1
            continue
        if got != digest:
            print(f"CORRUPT: {name} was fsync'ed and reads other content")
            bad += 1
    print(f"verify: {len(st['durable'])} durable files, {bad} lost or corrupt")
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "work":
        work(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
             float(sys.argv[6]) if len(sys.argv) > 6 else 0.6)
    elif sys.argv[1] == "burst":
        burst(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(f"usage: {sys.argv[0]} work|verify ...")
