// SPDX-License-Identifier: MIT
// The device side of uringblk-bench: opening the target and running one measured point with one
// io_uring per thread.
#pragma once

#include "bench_options.hpp"
#include "bench_report.hpp"

#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace uringblk::bench {

// Setup or I/O failure: main prints the message and exits 1.
struct RunError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class UniqueFd {
public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd &operator=(UniqueFd &&o) noexcept {
    if (this != &o)
      reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

struct Target {
  UniqueFd fd;
  bool block_device = false;
  std::uint64_t dev_size = 0;     // bytes
  std::uint32_t logical_bs = 512; // bytes
  std::uint64_t region_size = 0;  // resolved --size
};

// Opens opts.device O_DIRECT and resolves/validates the region against it.
Target open_target(const Options &opts);

// Runs one point; `progress` draws the one-line display on stderr.
PointResult run_point(const Options &opts, const Target &target, Point point, bool progress);

} // namespace uringblk::bench
