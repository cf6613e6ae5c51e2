// SPDX-License-Identifier: MIT
#include <uringblk/kit/pattern.hpp>

namespace uringblk::kit {

namespace {
std::byte pattern_byte(std::uint64_t pos, std::uint64_t seed) noexcept {
  return static_cast<std::byte>(mix64(seed ^ mix64(pos / 8)) >> (8 * (pos % 8)));
}
} // namespace

void pattern_fill(std::span<std::byte> buf, std::uint64_t off, std::uint64_t seed) noexcept {
  for (std::size_t i = 0; i < buf.size();) {
    const std::uint64_t pos = off + i;
    const std::uint64_t word = mix64(seed ^ mix64(pos / 8));
    for (unsigned b = static_cast<unsigned>(pos % 8); b < 8 && i < buf.size(); ++b, ++i)
      buf[i] = static_cast<std::byte>(word >> (8 * b));
  }
}

std::optional<std::size_t> pattern_mismatch(std::span<const std::byte> got, std::uint64_t off,
                                            std::uint64_t seed) noexcept {
  for (std::size_t i = 0; i < got.size(); ++i)
    if (got[i] != pattern_byte(off + i, seed))
      return i;
  return std::nullopt;
}

} // namespace uringblk::kit
