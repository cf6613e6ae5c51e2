// SPDX-License-Identifier: MIT
// sysfs helpers: /sys/block/uringblkN/uringblk/<attr> (spec section 9.2).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <linux/uringblk.h>

#include <uringblk/result.hpp>

namespace uringblk {

/// Root of sysfs: "/sys". A test hook: $URINGBLK_SYSFS_ROOT (if set and non-empty) replaces
/// it, read with secure_getenv(), so that a setuid/setgid or file-capability program (secure
/// execution, AT_SECURE) never honours it. Not for production use (docs/userspace.md).
std::filesystem::path sysfs_root();

/// The kernel module's name (/sys/module/uringblk_driver, modprobe uringblk_driver).
inline constexpr std::string_view kModuleName = "uringblk_driver";

/// ENOENT "the uringblk module is not loaded (...): load it with modprobe ... or insmod ..."
/// when neither the control node `ctl` nor <root>/module/uringblk_driver exists: the one check
/// and message of every tool and subcommand that needs the driver (call it when the driver
/// cannot be reached, or before a listing that would otherwise be empty).
Result<void> check_module(const std::filesystem::path &root = sysfs_root(),
                          const std::filesystem::path &ctl = "/dev/" URINGBLK_CTL_NAME);

/// ENODEV ("not a uringblk device") unless <root>/block/<name>/uringblk exists: the one check
/// and message every tool and subcommand gives for a disk that is not a uringblk device.
Result<void> check_uringblk(std::string_view name, const std::filesystem::path &root = sysfs_root());

/// <root>/block/<dev>/uringblk/<attr>
std::filesystem::path attr_path(std::string_view dev, std::string_view attr,
                                const std::filesystem::path &root = sysfs_root());

/// The attribute's text with trailing whitespace/newlines removed.
Result<std::string> read_attr(std::string_view dev, std::string_view attr,
                              const std::filesystem::path &root = sysfs_root());

/// The attribute as an unsigned number: decimal, or hex with a 0x prefix ("features").
Result<std::uint64_t> read_attr_u64(std::string_view dev, std::string_view attr,
                                    const std::filesystem::path &root = sysfs_root());

Result<void> write_attr(std::string_view dev, std::string_view attr, std::string_view value,
                        const std::filesystem::path &root = sysfs_root());

/// Writes "1" to stats_reset.
Result<void> reset_stats(std::string_view dev, const std::filesystem::path &root = sysfs_root());

/// "uringblk12" -> 12; nullopt for anything else (partitions, other disks).
std::optional<std::uint32_t> parse_device_name(std::string_view name) noexcept;

/// Parses "123", "0x7b" (surrounding blanks allowed).
std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept;

/// The kernel name ("uringblk0") of the block device at path (which may be a symlink such as
/// /dev/disk/by-id/...), via stat() and <root>/dev/block/MAJ:MIN. ENOTBLK if it is not a block
/// device.
Result<std::string> device_name_from_path(std::string_view path,
                                          const std::filesystem::path &root = sysfs_root());

/// device_name_from_path(), then check_uringblk(): the name of a uringblk disk, or ENODEV
/// ("not a uringblk device").
Result<std::string> uringblk_name_from_path(std::string_view path,
                                            const std::filesystem::path &root = sysfs_root());

struct DeviceInfo {
  std::string name; ///< "uringblk0"
  std::string path; ///< "/dev/uringblk0"
  std::uint32_t dev_id = 0;
  std::uint64_t capacity_bytes = 0;
  std::string model;
  std::string serial;
  std::string firmware;
};

/// Every <root>/block/uringblkN, sorted by N. Unreadable attributes are left empty/0.
Result<std::vector<DeviceInfo>> list_devices(const std::filesystem::path &root = sysfs_root());

} // namespace uringblk
