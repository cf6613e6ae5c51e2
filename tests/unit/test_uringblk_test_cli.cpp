// SPDX-License-Identifier: MIT
// uringblk_test's command line (userspace/test/src/cli.cpp).
#include <catch2/catch.hpp>

#include <cerrno>
#include <optional>
#include <string_view>
#include <vector>

#include "cli.hpp"

using ubt::parse_command_line;
using ubt::UsageError;

namespace {
ubt::Config parse(std::vector<std::string_view> args) { return parse_command_line(args); }
std::vector<std::string> names(const ubt::Config &c) {
  std::vector<std::string> v;
  for (const auto &m : c.modes)
    v.push_back(m.name);
  return v;
}
} // namespace

TEST_CASE("uringblk_test: modes in the order given", "[uringblk_test][cli]") {
  auto c = parse({"-d", "/dev/x", "--sync-tests", "--basic", "--duration=5", "--concurrent", "8",
                  "--seed=42", "-v"});
  CHECK(c.device == "/dev/x");
  CHECK(names(c) == std::vector<std::string>{"sync-tests", "basic", "duration=5 concurrent=8"});
  CHECK(c.opts.seed == 42);
  CHECK(c.seed_given);
  CHECK(c.verbose);
  CHECK_FALSE(c.opts.io_size.has_value());

  auto d = parse({"-d/dev/y", "--io-size=64k"});
  CHECK(d.device == "/dev/y");
  CHECK(names(d) == std::vector<std::string>{"io-size=65536"});
  CHECK(d.opts.io_size == 65536u);

  auto e = parse({"--device=/dev/z", "--basic", "--io-size", "8192", "--seed", "0x10"});
  CHECK(names(e) == std::vector<std::string>{"basic"});
  CHECK(e.opts.io_size == 8192u);
  CHECK(e.opts.seed == 16);
  CHECK_FALSE(e.seed_given == false);

  CHECK(parse({"--help"}).help);
  CHECK(parse({"--version"}).version);
  CHECK(parse({"-d", "x", "--basic", "--corrupt-expected"}).opts.corrupt_expected);
}

TEST_CASE("uringblk_test: bad numbers are usage errors, never wrapped", "[uringblk_test][cli]") {
  for (std::vector<std::string_view> bad : {
           std::vector<std::string_view>{"-d", "x", "--io-size", "17179869184G"},
           {"-d", "x", "--io-size=0"},
           {"-d", "x", "--io-size=-512"},
           {"-d", "x", "--io-size=65m"},
           {"-d", "x", "--duration=18014398509481985k"},
           {"-d", "x", "--duration=5k"},
           {"-d", "x", "--duration=0"},
           {"-d", "x", "--duration=2592001"},
           {"-d", "x", "--basic", "--seed=1k"},
           {"-d", "x", "--basic", "--seed=-1"},
           {"-d", "x", "--duration=1", "--concurrent=0"},
           {"-d", "x", "--duration=1", "--concurrent=257"},
           {"-d", "x", "--basic", "--frob"},
           {"-d", "x", "--basic=1"},
           {"-d", "", "--basic"},
           {"--basic"},
           {"-d", "x"},
           {"-d", "x", "--concurrent=2"},
       }) {
    INFO((bad.size() > 2 ? bad[2] : bad[0]));
    CHECK_THROWS_AS(parse(bad), UsageError);
  }
  CHECK_THROWS_WITH(parse({"-d", "x", "--io-size", "17179869184G"}), Catch::Contains("--io-size"));
  CHECK_THROWS_WITH(parse({"-d", "x", "--duration=5k"}), Catch::Contains("--duration"));
  CHECK_THROWS_WITH(parse({"-d", "x"}), Catch::Contains("no mode"));
}

TEST_CASE("uringblk_test: --io-size against the device", "[uringblk_test][cli]") {
  CHECK_NOTHROW(ubt::check_io_size(4096, 512, 1 << 30, "x"));
  CHECK_THROWS_AS(ubt::check_io_size(1000, 512, 1 << 30, "x"), UsageError);
  CHECK_THROWS_AS(ubt::check_io_size(512, 4096, 1 << 30, "x"), UsageError);
  CHECK_THROWS_AS(ubt::check_io_size(64 << 20, 512, 128 << 20, "x"), UsageError);
}

// Issue 24: a 6.18 loop device answers READ from buffer +1 with 512, not -EINVAL: newer kernels
// take any address that meets queue/dma_alignment.
TEST_CASE("uringblk_test: a misaligned buffer address fails only against dma_alignment",
          "[uringblk_test]") {
  using ubt::misaligned_buffer_res;
  CHECK(misaligned_buffer_res(1, 511, 512) == -EINVAL); // uringblk: 511
  CHECK(misaligned_buffer_res(256, 511, 512) == -EINVAL);
  CHECK(misaligned_buffer_res(512, 511, 512) == 512);
  CHECK(misaligned_buffer_res(1, 0, 512) == 512); // a mask of 0: any address
  CHECK(misaligned_buffer_res(1, 3, 4096) == -EINVAL);
  CHECK(misaligned_buffer_res(4, 3, 4096) == 4096);
  CHECK(misaligned_buffer_res(1, std::nullopt, 512) == -EINVAL); // no attribute: as before
  CHECK(misaligned_buffer_res(512, std::nullopt, 512) == 512);
}

// A 6.18 host's loop device reports dma_alignment 511 and still reads from buffer +1: the
// kernel may take it whole (then the data is checked), never in part or with another errno.
TEST_CASE("uringblk_test: a misaligned buffer may be taken whole, never in part",
          "[uringblk_test]") {
  using ubt::misaligned_buffer_accept;
  CHECK(misaligned_buffer_accept(-EINVAL, -EINVAL, 512) == -EINVAL);
  CHECK(misaligned_buffer_accept(-EINVAL, 512, 512) == 512);
  CHECK(misaligned_buffer_accept(-EINVAL, 0, 512) == -EINVAL);   // short: wrong
  CHECK(misaligned_buffer_accept(-EINVAL, 256, 512) == -EINVAL); // part: wrong
  CHECK(misaligned_buffer_accept(-EINVAL, -EIO, 512) == -EINVAL);
  CHECK(misaligned_buffer_accept(512, -EINVAL, 512) == 512);     // aligned enough: must work
}
