// SPDX-License-Identifier: MIT
#include "bench_hist.hpp"

#include <algorithm>
#include <cmath>

namespace uringblk::bench {

void LatencyHistogram::merge(const LatencyHistogram &o) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i)
    buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

std::uint64_t LatencyHistogram::percentile(double p) const noexcept {
  if (count_ == 0)
    return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      std::uint64_t lo = lower(i), hi = upper(i);
      std::uint64_t mid = lo + (hi - lo) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

OffsetGen::OffsetGen(bool random, std::uint64_t base, std::uint64_t region_size, std::uint64_t bs,
                     unsigned thread, unsigned threads, std::uint64_t seed) noexcept
    : random_(random), bs_(bs), start_(base), blocks_(region_size / bs),
      rng_(thread_seed(seed, thread)) {
  if (!random_ && threads > 1) {
    std::uint64_t stripe = blocks_ / threads;
    start_ = base + thread * stripe * bs;
    blocks_ = stripe;
  }
  if (blocks_ == 0)
    blocks_ = 1; // the caller rejects regions smaller than threads * bs; stay safe anyway
}

} // namespace uringblk::bench
