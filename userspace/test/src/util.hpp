// SPDX-License-Identifier: MIT
// uringblk_test building blocks: errors, RAII wrappers (fd, aligned buffer, io_uring ring),
// the data pattern and its verification, and the device under test.
#pragma once

#include <liburing.h>
#include <sys/uio.h>
#include <uringblk/kit/blockdev.hpp>
#include <uringblk/kit/errors.hpp>
#include <uringblk/kit/pattern.hpp>
#include <uringblk/kit/ring.hpp>
#include <uringblk/unique_fd.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ubt {

// ---------------------------------------------------------------- errors and output

/// Failure: "FAIL <mode>: <what()>"; UsageError: a bad command line or an unusable device
/// (exit 2); Skip: "SKIP <mode>: <what()>" (not a failure).
using uringblk::kit::cat;
using uringblk::kit::fail;
using uringblk::kit::Failure;
using uringblk::kit::Skip;
using uringblk::kit::UsageError;

/// -v output ("  <text>") and notes that are always shown ("  note: <text>").
void set_verbose(bool v) noexcept;
bool verbose() noexcept;
void detail(std::string_view text);
void note(std::string_view text);

/// "4096" for res >= 0, "-EINVAL" for a negative errno.
using uringblk::kit::res_name;

// ---------------------------------------------------------------- RAII

using uringblk::UniqueFd;

/// A zeroed buffer aligned to `align` bytes (O_DIRECT needs at least the logical block size).
class Buffer {
public:
  Buffer() = default;
  Buffer(std::size_t size, std::size_t align = 4096);
  std::byte *data() noexcept { return mem_.get(); }
  const std::byte *data() const noexcept { return mem_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::span<std::byte> span() noexcept { return {mem_.get(), size_}; }
  std::span<const std::byte> span() const noexcept { return {mem_.get(), size_}; }
  std::span<std::byte> sub(std::size_t off, std::size_t len);

private:
  struct Free {
    void operator()(std::byte *p) const noexcept { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> mem_;
  std::size_t size_ = 0;
};

/// One I/O for Ring::run().
struct Io {
  enum class Op { read, write, readv, writev, read_fixed, write_fixed, fsync };
  Op op = Op::read;
  std::uint64_t off = 0;
  std::span<std::byte> buf{};   ///< read/write/*_fixed
  std::span<const iovec> iov{}; ///< readv/writev
  int buf_index = -1;           ///< *_fixed: the registered buffer holding buf
  int rw_flags = 0;             ///< e.g. RWF_DSYNC
  unsigned fsync_flags = 0;     ///< e.g. IORING_FSYNC_DATASYNC
  unsigned sqe_flags = 0;       ///< e.g. IOSQE_IO_LINK

  std::size_t len() const noexcept;
};

std::string_view op_name(Io::Op op) noexcept;

/// An io_uring instance (kit::Ring) that runs batches of Io.
class Ring : public uringblk::kit::Ring {
public:
  using uringblk::kit::Ring::Ring;

  /// Submit every I/O on fd, at most entries() in flight at a time, and wait for all of them.
  /// Returns cqe->res per I/O (same order). Submission failures throw Failure; after SIGINT or
  /// SIGTERM (kit/interrupt.hpp) the next batch throws kit::Interrupted instead of starting.
  std::vector<int> run(int fd, std::span<const Io> ios);
  /// One I/O, synchronously.
  int run1(int fd, const Io &io);
};

// ---------------------------------------------------------------- pattern

/// The pattern of (seed, off) (kit/pattern.hpp): every 8-byte word is a hash of the seed and of
/// its absolute device offset, so misplaced, lost (stale) or torn data never matches.
using uringblk::kit::pattern_fill;

/// Fail (with the absolute offset and the first differing byte) unless got == want.
void expect_same(std::span<const std::byte> got, std::span<const std::byte> want, std::uint64_t off,
                 std::string_view what);
/// Fail unless got holds the pattern of (seed, off).
void expect_pattern(std::span<const std::byte> got, std::uint64_t off, std::uint64_t seed,
                    std::string_view what);

/// splitmix64: seeds for sub-tests and a cheap PRNG.
using uringblk::kit::mix64;

class Rng {
public:
  explicit Rng(std::uint64_t seed) noexcept : s_(seed) {}
  std::uint64_t next() noexcept { return mix64(s_ += 0x9e3779b97f4a7c15ULL); }
  /// Uniform in [0, n), n > 0.
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }

private:
  std::uint64_t s_;
};

// ---------------------------------------------------------------- device under test

/// The device (kit::Target: path, fd O_RDWR | O_DIRECT | O_EXCL, is_block, direct, size, lbs)
/// and what sysfs says about it.
struct Target : uringblk::kit::Target {
  std::string disk;         ///< kernel name ("uringblk0"); empty for a file
  bool is_uringblk = false; ///< /sys/block/<disk>/uringblk exists

  /// /sys/block/<disk>/<rel> (nullopt if absent).
  std::optional<std::string> disk_attr(std::string_view rel) const;
  std::uint64_t disk_u64(std::string_view rel) const;
  /// /sys/block/<disk>/queue/<attr> and /sys/block/<disk>/uringblk/<attr> (nullopt if absent).
  std::optional<std::string> queue_attr(std::string_view attr) const;
  std::optional<std::string> ubk_attr(std::string_view attr) const;
  /// The attribute as a number; Failure if absent or not a number.
  std::uint64_t ubk_u64(std::string_view attr) const;
  std::uint64_t queue_u64(std::string_view attr) const;
};

/// Open the device for destructive testing. Refuses (UsageError) anything that is not a block
/// device unless allow_file, and a block device that is mounted or otherwise claimed (O_EXCL).
Target open_target(const std::string &path, bool allow_file);

/// Read or write everything with one I/O each (helpers for the modes).
void write_pattern(Ring &ring, const Target &t, std::uint64_t off, std::size_t len,
                   std::uint64_t seed, std::string_view what);
void read_expect_pattern(Ring &ring, const Target &t, std::uint64_t off, std::size_t len,
                         std::uint64_t seed, std::string_view what);

} // namespace ubt
