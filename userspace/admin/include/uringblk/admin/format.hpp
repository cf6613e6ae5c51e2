// SPDX-License-Identifier: MIT
// Output of uringblk-admin: human (nvme id-ctrl style) and JSON. No I/O here: every function
// takes typed results and returns text or JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <uringblk/control.hpp>
#include <uringblk/inject.hpp>
#include <uringblk/params.hpp>
#include <uringblk/result.hpp>
#include <uringblk/sysfs.hpp>
#include <uringblk/types.hpp>

namespace uringblk::admin {

/// Version of the JSON output schema: the first key, "version", as in uringblk-bench's JSON.
/// Keys are never renamed or removed within a version; see docs/userspace.md.
inline constexpr int kJsonVersion = 1;

inline constexpr std::string_view kProgram = "uringblk-admin";

enum class OutputFormat { normal, json };
std::optional<OutputFormat> parse_output_format(std::string_view s) noexcept;

using Json = nlohmann::ordered_json;

/// One "key : value" line of human output.
struct Field {
  std::string key;
  std::string value;
};

/// `title` (if not empty) on its own line, then one line per field with the colons aligned:
/// "key<pad> : value".
std::string render_fields(std::string_view title, std::span<const Field> fields);

std::string hex(std::uint64_t v);         ///< "0x1f"
std::string human_bytes(std::uint64_t v); ///< "1.00 GiB", "512 B"

// Human output.
std::string identify_text(const Identify &id, std::string_view device);
std::string limits_text(const Limits &l, std::string_view device);
std::string features_text(const Features &f, std::string_view device);
std::string geometry_text(const Geometry &g, std::string_view device);
std::string stats_text(const Stats &s, std::string_view device);
/// A table: the head, a line of dashes, the rows; columns separated by one blank and padded to
/// their widest cell (the last column is not padded).
std::string table_text(const std::vector<std::string> &head,
                       const std::vector<std::vector<std::string>> &rows);
/// `params` (ABI 1.1: LIST_DEVICES + GET_PARAMS, one per device, nullopt if it could not be read)
/// adds an Origin column ("runtime" or "load"); empty on a 1.0 module.
std::string list_text(std::span<const DeviceInfo> devices,
                      std::span<const std::optional<DevParams>> params = {});
std::string reset_stats_text(std::string_view device);

// JSON output (schema version kJsonVersion).
Json identify_json(const Identify &id, std::string_view device);
Json limits_json(const Limits &l, std::string_view device);
Json features_json(const Features &f, std::string_view device);
Json geometry_json(const Geometry &g, std::string_view device);
Json stats_json(const Stats &s, std::string_view device);
/// With `params` (ABI 1.1) every device also gets "runtime" (bool, null if unknown) and
/// "params" (as in params_json, null if unknown).
Json list_json(std::span<const DeviceInfo> devices,
               std::span<const std::optional<DevParams>> params = {});
Json reset_stats_json(std::string_view device);
Json error_json(std::string_view subcommand, std::string_view device, const Error &e);

// Device management (ABI 1.1): create, params, delete, set.
/// "/dev/uringblkN" of a device index.
std::string device_node(std::uint32_t dev_id);
/// The resolved parameters of a device (create, params), fields as in params_fields_json.
std::string params_text(const DevParams &p, std::string_view title_what, std::string_view device);
Json params_json(const DevParams &p, std::string_view device);
/// The parameter fields alone (no version/device): name, dev_id, runtime, capacity_mb, ...
Json params_fields_json(const DevParams &p);
std::string delete_text(std::string_view device, bool force);
Json delete_json(std::string_view device, bool force);
/// What SET_PARAMS changed: "write_cache", "max_sectors_kb", "inject_reset" as given in s.mask.
std::string set_text(const SetParams &s, std::string_view device);
Json set_json(const SetParams &s, std::string_view device);

// Power-loss emulation (docs/power-loss.md): power-cut (ABI 1.1), power-on, power-log,
// power-mark, power-arm (ABI 1.2).
/// "all", "random", "torn", "prefix", "drop" (URINGBLK_PL_*, as in sysfs power_cut); "" else.
std::string_view power_cut_mode_name(std::uint32_t mode) noexcept;
/// "none", "change", "flush", "lba", "mark" (URINGBLK_PL_ARM_*); "" else.
std::string_view power_arm_trigger_name(std::uint32_t trigger) noexcept;
/// "write", "discard", "write_zeroes" (URINGBLK_PL_OP_*); "" else.
std::string_view power_log_op_name(std::uint8_t op) noexcept;
/// A power cut's answer: "pending", "reverted", "torn", "changes", with the cut asked for
/// ("mode"; "seed" of random and torn, "keep" of prefix, "drop" of drop; "tear" of torn;
/// "resume") and the power afterwards ("power": "on" with resume, else "off" until power-on).
std::string power_cut_text(const PowerCutResult &r, const uringblk_power_cut &cut,
                           std::span<const std::uint64_t> drop, std::string_view device);
Json power_cut_json(const PowerCutResult &r, const uringblk_power_cut &cut,
                    std::span<const std::uint64_t> drop, std::string_view device);
/// POWER_LOG: a table (Seq, Op, Sector, Sectors, FUA, Mark) and "N non-durable changes";
/// JSON "nr_changes" and "changes" [{"seq", "op", "sector", "nr_sectors", "fua", "mark"}]
/// ("mark": the tag, or null).
std::string power_log_text(const PowerLog &log, std::string_view device);
Json power_log_json(const PowerLog &log, std::string_view device);
/// POWER_MARK: "mark": the tag.
std::string power_mark_text(std::uint64_t tag, std::string_view device);
Json power_mark_json(std::uint64_t tag, std::string_view device);
/// POWER_ARM: "armed", "trigger", its argument ("count", "sector" and "nr_sectors", "tag") and
/// the cut as in power_cut_json.
std::string power_arm_text(const PowerArm &a, std::string_view device);
Json power_arm_json(const PowerArm &a, std::string_view device);
/// POWER_ON (ABI 1.2): "power": "on".
std::string power_on_text(std::string_view device);
Json power_on_json(std::string_view device);

// Error injection (inject add|list|clear): rules are shown as the lines that create them.
std::string inject_list_text(std::span<const InjectRule> rules, std::string_view device);
std::string inject_add_text(std::span<const InjectRule> added, std::string_view device);
std::string inject_clear_text(std::string_view device);
Json inject_rule_json(const InjectRule &r);
Json inject_list_json(std::span<const InjectRule> rules, std::string_view device);
Json inject_add_json(std::span<const InjectRule> added, std::string_view device);
Json inject_clear_json(std::string_view device);

/// JSON as printed: 2-space indent and a final newline.
std::string render_json(const Json &j);

/// "uringblk-admin: identify /dev/uringblk0: Operation not permitted (EPERM)\n"
std::string format_error(std::string_view subcommand, std::string_view device, const Error &e);

} // namespace uringblk::admin
