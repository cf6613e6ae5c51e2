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

/// One rule of kmod/dev_params.h: the range lo-hi (a multiple of mult), or `what` when it is
/// not a range.
struct ParamRule {
  std::string name; ///< module parameter / create option ("capacity_mb")
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;
  std::uint32_t mult = 1;
  std::string what; ///< the rule when it is not a range ("on or off"); empty: lo-hi

  /// "1-4194304", "4-32768, multiple of 4", "on or off".
  std::string text() const;
};

/// The first rule a parameter set breaks (kmod/dev_params.h, struct ubk_param_err).
struct ParamError {
  std::string name; ///< module parameter / create option ("capacity_mb")
  std::uint32_t val = 0;
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;
  std::uint32_t mult = 1;
  std::string what; ///< the rule when it is not a range ("on or off"); empty: lo-hi

  /// The rule that was broken.
  ParamRule rule() const;
  /// The driver's line: "capacity_mb=0 out of range (1-4194304)",
  /// "max_io_size_kb=6 out of range (4-32768, multiple of 4)", "poll=0 out of range (on or off)";
  /// for serial_suffix, whose val is a character's code, the character:
  /// "serial_suffix: '/' is not allowed (allowed: [A-Za-z0-9_.-], NUL-padded)".
  std::string message() const;
  /// EINVAL with message() as the context; `command` names the operation.
  Error error(std::string command) const;
};

/// The rule ubk_dev_params_check() applies to a numeric field, named as its module parameter:
/// capacity_mb, logical_block_size (lo 512, hi 4096, `what` the four sizes), nr_hw_queues,
/// poll_queues (with polling on), queue_depth, max_io_size_kb (mult 1: with 512-byte blocks),
/// io_timeout_ms. Asked of the check itself (the field 0 in an otherwise valid set), so that
/// the ranges are written once, in kmod/dev_params.h. nullopt for any other name.
std::optional<ParamRule> dev_param_rule(std::string_view name);
/// The rule ubk_set_params_check() applies to SET_PARAMS max_sectors_kb on a device with the
/// largest max_io_size_kb (its hi; the device's own max_io_size_kb may be lower).
ParamRule max_sectors_kb_rule();
/// The indexes ADD_DEVICE accepts (name "id", 0 to the driver's device limit - 1);
/// URINGBLK_DEV_ID_ANY asks for the lowest free one instead.
ParamRule dev_id_rule();

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
