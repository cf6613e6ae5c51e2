// SPDX-License-Identifier: MIT
// Log-linear latency histogram: exact below 128 ns, then 64 sub-buckets per power of two, so a
// bucket is at most 1/64 (1.56 %) of its lower bound wide; the reported value (bucket midpoint,
// clamped to the exact min/max) is within 0.8 % of every sample in the bucket.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

#include <uringblk/kit/pattern.hpp>

namespace uringblk::bench {

class LatencyHistogram {
public:
  static constexpr unsigned kSubBits = 6;
  static constexpr std::uint64_t kSub = 1ull << kSubBits;                        // 64
  static constexpr std::size_t kBuckets = (64 - kSubBits - 1) * kSub + 2 * kSub; // 3776

  static constexpr std::size_t index(std::uint64_t v) noexcept {
    if (v < 2 * kSub)
      return static_cast<std::size_t>(v);
    unsigned shift = static_cast<unsigned>(std::bit_width(v)) - 1 - kSubBits;
    return static_cast<std::size_t>(shift * kSub + (v >> shift));
  }
  // Smallest value of bucket i.
  static constexpr std::uint64_t lower(std::size_t i) noexcept {
    if (i < 2 * kSub)
      return i;
    std::uint64_t shift = i / kSub - 1;
    return (i - shift * kSub) << shift;
  }
  // Largest value of bucket i.
  static constexpr std::uint64_t upper(std::size_t i) noexcept {
    if (i + 1 >= kBuckets)
      return std::numeric_limits<std::uint64_t>::max();
    return lower(i + 1) - 1;
  }

  void record(std::uint64_t ns) noexcept {
    ++buckets_[index(ns)];
    ++count_;
    sum_ += ns;
    if (ns < min_)
      min_ = ns;
    if (ns > max_)
      max_ = ns;
  }
  void merge(const LatencyHistogram &o) noexcept;
  void clear() noexcept { *this = LatencyHistogram{}; }

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0;
  }
  // Nearest-rank percentile, p in [0, 100]; 0 when empty.
  std::uint64_t percentile(double p) const noexcept;

private:
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  unsigned __int128 sum_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

// splitmix64: seeds the per-thread generators.
using uringblk::kit::splitmix64;

// xorshift64*: fast per-thread PRNG.
class Rng {
public:
  explicit constexpr Rng(std::uint64_t seed) noexcept {
    std::uint64_t s = seed;
    state_ = splitmix64(s);
    if (state_ == 0)
      state_ = 0x2545f4914f6cdd1dull;
  }
  constexpr std::uint64_t next() noexcept {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dull;
  }
  // Uniform in [0, n) (multiply-shift; bias < n / 2^64).
  constexpr std::uint64_t below(std::uint64_t n) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

private:
  std::uint64_t state_ = 0;
};

// Byte offsets of one thread's I/Os, all multiples of bs from `base`.
//  random:     uniform over [base, base + blocks * bs) of the whole region
//  sequential: thread t walks its own stripe of blocks / threads blocks, wrapping around
class OffsetGen {
public:
  OffsetGen(bool random, std::uint64_t base, std::uint64_t region_size, std::uint64_t bs,
            unsigned thread, unsigned threads, std::uint64_t seed) noexcept;
  std::uint64_t next() noexcept {
    if (random_)
      return start_ + rng_.below(blocks_) * bs_;
    std::uint64_t off = start_ + pos_ * bs_;
    if (++pos_ == blocks_)
      pos_ = 0;
    return off;
  }
  std::uint64_t start() const noexcept { return start_; }
  std::uint64_t blocks() const noexcept { return blocks_; }

private:
  bool random_;
  std::uint64_t bs_;
  std::uint64_t start_;
  std::uint64_t blocks_;
  std::uint64_t pos_ = 0;
  Rng rng_;
};

// Per-thread seed derived from the user seed.
constexpr std::uint64_t thread_seed(std::uint64_t seed, unsigned thread) noexcept {
  std::uint64_t s = seed ^ (0x6a09e667f3bcc909ull * (thread + 1ull));
  return splitmix64(s);
}

} // namespace uringblk::bench
