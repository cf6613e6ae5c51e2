// SPDX-License-Identifier: MIT
#include <uringblk/kit/interrupt.hpp>

#include <signal.h>
#include <time.h>

#include <atomic>
#include <cstdint>

namespace uringblk::kit {

namespace {

std::atomic<int> g_signal{0};
std::atomic<std::int64_t> g_first_ns{0}; // CLOCK_MONOTONIC of the first signal
static_assert(std::atomic<int>::is_always_lock_free &&
                  std::atomic<std::int64_t>::is_always_lock_free,
              "set from a signal handler");

// Signals this close to the first are the same interruption delivered twice: timeout(1) sends
// its signal to the child and then to its process group.
constexpr std::int64_t kSameInterruptionNs = 200'000'000;

constexpr int kSignals[] = {SIGINT, SIGTERM};

extern "C" void on_interrupt(int sig) {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts); // async-signal-safe
  const std::int64_t now = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  std::int64_t first = 0;
  if (g_first_ns.compare_exchange_strong(first, now))
    first = now;
  int none = 0;
  g_signal.compare_exchange_strong(none, sig); // the first signal names the interruption
  if (now - first < kSameInterruptionNs)
    return;
  // A second Ctrl-C: the default action, at once (delivered when this handler returns).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(sig, &dfl, nullptr);
  ::raise(sig);
}

} // namespace

void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; // no SA_RESTART: a blocking wait returns EINTR and looks at the flag
  for (int s : kSignals) {
    struct sigaction old {};
    if (s == SIGINT && ::sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
      continue; // ignored by whoever started us (nohup, a background job): keep it so
    ::sigaction(s, &sa, nullptr);
  }
}

int interrupt_signal() noexcept { return g_signal.load(std::memory_order_relaxed); }

std::string interrupt_name() {
  switch (const int sig = interrupt_signal()) {
  case 0:
    return "";
  case SIGINT:
    return "SIGINT";
  case SIGTERM:
    return "SIGTERM";
  default:
    return "signal " + std::to_string(sig);
  }
}

Interrupted::Interrupted() : std::runtime_error("interrupted by " + interrupt_name()) {}

void throw_if_interrupted() {
  if (interrupted())
    throw Interrupted();
}

} // namespace uringblk::kit
