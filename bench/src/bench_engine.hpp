// SPDX-License-Identifier: MIT
// The device side of uringblk-bench: opening the target and running one measured point with one
// io_uring per thread.
#pragma once

#include "bench_options.hpp"
#include "bench_report.hpp"

#include <uringblk/unique_fd.hpp>

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

using uringblk::UniqueFd;

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
