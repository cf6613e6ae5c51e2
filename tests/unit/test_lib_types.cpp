// SPDX-License-Identifier: MIT
// Typed results from the raw ABI structs.
#include <catch2/catch.hpp>

#include <cstring>

#include <uringblk/types.hpp>

using namespace uringblk;

namespace {
template <std::size_t N> void put(__u8 (&field)[N], const char *s, std::size_t n) {
  std::memcpy(field, s, n);
}
} // namespace

TEST_CASE("fixed_string trims NULs, spaces, and non-printables", "[lib][types]") {
  const std::uint8_t a[8] = {'a', 'b', 'c', 0, 'x', 'y', 0, 0};
  CHECK(fixed_string(a) == "abc");
  const std::uint8_t b[8] = {' ', 'v', '1', ' ', ' ', ' ', ' ', ' '};
  CHECK(fixed_string(b) == "v1");
  const std::uint8_t c[4] = {0, 'a', 'b', 'c'};
  CHECK(fixed_string(c).empty());
  const std::uint8_t d[4] = {'a', 'b', 'c', 'd'}; // full field, no terminator
  CHECK(fixed_string(d) == "abcd");
  const std::uint8_t e[4] = {'a', 0xff, '\n', 'b'};
  CHECK(fixed_string(e) == "a??b");
}

TEST_CASE("Identify::from_raw", "[lib][types]") {
  uringblk_identify raw;
  std::memset(&raw, 0, sizeof raw);
  put(raw.model, "uringblk virtual disk   ", 24);
  put(raw.firmware, "1.0", 3);
  raw.logical_block_size = 512;
  raw.physical_block_size = 4096;
  raw.capacity_sectors = 2097152;
  raw.features_bitmap = URINGBLK_FEAT_WRITE_CACHE | URINGBLK_FEAT_FLUSH | URINGBLK_FEAT_POLLING;
  raw.queue_count = 4;
  raw.queue_depth = 128;
  raw.max_segments = 128;
  raw.max_segment_size = 65536;
  raw.dma_alignment = 511;
  raw.io_min = 512;
  raw.io_opt = 131072;
  raw.discard_granularity = 4096;
  raw.discard_max_bytes = 1ull << 32;

  const Identify id = Identify::from_raw(raw);
  CHECK(id.model == "uringblk virtual disk");
  CHECK(id.firmware == "1.0");
  CHECK(id.capacity_sectors == 2097152);
  CHECK(id.capacity_bytes() == 1073741824ull);
  CHECK(id.features.has(URINGBLK_FEAT_FLUSH));
  CHECK_FALSE(id.features.has(URINGBLK_FEAT_FUA));
  CHECK(id.queue_count == 4);
  CHECK(id.queue_depth == 128);
  CHECK(id.max_segment_size == 65536);
  CHECK(id.dma_alignment == 511);
  CHECK(id.io_opt == 131072);
  CHECK(id.discard_granularity == 4096);
  CHECK(id.discard_max_bytes == (1ull << 32));
}

TEST_CASE("Features names, known and unknown bits", "[lib][types]") {
  CHECK(known_features().size() == 7);
  CHECK(known_features()[0].name == "write_cache");
  CHECK(known_features()[6].name == "polling");
  const Features f{URINGBLK_FEAT_WRITE_CACHE | URINGBLK_FEAT_DISCARD | URINGBLK_FEAT_POLLING |
                   (1ull << 9)};
  CHECK(f.names() == std::vector<std::string>{"write_cache", "discard", "polling", "bit9"});
  CHECK(Features{}.names().empty());
  CHECK(Features{0x7f}.names().size() == 7);
}

TEST_CASE("Limits, Geometry, Stats from_raw", "[lib][types]") {
  uringblk_limits l;
  std::memset(&l, 0, sizeof l);
  l.max_hw_sectors_kb = 1024;
  l.max_sectors_kb = 512;
  l.nr_hw_queues = 2;
  l.discard_max_bytes = 77;
  const Limits lim = Limits::from_raw(l);
  CHECK(lim.max_hw_sectors_kb == 1024);
  CHECK(lim.max_sectors_kb == 512);
  CHECK(lim.nr_hw_queues == 2);
  CHECK(lim.discard_max_bytes == 77);

  uringblk_geometry g;
  std::memset(&g, 0, sizeof g);
  g.capacity_sectors = 2048;
  g.cylinders = 1023;
  g.heads = 255;
  g.sectors_per_track = 63;
  const Geometry geo = Geometry::from_raw(g);
  CHECK(geo.capacity_bytes() == 1048576);
  CHECK(geo.cylinders == 1023);
  CHECK(+geo.heads == 255);
  CHECK(+geo.sectors_per_track == 63);

  uringblk_stats s;
  std::memset(&s, 0, sizeof s);
  s.read_ops = 10;
  s.retries = 3;
  s.p50_read_latency_us = 12;
  s.p99_read_latency_us = 99;
  s.p50_write_latency_us = 20;
  s.p99_write_latency_us = 200;
  const Stats st = Stats::from_raw(s);
  CHECK(st.read_ops == 10);
  CHECK(st.retries == 3);
  CHECK(st.p50_read_latency_us == 12);
  CHECK(st.p99_read_latency_us == 99);
  CHECK(st.p50_write_latency_us == 20);
  CHECK(st.p99_write_latency_us == 200);
}
