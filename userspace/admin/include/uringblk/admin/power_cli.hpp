// SPDX-License-Identifier: MIT
// "uringblk-admin power-cut|power-on|power-log|power-mark|power-arm": the power-loss emulation
// over the control node (docs/power-loss.md; power-cut ABI 1.1, the rest and the cut's newer
// modes and flags 1.2). Kept apart from cli.cpp, which only creates it and runs it.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <uringblk/admin/format.hpp>
#include <uringblk/control.hpp>
#include <uringblk/device.hpp>
#include <uringblk/result.hpp>

namespace CLI {
class App;
}

namespace uringblk::admin {

/// What the user typed for the cut of power-cut and power-arm (nullopt: not given).
struct CutOptions {
  std::optional<std::string> mode;   ///< all (the default), random, torn, prefix, drop
  std::optional<std::uint64_t> seed; ///< random, torn
  std::optional<std::uint64_t> keep; ///< prefix: changes 1..K survive
  std::optional<std::string> drop;   ///< drop: "N,N,..."
  std::optional<std::string> tear;   ///< torn: "logical" (the default) or "physical"
  bool resume = false;               ///< power-cut only
};

/// A cut: the payload (mode, flags, seed; drop: seed = the number of changes) and the list.
struct CutSpec {
  uringblk_power_cut payload;
  std::vector<std::uint64_t> drop;
};

/// "3,5,9": 1 to URINGBLK_PL_MAX_DROP change numbers, each at least 1 (decimal). EINVAL with
/// the usage message ("--drop: change numbers start at 1") otherwise.
Result<std::vector<std::uint64_t>> parse_drop_list(std::string_view s);

/// The cut `o` asks for, or EINVAL whose context is the usage message ("--mode prefix needs
/// --keep K"): random and torn need --seed, prefix --keep, drop --drop, and each of these and
/// --tear belongs to its mode only. For power-arm (`arm`) mode drop and --resume are refused.
Result<CutSpec> cut_spec(const CutOptions &o, bool arm);

/// The trigger of "--at": change:N, flush:N (N >= 1), lba:SECTOR+NR (NR >= 1), mark:TAG (0x
/// hex too, as every number here) or none: a PowerArm with trigger, count, sector and
/// nr_sectors set, the cut fields zero. EINVAL with the usage message otherwise.
Result<PowerArm> parse_arm_trigger(std::string_view at);

class PowerCommand {
public:
  /// Adds "power-cut", "power-on", "power-log", "power-mark" and "power-arm" to app;
  /// add_common adds -o and --transport.
  PowerCommand(CLI::App &app, const std::function<void(CLI::App *)> &add_common);

  /// True once app.parse() has selected one of them.
  bool parsed() const;
  /// Runs the selected subcommand; returns the exit code.
  int run(OutputFormat format, Transport transport, std::ostream &out, std::ostream &err) const;

private:
  CLI::App *cut_;
  CLI::App *on_;
  CLI::App *log_;
  CLI::App *mark_;
  CLI::App *arm_;
  std::string device_;
  CutOptions cut_opts_; // power-cut or power-arm, whichever was parsed
  std::string at_;
  std::uint64_t tag_ = 0;
};

} // namespace uringblk::admin
