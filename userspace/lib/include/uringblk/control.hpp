// SPDX-License-Identifier: MIT
// The control node /dev/uringblk-ctl and the module-wide commands of ABI 1.1: create, delete,
// list, and read or change a device's parameters.
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

/// LIST_DEVICES.
struct DeviceList {
  std::uint16_t abi_major = 0; ///< the module's ABI version
  std::uint16_t abi_minor = 0;
  std::uint32_t nr_devices = 0;  ///< devices that exist
  std::uint32_t max_devices = 0; ///< highest possible index + 1
  std::vector<std::uint32_t> ids; ///< ascending
};

/// POWER_CUT's answer: non-durable changes at the cut, how many were undone, of those torn.
using PowerCutResult = uringblk_power_cut_result;

/// POWER_CUT modes (docs/power-loss.md).
enum class PowerCutMode : std::uint32_t {
  all = URINGBLK_PL_ALL,
  random = URINGBLK_PL_RANDOM,
  torn = URINGBLK_PL_TORN,
};

/// True if e is the "module speaks ABI 1.0" error of a 1.1 command.
bool is_abi10_error(const Error &e) noexcept;

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
  /// POWER_CUT: undo the device's non-durable changes (all, or per seed). ENODATA when the
  /// device does not track them (uringblk/power_loss is 0).
  Result<PowerCutResult> power_cut(std::uint32_t id, PowerCutMode mode, std::uint64_t seed = 0);

  /// Run one command: `buf` holds the payload (payload_len bytes, 0 for none) on entry and the
  /// response on return. -EOPNOTSUPP / -ENOTTY for a 1.1 opcode become EOPNOTSUPP with
  /// kAbi10Message.
  Result<std::size_t> execute(std::uint16_t opcode, std::uint32_t dev_id, std::span<std::byte> buf,
                              std::uint32_t payload_len = 0, std::uint16_t flags = 0);

private:
  struct Impl;
  explicit Control(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

} // namespace uringblk
