// SPDX-License-Identifier: MIT
// Typed results of the admin commands (spec section 6.2).
#pragma once

#include <linux/uringblk.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace uringblk {

inline constexpr std::uint64_t kSectorSize = 512;

/// One feature bit of GET_FEATURES / IDENTIFY.features_bitmap.
struct FeatureInfo {
  std::uint64_t mask;
  std::string_view name;        ///< stable, lower_snake_case ("write_cache")
  std::string_view description; ///< one line for humans
};

/// Every feature bit the ABI defines, in bit order.
std::span<const FeatureInfo> known_features() noexcept;

struct Features {
  std::uint64_t bitmap = 0;

  bool has(std::uint64_t mask) const noexcept { return (bitmap & mask) == mask; }
  /// Names of the set bits in bit order; an unknown set bit N is named "bit<N>".
  std::vector<std::string> names() const;

  friend bool operator==(const Features &, const Features &) = default;
};

/// A fixed-size, NUL- or space-padded string field as text: cut at the first NUL, leading and
/// trailing blanks removed, non-printable bytes replaced by '?' (so the result is valid UTF-8).
std::string fixed_string(std::span<const std::uint8_t> field);

struct Identify {
  std::string model;
  std::string firmware;
  std::uint32_t logical_block_size = 0;
  std::uint32_t physical_block_size = 0;
  std::uint64_t capacity_sectors = 0; ///< 512-byte sectors
  Features features;
  std::uint32_t queue_count = 0;
  std::uint32_t queue_depth = 0;
  std::uint32_t max_segments = 0;
  std::uint32_t max_segment_size = 0;
  std::uint32_t dma_alignment = 0;
  std::uint32_t io_min = 0;
  std::uint32_t io_opt = 0;
  std::uint32_t discard_granularity = 0;
  std::uint64_t discard_max_bytes = 0;

  std::uint64_t capacity_bytes() const noexcept { return capacity_sectors * kSectorSize; }
  static Identify from_raw(const uringblk_identify &raw);
  friend bool operator==(const Identify &, const Identify &) = default;
};

struct Limits {
  std::uint32_t max_hw_sectors_kb = 0;
  std::uint32_t max_sectors_kb = 0;
  std::uint32_t nr_hw_queues = 0;
  std::uint32_t queue_depth = 0;
  std::uint32_t max_segments = 0;
  std::uint32_t max_segment_size = 0;
  std::uint32_t dma_alignment = 0;
  std::uint32_t io_min = 0;
  std::uint32_t io_opt = 0;
  std::uint32_t discard_granularity = 0;
  std::uint64_t discard_max_bytes = 0;

  static Limits from_raw(const uringblk_limits &raw);
  friend bool operator==(const Limits &, const Limits &) = default;
};

struct Geometry {
  std::uint64_t capacity_sectors = 0; ///< 512-byte sectors
  std::uint32_t logical_block_size = 0;
  std::uint32_t physical_block_size = 0;
  std::uint16_t cylinders = 0;
  std::uint8_t heads = 0;
  std::uint8_t sectors_per_track = 0;

  std::uint64_t capacity_bytes() const noexcept { return capacity_sectors * kSectorSize; }
  static Geometry from_raw(const uringblk_geometry &raw);
  friend bool operator==(const Geometry &, const Geometry &) = default;
};

struct Stats {
  std::uint64_t read_ops = 0;
  std::uint64_t write_ops = 0;
  std::uint64_t flush_ops = 0;
  std::uint64_t discard_ops = 0;
  std::uint64_t read_sectors = 0;
  std::uint64_t write_sectors = 0;
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
  std::uint64_t queue_full_events = 0;
  std::uint64_t media_errors = 0;
  std::uint64_t retries = 0;
  std::uint32_t p50_read_latency_us = 0;
  std::uint32_t p99_read_latency_us = 0;
  std::uint32_t p50_write_latency_us = 0;
  std::uint32_t p99_write_latency_us = 0;

  static Stats from_raw(const uringblk_stats &raw);
  friend bool operator==(const Stats &, const Stats &) = default;
};

} // namespace uringblk
