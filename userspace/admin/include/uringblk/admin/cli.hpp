// SPDX-License-Identifier: MIT
// Argument handling of uringblk-admin (main.cpp only calls run()).
#pragma once

#include <cerrno>
#include <iosfwd>
#include <string>
#include <string_view>

#include <uringblk/admin/format.hpp>
#include <uringblk/result.hpp>
#include <uringblk/sysfs.hpp>

namespace CLI {
class App;
}

namespace uringblk::admin {

enum ExitCode : int {
  kExitOk = 0,           ///< success
  kExitFailed = 1,       ///< the command failed (message with the errno on stderr)
  kExitUsage = 2,        ///< bad input: arguments, option values, rules (nothing was done)
  kExitInterrupted = 130, ///< interrupted (SIGINT: the shell's 128 + 2)
};

/// The line after every usage error.
inline constexpr std::string_view kUsageFooter = "Run with --help for more information.";
/// The exit-status table at the end of --help (the man page's EXIT STATUS says the same).
inline constexpr std::string_view kExitStatusHelp =
    "Exit status: 0 success, 1 the command failed, 2 usage error (bad input; nothing was "
    "done), 130 interrupted.";

/// r, or, when r failed with ENOENT (a device node or the control node is missing) and the
/// module is not loaded, check_module()'s error, which says so and how to load it. Every
/// subcommand that needs the driver opens it through this.
template <class T> Result<T> with_module_check(Result<T> r) {
  if (!r && r.error().value() == ENOENT)
    if (auto m = check_module(); !m)
      return m.error();
  return r;
}

/// The device argument as a path: "/dev/uringblk0" and other paths are kept, "uringblk0"
/// becomes "/dev/uringblk0", "0" becomes "/dev/uringblk0".
std::string device_path_from_arg(std::string_view arg);

/// Adds the required operand "device" (/dev/uringblkN, uringblkN or N; an empty one is a usage
/// error naming these forms) to sub, stored in `device`.
void add_device_operand(CLI::App *sub, std::string &device);

/// Where a subcommand's result goes: the text or the JSON on out; a failure as one line on err
/// (and the error object on out with JSON).
struct Reply {
  OutputFormat format;
  std::string subcommand;
  std::string device;
  std::ostream &out;
  std::ostream &err;

  /// Prints the failure; returns kExitFailed.
  int fail(const Error &e) const;
  /// Prints j or text, as the format says; returns kExitOk.
  int emit(const Json &j, const std::string &text) const;
  /// Prints "uringblk-admin: SUBCOMMAND: what" and the --help hint; returns kExitUsage.
  int usage(std::string_view what) const;
};

/// Parse argv, run the subcommand, print to out/err; returns the exit code.
int run(int argc, const char *const *argv, std::ostream &out, std::ostream &err);

} // namespace uringblk::admin
