// SPDX-License-Identifier: MIT
// userspace/kit: checked number parsing, the pattern, and the VM tools' use of it.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include <uringblk/kit/errors.hpp>
#include <uringblk/kit/interrupt.hpp>
#include <uringblk/kit/parse.hpp>
#include <uringblk/kit/pattern.hpp>

#include "../vm/tools/tool_common.hpp"

using namespace uringblk::kit;

TEST_CASE("kit::parse_uint: decimal only, no sign, no overflow", "[kit]") {
  CHECK(parse_uint("0", "n") == 0);
  CHECK(parse_uint("010", "n") == 10); // not octal
  CHECK(parse_uint("18446744073709551615", "n") == kU64Max);
  CHECK(parse_uint("0x10", "n", kU64Max, true) == 16);
  CHECK_THROWS_AS(parse_uint("0x10", "n"), UsageError);
  for (const char *bad : {"", "-1", "+1", " 1", "1 ", "1k", "18446744073709551616", "abc"})
    CHECK_THROWS_AS(parse_uint(bad, "n"), UsageError);
  CHECK_THROWS_WITH(parse_uint("300", "--qd", 255), Catch::Contains("--qd"));
}

TEST_CASE("kit::parse_size: suffixes, and no value that wraps", "[kit]") {
  CHECK(parse_size("4096", "s") == 4096);
  CHECK(parse_size("4k", "s") == 4096);
  CHECK(parse_size("1M", "s") == 1048576);
  CHECK(parse_size("2g", "s") == 2147483648ull);
  CHECK(parse_size("1t", "s") == 1ull << 40);
  CHECK(parse_size("0x1000", "s") == 4096);
  CHECK(parse_size("010", "s") == 10);
  for (const char *bad :
       {"", "k", "-1", "-1k", "4q", "17179869184G", "16777216T", "18446744073709551616", "4 k"})
    CHECK_THROWS_AS(parse_size(bad, "s"), UsageError);
  CHECK_THROWS_AS(parse_size("65m", "s", 64ull << 20), UsageError);
  CHECK(parse_size("64m", "s", 64ull << 20) == 64ull << 20);
}

TEST_CASE("kit::parse_seconds: finite, non-negative, bounded", "[kit]") {
  CHECK(parse_seconds("0.5", "t", 10) == 0.5);
  CHECK(parse_seconds("1e1", "t", 10) == 10);
  for (const char *bad : {"", "-1", "1s", "nan", "inf", "1e99", "11", "1e400"})
    CHECK_THROWS_AS(parse_seconds(bad, "t", 10), UsageError);
  CHECK(seconds_to_ns(1.5) == 1'500'000'000ull);
  CHECK(seconds_to_ns(0) == 0);
  CHECK(seconds_to_ns(1e99) == kU64Max);
}

TEST_CASE("kit::cli validators check and convert", "[kit]") {
  CLI::App app;
  std::uint64_t size = 0;
  unsigned n = 0;
  double t = 0;
  app.add_option("--size", size)->transform(cli::size(1, 1ull << 30));
  app.add_option("--n", n)->transform(cli::uint(1, 256));
  app.add_option("--t", t)->check(cli::seconds(0, 60));
  app.parse("--size 64k --n 010 --t 1.5", false);
  CHECK(size == 65536);
  CHECK(n == 10);
  CHECK(t == 1.5);
  for (const char *bad : {"--size 2g", "--size 0", "--size 17179869184G", "--n 257", "--n 4k",
                          "--n -1", "--t 1e99", "--t -1"}) {
    INFO(bad);
    CLI::App a;
    a.add_option("--size", size)->transform(cli::size(1, 1ull << 30));
    a.add_option("--n", n)->transform(cli::uint(1, 256));
    a.add_option("--t", t)->check(cli::seconds(0, 60));
    CHECK_THROWS_AS(a.parse(bad, false), CLI::ValidationError);
  }
}

TEST_CASE("kit::cli::parse names extra arguments in the order given", "[kit]") {
  auto extras = [](std::vector<std::string_view> args) {
    CLI::App app;
    std::string mode;
    app.add_option("mode", mode);
    app.add_flag("-v");
    try {
      cli::parse(app, args);
    } catch (const UsageError &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(extras({"iops", "a", "-v", "b", "c"}) == "unexpected arguments: a b c");
  CHECK(extras({"iops", "x"}) == "unexpected argument: x");
  CHECK(extras({"iops"}) == "no error");
}

namespace {
// Runs body in a child process; its wait status.
template <class F> int in_child(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}
} // namespace

TEST_CASE("kit interrupt: the first SIGINT/SIGTERM sets the flag, a later second one kills",
          "[kit]") {
  // A child each: the handlers and the flag are process-wide.
  int st = in_child([] {
    catch_interrupts();
    if (interrupted() || interrupt_name() != "")
      ::_exit(10);
    ::raise(SIGINT);
    if (!interrupted() || interrupt_signal() != SIGINT || interrupt_name() != "SIGINT")
      ::_exit(11);
    try {
      throw_if_interrupted();
      ::_exit(12);
    } catch (const Interrupted &e) {
      if (std::string_view(e.what()) != "interrupted by SIGINT")
        ::_exit(13);
    }
    ::raise(SIGTERM); // at once: the same interruption (timeout(1) sends it twice)
    if (interrupt_signal() != SIGINT)
      ::_exit(14);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::raise(SIGINT); // a second Ctrl-C: the default action
    ::_exit(15);
  });
  CHECK(WIFSIGNALED(st));
  CHECK((WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st)) == SIGINT);

  st = in_child([] {
    catch_interrupts();
    ::raise(SIGTERM);
    ::_exit(interrupt_name() == "SIGTERM" ? 0 : 20);
  });
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);

  // Ignored by the parent (a background job): SIGINT stays ignored.
  st = in_child([] {
    ::signal(SIGINT, SIG_IGN);
    catch_interrupts();
    ::raise(SIGINT);
    ::_exit(interrupted() ? 30 : 0);
  });
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(kExitInterrupted == 130);
  CHECK(kExitUsage == 2);
}

TEST_CASE("kit pattern: offset-keyed, sub-ranges agree, mismatches found", "[kit]") {
  std::vector<std::byte> whole(4096), part(100);
  pattern_fill(whole, 1000, 7);
  pattern_fill(part, 1000 + 13, 7);
  CHECK(std::equal(part.begin(), part.end(), whole.begin() + 13));
  CHECK_FALSE(pattern_mismatch(whole, 1000, 7).has_value());
  CHECK(pattern_mismatch(whole, 1000, 8).has_value());
  whole[300] ^= std::byte{1};
  CHECK(pattern_mismatch(whole, 1000, 7) == 300u);
  std::uint64_t s = 0;
  const std::uint64_t first = splitmix64(s);
  CHECK(first == mix64(0));
  CHECK(splitmix64(s) == mix64(kGolden));
}

TEST_CASE("VM tools' parse_size: no negative, no octal", "[kit][vm-tools]") {
  CHECK(vmtool::parse_size("010", "N") == 10);
  CHECK(vmtool::parse_size("0x10", "N") == 16);
  CHECK(vmtool::parse_size("64K", "N") == 65536);
  CHECK_THROWS(vmtool::parse_size("-1", "N"));
  CHECK_THROWS(vmtool::parse_size("17179869184G", "N"));
}
