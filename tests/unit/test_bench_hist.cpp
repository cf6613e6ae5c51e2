// SPDX-License-Identifier: MIT
// uringblk-bench latency histogram (<= 1.6 % bucket width, percentiles, merge) and the offset
// generators (alignment, bounds, stripes, determinism).
#include <catch2/catch.hpp>

#include "bench_hist.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

using namespace uringblk::bench;
using H = LatencyHistogram;

TEST_CASE("bench hist: bucket layout", "[bench]") {
  STATIC_REQUIRE(H::kBuckets == 3776);
  CHECK(H::index(0) == 0);
  CHECK(H::index(127) == 127);
  CHECK(H::index(128) == 128);
  CHECK(H::index(UINT64_MAX) == H::kBuckets - 1);
  CHECK(H::upper(H::kBuckets - 1) == UINT64_MAX);
  for (std::size_t i = 0; i + 1 < H::kBuckets; ++i) {
    INFO("bucket " << i);
    REQUIRE(H::index(H::lower(i)) == i);
    REQUIRE(H::index(H::upper(i)) == i);
    REQUIRE(H::upper(i) + 1 == H::lower(i + 1));
    // width relative to the lower bound: at most 1/64
    REQUIRE(static_cast<double>(H::upper(i) - H::lower(i) + 1) <=
            std::max(1.0, static_cast<double>(H::lower(i)) / 64.0));
  }
}

TEST_CASE("bench hist: percentiles within 1.6 % of exact", "[bench]") {
  std::mt19937_64 gen(42);
  std::lognormal_distribution<double> dist(10.0, 1.5); // ~22 us median, long tail
  std::vector<std::uint64_t> v;
  H h;
  for (int i = 0; i < 200000; ++i) {
    auto x = static_cast<std::uint64_t>(dist(gen));
    v.push_back(x);
    h.record(x);
  }
  std::sort(v.begin(), v.end());
  CHECK(h.count() == v.size());
  CHECK(h.min() == v.front());
  CHECK(h.max() == v.back());
  double exact_mean = 0;
  for (auto x : v)
    exact_mean += static_cast<double>(x);
  exact_mean /= static_cast<double>(v.size());
  CHECK(h.mean() == Approx(exact_mean).epsilon(1e-9));
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    std::uint64_t exact = v[rank - 1];
    std::uint64_t got = h.percentile(p);
    INFO("p" << p << " exact " << exact << " got " << got);
    CHECK(std::fabs(static_cast<double>(got) - static_cast<double>(exact)) <=
          0.016 * static_cast<double>(exact) + 1);
  }
  CHECK(h.percentile(100) == v.back());
  CHECK(h.percentile(0) == v.front());
}

TEST_CASE("bench hist: empty, single value, merge", "[bench]") {
  H e;
  CHECK(e.count() == 0);
  CHECK(e.min() == 0);
  CHECK(e.max() == 0);
  CHECK(e.mean() == 0);
  CHECK(e.percentile(50) == 0);

  H a, b;
  a.record(1000);
  CHECK(a.percentile(50) == 1000); // clamped to the exact min/max
  for (int i = 0; i < 99; ++i)
    b.record(5'000'000);
  b.record(10);
  a.merge(b);
  CHECK(a.count() == 101);
  CHECK(a.min() == 10);
  CHECK(a.max() == 5'000'000);
  CHECK(a.percentile(0.5) == 10);                          // rank 1
  CHECK(a.percentile(1.5) == Approx(1000).epsilon(0.016)); // rank 2
  CHECK(a.percentile(50) == Approx(5'000'000).epsilon(0.016));
  a.clear();
  CHECK(a.count() == 0);
}

TEST_CASE("bench offsets: random offsets are aligned and in range", "[bench]") {
  const std::uint64_t base = 1 << 20, size = 64 << 20, bs = 4096;
  OffsetGen g(true, base, size + 100, bs, 0, 1, 1);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100000; ++i) {
    auto off = g.next();
    REQUIRE(off >= base);
    REQUIRE(off + bs <= base + size);
    REQUIRE((off - base) % bs == 0);
    seen.insert(off);
  }
  CHECK(seen.size() > 10000); // 16384 blocks: a uniform draw covers most of them
  OffsetGen g2(true, base, size, bs, 0, 1, 1), g3(true, base, size, bs, 1, 2, 1),
      g4(true, base, size, bs, 0, 1, 2);
  OffsetGen g1(true, base, size, bs, 0, 1, 1);
  bool differs_thread = false, differs_seed = false;
  for (int i = 0; i < 100; ++i) {
    auto x = g1.next();
    CHECK(x == g2.next()); // deterministic for a seed
    differs_thread |= x != g3.next();
    differs_seed |= x != g4.next();
  }
  CHECK(differs_thread);
  CHECK(differs_seed);
}

TEST_CASE("bench offsets: sequential stripes per thread", "[bench]") {
  const std::uint64_t bs = 65536, size = 10 * bs + 512;
  OffsetGen one(false, 0, size, bs, 0, 1, 1);
  for (std::uint64_t i = 0; i < 25; ++i)
    CHECK(one.next() == (i % 10) * bs); // wraps after the last whole block

  // 10 blocks over 3 threads: 3 blocks each, disjoint
  for (unsigned t = 0; t < 3; ++t) {
    OffsetGen g(false, 4096, size, bs, t, 3, 1);
    CHECK(g.start() == 4096 + t * 3 * bs);
    CHECK(g.blocks() == 3);
    for (std::uint64_t i = 0; i < 7; ++i)
      CHECK(g.next() == 4096 + (t * 3 + i % 3) * bs);
  }
}

TEST_CASE("bench rng: uniform below n", "[bench]") {
  Rng r(1);
  std::vector<int> counts(10);
  for (int i = 0; i < 100000; ++i)
    ++counts[r.below(10)];
  for (int c : counts)
    CHECK(std::abs(c - 10000) < 600);
}
