// SPDX-License-Identifier: MIT
// The GET_STATS fields, described once: the key of the human and JSON output and, for the
// counters, the Prometheus family of `metrics` (format.cpp and metrics.cpp both read this).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <uringblk/types.hpp>

namespace uringblk::admin {

struct StatsField {
  std::string_view key;               ///< human and JSON key ("read_ops")
  std::uint64_t (*get)(const Stats &); ///< the value
  std::string_view prom;              ///< counter family ("uringblk_read_ops_total"); "" if none
  std::string_view help;              ///< its HELP text
};

/// In output order. The latency quantiles have no counter family: `metrics` exports them as
/// summaries.
std::span<const StatsField> stats_fields() noexcept;

} // namespace uringblk::admin
