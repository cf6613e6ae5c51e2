// SPDX-License-Identifier: MIT
#include <uringblk/params.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dev_params.h" // kmod/: the driver's parameter rules

namespace uringblk {

namespace {
ParamError from_kernel(const ubk_param_err &e) {
  return ParamError{e.name ? e.name : "?", e.val,         e.lo, e.hi,
                    e.mult,                e.what ? e.what : ""};
}
} // namespace

std::string ParamError::message() const {
  std::string s = name + "=" + std::to_string(val) + " out of range (";
  if (!what.empty())
    s += what;
  else {
    s += std::to_string(lo) + "-" + std::to_string(hi);
    if (mult > 1)
      s += ", multiple of " + std::to_string(mult);
  }
  return s + ")";
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
