// SPDX-License-Identifier: MIT
// uringblk-bench command line: modes, options, parsing and validation.
// Nothing here touches a device, so it is unit tested (tests/unit/test_bench_options.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <uringblk/kit/errors.hpp>

namespace uringblk::bench {

// A bad command line: main prints the message and the short usage, exits 2.
using uringblk::kit::UsageError;

enum class Mode { latency, iops, bandwidth, scaling };
enum class Rw { randread, randwrite, read, write };
enum class Output { human, json };

std::string_view to_string(Mode m) noexcept;
std::string_view to_string(Rw rw) noexcept;
constexpr bool is_write(Rw rw) noexcept { return rw == Rw::randwrite || rw == Rw::write; }
constexpr bool is_random(Rw rw) noexcept { return rw == Rw::randread || rw == Rw::randwrite; }

inline constexpr std::uint32_t kMaxQd = 4096;
inline constexpr std::uint32_t kMaxThreads = 64;
inline constexpr std::uint64_t kMaxBs = 16ull << 20;
// --time and --ramp: at most 30 days each (a bound that keeps every deadline in 64-bit ns).
inline constexpr double kMaxSeconds = 30.0 * 24 * 3600;

struct Options {
  Mode mode = Mode::iops;
  std::string device;
  Rw rw = Rw::randread;
  std::uint64_t bs = 4096;
  std::uint32_t qd = 32;
  std::uint32_t threads = 1;
  double time_s = 5.0;     // run length after the ramp; 0 when count bounds the run
  std::uint64_t count = 0; // total measured I/Os over all threads; 0 = time bounded
  double ramp_s = 0.0;
  std::optional<std::uint64_t> size; // region size; unset = device size - offset
  std::uint64_t offset = 0;
  bool poll = false;
  bool fixed_buffers = false;
  bool fixed_files = false;
  bool sqpoll = false;
  std::uint32_t batch_submit = 0;   // 0 = the point's qd
  std::uint32_t batch_complete = 0; // 0 = the point's qd; max CQEs reaped per wait (waits for 1)
  std::uint64_t seed = 1;
  Output output = Output::human;
  bool progress = true;
  bool quiet = false;
  bool allow_mounted_write = false;       // write benchmarks: do not claim the device O_EXCL
  std::vector<std::uint32_t> depths;      // scaling: queue depth sweep
  std::vector<std::uint32_t> thread_list; // scaling: thread sweep (before CPU capping)
  bool thread_list_given = false;         // --thread-list was given (else the default list)
  bool help = false;
  bool version = false;
  std::vector<std::string> warnings; // non-fatal notes for stderr (e.g. latency forces qd 1)

  std::uint32_t batch_submit_for(std::uint32_t point_qd) const noexcept;
  std::uint32_t batch_complete_for(std::uint32_t point_qd) const noexcept;
};

// One measured configuration: scaling has many, the other modes one.
struct Point {
  std::uint32_t qd;
  std::uint32_t threads;
  friend bool operator==(const Point &, const Point &) = default;
};

// "4096", "4k", "64K", "1m", "2g", "1t" (powers of 1024). Throws UsageError naming `what`.
std::uint64_t parse_size(std::string_view s, std::string_view what);
// A non-negative decimal number of seconds ("5", "0.5"), at most kMaxSeconds.
double parse_seconds(std::string_view s, std::string_view what);
// "1,4,16" -> {1, 4, 16}, each in [lo, hi]; an empty list is a UsageError.
std::vector<std::uint32_t> parse_list(std::string_view s, std::string_view what, std::uint32_t lo,
                                      std::uint32_t hi);

// args excludes argv[0]. Applies the mode's defaults, then validates.
Options parse_options(std::span<const std::string_view> args);

// Throws RunError when a point measured no I/O (a run that measured nothing is no result).
struct PointResult;
void check_measured(std::span<const PointResult> results);

// The sweep (or single point) the options describe; online_cpus caps the scaling thread list.
std::vector<Point> plan_points(const Options &o, unsigned online_cpus);
// The warnings plan_points() owes the user: the thread counts it skips, named as given.
std::vector<std::string> plan_warnings(const Options &o, unsigned online_cpus);

std::string_view usage_text() noexcept;

} // namespace uringblk::bench
