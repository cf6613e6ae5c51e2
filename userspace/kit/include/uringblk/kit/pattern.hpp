// SPDX-License-Identifier: MIT
// splitmix64 and the data pattern of the uringblk tools.
//
// Pattern: the 8-byte word at absolute device offset 8*k holds mix64(seed ^ mix64(k)) (little
// endian), so data at the wrong place, stale data and torn I/O never match, and any sub-range
// can be filled or checked on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace uringblk::kit {

inline constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

/// The splitmix64 output function of x + golden ratio (a stateless 64-bit mixer).
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += kGolden;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// splitmix64 as a generator: advances state, returns the next value.
constexpr std::uint64_t splitmix64(std::uint64_t &state) noexcept {
  const std::uint64_t z = mix64(state);
  state += kGolden;
  return z;
}

/// Fill buf, which starts at absolute device offset off, with the pattern of seed.
void pattern_fill(std::span<std::byte> buf, std::uint64_t off, std::uint64_t seed) noexcept;

/// Index of the first byte of got that differs from the pattern of (seed, off); nullopt if none.
std::optional<std::size_t> pattern_mismatch(std::span<const std::byte> got, std::uint64_t off,
                                            std::uint64_t seed) noexcept;

} // namespace uringblk::kit
