// SPDX-License-Identifier: MIT
// The command line of uringblk_test (CLI11, no device access): unit-tested in
// tests/unit/test_uringblk_test_cli.cpp.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modes.hpp"

namespace ubt {

struct ModeSpec {
  std::string name; ///< as printed in PASS/FAIL/SKIP lines ("io-size=4096", "duration=5 ...")
  void (*fn)(Target &, const Options &);
};

struct Config {
  std::string device;
  Options opts;
  std::vector<ModeSpec> modes;
  bool allow_file = false;
  bool verbose = false;
  bool seed_given = false; ///< else main picks a random seed
  bool help = false;       ///< print usage_text(), exit 0
  bool version = false;    ///< print "uringblk_test VERSION", exit 0
};

inline constexpr std::uint64_t kMaxIoSize = 64ull << 20;
inline constexpr unsigned kMaxDuration = 30 * 24 * 3600;
inline constexpr unsigned kMaxConcurrent = 256;

/// args excludes argv[0]. Throws UsageError. Device-dependent checks (--io-size against the
/// logical block size) are done by check_io_size().
Config parse_command_line(std::span<const std::string_view> args);

/// UsageError unless n is a positive multiple of lbs, at most 64 MiB and a quarter of size.
void check_io_size(std::uint64_t n, unsigned lbs, std::uint64_t size, std::string_view dev);

std::string_view usage_text() noexcept;

} // namespace ubt
