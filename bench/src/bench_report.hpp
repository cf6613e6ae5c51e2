// SPDX-License-Identifier: MIT
// Results of a run and their renderings: the JSON object (docs/bench-json.md) and the human table.
#pragma once

#include "bench_hist.hpp"
#include "bench_options.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace uringblk::bench {

struct PointResult {
  std::uint32_t qd = 0;
  std::uint32_t threads = 0;
  std::uint64_t ios = 0;   // measured I/Os (after the ramp), all threads
  std::uint64_t bytes = 0; // measured bytes
  double elapsed_s = 0;    // measured window: end of ramp to last measured completion
  double user_s = 0;       // getrusage(RUSAGE_SELF) over the measured window
  double sys_s = 0;
  LatencyHistogram lat;     // ns, merged over threads
  bool interrupted = false; // SIGINT/SIGTERM stopped this point before its time or count

  double iops() const noexcept { return elapsed_s > 0 ? static_cast<double>(ios) / elapsed_s : 0; }
  double bw_mib_s() const noexcept {
    return elapsed_s > 0 ? static_cast<double>(bytes) / elapsed_s / (1024.0 * 1024.0) : 0;
  }
  double cpu_us_per_io() const noexcept {
    return ios ? (user_s + sys_s) * 1e6 / static_cast<double>(ios) : 0;
  }
};

// The run as a whole: options plus what was resolved against the device.
struct RunInfo {
  const Options &opts;
  std::uint64_t size;              // resolved region size in bytes
  std::string interrupted_by = {}; // "SIGINT" when a signal stopped the run, else empty
};

// The effective settings of the run, in the order of docs/bench-json.md: the one list of them,
// which the JSON carries as it is and settings_line() renders as text.
nlohmann::ordered_json settings_json(const RunInfo &run);
nlohmann::ordered_json result_json(const PointResult &r);
nlohmann::ordered_json report_json(const RunInfo &run, std::span<const PointResult> results);
std::string settings_line(const RunInfo &run);
std::string report_human(const RunInfo &run, std::span<const PointResult> results);

} // namespace uringblk::bench
