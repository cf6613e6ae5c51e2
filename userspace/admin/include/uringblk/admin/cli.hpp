// SPDX-License-Identifier: MIT
// Argument handling of uringblk-admin (main.cpp only calls run()).
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

namespace uringblk::admin {

enum ExitCode : int {
  kExitOk = 0,     ///< success
  kExitFailed = 1, ///< the command failed (message with the errno on stderr)
  kExitUsage = 2,  ///< bad arguments
};

/// The device argument as a path: "/dev/uringblk0" and other paths are kept, "uringblk0"
/// becomes "/dev/uringblk0", "0" becomes "/dev/uringblk0".
std::string device_path_from_arg(std::string_view arg);

/// Parse argv, run the subcommand, print to out/err; returns the exit code.
int run(int argc, const char *const *argv, std::ostream &out, std::ostream &err);

} // namespace uringblk::admin
