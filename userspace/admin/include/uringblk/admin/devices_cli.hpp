// SPDX-License-Identifier: MIT
// "uringblk-admin create|delete|set|params": device management over the control node (ABI 1.1).
// Kept apart from cli.cpp, which only creates it and runs it.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include <uringblk/admin/format.hpp>
#include <uringblk/device.hpp>
#include <uringblk/params.hpp>
#include <uringblk/result.hpp>

namespace CLI {
class App;
}

namespace uringblk::admin {

/// What the user typed for "create" (nullopt: not given, the module's default).
struct CreateOptions {
  std::optional<std::uint32_t> capacity_mb, logical_block_size, nr_hw_queues, poll_queues,
      queue_depth, max_io_size_kb, io_timeout_ms;
  std::optional<std::uint8_t> write_cache, discard, write_zeroes, poll; ///< URINGBLK_DEV_ON/OFF
  std::optional<std::string> serial_suffix;
};

/// The ADD_DEVICE payload of `o` (0 / URINGBLK_DEV_DEFAULT for what was not given), checked
/// with the driver's rules: the fields given are checked as typed, the others are stood in for
/// by valid values (the kernel checks the resolved set). EINVAL with the driver's one-line
/// message ("capacity_mb=0 out of range (1-4194304)") if a given value breaks a rule.
Result<DevParams> create_params(const CreateOptions &o);

/// The index N of a DEVICE argument (N, uringblkN, /dev/uringblkN, or a symlink to one).
/// ENODEV "not a uringblk device" otherwise. The device need not exist.
Result<std::uint32_t> device_index_from_arg(std::string_view arg);

class DevicesCommand {
public:
  /// Adds "create", "delete", "set" and "params" to app; add_common adds -o and --transport.
  DevicesCommand(CLI::App &app, const std::function<void(CLI::App *)> &add_common);

  /// True once app.parse() has selected one of them.
  bool parsed() const;
  /// Runs the selected subcommand; returns the exit code.
  int run(OutputFormat format, Transport transport, std::ostream &out, std::ostream &err) const;

private:
  CLI::App *create_;
  CLI::App *delete_;
  CLI::App *set_;
  CLI::App *params_;
  CreateOptions opts_;
  std::optional<std::uint32_t> id_;
  bool json_ = false;
  bool dry_run_ = false;
  std::string device_;
  bool force_ = false;
  std::optional<std::uint8_t> set_write_cache_;
  std::optional<std::uint32_t> max_sectors_kb_;
  bool inject_reset_ = false;
};

} // namespace uringblk::admin
