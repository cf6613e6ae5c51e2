// SPDX-License-Identifier: MIT
// The device side of uringblk-bench: opening the target and running one measured point with one
// io_uring per thread.
#pragma once

#include "bench_options.hpp"
#include "bench_report.hpp"

#include <uringblk/kit/blockdev.hpp>
#include <uringblk/kit/errors.hpp>

#include <unistd.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

namespace uringblk::bench {

// Setup or I/O failure: main prints the message and exits 1.
using RunError = uringblk::kit::Failure;

// The device (kit::Target: fd, is_block, size, lbs) and the region the options resolve to.
struct Target : uringblk::kit::Target {
  std::uint64_t region_size = 0; // resolved --size
};

// Opens opts.device O_DIRECT (a block device for a write benchmark also O_EXCL, unless
// --allow-mounted-write; RunError when it cannot) and resolves/validates the region against it
// (UsageError: options the device cannot take).
Target open_target(const Options &opts);

// UsageError unless every point fits the region (sequential I/O: one stripe per thread).
void check_points(const Options &opts, const Target &target, std::span<const Point> points);

// Runs one point; `progress` draws the one-line display on stderr. On SIGINT/SIGTERM
// (kit/interrupt.hpp) it stops at the next completion and returns what it measured, marked
// interrupted.
PointResult run_point(const Options &opts, const Target &target, Point point, bool progress);

} // namespace uringblk::bench
