// SPDX-License-Identifier: MIT
// Checked parsing of the numbers a user types: no sign, no octal, no silent overflow, and a
// size suffix only where a size is meant. Every function throws kit::UsageError naming `what`.
// The CLI11 validators at the end apply the same rules inside a command line.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include <uringblk/kit/errors.hpp>

namespace CLI {
class App;
class Validator;
} // namespace CLI

namespace uringblk::kit {

inline constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

/// A plain unsigned integer: decimal ("010" is ten), or hex with a 0x prefix when allow_hex.
/// Rejects signs, blanks, suffixes and values above max.
std::uint64_t parse_uint(std::string_view s, std::string_view what, std::uint64_t max = kU64Max,
                         bool allow_hex = false);

/// A size in bytes: parse_uint (0x allowed) with an optional k/m/g/t suffix (powers of 1024,
/// either case). Rejects results above max, including those that do not fit in 64 bits.
std::uint64_t parse_size(std::string_view s, std::string_view what, std::uint64_t max = kU64Max);

/// A non-negative, finite number of seconds ("5", "0.5", "1e3") of at most max_s.
double parse_seconds(std::string_view s, std::string_view what, double max_s);

/// Whole seconds to nanoseconds without overflow (s <= max_s <= ~584 years is the caller's).
std::uint64_t seconds_to_ns(double s) noexcept;

namespace cli {
/// app.parse(args) (args without argv[0]); every CLI11 parse error becomes a UsageError with
/// CLI11's message, except for extra arguments: "unexpected argument: X" ("unexpected
/// arguments: X Y", in the order given).
void parse(CLI::App &app, std::span<const std::string_view> args);

/// CLI11 transforms: check the value with the rules above and replace it by its plain decimal
/// form, so that the option's variable (an integer) receives the checked number.
CLI::Validator size(std::uint64_t min, std::uint64_t max);
/// Unsigned integer in [min, max] (0x hex too when hex).
CLI::Validator uint(std::uint64_t min, std::uint64_t max, bool hex = false);
/// Seconds in [min_s, max_s]: a check only (the variable is a double).
CLI::Validator seconds(double min_s, double max_s);
} // namespace cli

} // namespace uringblk::kit
