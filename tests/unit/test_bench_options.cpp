// SPDX-License-Identifier: MIT
// uringblk-bench command line: mode defaults, validation, sweep planning.
#include <catch2/catch.hpp>

#include "bench_options.hpp"

#include <initializer_list>
#include <string_view>
#include <vector>

using namespace uringblk::bench;

namespace {

Options parse(std::initializer_list<std::string_view> a) {
  std::vector<std::string_view> v(a);
  return parse_options(v);
}

} // namespace

TEST_CASE("bench options: sizes and lists", "[bench]") {
  CHECK(parse_size("4096", "x") == 4096);
  CHECK(parse_size("4k", "x") == 4096);
  CHECK(parse_size("64K", "x") == 65536);
  CHECK(parse_size("1m", "x") == 1u << 20);
  CHECK(parse_size("2G", "x") == 2ull << 30);
  CHECK_THROWS_AS(parse_size("", "x"), UsageError);
  CHECK_THROWS_AS(parse_size("k", "x"), UsageError);
  CHECK_THROWS_AS(parse_size("4q", "x"), UsageError);
  CHECK_THROWS_AS(parse_size("-1", "x"), UsageError);
  CHECK_THROWS_AS(parse_size("99999999999999T", "x"), UsageError);
  CHECK(parse_seconds("0.5", "t") == 0.5);
  CHECK(parse_seconds("5", "t") == 5.0);
  CHECK_THROWS_AS(parse_seconds("-1", "t"), UsageError);
  CHECK_THROWS_AS(parse_seconds("1s", "t"), UsageError);
  CHECK(parse_list("1,4,16", "l", 1, 64) == std::vector<std::uint32_t>{1, 4, 16});
  CHECK_THROWS_AS(parse_list("1,,4", "l", 1, 64), UsageError);
  CHECK_THROWS_AS(parse_list("0", "l", 1, 64), UsageError);
  CHECK_THROWS_AS(parse_list("65", "l", 1, 64), UsageError);
}

TEST_CASE("bench options: mode defaults", "[bench]") {
  auto lat = parse({"latency", "-d", "/dev/x"});
  CHECK(lat.mode == Mode::latency);
  CHECK(lat.rw == Rw::randread);
  CHECK(lat.bs == 4096);
  CHECK(lat.qd == 1);
  CHECK(lat.time_s == 5.0);
  CHECK(lat.count == 0);
  CHECK(lat.seed == 1);
  CHECK(lat.output == Output::human);

  auto iops = parse({"iops", "--device", "/dev/x"});
  CHECK(iops.rw == Rw::randread);
  CHECK(iops.bs == 4096);
  CHECK(iops.qd == 32);
  CHECK(iops.batch_submit_for(iops.qd) == 32);
  CHECK(iops.batch_complete_for(iops.qd) == 32);

  auto bw = parse({"bandwidth", "-d", "/dev/x"});
  CHECK(bw.rw == Rw::read);
  CHECK(bw.bs == 65536);
  CHECK(bw.qd == 16);

  auto sc = parse({"scaling", "-d", "/dev/x"});
  CHECK(sc.rw == Rw::randread);
  CHECK(sc.depths == std::vector<std::uint32_t>{1, 4, 16, 64, 256, 1024});
  CHECK(sc.thread_list == std::vector<std::uint32_t>{1, 2, 4});
}

TEST_CASE("bench options: latency forces QD1 with a warning", "[bench]") {
  auto o = parse({"latency", "-d", "/dev/x", "--qd", "8"});
  CHECK(o.qd == 1);
  CHECK(o.warnings.size() == 1);
  CHECK(parse({"latency", "-d", "/dev/x", "--qd", "1"}).warnings.empty());
}

TEST_CASE("bench options: every option", "[bench]") {
  auto o = parse({"-d",
                  "/dev/uringblk0",
                  "iops",
                  "--rw",
                  "randwrite",
                  "--bs=8k",
                  "--qd",
                  "64",
                  "--threads",
                  "4",
                  "--ramp",
                  "0.5",
                  "--size",
                  "1g",
                  "--offset",
                  "1m",
                  "--poll",
                  "--fixed-buffers",
                  "--fixed-files",
                  "--sqpoll",
                  "--batch-submit",
                  "8",
                  "--batch-complete",
                  "128",
                  "--seed",
                  "7",
                  "-o",
                  "json",
                  "--no-progress",
                  "--time",
                  "2.5"});
  CHECK(o.mode == Mode::iops);
  CHECK(o.device == "/dev/uringblk0");
  CHECK(o.rw == Rw::randwrite);
  CHECK(is_write(o.rw));
  CHECK(is_random(o.rw));
  CHECK(o.bs == 8192);
  CHECK(o.qd == 64);
  CHECK(o.threads == 4);
  CHECK(o.ramp_s == 0.5);
  CHECK(o.time_s == 2.5);
  REQUIRE(o.size);
  CHECK(*o.size == 1ull << 30);
  CHECK(o.offset == 1u << 20);
  CHECK(o.poll);
  CHECK(o.fixed_buffers);
  CHECK(o.fixed_files);
  CHECK(o.sqpoll);
  CHECK(o.batch_submit_for(o.qd) == 8);
  CHECK(o.batch_complete_for(o.qd) == 64); // capped at the queue depth
  CHECK(o.seed == 7);
  CHECK(o.output == Output::json);
  CHECK_FALSE(o.progress);
  CHECK_FALSE(o.quiet);

  auto c = parse({"bandwidth", "-d", "f", "--count", "10k", "-q"});
  CHECK(c.count == 10240);
  CHECK(c.time_s == 0);
  CHECK(c.quiet);
  CHECK_FALSE(c.progress);
  CHECK(parse({"--help"}).help);
}

TEST_CASE("bench options: usage errors", "[bench]") {
  using L = std::initializer_list<std::string_view>;
  for (L bad : {
           L{},                                                 // no mode
           L{"iops"},                                           // no device
           L{"fio", "-d", "x"},                                 // bad mode
           L{"iops", "-d", "x", "extra"},                       // stray argument
           L{"iops", "-d"},                                     // missing value
           L{"iops", "-d", "x", "--bogus"},                     // unknown option
           L{"iops", "-d", "x", "--rw", "trim"},                // bad rw
           L{"iops", "-d", "x", "--bs", "1000"},                // not a multiple of 512
           L{"iops", "-d", "x", "--bs", "0"},                   // zero
           L{"iops", "-d", "x", "--bs", "32m"},                 // too large
           L{"iops", "-d", "x", "--qd", "0"},                   // qd range
           L{"iops", "-d", "x", "--qd", "4097"},                // qd range
           L{"iops", "-d", "x", "--threads", "65"},             // threads range
           L{"iops", "-d", "x", "--time", "0"},                 // zero time
           L{"iops", "-d", "x", "--time", "1", "--count", "5"}, // exclusive
           L{"iops", "-d", "x", "--count", "0"},                // zero count
           L{"iops", "-d", "x", "--offset", "100"},             // misaligned offset
           L{"iops", "-d", "x", "--size", "512"},               // smaller than bs
           L{"iops", "-d", "x", "-o", "xml"},                   // bad output
           L{"iops", "-d", "x", "--poll=1"},                    // flag with value
           L{"iops", "-d", "x", "--depths", "1,2"},             // scaling only
           L{"iops", "-d", "x", "--batch-submit", "0"},         // batch range
           L{"scaling", "-d", "x", "--depths", ""},             // empty list (issue 24)
           L{"scaling", "-d", "x", "--thread-list", ""},        // empty list
           L{"scaling", "-d", "x", "--depths", "1,"},           // empty entry
           L{"scaling", "-d", "x", "--depths", ",4"},           // empty entry
       }) {
    std::vector<std::string_view> v(bad);
    CAPTURE(v);
    CHECK_THROWS_AS(parse_options(v), UsageError);
  }
}

TEST_CASE("bench options: sweep plan", "[bench]") {
  CHECK(plan_points(parse({"iops", "-d", "x", "--qd", "8", "--threads", "2"}), 4) ==
        std::vector<Point>{{8, 2}});
  auto sc = parse({"scaling", "-d", "x", "--depths", "1,16", "--thread-list", "1,2,4,8",
                   "--threads", "2", "--qd", "64"});
  CHECK(plan_points(sc, 4) == std::vector<Point>{{1, 2}, {16, 2}, {64, 1}, {64, 2}, {64, 4}});
  CHECK(plan_points(sc, 2) == std::vector<Point>{{1, 2}, {16, 2}, {64, 1}, {64, 2}});
  auto big = parse({"scaling", "-d", "x", "--depths", "4", "--thread-list", "8"});
  CHECK(plan_points(big, 2) == std::vector<Point>{{4, 1}, {32, 1}});
  CHECK(sc.batch_submit_for(16) == 16);
}

TEST_CASE("bench options: an empty list is a usage error, not the default", "[bench]") {
  std::vector<std::string_view> v{"scaling", "-d", "x", "--depths", ""};
  CHECK_THROWS_WITH(parse_options(v), Catch::Contains("--depths: empty list"));
  v = {"scaling", "-d", "x", "--thread-list", ""};
  CHECK_THROWS_WITH(parse_options(v), Catch::Contains("--thread-list: empty list"));
  v = {"scaling", "-d", "x", "--depths="}; // CLI11: a missing value
  CHECK_THROWS_AS(parse_options(v), UsageError);
}

TEST_CASE("bench options: extra arguments are named in the order given", "[bench]") {
  std::vector<std::string_view> v{"iops", "-d", "x", "a", "b", "c"};
  CHECK_THROWS_WITH(parse_options(v), "unexpected arguments: a b c");
  v = {"iops", "extra", "-d", "x"};
  CHECK_THROWS_WITH(parse_options(v), "unexpected argument: extra");
}

TEST_CASE("bench options: the skipped thread counts are named as the user gave them", "[bench]") {
  // The default list: no --thread-list to name.
  auto dflt = parse({"scaling", "-d", "x"});
  CHECK(plan_warnings(dflt, 2) ==
        std::vector<std::string>{
            "scaling: skipping 4 of the default thread list 1,2,4 (above the 2 online CPUs)"});
  CHECK(plan_warnings(dflt, 4).empty());
  auto given = parse({"scaling", "-d", "x", "--thread-list", "1,8,16"});
  CHECK(plan_warnings(given, 4) ==
        std::vector<std::string>{
            "scaling: skipping 8,16 of --thread-list 1,8,16 (above the 4 online CPUs)"});
  CHECK(plan_warnings(parse({"iops", "-d", "x", "--threads", "64"}), 1).empty());
}
