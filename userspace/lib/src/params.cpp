// SPDX-License-Identifier: MIT
#include <uringblk/params.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "dev_params.h" // kmod/: the driver's parameter rules

namespace uringblk {

namespace {
ParamError from_kernel(const ubk_param_err &e) {
  return ParamError{e.name ? e.name : "?", e.val,         e.lo, e.hi,
                    e.mult,                e.what ? e.what : ""};
}
} // namespace

std::string ParamRule::text() const {
  if (!what.empty())
    return what;
  std::string s = std::to_string(lo) + "-" + std::to_string(hi);
  if (mult > 1)
    s += ", multiple of " + std::to_string(mult);
  return s;
}

ParamRule ParamError::rule() const { return ParamRule{name, lo, hi, mult, what}; }

std::string ParamError::message() const {
  if (name == "serial_suffix") { // val is the character that broke the rule
    std::string shown(1, static_cast<char>(val));
    if (!std::isprint(static_cast<unsigned char>(val))) {
      constexpr std::string_view hex = "0123456789abcdef";
      shown = {'\\', 'x', hex[(val >> 4) & 0xf], hex[val & 0xf]};
    }
    return "serial_suffix: '" + shown + "' is not allowed (allowed: " + rule().text() + ")";
  }
  return name + "=" + std::to_string(val) + " out of range (" + rule().text() + ")";
}

Error ParamError::error(std::string command) const {
  return Error::from_errno(EINVAL, std::move(command), message());
}

DevParams default_dev_params() noexcept {
  DevParams p;
  std::memset(&p, 0, sizeof(p));
  return p;
}

void fill_dev_params(DevParams &p, const DevParams &def) noexcept { ubk_dev_params_fill(&p, &def); }

std::optional<ParamError> check_dev_params(const DevParams &p) noexcept {
  ubk_param_err e{};
  if (ubk_dev_params_check(&p, &e) == 0)
    return std::nullopt;
  return from_kernel(e);
}

std::optional<ParamError> check_set_params(const SetParams &s, const DevParams &dev) noexcept {
  ubk_param_err e{};
  if (ubk_set_params_check(&s, &dev, &e) == 0)
    return std::nullopt;
  return from_kernel(e);
}

namespace {
// The numeric fields by module parameter name.
struct NumericField {
  std::string_view name;
  std::uint32_t DevParams::*field;
};
constexpr NumericField kNumericFields[] = {
    {"capacity_mb", &DevParams::capacity_mb},       {"logical_block_size", &DevParams::logical_block_size},
    {"nr_hw_queues", &DevParams::nr_hw_queues},     {"poll_queues", &DevParams::poll_queues},
    {"queue_depth", &DevParams::queue_depth},       {"max_io_size_kb", &DevParams::max_io_size_kb},
    {"io_timeout_ms", &DevParams::io_timeout_ms},
};

// The smallest valid parameter set (polling on, every switch on), found by asking the check:
// each field it names gets the lowest value of its rule, until none is broken.
DevParams lowest_valid() {
  DevParams p = default_dev_params();
  p.poll = p.write_cache = p.discard = p.write_zeroes = URINGBLK_DEV_ON;
  for (std::size_t i = 0; i <= std::size(kNumericFields); ++i) {
    const auto e = check_dev_params(p);
    if (!e)
      return p;
    const auto *f = std::find_if(std::begin(kNumericFields), std::end(kNumericFields),
                                 [&](const NumericField &n) { return n.name == e->name; });
    if (f == std::end(kNumericFields) || p.*(f->field) == e->lo)
      break;
    p.*(f->field) = e->lo;
  }
  std::abort(); // dev_params.h has a rule this table does not know
}
} // namespace

std::optional<ParamRule> dev_param_rule(std::string_view name) {
  const auto *f = std::find_if(std::begin(kNumericFields), std::end(kNumericFields),
                               [&](const NumericField &n) { return n.name == name; });
  if (f == std::end(kNumericFields))
    return std::nullopt;
  DevParams p = lowest_valid();
  p.*(f->field) = 0; // below every rule's lowest value
  const auto e = check_dev_params(p);
  if (!e || e->name != name)
    std::abort();
  return e->rule();
}

ParamRule max_sectors_kb_rule() {
  DevParams dev = lowest_valid();
  dev.max_io_size_kb = dev_param_rule("max_io_size_kb")->hi;
  SetParams s;
  std::memset(&s, 0, sizeof(s));
  s.mask = URINGBLK_SET_MAX_SECTORS_KB; // max_sectors_kb 0: below the rule
  return check_set_params(s, dev)->rule();
}

ParamRule dev_id_rule() { return ParamRule{"id", 0, UBK_MAX_DEVICES - 1, 1, ""}; }

Result<void> set_serial_suffix(DevParams &p, std::string_view suffix) {
  if (suffix.size() > URINGBLK_SERIAL_SUFFIX_LEN)
    return Error::from_errno(EINVAL, "serial_suffix",
                             "serial_suffix '" + std::string(suffix) + "' is longer than " +
                                 std::to_string(URINGBLK_SERIAL_SUFFIX_LEN) + " characters");
  std::memset(p.serial_suffix, 0, sizeof(p.serial_suffix));
  std::memcpy(p.serial_suffix, suffix.data(), suffix.size());
  return {};
}

std::string serial_suffix(const DevParams &p) {
  const auto *b = reinterpret_cast<const char *>(p.serial_suffix);
  return std::string(b, std::find(b, b + sizeof(p.serial_suffix), '\0'));
}

std::string_view switch_name(std::uint8_t v) noexcept {
  switch (v) {
  case URINGBLK_DEV_ON:
    return "on";
  case URINGBLK_DEV_OFF:
    return "off";
  case URINGBLK_DEV_DEFAULT:
    return "default";
  default:
    return "?";
  }
}

std::optional<std::uint8_t> parse_switch(std::string_view s) noexcept {
  if (s == "on")
    return URINGBLK_DEV_ON;
  if (s == "off")
    return URINGBLK_DEV_OFF;
  return std::nullopt;
}

} // namespace uringblk
