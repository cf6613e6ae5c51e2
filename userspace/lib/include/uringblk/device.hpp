// SPDX-License-Identifier: MIT
// A uringblk device and its admin commands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <uringblk/result.hpp>
#include <uringblk/types.hpp>

namespace uringblk {

enum class Transport {
  uring_cmd, ///< IORING_OP_URING_CMD on the control node (the default)
  ioctl,     ///< ioctl on the block device
  automatic, ///< uring_cmd, falling back to ioctl when it is unavailable
};

/// "uring", "ioctl", "auto"
std::string_view to_string(Transport t) noexcept;
/// Accepts "uring", "uring_cmd", "ioctl", "auto", "automatic".
std::optional<Transport> parse_transport(std::string_view s) noexcept;

class Device {
public:
  /// Open by block device path ("/dev/uringblk0" or a symlink to it).
  static Result<Device> open(std::string_view path, Transport transport = Transport::uring_cmd);
  /// Open /dev/uringblk<index>.
  static Result<Device> open_index(std::uint32_t index, Transport transport = Transport::uring_cmd);

  Device(Device &&) noexcept;
  Device &operator=(Device &&) noexcept;
  ~Device();

  const std::string &path() const noexcept;
  const std::string &name() const noexcept;     ///< "uringblk0"
  std::uint32_t dev_id() const noexcept;        ///< N of /dev/uringblkN
  const std::string &ctl_path() const noexcept; ///< "/dev/uringblk-ctl" (empty for ioctl)
  /// The transport in use: uring_cmd or ioctl (automatic resolves to one of them).
  Transport transport() const noexcept;
  /// Why automatic fell back to ioctl ("" if it did not).
  const std::string &fallback_reason() const noexcept;

  Result<Identify> identify();
  Result<Limits> limits();
  Result<Features> features();
  Result<Geometry> geometry();
  Result<Stats> stats();
  /// Writes "1" to sysfs stats_reset.
  Result<void> reset_stats();

  /// Run admin command `opcode` with `response` as the response buffer; returns the response
  /// length. The Error's command is opcode_name(opcode).
  Result<std::size_t> execute(std::uint16_t opcode, std::span<std::byte> response);

private:
  struct Impl;
  explicit Device(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

} // namespace uringblk
