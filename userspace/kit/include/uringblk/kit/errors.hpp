// SPDX-License-Identifier: MIT
// The error types every uringblk tool uses (uringblk_test, uringblk-bench, tests/vm/tools):
//   Failure    a check or an operation failed   (exit 1, or "FAIL <mode>: ...")
//   UsageError a bad command line or an unusable target (exit 2)
//   Skip       the check does not apply here     ("SKIP <mode>: ...")
// the exit statuses of the tools, and cat(), which builds a message from anything that has
// operator<<.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace uringblk::kit {

/// The exit statuses of uringblk-bench and uringblk_test (the table in their man pages).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;        ///< a check, the set-up or an I/O failed
inline constexpr int kExitUsage = 2;         ///< the command line, or values the device refuses
inline constexpr int kExitInterrupted = 130; ///< SIGINT/SIGTERM (kit/interrupt.hpp)

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Skip : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename... Args> std::string cat(const Args &...args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

template <typename... Args> [[noreturn]] void fail(const Args &...args) {
  throw Failure(cat(args...));
}

} // namespace uringblk::kit
