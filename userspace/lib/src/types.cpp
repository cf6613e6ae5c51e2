// SPDX-License-Identifier: MIT
#include <uringblk/types.hpp>

#include <array>
#include <bit>

namespace uringblk {

namespace {

constexpr std::array<FeatureInfo, 7> kFeatures{{
    {URINGBLK_FEAT_WRITE_CACHE, "write_cache", "volatile write cache enabled"},
    {URINGBLK_FEAT_FUA, "fua", "Force Unit Access"},
    {URINGBLK_FEAT_FLUSH, "flush", "cache flush"},
    {URINGBLK_FEAT_DISCARD, "discard", "discard/TRIM"},
    {URINGBLK_FEAT_WRITE_ZEROES, "write_zeroes", "write zeroes"},
    {URINGBLK_FEAT_ZONED, "zoned", "zoned block device"},
    {URINGBLK_FEAT_POLLING, "polling", "polled completions (IOPOLL)"},
}};

} // namespace

std::span<const FeatureInfo> known_features() noexcept { return kFeatures; }

std::vector<std::string> Features::names() const {
  std::vector<std::string> out;
  for (unsigned bit = 0; bit < 64; ++bit) {
    const std::uint64_t mask = std::uint64_t{1} << bit;
    if (!(bitmap & mask))
      continue;
    std::string name = "bit" + std::to_string(bit);
    for (const auto &f : kFeatures)
      if (f.mask == mask)
        name = f.name;
    out.push_back(std::move(name));
  }
  return out;
}

std::string fixed_string(std::span<const std::uint8_t> field) {
  std::string s;
  for (std::uint8_t c : field) {
    if (c == 0)
      break;
    s.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos)
    return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

Identify Identify::from_raw(const uringblk_identify &raw) {
  Identify id;
  id.model = fixed_string(raw.model);
  id.firmware = fixed_string(raw.firmware);
  id.logical_block_size = raw.logical_block_size;
  id.physical_block_size = raw.physical_block_size;
  id.capacity_sectors = raw.capacity_sectors;
  id.features.bitmap = raw.features_bitmap;
  id.queue_count = raw.queue_count;
  id.queue_depth = raw.queue_depth;
  id.max_segments = raw.max_segments;
  id.max_segment_size = raw.max_segment_size;
  id.dma_alignment = raw.dma_alignment;
  id.io_min = raw.io_min;
  id.io_opt = raw.io_opt;
  id.discard_granularity = raw.discard_granularity;
  id.discard_max_bytes = raw.discard_max_bytes;
  return id;
}

Limits Limits::from_raw(const uringblk_limits &raw) {
  Limits l;
  l.max_hw_sectors_kb = raw.max_hw_sectors_kb;
  l.max_sectors_kb = raw.max_sectors_kb;
  l.nr_hw_queues = raw.nr_hw_queues;
  l.queue_depth = raw.queue_depth;
  l.max_segments = raw.max_segments;
  l.max_segment_size = raw.max_segment_size;
  l.dma_alignment = raw.dma_alignment;
  l.io_min = raw.io_min;
  l.io_opt = raw.io_opt;
  l.discard_granularity = raw.discard_granularity;
  l.discard_max_bytes = raw.discard_max_bytes;
  return l;
}

Geometry Geometry::from_raw(const uringblk_geometry &raw) {
  Geometry g;
  g.capacity_sectors = raw.capacity_sectors;
  g.logical_block_size = raw.logical_block_size;
  g.physical_block_size = raw.physical_block_size;
  g.cylinders = raw.cylinders;
  g.heads = raw.heads;
  g.sectors_per_track = raw.sectors_per_track;
  return g;
}

Stats Stats::from_raw(const uringblk_stats &raw) {
  Stats s;
  s.read_ops = raw.read_ops;
  s.write_ops = raw.write_ops;
  s.flush_ops = raw.flush_ops;
  s.discard_ops = raw.discard_ops;
  s.read_sectors = raw.read_sectors;
  s.write_sectors = raw.write_sectors;
  s.read_bytes = raw.read_bytes;
  s.write_bytes = raw.write_bytes;
  s.queue_full_events = raw.queue_full_events;
  s.media_errors = raw.media_errors;
  s.retries = raw.retries;
  s.p50_read_latency_us = raw.p50_read_latency_us;
  s.p99_read_latency_us = raw.p99_read_latency_us;
  s.p50_write_latency_us = raw.p50_write_latency_us;
  s.p99_write_latency_us = raw.p99_write_latency_us;
  return s;
}

} // namespace uringblk
