// SPDX-License-Identifier: MIT
// Ctrl-C for every uringblk tool, as fio does it: the first SIGINT or SIGTERM only sets a flag
// (the tool stops at its next completion, prints what finished and exits kExitInterrupted); a
// second one, 200 ms or more later, ends the process at once (the default action). A signal
// sooner than that is the same one again: timeout(1) signals the child and its process group.
#pragma once

#include <stdexcept>
#include <string>

namespace uringblk::kit {

/// Catch SIGINT and SIGTERM from now on (call once, in main, after the command line is
/// parsed). A SIGINT that is ignored when this is called (a background job of a script, nohup)
/// stays ignored.
void catch_interrupts();

/// The signal that interrupted the run (SIGINT or SIGTERM), 0 while there was none.
/// Async-signal-safe and cheap: an I/O loop may ask at every completion.
int interrupt_signal() noexcept;
inline bool interrupted() noexcept { return interrupt_signal() != 0; }

/// "SIGINT", "SIGTERM" (the signal that interrupted the run), "" when there was none.
std::string interrupt_name();

/// Thrown by a check point when the run was interrupted: the current mode/point stops.
struct Interrupted : std::runtime_error {
  Interrupted();
};

/// Throws Interrupted once interrupted() is true.
void throw_if_interrupted();

} // namespace uringblk::kit
