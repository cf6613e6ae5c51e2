// SPDX-License-Identifier: MIT
#include <uringblk/kit/parse.hpp>

#include <charconv>
#include <cmath>

#include <CLI/CLI.hpp>

namespace uringblk::kit {

namespace {

// "--bs: '4q'"; just "'4q'" inside a CLI11 validator, whose message CLI11 prefixes with the
// option's name.
std::string quoted(std::string_view what, std::string_view s) {
  return what.empty() ? cat("'", s, "'") : cat(what, ": '", s, "'");
}

std::string range(std::uint64_t lo, std::uint64_t hi) {
  return hi == kU64Max ? cat("at least ", lo) : cat(lo, "..", hi);
}

} // namespace

std::uint64_t parse_uint(std::string_view s, std::string_view what, std::uint64_t max,
                         bool allow_hex) {
  if (s.empty())
    throw UsageError(what.empty() ? std::string("empty value") : cat(what, ": empty value"));
  int base = 10;
  std::string_view digits = s;
  if (allow_hex && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (digits.empty() || digits.front() == '-' || digits.front() == '+' ||
      p != digits.data() + digits.size())
    throw UsageError(quoted(what, s) + " is not a" + (allow_hex ? "" : " decimal") + " number");
  if (ec == std::errc::result_out_of_range || v > max)
    throw UsageError(quoted(what, s) + " is too large (at most " + std::to_string(max) + ")");
  if (ec != std::errc())
    throw UsageError(quoted(what, s) + " is not a number");
  return v;
}

std::uint64_t parse_size(std::string_view s, std::string_view what, std::uint64_t max) {
  unsigned shift = 0;
  std::string_view digits = s;
  if (!s.empty()) {
    switch (s.back()) {
    case 'k':
    case 'K':
      shift = 10;
      break;
    case 'm':
    case 'M':
      shift = 20;
      break;
    case 'g':
    case 'G':
      shift = 30;
      break;
    case 't':
    case 'T':
      shift = 40;
      break;
    default:
      break;
    }
  }
  if (shift)
    digits.remove_suffix(1);
  if (shift && digits.empty())
    throw UsageError(quoted(what, s) + " is not a size");
  const std::uint64_t v = parse_uint(digits, what, kU64Max, true);
  if (v > (max >> shift))
    throw UsageError(quoted(what, s) + " is too large (at most " + std::to_string(max) +
                     " bytes)");
  return v << shift;
}

double parse_seconds(std::string_view s, std::string_view what, double max_s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || p != s.data() + s.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    throw UsageError(quoted(what, s) + " is not a number of seconds");
  if (ec == std::errc::result_out_of_range || !std::isfinite(v) || v < 0 || v > max_s)
    throw UsageError(quoted(what, s) + " is out of range (0.." +
                     cat(static_cast<std::uint64_t>(max_s)) + " seconds)");
  return v;
}

std::uint64_t seconds_to_ns(double s) noexcept {
  if (!(s > 0))
    return 0;
  const double ns = std::round(s * 1e9);
  if (ns >= 18446744073709549568.0) // the largest double below 2^64
    return kU64Max;
  return static_cast<std::uint64_t>(ns);
}

namespace cli {

namespace {
CLI::Validator checked(std::string desc, std::uint64_t (*parse)(std::string_view,
                                                                 std::string_view, std::uint64_t),
                       std::uint64_t min, std::uint64_t max) {
  return CLI::Validator(
      [=](std::string &value) -> std::string {
        try {
          const std::uint64_t v = parse(value, "", max);
          if (v < min)
            return cat("'", value, "' is out of range (", range(min, max), ")");
          value = std::to_string(v);
          return {};
        } catch (const UsageError &e) {
          return e.what();
        }
      },
      std::move(desc));
}

std::uint64_t plain(std::string_view s, std::string_view what, std::uint64_t max) {
  return parse_uint(s, what, max, false);
}
std::uint64_t plain_or_hex(std::string_view s, std::string_view what, std::uint64_t max) {
  return parse_uint(s, what, max, true);
}
} // namespace

void parse(CLI::App &app, std::span<const std::string_view> args) {
  std::vector<std::string> argv(args.rbegin(), args.rend()); // CLI11 takes them reversed
  try {
    app.parse(argv);
  } catch (const CLI::ExtrasError &) {
    // CLI11's message lists them last to first; name them in the order given.
    const std::vector<std::string> extra = app.remaining();
    std::string msg = extra.size() > 1 ? "unexpected arguments:" : "unexpected argument:";
    for (const std::string &a : extra)
      msg += " " + a;
    throw UsageError(msg);
  } catch (const CLI::ParseError &e) {
    throw UsageError(e.what());
  }
}

CLI::Validator size(std::uint64_t min, std::uint64_t max) {
  return checked("SIZE[k|m|g|t]", parse_size, min, max);
}

CLI::Validator uint(std::uint64_t min, std::uint64_t max, bool hex) {
  return checked(range(min, max), hex ? plain_or_hex : plain, min, max);
}

CLI::Validator seconds(double min_s, double max_s) {
  return CLI::Validator(
      [=](std::string &value) -> std::string {
        try {
          const double v = parse_seconds(value, "", max_s);
          if (v < min_s)
            return cat("'", value, "' is out of range (", min_s, "..", max_s, " seconds)");
          return {};
        } catch (const UsageError &e) {
          return e.what();
        }
      },
      "SECONDS");
}

} // namespace cli

} // namespace uringblk::kit
