// SPDX-License-Identifier: MIT
// `uringblk-admin metrics`: the statistics of uringblk devices in the Prometheus text
// exposition format (version 0.0.4), for node_exporter's textfile collector or any scraper.
// Rendering is pure (metrics_text); write_textfile() is the one place that touches a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <uringblk/result.hpp>
#include <uringblk/sysfs.hpp>
#include <uringblk/types.hpp>

namespace uringblk::admin {

/// What one device contributes to the exposition.
struct DeviceMetrics {
  DeviceInfo info; ///< name (the `device` label), model, serial, firmware, capacity_bytes
  Stats stats;     ///< GET_STATS
  // Counters that only sysfs has (/sys/block/<name>/uringblk/<attr>); nullopt when the
  // driver does not expose them, and then the metric is left out.
  std::optional<std::uint64_t> write_zeroes_ops;
  std::optional<std::uint64_t> polled_completions;
  std::optional<std::uint64_t> mem_used_bytes;
};

/// File name the textfile collector reads (it only reads *.prom).
inline constexpr std::string_view kTextfileName = "uringblk.prom";

/// The exposition: one family per metric (HELP and TYPE lines first, then one sample per
/// device, in the given order), ending with a newline. Counters end in `_total`, bytes and
/// seconds are in base units. Latencies are a summary with the quantiles the driver computes
/// (0.5 and 0.99, no _sum/_count: GET_STATS does not give them); a quantile of a device
/// without samples is NaN.
/// Devices in `failed` (names, or paths when the name is unknown) could not be read: each gets
/// a sample uringblk_collect_error{device="..."} 1 and no other metric; the family is left
/// out when none failed.
std::string metrics_text(std::span<const DeviceMetrics> devices,
                         std::span<const std::string> failed = {});

/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view v);

/// A latency in microseconds as seconds, exactly in decimal ("0.000123"); "NaN" for 0, which
/// the driver reports when it has no sample.
std::string latency_seconds(std::uint32_t us);

/// Writes content to dir/name atomically: dir/.name.<pid> is written with mode 0644, fsynced
/// and renamed over dir/name, so a reader sees the old file or the new one, never a part
/// (node_exporter's textfile collector ignores the temporary file: it only reads *.prom).
Result<void> write_textfile(const std::filesystem::path &dir, std::string_view content,
                            std::string_view name = kTextfileName);

} // namespace uringblk::admin
