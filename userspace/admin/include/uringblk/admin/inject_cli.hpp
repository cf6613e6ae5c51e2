// SPDX-License-Identifier: MIT
// "uringblk-admin inject add|list|clear DEVICE ...": error-injection rules through sysfs
// (docs/error-injection.md). Kept apart from cli.cpp, which only creates it and runs it.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <uringblk/admin/format.hpp>

namespace CLI {
class App;
}

namespace uringblk::admin {

class InjectCommand {
public:
  /// Adds "inject" and its subcommands to app; add_common adds -o and --transport to each.
  InjectCommand(CLI::App &app, const std::function<void(CLI::App *)> &add_common);

  /// True once app.parse() has selected "inject".
  bool parsed() const;
  /// Runs the selected subcommand; returns the exit code.
  int run(OutputFormat format, std::ostream &out, std::ostream &err) const;

private:
  CLI::App *inject_;
  CLI::App *add_;
  CLI::App *list_;
  CLI::App *clear_;
  std::string device_;
  std::vector<std::string> rules_;
};

} // namespace uringblk::admin
