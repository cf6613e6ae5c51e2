// SPDX-License-Identifier: MIT
// Device parameters (ABI 1.1: ADD_DEVICE, GET_PARAMS, SET_PARAMS). The rules are the driver's
// own (kmod/dev_params.h is compiled into the library), so what the library accepts the driver
// accepts, and a rejection reads like the driver's log line.
#pragma once

#include <linux/uringblk.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <uringblk/result.hpp>

namespace uringblk {

/// The ABI struct: the ADD_DEVICE payload and the ADD_DEVICE / GET_PARAMS response.
using DevParams = uringblk_dev_params;
/// The SET_PARAMS payload.
using SetParams = uringblk_set_params;

/// The first rule a parameter set breaks (kmod/dev_params.h, struct ubk_param_err).
struct ParamError {
  std::string name; ///< module parameter / create option ("capacity_mb")
  std::uint32_t val = 0;
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;
  std::uint32_t mult = 1;
  std::string what; ///< the rule when it is not a range ("on or off"); empty: lo-hi

  /// The driver's line: "capacity_mb=0 out of range (1-4194304)",
  /// "max_io_size_kb=6 out of range (4-32768, multiple of 4)", "poll=0 out of range (on or off)".
  std::string message() const;
  /// EINVAL with message() as the context; `command` names the operation.
  Error error(std::string command) const;
};

/// All-zero parameters: every field "the module's default".
DevParams default_dev_params() noexcept;
/// ubk_dev_params_fill(): replace every default of p by def's value.
void fill_dev_params(DevParams &p, const DevParams &def) noexcept;
/// ubk_dev_params_check() of a resolved parameter set.
std::optional<ParamError> check_dev_params(const DevParams &p) noexcept;
/// ubk_set_params_check() of a SET_PARAMS payload against the device's resolved parameters.
std::optional<ParamError> check_set_params(const SetParams &s, const DevParams &dev) noexcept;

/// Set the serial suffix (at most URINGBLK_SERIAL_SUFFIX_LEN characters, NUL-padded); EINVAL if
/// it is longer. The character set is check_dev_params()'s business.
Result<void> set_serial_suffix(DevParams &p, std::string_view suffix);
/// The serial suffix as text (up to the first NUL).
std::string serial_suffix(const DevParams &p);

/// "on", "off", "default" for URINGBLK_DEV_ON / _OFF / _DEFAULT; "?" otherwise.
std::string_view switch_name(std::uint8_t v) noexcept;
/// "on" -> URINGBLK_DEV_ON, "off" -> URINGBLK_DEV_OFF.
std::optional<std::uint8_t> parse_switch(std::string_view s) noexcept;

} // namespace uringblk
