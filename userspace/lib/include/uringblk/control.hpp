// SPDX-License-Identifier: MIT
// The control node /dev/uringblk-ctl and the module-wide commands of ABI 1.1: create, delete,
// list, and read or change a device's parameters, cut the power; and of ABI 1.2: power on, read
// the power-loss log, set a mark, arm a cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <uringblk/device.hpp>
#include <uringblk/params.hpp>
#include <uringblk/result.hpp>

namespace uringblk {

/// The context of the Error a module of ABI 1.0 causes for a 1.1 command.
inline constexpr std::string_view kAbi10Message =
    "the loaded module speaks ABI 1.0; device management needs 1.1";
/// The context of the Error a module older than ABI 1.2 causes for a 1.2 command (POWER_ON,
/// POWER_LOG, POWER_MARK, POWER_ARM).
inline constexpr std::string_view kAbi11Message =
    "the loaded module predates ABI 1.2; power-on, power-log, power-mark and power-arm need 1.2";

/// LIST_DEVICES.
struct DeviceList {
  std::uint16_t abi_major = 0; ///< the module's ABI version
  std::uint16_t abi_minor = 0;
  std::uint32_t nr_devices = 0;  ///< devices that exist
  std::uint32_t max_devices = 0; ///< highest possible index + 1
  std::vector<std::uint32_t> ids; ///< ascending
};

/// POWER_CUT's answer: non-durable changes at the cut, how many were undone, of those torn, and
/// (1.2) the changes in the log, numbered 1..changes.
using PowerCutResult = uringblk_power_cut_result;

/// POWER_CUT modes (docs/power-loss.md); prefix and drop since ABI 1.2.
enum class PowerCutMode : std::uint32_t {
  all = URINGBLK_PL_ALL,
  random = URINGBLK_PL_RANDOM,
  torn = URINGBLK_PL_TORN,
  prefix = URINGBLK_PL_PREFIX, ///< changes 1..K survive (seed = K)
  drop = URINGBLK_PL_DROP,     ///< the changes listed are lost (seed = how many)
};

/// The POWER_CUT payload: mode, seed (random and torn: the seed; prefix: K; drop: the number of
/// changes listed) and flags (URINGBLK_PL_CUT_RESUME, URINGBLK_PL_CUT_TEAR_PHYSICAL; ABI 1.2).
uringblk_power_cut power_cut_payload(PowerCutMode mode, std::uint64_t seed = 0,
                                     std::uint32_t flags = 0) noexcept;

/// The bytes POWER_CUT reads: `cut`, then the change numbers of drop, 8 bytes each
/// (payload_len = 16 + 8 * drop.size()). Nothing is checked: the driver does.
std::vector<std::byte> power_cut_payload_bytes(const uringblk_power_cut &cut,
                                               std::span<const std::uint64_t> drop = {});

/// POWER_LOG (ABI 1.2): the changes a power cut could undo, oldest first.
using PowerLogEntry = uringblk_power_log_entry;
struct PowerLog {
  std::uint64_t nr_changes = 0;       ///< changes in the log (may exceed entries.size())
  std::vector<PowerLogEntry> entries; ///< at most kPowerLogMaxEntries
};
/// The most entries the driver returns in one POWER_LOG answer.
inline constexpr std::size_t kPowerLogMaxEntries = 4096;

/// A POWER_LOG answer of `resp.size()` bytes (the command's return value): the 16-byte header
/// and nr_entries entries. EPROTO if it is shorter than the header, its length is not
/// 16 + 32 * nr_entries, or nr_entries exceeds nr_changes.
Result<PowerLog> decode_power_log(std::span<const std::byte> resp);

/// POWER_ARM (ABI 1.2): trigger, the cut (mode, flags, seed as in POWER_CUT; no drop, no
/// resume), count (change, flush), sector and nr_sectors (lba), sector = the tag (mark).
using PowerArm = uringblk_power_arm;

/// True if e is the "module speaks ABI 1.0" error of a 1.1 command.
bool is_abi10_error(const Error &e) noexcept;
/// True if e is the "module predates ABI 1.2" error of a 1.2 command.
bool is_abi11_error(const Error &e) noexcept;

class Control {
public:
  /// Opens the control node (default /dev/uringblk-ctl) O_RDWR. Transport::uring_cmd sets up a
  /// 4-entry SQE128 ring; Transport::ioctl uses ioctls on the control node; automatic (the
  /// default) uses the ring, and the ioctl when the ring cannot be created or the node answers
  /// URING_CMD with EOPNOTSUPP.
  static Result<Control> open(Transport transport = Transport::automatic,
                              std::string_view path = "/dev/" URINGBLK_CTL_NAME);

  Control(Control &&) noexcept;
  Control &operator=(Control &&) noexcept;
  ~Control();

  const std::string &path() const noexcept;
  Transport transport() const noexcept; ///< uring_cmd or ioctl

  /// ADD_DEVICE: params with 0 / URINGBLK_DEV_DEFAULT for the module's defaults; `id` the index
  /// wanted (nullopt: the lowest free one). Returns the resolved parameters (dev_id, state).
  Result<DevParams> add_device(const DevParams &params, std::optional<std::uint32_t> id = {});
  /// DEL_DEVICE; force: even while open (outstanding and new I/O fails with EIO).
  Result<void> delete_device(std::uint32_t id, bool force = false);
  /// LIST_DEVICES: every id and the module's ABI version.
  Result<DeviceList> list_devices();
  /// GET_PARAMS.
  Result<DevParams> get_params(std::uint32_t id);
  /// SET_PARAMS.
  Result<void> set_params(std::uint32_t id, const SetParams &s);
  /// POWER_CUT: undo the device's non-durable changes as `cut` says (power_cut_payload()),
  /// with the change numbers of PowerCutMode::drop after it. ENODATA when the device does not
  /// track them (uringblk/power_loss is 0), EIO when its log is broken, EINVAL for a bad mode,
  /// flag or drop list. Since ABI 1.2 the device is then off (every request fails with EIO)
  /// until power_on(), unless flags has URINGBLK_PL_CUT_RESUME. A 1.1 module refuses every
  /// flag, prefix and drop (EINVAL) and always resumes.
  Result<PowerCutResult> power_cut(std::uint32_t id, const uringblk_power_cut &cut,
                                   std::span<const std::uint64_t> drop = {});
  /// POWER_ON (ABI 1.2): power the device on again after a cut.
  Result<void> power_on(std::uint32_t id);
  /// POWER_LOG (ABI 1.2): the non-durable changes, the first kPowerLogMaxEntries of them.
  Result<PowerLog> power_log(std::uint32_t id);
  /// POWER_MARK (ABI 1.2): later changes are listed with this tag; a cut armed at it fires.
  Result<void> power_mark(std::uint32_t id, std::uint64_t tag);
  /// POWER_ARM (ABI 1.2): cut the power when the trigger fires (URINGBLK_PL_ARM_NONE
  /// disarms). ENODATA with tracking off, EINVAL for a bad trigger, mode or flag.
  Result<void> power_arm(std::uint32_t id, const PowerArm &arm);

  /// Run one command: `buf` holds the payload (payload_len bytes, 0 for none) on entry and the
  /// response on return. -EOPNOTSUPP / -ENOTTY for a 1.1 opcode become EOPNOTSUPP with
  /// kAbi10Message, for a 1.2 opcode (POWER_ON and later) EOPNOTSUPP with kAbi11Message.
  Result<std::size_t> execute(std::uint16_t opcode, std::uint32_t dev_id, std::span<std::byte> buf,
                              std::uint32_t payload_len = 0, std::uint16_t flags = 0);

private:
  struct Impl;
  explicit Control(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

} // namespace uringblk
