// SPDX-License-Identifier: MIT
#include "util.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>

#include <uringblk/kit/interrupt.hpp>
#include <uringblk/result.hpp>
#include <uringblk/sysfs.hpp>

namespace ubt {

namespace {
bool g_verbose = false;
std::mutex g_out_mutex;
} // namespace

void set_verbose(bool v) noexcept { g_verbose = v; }
bool verbose() noexcept { return g_verbose; }

void detail(std::string_view text) {
  if (!g_verbose)
    return;
  std::lock_guard lock(g_out_mutex);
  std::cout << "  " << text << '\n' << std::flush;
}

void note(std::string_view text) {
  std::lock_guard lock(g_out_mutex);
  std::cout << "  note: " << text << '\n' << std::flush;
}

// ---------------------------------------------------------------- RAII

Buffer::Buffer(std::size_t size, std::size_t align) : size_(size) {
  const std::size_t alloc = std::max<std::size_t>((size + align - 1) / align * align, align);
  mem_.reset(static_cast<std::byte *>(std::aligned_alloc(align, alloc)));
  if (!mem_)
    throw std::bad_alloc();
  std::memset(mem_.get(), 0, alloc);
}

std::span<std::byte> Buffer::sub(std::size_t off, std::size_t len) {
  return span().subspan(off, len);
}

std::size_t Io::len() const noexcept {
  if (op == Op::readv || op == Op::writev) {
    std::size_t n = 0;
    for (const iovec &v : iov)
      n += v.iov_len;
    return n;
  }
  return op == Op::fsync ? 0 : buf.size();
}

std::string_view op_name(Io::Op op) noexcept {
  switch (op) {
  case Io::Op::read:
    return "READ";
  case Io::Op::write:
    return "WRITE";
  case Io::Op::readv:
    return "READV";
  case Io::Op::writev:
    return "WRITEV";
  case Io::Op::read_fixed:
    return "READ_FIXED";
  case Io::Op::write_fixed:
    return "WRITE_FIXED";
  case Io::Op::fsync:
    return "FSYNC";
  }
  return "?";
}

namespace {
void prep(io_uring_sqe *sqe, int fd, const Io &io) {
  auto *p = io.buf.data();
  const auto n = static_cast<unsigned>(io.buf.size());
  switch (io.op) {
  case Io::Op::read:
    io_uring_prep_read(sqe, fd, p, n, io.off);
    break;
  case Io::Op::write:
    io_uring_prep_write(sqe, fd, p, n, io.off);
    break;
  case Io::Op::readv:
    io_uring_prep_readv(sqe, fd, io.iov.data(), static_cast<unsigned>(io.iov.size()), io.off);
    break;
  case Io::Op::writev:
    io_uring_prep_writev(sqe, fd, io.iov.data(), static_cast<unsigned>(io.iov.size()), io.off);
    break;
  case Io::Op::read_fixed:
    io_uring_prep_read_fixed(sqe, fd, p, n, io.off, io.buf_index);
    break;
  case Io::Op::write_fixed:
    io_uring_prep_write_fixed(sqe, fd, p, n, io.off, io.buf_index);
    break;
  case Io::Op::fsync:
    io_uring_prep_fsync(sqe, fd, io.fsync_flags);
    break;
  }
  if (io.op != Io::Op::fsync)
    sqe->rw_flags = io.rw_flags;
  sqe->flags |= static_cast<std::uint8_t>(io.sqe_flags);
}
} // namespace

std::vector<int> Ring::run(int fd, std::span<const Io> ios) {
  io_uring *const ring = native();
  const unsigned entries_ = entries();
  std::vector<int> res(ios.size(), 0);
  std::size_t next = 0;
  while (next < ios.size()) {
    uringblk::kit::throw_if_interrupted(); // Ctrl-C: the mode stops before its next batch
    const std::size_t batch = std::min<std::size_t>(entries_, ios.size() - next);
    for (std::size_t i = 0; i < batch; ++i) {
      io_uring_sqe *sqe = io_uring_get_sqe(ring);
      if (!sqe)
        fail("io_uring_get_sqe: submission queue full");
      prep(sqe, fd, ios[next + i]);
      io_uring_sqe_set_data64(sqe, next + i);
    }
    std::size_t submitted = 0;
    while (submitted < batch) {
      const int ret = io_uring_submit(ring);
      if (ret < 0)
        fail("io_uring_submit: ", res_name(ret));
      submitted += static_cast<std::size_t>(ret);
      if (ret == 0 && submitted < batch)
        fail("io_uring_submit submitted nothing (", submitted, "/", batch, ")");
    }
    for (std::size_t done = 0; done < batch; ++done) {
      io_uring_cqe *cqe = wait();
      const auto idx = io_uring_cqe_get_data64(cqe);
      if (idx >= ios.size())
        fail("completion with unknown user_data ", idx);
      res[idx] = cqe->res;
      io_uring_cqe_seen(ring, cqe);
    }
    next += batch;
  }
  return res;
}

int Ring::run1(int fd, const Io &io) { return run(fd, std::span<const Io>(&io, 1)).at(0); }

// ---------------------------------------------------------------- pattern

void expect_same(std::span<const std::byte> got, std::span<const std::byte> want, std::uint64_t off,
                 std::string_view what) {
  if (got.size() != want.size())
    fail(what, ": compared ", got.size(), " bytes with ", want.size());
  if (std::memcmp(got.data(), want.data(), got.size()) == 0)
    return;
  const auto it = std::mismatch(got.begin(), got.end(), want.begin());
  const std::size_t i = static_cast<std::size_t>(it.first - got.begin());
  std::size_t bad = 0;
  for (std::size_t j = i; j < got.size(); ++j)
    bad += got[j] != want[j];
  std::ostringstream os;
  os << what << ": data mismatch at device offset " << off + i << " (byte " << i << " of "
     << got.size() << " @ " << off << "): expected 0x" << std::hex << std::setw(2)
     << std::setfill('0') << static_cast<unsigned>(want[i]) << ", got 0x" << std::setw(2)
     << static_cast<unsigned>(got[i]) << std::dec << " (" << bad << " bytes differ)";
  throw Failure(os.str());
}

void expect_pattern(std::span<const std::byte> got, std::uint64_t off, std::uint64_t seed,
                    std::string_view what) {
  thread_local std::vector<std::byte> want;
  want.resize(got.size());
  pattern_fill(want, off, seed);
  expect_same(got, want, off, what);
}

// ---------------------------------------------------------------- device under test

namespace {
std::optional<std::string> read_file_line(const std::string &path) {
  std::ifstream f(path);
  std::string line;
  if (!f || !std::getline(f, line))
    return std::nullopt;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' '))
    line.pop_back();
  return line;
}

std::uint64_t to_u64(const std::optional<std::string> &v, const std::string &what) {
  if (!v)
    fail("cannot read ", what);
  const auto n = uringblk::parse_u64(*v);
  if (!n)
    fail(what, ": not a number: '", *v, "'");
  return *n;
}
} // namespace

std::optional<std::string> Target::disk_attr(std::string_view rel) const {
  if (disk.empty())
    return std::nullopt;
  return read_file_line((uringblk::sysfs_root() / "block" / disk / rel).string());
}

std::uint64_t Target::disk_u64(std::string_view rel) const {
  return to_u64(disk_attr(rel), cat("/sys/block/", disk, "/", rel));
}

std::optional<std::string> Target::queue_attr(std::string_view attr) const {
  return disk_attr(cat("queue/", attr));
}

std::optional<std::string> Target::ubk_attr(std::string_view attr) const {
  if (!is_uringblk)
    return std::nullopt;
  return read_file_line(uringblk::attr_path(disk, attr).string());
}

std::uint64_t Target::ubk_u64(std::string_view attr) const {
  return to_u64(ubk_attr(attr), cat("/sys/block/", disk, "/uringblk/", attr));
}

std::uint64_t Target::queue_u64(std::string_view attr) const {
  return to_u64(queue_attr(attr), cat("/sys/block/", disk, "/queue/", attr));
}

Target open_target(const std::string &path, bool allow_file) {
  Target t;
  try {
    static_cast<uringblk::kit::Target &>(t) = uringblk::kit::open_target(
        path, {.write = true,
               .exclusive = true,
               .direct = true,
               .allow_file = allow_file,
               .buffered_fallback = true});
  } catch (const UsageError &e) {
    if (std::string_view(e.what()).ends_with("is not a block device"))
      throw UsageError(cat(e.what(), " (use --allow-file to test a regular file)"));
    throw;
  }
  if (t.is_block) {
    if (auto name = uringblk::device_name_from_path(path)) {
      t.disk = *name;
      std::error_code ec;
      t.is_uringblk =
          std::filesystem::is_directory(uringblk::sysfs_root() / "block" / t.disk / "uringblk", ec);
    }
  }
  if (t.lbs == 0 || t.size < 64ULL * 1024 * 1024 / 8 || t.size % t.lbs)
    throw UsageError(cat(path, ": size ", t.size, " / block size ", t.lbs,
                         " not usable (need at least 8 MiB, a whole number of blocks)"));
  return t;
}

void write_pattern(Ring &ring, const Target &t, std::uint64_t off, std::size_t len,
                   std::uint64_t seed, std::string_view what) {
  Buffer b(len, std::max(4096u, t.lbs));
  pattern_fill(b.span(), off, seed);
  const int res = ring.run1(t.fd.get(), Io{.op = Io::Op::write, .off = off, .buf = b.span()});
  if (res != static_cast<int>(len))
    fail(what, ": WRITE of ", len, " B @ ", off, ": res ", res_name(res), ", want ", len);
}

void read_expect_pattern(Ring &ring, const Target &t, std::uint64_t off, std::size_t len,
                         std::uint64_t seed, std::string_view what) {
  Buffer b(len, std::max(4096u, t.lbs));
  const int res = ring.run1(t.fd.get(), Io{.op = Io::Op::read, .off = off, .buf = b.span()});
  if (res != static_cast<int>(len))
    fail(what, ": READ of ", len, " B @ ", off, ": res ", res_name(res), ", want ", len);
  expect_pattern(b.span(), off, seed, what);
}

} // namespace ubt
