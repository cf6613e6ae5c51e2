// SPDX-License-Identifier: MIT
#include "modes.hpp"

#include <linux/fs.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iomanip>
#include <mutex>
#include <optional>
#include <sstream>
#include <stop_token>
#include <thread>
#include <unordered_set>
#include <vector>

#include <uringblk/device.hpp>
#include <uringblk/inject.hpp>
#include <uringblk/kit/interrupt.hpp>
#include <uringblk/sysfs.hpp>

namespace ubt {

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

std::uint64_t align_down(std::uint64_t v, std::uint64_t a) { return v / a * a; }

/// A seed per mode and sub-test, derived from --seed.
std::uint64_t sub_seed(const Options &o, std::uint64_t tag) { return mix64(o.seed ^ mix64(tag)); }

std::size_t buf_align(const Target &t) { return std::max<std::size_t>(4096, t.lbs); }

void expect_res(std::string_view what, int got, int want) {
  if (got != want)
    fail(what, ": res ", res_name(got), ", want ", res_name(want));
  detail(cat(what, ": res ", res_name(got)));
}

/// `count` distinct random indices below `n` (count <= n).
std::vector<std::uint64_t> distinct(Rng &rng, std::uint64_t n, std::size_t count) {
  std::unordered_set<std::uint64_t> seen;
  std::vector<std::uint64_t> out;
  out.reserve(count);
  while (out.size() < count) {
    const std::uint64_t v = rng.below(n);
    if (seen.insert(v).second)
      out.push_back(v);
  }
  return out;
}

/// A batch of random I/Os: each lies in its own slot of `slot` bytes (slots chosen at random
/// among `nslots` starting at `base`), with a random length of 1..slot/lbs blocks at a random
/// block offset inside the slot (fixed_len: the whole slot). Buffers are carved from `buf` (count *
/// slot bytes).
struct Batch {
  std::vector<Io> writes, reads;
  std::vector<std::uint64_t> seeds;
};

Batch random_batch(Rng &rng, const Target &t, Buffer &buf, std::uint64_t base, std::uint64_t slot,
                   std::uint64_t nslots, std::size_t count, std::uint64_t &seed_counter,
                   std::uint64_t seed_base, bool fixed_len) {
  Batch b;
  const std::uint64_t blocks = slot / t.lbs;
  const auto idx = distinct(rng, nslots, count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t nblk = fixed_len ? blocks : 1 + rng.below(blocks);
    const std::uint64_t off = base + idx[i] * slot + t.lbs * rng.below(blocks - nblk + 1);
    const auto span = buf.sub(i * slot, nblk * t.lbs);
    const std::uint64_t seed = mix64(seed_base ^ ++seed_counter);
    pattern_fill(span, off, seed);
    b.writes.push_back(Io{.op = Io::Op::write, .off = off, .buf = span});
    b.reads.push_back(Io{.op = Io::Op::read, .off = off, .buf = span});
    b.seeds.push_back(seed);
  }
  return b;
}

/// Run the writes, poison the buffers, run the reads, verify every read against its pattern.
void run_and_verify(Ring &ring, const Target &t, Batch &b, std::string_view what) {
  const auto wres = ring.run(t.fd.get(), b.writes);
  for (std::size_t i = 0; i < b.writes.size(); ++i)
    if (wres[i] != static_cast<int>(b.writes[i].len()))
      fail(what, ": WRITE of ", b.writes[i].len(), " B @ ", b.writes[i].off, ": res ",
           res_name(wres[i]));
  for (auto &r : b.reads)
    std::memset(r.buf.data(), 0xa5, r.buf.size());
  const auto rres = ring.run(t.fd.get(), b.reads);
  for (std::size_t i = 0; i < b.reads.size(); ++i) {
    if (rres[i] != static_cast<int>(b.reads[i].len()))
      fail(what, ": READ of ", b.reads[i].len(), " B @ ", b.reads[i].off, ": res ",
           res_name(rres[i]));
    expect_pattern(b.reads[i].buf, b.reads[i].off, b.seeds[i], what);
  }
}

/// Split [p, p+len) into up to three lbs-multiple iovecs of different sizes.
std::vector<iovec> split_iov(std::span<std::byte> s, unsigned lbs) {
  std::vector<iovec> v;
  const std::size_t blocks = s.size() / lbs;
  const std::size_t a = blocks >= 3 ? 1 : blocks;
  const std::size_t b = blocks >= 3 ? (blocks - 1) / 2 : 0;
  std::size_t pos = 0;
  for (std::size_t n : {a, b, blocks - a - b}) {
    if (n == 0)
      continue;
    v.push_back(iovec{s.data() + pos, n * lbs});
    pos += n * lbs;
  }
  return v;
}

} // namespace

// ---------------------------------------------------------------- --basic

void mode_basic(Target &t, const Options &o) {
  Ring ring(8);
  const int fd = t.fd.get();
  const unsigned lbs = t.lbs;
  const std::size_t len = align_down(64 * 1024, lbs);
  const std::uint64_t seed = sub_seed(o, 1), seed2 = sub_seed(o, 2);
  struct Region {
    const char *name;
    std::uint64_t off;
    std::size_t len;
  };
  const Region regions[] = {{"start", 0, len},
                            {"middle", align_down(t.size / 2, lbs), len},
                            {"last block", t.size - lbs, lbs}};

  for (const Region &r : regions) {
    Buffer w(r.len, buf_align(t));
    pattern_fill(w.span(), r.off, seed);
    expect_res(cat("WRITE ", r.name, " (", r.len, " B @ ", r.off, ")"),
               ring.run1(fd, Io{.op = Io::Op::write, .off = r.off, .buf = w.span()}),
               static_cast<int>(r.len));
  }
  expect_res("FSYNC", ring.run1(fd, Io{.op = Io::Op::fsync}), 0);

  bool corrupt = o.corrupt_expected;
  for (const Region &r : regions) {
    Buffer want(r.len, buf_align(t)), got(r.len, buf_align(t));
    pattern_fill(want.span(), r.off, seed);
    if (corrupt) { // self-check: verification must catch this
      want.data()[r.len / 2] ^= std::byte{0x5a};
      corrupt = false;
      note(cat("--corrupt-expected: flipped the expected byte at device offset ",
               r.off + r.len / 2));
    }
    expect_res(cat("READ ", r.name),
               ring.run1(fd, Io{.op = Io::Op::read, .off = r.off, .buf = got.span()}),
               static_cast<int>(r.len));
    expect_same(got.span(), want.span(), r.off, cat("READ ", r.name));
    std::memset(got.data(), 0, r.len);
    const auto iov = split_iov(got.span(), lbs);
    expect_res(cat("READV ", r.name, " (", iov.size(), " iovecs)"),
               ring.run1(fd, Io{.op = Io::Op::readv, .off = r.off, .iov = iov}),
               static_cast<int>(r.len));
    expect_same(got.span(), want.span(), r.off, cat("READV ", r.name));
  }

  // Overwrite with WRITEV and a new seed: the old data must be gone everywhere.
  for (const Region &r : regions) {
    Buffer w(r.len, buf_align(t));
    pattern_fill(w.span(), r.off, seed2);
    const auto iov = split_iov(w.span(), lbs);
    expect_res(cat("WRITEV ", r.name, " (", iov.size(), " iovecs)"),
               ring.run1(fd, Io{.op = Io::Op::writev, .off = r.off, .iov = iov}),
               static_cast<int>(r.len));
  }
  expect_res("FSYNC", ring.run1(fd, Io{.op = Io::Op::fsync}), 0);
  for (const Region &r : regions)
    read_expect_pattern(ring, t, r.off, r.len, seed2, cat("READ ", r.name, " after WRITEV"));
  detail(
      "start, middle and last block written (WRITE, WRITEV) and read back (READ, READV) identical");
}

// ---------------------------------------------------------------- --io-size

void mode_io_size(Target &t, const Options &o) {
  const std::uint64_t n = o.io_size.value_or(buf_align(t));
  const int fd = t.fd.get();
  const int want = static_cast<int>(n);
  Rng rng(sub_seed(o, 10));

  // QD1: write, then read back, one I/O at a time.
  {
    Ring ring(4);
    std::vector<std::uint64_t> offs = {0,
                                       n,
                                       t.lbs,
                                       align_down(t.size / 2, t.lbs),
                                       t.lbs * rng.below((t.size - n) / t.lbs + 1),
                                       t.size - n};
    Buffer w(n, buf_align(t)), r(n, buf_align(t));
    std::uint64_t k = 0;
    for (std::uint64_t off : offs) {
      const std::uint64_t seed = sub_seed(o, 11 + k++);
      pattern_fill(w.span(), off, seed);
      expect_res(cat("QD1 WRITE ", n, " B @ ", off),
                 ring.run1(fd, Io{.op = Io::Op::write, .off = off, .buf = w.span()}), want);
      std::memset(r.data(), 0xa5, n);
      expect_res(cat("QD1 READ ", n, " B @ ", off),
                 ring.run1(fd, Io{.op = Io::Op::read, .off = off, .buf = r.span()}), want);
      expect_same(r.span(), w.span(), off, cat("QD1 ", n, " B @ ", off));
    }
  }

  // QD32: 32 adjacent I/Os in flight at once, at a random place and ending at the end.
  const std::uint64_t count =
      std::min<std::uint64_t>({32, t.size / n, std::max<std::uint64_t>(1, 256 * MiB / n)});
  Ring ring(static_cast<unsigned>(count));
  Buffer buf(count * n, buf_align(t));
  const std::uint64_t span_len = count * n;
  const std::uint64_t bases[] = {t.lbs * rng.below((t.size - span_len) / t.lbs + 1),
                                 t.size - span_len};
  std::uint64_t k = 0;
  for (std::uint64_t base : bases) {
    const std::uint64_t seed = sub_seed(o, 20 + k++);
    std::vector<Io> writes, reads;
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto s = buf.sub(i * n, n);
      pattern_fill(s, base + i * n, seed);
      writes.push_back(Io{.op = Io::Op::write, .off = base + i * n, .buf = s});
      reads.push_back(Io{.op = Io::Op::read, .off = base + i * n, .buf = s});
    }
    const auto wres = ring.run(fd, writes);
    for (std::size_t i = 0; i < wres.size(); ++i)
      expect_res(cat("QD", count, " WRITE ", n, " B @ ", writes[i].off), wres[i], want);
    std::memset(buf.data(), 0xa5, buf.size());
    const auto rres = ring.run(fd, reads);
    for (std::size_t i = 0; i < rres.size(); ++i) {
      expect_res(cat("QD", count, " READ ", n, " B @ ", reads[i].off), rres[i], want);
      expect_pattern(reads[i].buf, reads[i].off, seed,
                     cat("QD", count, " ", n, " B @ ", reads[i].off));
    }
  }
  detail(
      cat(n, "-byte I/O verified at QD1 (6 offsets incl. the end) and QD", count, " (2 batches)"));
}

// ---------------------------------------------------------------- --error-tests

int misaligned_buffer_res(std::uint64_t addr_off, std::optional<std::uint64_t> dma_alignment,
                          std::size_t len) {
  const std::uint64_t mask = dma_alignment.value_or(511); // the block layer's default
  return (addr_off & mask) != 0 ? -EINVAL : static_cast<int>(len);
}

int misaligned_buffer_accept(int want, int got, std::size_t len) {
  return want == -EINVAL && got == static_cast<int>(len) ? got : want;
}

void mode_error_tests(Target &t, const Options &o) {
  if (!t.is_block)
    throw Skip("end-of-device and O_DIRECT alignment errors apply to block devices only");
  Ring ring(8);
  const int fd = t.fd.get();
  const unsigned lbs = t.lbs;
  const std::uint64_t end = t.size;
  const std::uint64_t mid = align_down(t.size / 3, 4096);
  const std::uint64_t s_tail = sub_seed(o, 30), s_mid = sub_seed(o, 31), s_new = sub_seed(o, 32);
  Buffer buf(4 * std::size_t{lbs} + 4096, buf_align(t));
  auto rw = [&](bool write, std::byte *p, std::size_t len, std::uint64_t off) {
    return ring.run1(fd,
                     Io{.op = write ? Io::Op::write : Io::Op::read, .off = off, .buf = {p, len}});
  };

  // Known data, so that failed writes can be shown to change nothing.
  write_pattern(ring, t, end - 2 * lbs, 2 * lbs, s_tail, "set-up: the last two blocks");
  write_pattern(ring, t, mid, 4 * lbs, s_mid, "set-up: four blocks");

  // End of the device (block/fops.c): a read at or past the end returns 0 (EOF), a read across
  // the end is truncated; a write at or past the end fails with -ENOSPC, a write across the end
  // is truncated.
  expect_res("READ at the end of the device", rw(false, buf.data(), lbs, end), 0);
  expect_res("READ 8 blocks past the end", rw(false, buf.data(), lbs, end + 8ULL * lbs), 0);
  expect_res("READ of 2 blocks across the end (truncated)",
             rw(false, buf.data(), 2 * lbs, end - lbs), static_cast<int>(lbs));
  {
    std::vector<std::byte> want(lbs);
    pattern_fill(want, end - lbs, s_tail);
    expect_same({buf.data(), lbs}, want, end - lbs, "READ across the end: the last block");
  }
  expect_res("WRITE at the end of the device", rw(true, buf.data(), lbs, end), -ENOSPC);
  expect_res("WRITE 8 blocks past the end", rw(true, buf.data(), lbs, end + 8ULL * lbs), -ENOSPC);
  pattern_fill(buf.sub(0, 2 * lbs), end - lbs, s_new);
  expect_res("WRITE of 2 blocks across the end (truncated)",
             rw(true, buf.data(), 2 * lbs, end - lbs), static_cast<int>(lbs));
  read_expect_pattern(ring, t, end - lbs, lbs, s_new,
                      "WRITE across the end: the last block is new");
  read_expect_pattern(ring, t, end - 2 * lbs, lbs, s_tail,
                      "WRITE across the end: the block before is unchanged");

  // Misaligned O_DIRECT (spec 5.3.1, 8.1.2): offset, length, buffer address -> -EINVAL.
  if (!t.direct)
    throw Failure("not opened with O_DIRECT: alignment errors cannot be tested");
  const std::uint64_t half = lbs / 2;
  std::optional<std::uint64_t> dma_alignment;
  if (const auto v = t.queue_attr("dma_alignment"))
    dma_alignment = uringblk::parse_u64(*v);
  const int addr_res = misaligned_buffer_res(1, dma_alignment, lbs);
  if (addr_res >= 0)
    note(cat("queue/dma_alignment is ", *dma_alignment,
             ": a buffer address +1 is aligned enough, so it must work"));
  for (bool write : {false, true}) {
    const char *op = write ? "WRITE" : "READ";
    pattern_fill(buf.sub(0, 2 * lbs), 0, s_new ^ 1);
    expect_res(cat(op, " at a misaligned offset (+", half, ")"),
               rw(write, buf.data(), lbs, mid + half), -EINVAL);
    expect_res(cat(op, " at a misaligned offset (+1)"), rw(write, buf.data(), lbs, mid + 1),
               -EINVAL);
    expect_res(cat(op, " of a misaligned length (", lbs + half, ")"),
               rw(write, buf.data(), lbs + half, mid), -EINVAL);
    expect_res(cat(op, " of a misaligned length (", lbs - 1, ")"),
               rw(write, buf.data(), lbs - 1, mid), -EINVAL);
    // Where +1 is allowed, the READ must bring the data and the WRITE writes what is there
    // already, so that nothing changes either way.
    const auto addr_buf = buf.sub(1, lbs);
    if (write)
      pattern_fill(addr_buf, mid, s_mid);
    else
      std::memset(addr_buf.data(), 0xa5, addr_buf.size());
    const int got = rw(write, addr_buf.data(), lbs, mid);
    expect_res(cat(op, " from a misaligned buffer address (+1)"), got,
               misaligned_buffer_accept(addr_res, got, lbs));
    if (got >= 0 && addr_res < 0)
      note(cat(op, " from a buffer address +1 was taken although queue/dma_alignment is ",
               dma_alignment.value_or(511), " (the kernel checks segments later)"));
    if (!write && got >= 0)
      expect_pattern(addr_buf, mid, s_mid, "READ from a buffer address +1");
  }
  read_expect_pattern(ring, t, mid, 4 * lbs, s_mid, "failed misaligned WRITEs changed nothing");

  // The device still works (spec 8.2.2).
  const std::uint64_t s_after = sub_seed(o, 33);
  write_pattern(ring, t, mid, 64 * 1024, s_after, "after the errors: WRITE");
  read_expect_pattern(ring, t, mid, 64 * 1024, s_after, "after the errors: READ");
  write_pattern(ring, t, end - 64 * 1024, 64 * 1024, s_after, "after the errors: WRITE at the end");
  read_expect_pattern(ring, t, end - 64 * 1024, 64 * 1024, s_after,
                      "after the errors: READ at the end");
}

// ---------------------------------------------------------------- --poll

void mode_poll(Target &t, const Options &o) {
  std::uint64_t before = 0;
  bool check_counter = false;
  if (t.is_uringblk) {
    check_counter = t.ubk_u64("poll_enabled") == 1;
    before = t.ubk_u64("polled_completions");
    if (!check_counter)
      note("poll_enabled=0 (no poll queues): polled_completions is not checked");
  } else {
    note("not a uringblk device: the polled_completions check is skipped");
  }
  if (!t.is_block || !t.direct)
    throw Skip("IOPOLL is tested on O_DIRECT block devices only");
  Ring ring(32, IORING_SETUP_IOPOLL);
  Rng rng(sub_seed(o, 40));
  // --io-size: every I/O has that size; otherwise 1..4 pages.
  const std::uint64_t slot = o.io_size.value_or(4 * buf_align(t));
  const std::uint64_t nslots = std::min<std::uint64_t>(t.size / slot, 1u << 20);
  const std::size_t qd = std::min<std::uint64_t>(32, nslots);
  Buffer buf(qd * slot, buf_align(t));
  std::uint64_t counter = 0, ops = 0;
  for (int round = 0; round < 8; ++round) {
    Batch b = random_batch(rng, t, buf, 0, slot, nslots, qd, counter, sub_seed(o, 41),
                           o.io_size.has_value());
    run_and_verify(ring, t, b, cat("IOPOLL QD", qd, " round ", round));
    ops += 2 * b.writes.size();
  }
  detail(cat(ops, " polled I/Os (QD", qd, ", random offsets) verified"));
  if (check_counter) {
    const std::uint64_t after = t.ubk_u64("polled_completions");
    if (after <= before)
      fail("polled_completions did not increase (", before, " -> ", after, ")");
    detail(cat("polled_completions ", before, " -> ", after));
  }
}

// ---------------------------------------------------------------- --fixed-buffers

void mode_fixed_buffers(Target &t, const Options &o) {
  constexpr unsigned nbuf = 8;
  const std::size_t bsz = o.io_size.value_or(64 * 1024);
  const bool partial = bsz >= 4 * t.lbs; // room for a part inside the registered buffer
  const int fd = t.fd.get();
  Buffer pool(2 * nbuf * bsz, buf_align(t));
  std::vector<iovec> iovs;
  for (unsigned i = 0; i < 2 * nbuf; ++i)
    iovs.push_back(iovec{pool.data() + i * bsz, bsz});
  Ring ring(2 * nbuf);
  ring.register_buffers(iovs);
  Rng rng(sub_seed(o, 50));
  const std::uint64_t span_len = nbuf * (bsz + 4096);
  const std::uint64_t bases[] = {align_down(rng.below(t.size - span_len), 4096), t.size - span_len};
  std::uint64_t k = 0;
  for (std::uint64_t base : bases) {
    const std::uint64_t seed = sub_seed(o, 51 + k++);
    std::vector<Io> writes, reads;
    for (unsigned i = 0; i < nbuf; ++i) {
      // Even buffers: all of it; odd ones: a block-aligned part inside the registered buffer.
      const bool part = partial && (i % 2);
      const std::size_t boff = part ? t.lbs : 0;
      const std::size_t len = part ? bsz - 2 * t.lbs : bsz;
      // The last I/O of the last batch ends exactly at the end of the device.
      const std::uint64_t off = base + i * (bsz + 4096) + 4096;
      const std::uint64_t o2 = (i == nbuf - 1) ? base + span_len - len : off;
      auto w = std::span<std::byte>(pool.data() + i * bsz + boff, len);
      auto r = std::span<std::byte>(pool.data() + (nbuf + i) * bsz + boff, len);
      pattern_fill(w, o2, seed);
      std::memset(r.data(), 0xa5, r.size());
      writes.push_back(
          Io{.op = Io::Op::write_fixed, .off = o2, .buf = w, .buf_index = static_cast<int>(i)});
      reads.push_back(Io{
          .op = Io::Op::read_fixed, .off = o2, .buf = r, .buf_index = static_cast<int>(nbuf + i)});
    }
    const auto wres = ring.run(fd, writes);
    for (unsigned i = 0; i < nbuf; ++i)
      expect_res(cat("WRITE_FIXED buf ", i, " ", writes[i].len(), " B @ ", writes[i].off), wres[i],
                 static_cast<int>(writes[i].len()));
    const auto rres = ring.run(fd, reads);
    for (unsigned i = 0; i < nbuf; ++i) {
      expect_res(cat("READ_FIXED buf ", nbuf + i, " ", reads[i].len(), " B @ ", reads[i].off),
                 rres[i], static_cast<int>(reads[i].len()));
      expect_same(reads[i].buf, writes[i].buf, reads[i].off, cat("READ_FIXED @ ", reads[i].off));
    }
  }
  detail(cat(2 * nbuf, " registered buffers: 2 batches of ", nbuf,
             " WRITE_FIXED + READ_FIXED verified"));
}

// ---------------------------------------------------------------- --admin-commands

namespace {
template <class A, class B> void expect_eq(std::string_view what, const A &got, const B &want) {
  if (!(got == want))
    fail(what, ": ", got, " != ", want);
  detail(cat(what, " = ", want));
}

template <class T> T must(uringblk::Result<T> r, std::string_view transport) {
  if (!r)
    fail(transport, " ", r.error().message());
  return std::move(r).value();
}
} // namespace

void mode_admin_commands(Target &t, const Options &o) {
  if (!t.is_uringblk)
    throw Skip("not a uringblk device");
  using uringblk::Transport;
  auto ud = must(uringblk::Device::open(t.path, Transport::uring_cmd), "uring_cmd");
  auto id = must(uringblk::Device::open(t.path, Transport::ioctl), "ioctl");

  const auto ident = must(ud.identify(), "uring_cmd");
  const auto lim = must(ud.limits(), "uring_cmd");
  const auto feat = must(ud.features(), "uring_cmd");
  const auto geo = must(ud.geometry(), "uring_cmd");
  if (!(must(id.identify(), "ioctl") == ident))
    fail("IDENTIFY differs between uring_cmd and ioctl");
  if (!(must(id.limits(), "ioctl") == lim))
    fail("GET_LIMITS differs between uring_cmd and ioctl");
  if (!(must(id.features(), "ioctl") == feat))
    fail("GET_FEATURES differs between uring_cmd and ioctl");
  if (!(must(id.geometry(), "ioctl") == geo))
    fail("GET_GEOMETRY differs between uring_cmd and ioctl");
  detail("IDENTIFY, GET_LIMITS, GET_FEATURES, GET_GEOMETRY: uring_cmd == ioctl");

  // Against sysfs.
  expect_eq("IDENTIFY.logical_block_size vs queue/logical_block_size", ident.logical_block_size,
            t.queue_u64("logical_block_size"));
  expect_eq("IDENTIFY.logical_block_size vs BLKSSZGET", ident.logical_block_size, t.lbs);
  expect_eq("IDENTIFY.physical_block_size vs queue/physical_block_size", ident.physical_block_size,
            t.queue_u64("physical_block_size"));
  expect_eq("IDENTIFY.capacity_sectors vs /sys/block/<dev>/size", ident.capacity_sectors,
            t.disk_u64("size"));
  expect_eq("IDENTIFY capacity bytes vs BLKGETSIZE64", ident.capacity_bytes(), t.size);
  expect_eq("IDENTIFY capacity bytes vs uringblk/capacity", ident.capacity_bytes(),
            t.ubk_u64("capacity"));
  expect_eq("GET_FEATURES vs uringblk/features", feat.bitmap, t.ubk_u64("features"));
  expect_eq("IDENTIFY.features_bitmap vs GET_FEATURES", ident.features.bitmap, feat.bitmap);
  expect_eq("IDENTIFY.model vs uringblk/model", ident.model, t.ubk_attr("model").value_or("?"));
  expect_eq("IDENTIFY.firmware vs uringblk/firmware_rev", ident.firmware,
            t.ubk_attr("firmware_rev").value_or("?"));
  expect_eq("IDENTIFY.queue_count vs uringblk/nr_hw_queues", ident.queue_count,
            t.ubk_u64("nr_hw_queues"));
  expect_eq("GET_LIMITS.nr_hw_queues vs uringblk/nr_hw_queues", lim.nr_hw_queues,
            t.ubk_u64("nr_hw_queues"));
  expect_eq("IDENTIFY.queue_depth vs uringblk/queue_depth", ident.queue_depth,
            t.ubk_u64("queue_depth"));
  expect_eq("GET_LIMITS.queue_depth vs uringblk/queue_depth", lim.queue_depth,
            t.ubk_u64("queue_depth"));
  expect_eq("GET_LIMITS.max_hw_sectors_kb vs queue/max_hw_sectors_kb", lim.max_hw_sectors_kb,
            t.queue_u64("max_hw_sectors_kb"));
  expect_eq("GET_LIMITS.max_sectors_kb vs queue/max_sectors_kb", lim.max_sectors_kb,
            t.queue_u64("max_sectors_kb"));
  expect_eq("GET_LIMITS.max_segments vs queue/max_segments", lim.max_segments,
            t.queue_u64("max_segments"));
  expect_eq("GET_LIMITS.max_segment_size vs queue/max_segment_size", lim.max_segment_size,
            t.queue_u64("max_segment_size"));
  expect_eq("GET_LIMITS.io_min vs queue/minimum_io_size", lim.io_min,
            t.queue_u64("minimum_io_size"));
  expect_eq("GET_LIMITS.io_opt vs queue/optimal_io_size", lim.io_opt,
            t.queue_u64("optimal_io_size"));
  expect_eq("GET_LIMITS.discard_granularity vs queue/discard_granularity", lim.discard_granularity,
            t.queue_u64("discard_granularity"));
  expect_eq("GET_LIMITS.discard_max_bytes vs queue/discard_max_bytes", lim.discard_max_bytes,
            t.queue_u64("discard_max_bytes"));
  if (t.queue_attr("dma_alignment"))
    expect_eq("GET_LIMITS.dma_alignment vs queue/dma_alignment", lim.dma_alignment,
              t.queue_u64("dma_alignment"));
  expect_eq("IDENTIFY.max_segments vs GET_LIMITS", ident.max_segments, lim.max_segments);
  expect_eq("IDENTIFY.io_min vs GET_LIMITS", ident.io_min, lim.io_min);
  expect_eq("GET_GEOMETRY.capacity_sectors vs IDENTIFY", geo.capacity_sectors,
            ident.capacity_sectors);
  expect_eq("GET_GEOMETRY.logical_block_size vs IDENTIFY", geo.logical_block_size,
            ident.logical_block_size);
  expect_eq("GET_GEOMETRY.physical_block_size vs IDENTIFY", geo.physical_block_size,
            ident.physical_block_size);
  expect_eq("GET_GEOMETRY.heads", unsigned{geo.heads}, 64u);
  expect_eq("GET_GEOMETRY.sectors_per_track", unsigned{geo.sectors_per_track}, 32u);
  expect_eq("GET_GEOMETRY.cylinders", unsigned{geo.cylinders},
            static_cast<unsigned>(std::min<std::uint64_t>(geo.capacity_sectors / 2048, 65535)));

  // GET_STATS: both transports, counters grow with I/O, sysfs agrees.
  const auto s0u = must(ud.stats(), "uring_cmd");
  const auto s0i = must(id.stats(), "ioctl");
  if (s0i.read_ops < s0u.read_ops || s0i.write_ops < s0u.write_ops)
    fail("GET_STATS over ioctl (read_ops ", s0i.read_ops,
         ") is behind the earlier uring_cmd answer (", s0u.read_ops, ")");
  Ring ring(4);
  Rng rng(sub_seed(o, 60));
  constexpr unsigned nreads = 16, nwrites = 4;
  const std::uint64_t wseed = sub_seed(o, 61);
  const std::uint64_t woff = align_down(rng.below(t.size - 64 * 1024), 4096);
  for (unsigned i = 0; i < nwrites; ++i) // separate I/Os (no merging: one at a time)
    write_pattern(ring, t, woff + i * 2 * t.lbs, t.lbs, wseed, "GET_STATS: WRITE");
  for (unsigned i = 0; i < nreads; ++i)
    read_expect_pattern(ring, t, woff + (i % nwrites) * 2 * t.lbs, t.lbs, wseed, "GET_STATS: READ");
  const auto s1u = must(ud.stats(), "uring_cmd");
  const auto s1i = must(id.stats(), "ioctl");
  const std::uint64_t sys_reads = t.ubk_u64("read_ops");
  if (s1u.read_ops < s0i.read_ops + nreads)
    fail("GET_STATS(uring_cmd).read_ops grew by ", s1u.read_ops - s0u.read_ops, " after ", nreads,
         " reads");
  if (s1u.write_ops < s0i.write_ops + nwrites)
    fail("GET_STATS(uring_cmd).write_ops grew by ", s1u.write_ops - s0u.write_ops, " after ",
         nwrites, " writes");
  if (s1u.read_bytes < s0i.read_bytes + nreads * t.lbs)
    fail("GET_STATS(uring_cmd).read_bytes grew by ", s1u.read_bytes - s0u.read_bytes, " after ",
         nreads, " reads of ", t.lbs, " B");
  if (s1i.read_ops < s1u.read_ops || sys_reads < s1i.read_ops)
    fail("read_ops not monotonic across transports: uring_cmd ", s1u.read_ops, ", then ioctl ",
         s1i.read_ops, ", then sysfs ", sys_reads);
  if (s1u.read_sectors * 512 != s1u.read_bytes)
    fail("GET_STATS read_sectors*512 (", s1u.read_sectors * 512, ") != read_bytes (",
         s1u.read_bytes, ")");
  detail(cat("GET_STATS read_ops ", s0u.read_ops, " -> ", s1u.read_ops, " (uring_cmd), ",
             s1i.read_ops, " (ioctl), ", sys_reads, " (sysfs)"));
}

// ---------------------------------------------------------------- --sync-tests

void mode_sync_tests(Target &t, const Options &o) {
  Ring ring(8);
  const int fd = t.fd.get();
  std::string wc = "unknown";
  if (auto v = t.ubk_attr("write_cache"))
    wc = *v;
  else if (auto q = t.queue_attr("write_cache"))
    wc = *q;
  const bool write_back = wc == "write back";
  std::uint64_t flush0 = 0, write0 = 0;
  if (t.is_uringblk) {
    flush0 = t.ubk_u64("flush_ops");
    write0 = t.ubk_u64("write_ops");
  }
  Rng rng(sub_seed(o, 70));
  const std::size_t len = 16 * 1024;
  const std::uint64_t base = align_down(rng.below(t.size - 8 * len), 4096);
  const std::uint64_t seed = sub_seed(o, 71);

  // RWF_DSYNC on O_DIRECT: REQ_FUA when the device has a write-back cache.
  constexpr unsigned ndsync = 4;
  Buffer buf(ndsync * len, buf_align(t));
  std::vector<Io> writes;
  for (unsigned i = 0; i < ndsync; ++i) {
    auto s = buf.sub(i * len, len);
    pattern_fill(s, base + i * 2 * len, seed);
    writes.push_back(
        Io{.op = Io::Op::write, .off = base + i * 2 * len, .buf = s, .rw_flags = RWF_DSYNC});
  }
  const auto res = ring.run(fd, writes);
  for (unsigned i = 0; i < ndsync; ++i)
    expect_res(cat("WRITE RWF_DSYNC ", len, " B @ ", writes[i].off), res[i], static_cast<int>(len));
  for (unsigned i = 0; i < ndsync; ++i)
    read_expect_pattern(ring, t, writes[i].off, len, seed, "READ after RWF_DSYNC WRITE");

  // Plain write + FSYNC, FSYNC with IORING_FSYNC_DATASYNC.
  const std::uint64_t seed2 = sub_seed(o, 72);
  write_pattern(ring, t, base + len, len, seed2, "WRITE before FSYNC");
  expect_res("FSYNC", ring.run1(fd, Io{.op = Io::Op::fsync}), 0);
  write_pattern(ring, t, base + 3 * len, len, seed2, "WRITE before FSYNC(DATASYNC)");
  expect_res("FSYNC (IORING_FSYNC_DATASYNC)",
             ring.run1(fd, Io{.op = Io::Op::fsync, .fsync_flags = IORING_FSYNC_DATASYNC}), 0);

  // Linked WRITE -> FSYNC -> READ (IOSQE_IO_LINK, spec 5.3.2).
  {
    const std::uint64_t off = base + 5 * len, seed3 = sub_seed(o, 73);
    Buffer w(len, buf_align(t)), r(len, buf_align(t));
    pattern_fill(w.span(), off, seed3);
    const Io chain[] = {
        Io{.op = Io::Op::write, .off = off, .buf = w.span(), .sqe_flags = IOSQE_IO_LINK},
        Io{.op = Io::Op::fsync, .sqe_flags = IOSQE_IO_LINK},
        Io{.op = Io::Op::read, .off = off, .buf = r.span()}};
    const auto cres = ring.run(fd, chain);
    expect_res("linked WRITE", cres[0], static_cast<int>(len));
    expect_res("linked FSYNC", cres[1], 0);
    expect_res("linked READ", cres[2], static_cast<int>(len));
    expect_same(r.span(), w.span(), off, "linked WRITE -> FSYNC -> READ");
  }
  read_expect_pattern(ring, t, base + len, len, seed2, "READ after FSYNC");
  read_expect_pattern(ring, t, base + 3 * len, len, seed2, "READ after FSYNC(DATASYNC)");

  if (!t.is_uringblk) {
    note("not a uringblk device: flush_ops/write_ops are not checked");
    return;
  }
  const std::uint64_t flush1 = t.ubk_u64("flush_ops"), write1 = t.ubk_u64("write_ops");
  if (write1 - write0 < ndsync + 3)
    fail("write_ops grew by ", write1 - write0, " after ", ndsync + 3, " writes");
  if (write_back) {
    if (flush1 <= flush0)
      fail("write_cache is 'write back' but flush_ops did not grow after 3 FSYNCs (", flush0,
           " -> ", flush1, ")");
    detail(cat("write back: flush_ops ", flush0, " -> ", flush1));
  } else {
    note(cat("write_cache is '", wc, "': the block layer sends no flushes; flush_ops ", flush0,
             " -> ", flush1));
  }
}

// ---------------------------------------------------------------- --duration/--concurrent

namespace {
/// Threads that run `body(k)` and record the first failure. An interruption (Ctrl-C) stops them
/// all and is no failure: the mode reports what was done, then throw_if_interrupted().
struct Workers {
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::string error;

  template <class F> void run(unsigned n, F body) {
    {
      std::vector<std::jthread> threads;
      for (unsigned k = 0; k < n; ++k)
        threads.emplace_back([this, k, &body] {
          try {
            body(k);
          } catch (const uringblk::kit::Interrupted &) {
            stop = true;
          } catch (const std::exception &e) {
            std::lock_guard lock(mu);
            if (error.empty())
              error = cat("thread ", k, ": ", e.what());
            stop = true;
          }
        });
    }
    if (!error.empty())
      throw Failure(error);
  }
};
} // namespace

void mode_stress(Target &t, const Options &o) {
  const unsigned n = std::max(1u, o.concurrent);
  // --io-size: every I/O has that size; otherwise 1 block .. 128 KiB.
  const std::uint64_t chunk =
      o.io_size ? *o.io_size
                : std::min<std::uint64_t>(128 * 1024, align_down(t.size / n / 16, buf_align(t)));
  const std::uint64_t stripe = chunk ? align_down(t.size / n, chunk) : 0;
  const unsigned qd =
      static_cast<unsigned>(std::min<std::uint64_t>(16, chunk ? stripe / chunk : 0));
  if (chunk < t.lbs || qd == 0)
    throw UsageError(cat("--concurrent=", n, " is too many for a ", t.size, "-byte device"));
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(o.duration);
  std::atomic<std::uint64_t> ops{0}, bytes{0};
  Workers w;
  w.run(n, [&](unsigned k) {
    Ring ring(qd);
    Buffer buf(qd * chunk, buf_align(t));
    Rng rng(sub_seed(o, 80 + k));
    std::uint64_t counter = 0, round = 0;
    while (!w.stop && !uringblk::kit::interrupted() &&
           std::chrono::steady_clock::now() < deadline) {
      Batch b = random_batch(rng, t, buf, k * stripe, chunk, stripe / chunk, qd, counter,
                             sub_seed(o, 200 + k), o.io_size.has_value());
      run_and_verify(ring, t, b, cat("stress thread ", k, " round ", round++));
      ops += 2 * b.writes.size();
      for (const Io &io : b.writes)
        bytes += 2 * io.len();
    }
  });
  const std::chrono::duration<double> ran = std::chrono::steady_clock::now() - start;
  note(cat(n, " threads x QD", qd, " for ",
           uringblk::kit::interrupted() ? cat(std::fixed, std::setprecision(1), ran.count(), " of ",
                                              o.duration, " s (interrupted)")
                                        : cat(o.duration, " s"),
           ": ", ops.load(), " I/Os (", bytes.load() / MiB, " MiB) written and verified"));
  uringblk::kit::throw_if_interrupted();
}

// ---------------------------------------------------------------- --queue-stress

void mode_queue_stress(Target &t, const Options &o) {
  std::uint64_t nr = 128;
  if (auto v = t.queue_attr("nr_requests"); v && uringblk::parse_u64(*v))
    nr = *uringblk::parse_u64(*v);
  else
    note("queue/nr_requests unknown: assuming 128");
  const unsigned rings = std::max(1u, std::min(o.concurrent, 8u));
  // --io-size: every I/O has that size; otherwise 1 block .. 1 page.
  const std::uint64_t slot = o.io_size.value_or(buf_align(t));
  std::uint64_t qd = std::min<std::uint64_t>(2 * nr, 8192);
  const std::uint64_t stripe = align_down(t.size / rings, slot);
  if (qd * slot > stripe || qd * slot > 64 * MiB) {
    qd = std::max<std::uint64_t>(1, std::min(stripe, 64 * MiB) / slot);
    note(cat("device or buffer limit (64 MiB per ring): QD ", qd, " per ring instead of ", 2 * nr));
  }
  std::uint64_t qfull0 = 0, err0 = 0;
  if (t.is_uringblk) {
    qfull0 = t.ubk_u64("queue_full_events");
    err0 = t.ubk_u64("media_errors");
  }
  std::atomic<std::uint64_t> ops{0};
  // Sample /sys/block/<dev>/inflight (reads + writes the block layer has in the driver).
  std::atomic<std::uint64_t> peak{0};
  std::optional<std::jthread> monitor;
  if (!t.disk.empty() && t.disk_attr("inflight"))
    monitor.emplace([&](std::stop_token st) {
      while (!st.stop_requested()) {
        if (auto v = t.disk_attr("inflight")) {
          std::istringstream is(*v);
          std::uint64_t r = 0, wr = 0;
          is >> r >> wr;
          if (r + wr > peak)
            peak = r + wr;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    });
  Workers w;
  struct StopMonitor {
    std::optional<std::jthread> &m;
    ~StopMonitor() {
      if (m)
        m->request_stop();
    }
  } stop_monitor{monitor};
  w.run(rings, [&](unsigned k) {
    Ring ring(static_cast<unsigned>(qd));
    if (ring.entries() < qd)
      fail("ring has ", ring.entries(), " entries, want ", qd);
    Buffer buf(qd * slot, buf_align(t));
    Rng rng(sub_seed(o, 90 + k));
    std::uint64_t counter = 0;
    for (int round = 0; round < 2 && !w.stop; ++round) {
      Batch b = random_batch(rng, t, buf, k * stripe, slot, stripe / slot, qd, counter,
                             sub_seed(o, 300 + k), o.io_size.has_value());
      run_and_verify(ring, t, b, cat("queue-stress ring ", k, " round ", round));
      ops += 2 * b.writes.size();
    }
  });
  uringblk::kit::throw_if_interrupted();
  std::string extra;
  if (t.is_uringblk) {
    const std::uint64_t err1 = t.ubk_u64("media_errors");
    if (err1 != err0)
      fail("media_errors grew (", err0, " -> ", err1, ")");
    extra = cat(", queue_full_events +", t.ubk_u64("queue_full_events") - qfull0);
  }
  if (monitor) {
    monitor->request_stop();
    monitor->join();
    extra += cat(", peak sysfs inflight ", peak.load());
  }
  note(cat(rings, " rings x QD", qd, " (nr_requests ", nr, "): ", ops.load(), " I/Os verified",
           extra));
}

// ---------------------------------------------------------------- --memory-pressure

// Spec 10.1.3. The driver's non-reclaiming allocations are made to fail with the injection
// rule nomem,*,N (docs/error-injection.md), so every write that needs a page takes the slow
// path: the pool, the reclaiming refill worker, a requeue. Every write must still succeed and
// read back; queue_full_events and retries must grow and nomem_errors must not.
void mode_memory_pressure(Target &t, const Options &o) {
  if (!t.is_uringblk)
    throw Skip("needs a uringblk device (the nomem error-injection rule)");
  if (!t.is_block || !t.direct)
    throw Skip("tested on O_DIRECT block devices only");
  const auto rule = uringblk::parse_inject_rule("nomem,*,1000000000");
  if (!rule)
    fail("cannot build the nomem rule: ", rule.error().message());
  // Fresh pages: discard the region first, so that the writes must allocate.
  const std::uint64_t region = align_down(std::min<std::uint64_t>(t.size, 64 * MiB), 4096);
  std::uint64_t range[2] = {0, region};
  if (ioctl(t.fd.get(), BLKDISCARD, range) != 0)
    note(cat("BLKDISCARD failed (", std::strerror(errno), "): pages may already exist"));
  const std::uint64_t qfull0 = t.ubk_u64("queue_full_events");
  const std::uint64_t retries0 = t.ubk_u64("retries");
  const auto nomem = t.ubk_attr("nomem_errors");
  const std::uint64_t nomem0 = nomem ? t.ubk_u64("nomem_errors") : 0;
  if (auto r = uringblk::inject_add(t.disk, *rule); !r)
    fail("cannot add the rule nomem,*,1000000000: ", r.error().message());
  struct Clear {
    const Target &t;
    ~Clear() { (void)uringblk::inject_clear(t.disk); }
  } clear{t};
  Ring ring(32);
  Rng rng(sub_seed(o, 110));
  const std::uint64_t slot = o.io_size.value_or(16 * 1024);
  const std::uint64_t nslots = region / slot;
  if (nslots == 0)
    throw Skip("device smaller than one I/O");
  const std::size_t qd = std::min<std::uint64_t>(32, nslots);
  Buffer buf(qd * slot, buf_align(t));
  std::uint64_t counter = 0, ops = 0;
  for (int round = 0; round < 16; ++round) {
    Batch b = random_batch(rng, t, buf, 0, slot, nslots, qd, counter, sub_seed(o, 111),
                           o.io_size.has_value());
    run_and_verify(ring, t, b, cat("memory-pressure round ", round));
    ops += 2 * b.writes.size();
  }
  const std::uint64_t qfull = t.ubk_u64("queue_full_events") - qfull0;
  const std::uint64_t retries = t.ubk_u64("retries") - retries0;
  if (qfull == 0)
    fail("queue_full_events did not grow: no write took the reclaiming path");
  if (retries == 0)
    fail("retries did not grow: no refused write was dispatched again");
  if (nomem && t.ubk_u64("nomem_errors") != nomem0)
    fail("nomem_errors grew (", nomem0, " -> ", t.ubk_u64("nomem_errors"), ")");
  detail(cat(ops, " I/Os verified with every GFP_NOWAIT allocation failing: queue_full_events +",
             qfull, ", retries +", retries));
}

} // namespace ubt
