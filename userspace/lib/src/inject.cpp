// SPDX-License-Identifier: MIT
#include <uringblk/inject.hpp>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

// The kernel's grammar, table and formatter: pure C, compiled here as it is in the module.
#include "inject_rule.h"

namespace fs = std::filesystem;

namespace uringblk {

namespace {

static_assert(kInjectMaxRules == UBK_INJ_MAX_RULES);
static_assert(kInjectMaxCount == UBK_INJ_MAX_COUNT);
static_assert(kInjectMaxUsec == UBK_INJ_MAX_USEC);
static_assert(kInjectMaxPct == UBK_INJ_MAX_PCT);

constexpr std::string_view kAttr = "error_inject";

std::optional<u8> raw_kind(InjectKind k) noexcept {
  switch (k) {
  case InjectKind::read:
    return UBK_INJ_READ;
  case InjectKind::write:
    return UBK_INJ_WRITE;
  case InjectKind::nospc:
    return UBK_INJ_NOSPC;
  case InjectKind::busy:
    return UBK_INJ_BUSY;
  case InjectKind::nomem:
    return UBK_INJ_NOMEM;
  case InjectKind::timeout:
    return UBK_INJ_TIMEOUT;
  case InjectKind::delay:
    return UBK_INJ_DELAY;
  }
  return std::nullopt;
}

std::optional<InjectKind> from_raw_kind(unsigned k) noexcept {
  switch (k) {
  case UBK_INJ_READ:
    return InjectKind::read;
  case UBK_INJ_WRITE:
    return InjectKind::write;
  case UBK_INJ_NOSPC:
    return InjectKind::nospc;
  case UBK_INJ_BUSY:
    return InjectKind::busy;
  case UBK_INJ_NOMEM:
    return InjectKind::nomem;
  case UBK_INJ_TIMEOUT:
    return InjectKind::timeout;
  case UBK_INJ_DELAY:
    return InjectKind::delay;
  default:
    return std::nullopt;
  }
}

// The same whitespace set as the kernel's parser.
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Decimal digits only, as in the kernel grammar.
std::optional<std::uint64_t> digits(std::string_view s) noexcept {
  if (s.empty())
    return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9')
      return std::nullopt;
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc() || ptr != s.data() + s.size())
    return std::nullopt;
  return v;
}

std::string range_problem(std::string_view what, std::string_view text, std::uint64_t lo,
                          std::uint64_t hi) {
  const auto v = digits(text);
  if (v && *v >= lo && *v <= hi)
    return {};
  const std::string range = " (" + std::to_string(lo) + "-" + std::to_string(hi) + ")";
  const bool numeric = !text.empty() && text.find_first_not_of("0123456789") == text.npos;
  if (v || numeric) // a number, possibly beyond 64 bits
    return std::string(what) + " " + std::string(text) + " out of range" + range;
  return std::string(what) + " '" + std::string(text) + "' is not a decimal number" + range;
}

// A human reason for a line the kernel's parser rejected.
std::string explain(std::string_view line) {
  line = trim(line);
  if (line.empty())
    return "empty rule";
  for (char c : line)
    if (is_space(c) || c == '\0')
      return "whitespace or NUL inside the rule";
  std::vector<std::string_view> f;
  for (std::size_t start = 0;;) {
    const auto comma = line.find(',', start);
    f.push_back(line.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  if (f[0] == "clear")
    return "\"clear\" is a command, not a rule";
  const auto kind = parse_inject_kind(f[0]);
  if (!kind)
    return "unknown op '" + std::string(f[0]) + "' (read, write, nospc, busy, nomem, timeout, delay)";
  const bool count = *kind != InjectKind::timeout && *kind != InjectKind::delay;
  const std::string op(f[0]);
  if (*kind == InjectKind::timeout && f.size() != 3)
    return "timeout takes 3 fields (timeout,LBA,PCT), got " + std::to_string(f.size());
  if (*kind != InjectKind::timeout && (f.size() < 3 || f.size() > 4))
    return op + " takes 3 or 4 fields (" + op + (count ? ",LBA,COUNT[,PCT]" : ",LBA,USEC[,PCT]") +
           "), got " + std::to_string(f.size());
  if (f[1] != "*" && !digits(f[1])) {
    const bool numeric = !f[1].empty() && f[1].find_first_not_of("0123456789") == f[1].npos;
    if (numeric) // beyond 64 bits
      return "LBA " + std::string(f[1]) + " out of range (0-" + std::to_string(UINT64_MAX) + ")";
    return "LBA '" + std::string(f[1]) + "' is not '*' or a decimal number (0-" +
           std::to_string(UINT64_MAX) + ")";
  }
  std::string p;
  if (*kind == InjectKind::timeout)
    p = range_problem("PCT", f[2], 1, kInjectMaxPct);
  else if (*kind == InjectKind::delay)
    p = range_problem("USEC", f[2], 1, kInjectMaxUsec);
  else
    p = range_problem("COUNT", f[2], 1, kInjectMaxCount);
  if (p.empty() && f.size() == 4)
    p = range_problem("PCT", f[3], 1, kInjectMaxPct);
  return p.empty() ? "not in the error_inject grammar" : p;
}

// r is canonical and valid.
ubk_inj_rule to_raw(const InjectRule &r) noexcept {
  ubk_inj_rule raw{};
  raw.kind = raw_kind(r.kind).value_or(UBK_INJ_NONE);
  raw.any = r.any ? 1 : 0;
  raw.lba = r.any ? 0 : r.lba;
  raw.arg = r.is_count() ? r.count : r.kind == InjectKind::delay ? r.usec : 0;
  raw.pct = static_cast<u8>(r.pct);
  return raw;
}

Error sysfs_error(const Error &e, std::string command) {
  Error out{e.code, std::move(command), e.context};
  if (e.value() == ENOSPC)
    out.context += ": " + std::to_string(kInjectMaxRules) + " rules are active";
  return out;
}

} // namespace

std::string_view to_string(InjectKind k) noexcept {
  const char *name = ubk_inj_kind_name(raw_kind(k).value_or(UBK_INJ_NONE));
  return name ? name : "?";
}

std::optional<InjectKind> parse_inject_kind(std::string_view s) noexcept {
  for (auto k : {InjectKind::read, InjectKind::write, InjectKind::nospc, InjectKind::busy,
                 InjectKind::nomem, InjectKind::timeout, InjectKind::delay})
    if (to_string(k) == s)
      return k;
  return std::nullopt;
}

bool InjectRule::is_count() const noexcept {
  return ubk_inj_is_count(raw_kind(kind).value_or(UBK_INJ_NONE));
}

InjectRule InjectRule::canonical() const noexcept {
  InjectRule c = *this;
  if (!c.is_count()) {
    c.count = 0;
    if (c.lba == 0)
      c.any = true;
  }
  if (c.kind != InjectKind::delay)
    c.usec = 0;
  if (c.any)
    c.lba = 0;
  return c;
}

InjectRule InjectRule::read(std::uint64_t lba, std::uint32_t count, std::uint32_t pct) {
  return InjectRule{InjectKind::read, false, lba, count, pct, 0};
}
InjectRule InjectRule::write(std::uint64_t lba, std::uint32_t count, std::uint32_t pct) {
  return InjectRule{InjectKind::write, false, lba, count, pct, 0};
}
InjectRule InjectRule::nospc(std::uint64_t lba, std::uint32_t count, std::uint32_t pct) {
  return InjectRule{InjectKind::nospc, false, lba, count, pct, 0};
}
InjectRule InjectRule::timeout(std::uint64_t lba, std::uint32_t pct) {
  return InjectRule{InjectKind::timeout, false, lba, 0, pct, 0}.canonical();
}
InjectRule InjectRule::delay(std::uint64_t lba, std::uint32_t usec, std::uint32_t pct) {
  return InjectRule{InjectKind::delay, false, lba, 0, pct, usec}.canonical();
}
InjectRule InjectRule::any_lba() const noexcept {
  InjectRule c = *this;
  c.any = true;
  c.lba = 0;
  return c;
}

bool operator==(const InjectRule &a, const InjectRule &b) noexcept {
  const InjectRule x = a.canonical(), y = b.canonical();
  return x.kind == y.kind && x.any == y.any && x.lba == y.lba && x.count == y.count &&
         x.pct == y.pct && x.usec == y.usec;
}

std::optional<std::string> inject_rule_problem(const InjectRule &r) {
  if (!raw_kind(r.kind))
    return "unknown rule kind " + std::to_string(static_cast<int>(r.kind));
  if (r.pct < 1 || r.pct > kInjectMaxPct)
    return "PCT " + std::to_string(r.pct) + " out of range (1-100)";
  if (r.is_count() && (r.count < 1 || r.count > kInjectMaxCount))
    return "COUNT " + std::to_string(r.count) + " out of range (1-" +
           std::to_string(kInjectMaxCount) + ")";
  if (r.kind == InjectKind::delay && (r.usec < 1 || r.usec > kInjectMaxUsec))
    return "USEC " + std::to_string(r.usec) + " out of range (1-" +
           std::to_string(kInjectMaxUsec) + ")";
  return std::nullopt;
}

Result<std::string> format_inject_rule(const InjectRule &r) {
  if (auto p = inject_rule_problem(r))
    return Error::from_errno(EINVAL, "format_inject_rule", *p);
  const InjectRule c = r.canonical();
  const ubk_inj_rule raw = to_raw(c);
  std::array<char, UBK_INJ_LINE_MAX> line{};
  std::size_t n = ubk_inj_format_rule(&raw, static_cast<int>(c.count), line.data());
  // Cross-check with the kernel's parser: what we write is what the driver reads.
  ubk_inj_rule back{};
  if (n == 0 || ubk_inj_parse(line.data(), n, &back) != 0 ||
      std::memcmp(&back, &raw, sizeof(raw)) != 0)
    return Error::from_errno(EINVAL, "format_inject_rule", "internal: no round trip");
  return std::string(line.data(), n - 1); // without the '\n'
}

Result<InjectRule> parse_inject_rule(std::string_view line) {
  ubk_inj_rule raw{};
  if (ubk_inj_parse(line.data(), line.size(), &raw) != 0 || raw.kind == UBK_INJ_CLEAR)
    return Error::from_errno(EINVAL, "parse_inject_rule",
                             "'" + std::string(trim(line)) + "': " + explain(line));
  InjectRule r;
  r.kind = from_raw_kind(raw.kind).value_or(InjectKind::read);
  r.any = raw.any != 0;
  r.lba = raw.any ? 0 : raw.lba;
  r.pct = raw.pct;
  if (r.is_count())
    r.count = raw.arg;
  else if (r.kind == InjectKind::delay)
    r.usec = raw.arg;
  return r;
}

Result<std::vector<InjectRule>> parse_inject_list(std::string_view text) {
  std::vector<InjectRule> rules;
  std::size_t lineno = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++lineno;
    if (trim(line).empty())
      continue;
    auto r = parse_inject_rule(line);
    if (!r)
      return Error::from_errno(EINVAL, "parse_inject_list",
                               "line " + std::to_string(lineno) + ": " + r.error().context);
    rules.push_back(*r);
  }
  return rules;
}

Result<void> inject_add(std::string_view dev, const InjectRule &r, const fs::path &root) {
  auto line = format_inject_rule(r);
  if (!line)
    return Error{line.error().code, "inject_add", line.error().context};
  if (auto w = write_attr(dev, kAttr, *line + "\n", root); !w)
    return sysfs_error(w.error(), "inject_add");
  return {};
}

Result<void> inject_clear(std::string_view dev, const fs::path &root) {
  if (auto w = write_attr(dev, kAttr, "clear\n", root); !w)
    return sysfs_error(w.error(), "inject_clear");
  return {};
}

Result<std::vector<InjectRule>> inject_list(std::string_view dev, const fs::path &root) {
  auto text = read_attr(dev, kAttr, root);
  if (!text)
    return Error{text.error().code, "inject_list", text.error().context};
  auto rules = parse_inject_list(*text);
  if (!rules)
    return Error::from_errno(EPROTO, "inject_list",
                             "parse " + attr_path(dev, kAttr, root).string() + ": " +
                                 rules.error().context);
  return rules;
}

} // namespace uringblk
