// SPDX-License-Identifier: MIT
// uringblk-bench JSON (docs/bench-json.md) and human reports.
#include <catch2/catch.hpp>

#include "bench_options.hpp"
#include "bench_report.hpp"

#include <string_view>
#include <vector>

using namespace uringblk::bench;

namespace {

Options parse(std::vector<std::string_view> v) { return parse_options(v); }

PointResult sample(std::uint32_t qd, std::uint32_t threads) {
  PointResult r;
  r.qd = qd;
  r.threads = threads;
  r.ios = 1000;
  r.bytes = 1000 * 4096;
  r.elapsed_s = 0.5;
  r.user_s = 0.001;
  r.sys_s = 0.003;
  for (int i = 1; i <= 1000; ++i)
    r.lat.record(static_cast<std::uint64_t>(i) * 1000); // 1..1000 us
  return r;
}

} // namespace

TEST_CASE("bench report: JSON schema 1", "[bench]") {
  auto o = parse(
      {"iops", "-d", "/dev/uringblk0", "--poll", "--fixed-buffers", "--fixed-files", "-o", "json"});
  std::vector<PointResult> res{sample(32, 1)};
  auto j = report_json(RunInfo{o, 1u << 30}, res);

  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it)
    keys.push_back(it.key());
  CHECK(keys ==
        std::vector<std::string>{"version", "tool", "schema", "mode", "device", "settings",
                                 "results"});
  CHECK(j["tool"] == "uringblk-bench");
  CHECK(j["schema"] == 1);
  CHECK(j["mode"] == "iops");
  CHECK(j["device"] == "/dev/uringblk0");
  const auto &s = j["settings"];
  for (const char *k :
       {"rw", "bs", "qd", "threads", "time_s", "count", "ramp_s", "size", "offset", "poll",
        "fixed_buffers", "fixed_files", "sqpoll", "batch_submit", "batch_complete", "seed"})
    CHECK(s.contains(k));
  CHECK_FALSE(s.contains("depths"));
  CHECK(s["rw"] == "randread");
  CHECK(s["bs"] == 4096);
  CHECK(s["qd"] == 32);
  CHECK(s["size"] == 1u << 30);
  CHECK(s["poll"] == true);
  CHECK(s["sqpoll"] == false);
  CHECK(s["batch_submit"] == 32);
  CHECK(s["batch_complete"] == 32);
  CHECK(s["seed"] == 1);

  REQUIRE(j["results"].size() == 1);
  const auto &r = j["results"][0];
  CHECK(r["qd"] == 32);
  CHECK(r["threads"] == 1);
  CHECK(r["ios"] == 1000);
  CHECK(r["elapsed_s"].get<double>() == 0.5);
  CHECK(r["iops"].get<double>() == Approx(2000));
  CHECK(r["bw_mib_s"].get<double>() == Approx(2000.0 * 4096 / 1048576));
  const auto &l = r["lat_us"];
  CHECK(l["min"].get<double>() == Approx(1));
  CHECK(l["mean"].get<double>() == Approx(500.5));
  CHECK(l["p50"].get<double>() == Approx(500).epsilon(0.016));
  CHECK(l["p90"].get<double>() == Approx(900).epsilon(0.016));
  CHECK(l["p99"].get<double>() == Approx(990).epsilon(0.016));
  CHECK(l["p99_9"].get<double>() == Approx(999).epsilon(0.016));
  CHECK(l["max"].get<double>() == Approx(1000));
  CHECK(r["cpu"]["user_s"].get<double>() == Approx(0.001));
  CHECK(r["cpu"]["sys_s"].get<double>() == Approx(0.003));
  CHECK(r["cpu"]["us_per_io"].get<double>() == Approx(4.0));

  // round trip through text
  auto again = nlohmann::json::parse(j.dump());
  CHECK(again["results"][0]["lat_us"]["p99_9"] == j["results"][0]["lat_us"]["p99_9"]);
}

TEST_CASE("bench report: scaling has one result per point and the sweep lists", "[bench]") {
  auto o =
      parse({"scaling", "-d", "f", "--depths", "1,4", "--thread-list", "1,2", "--count", "100"});
  std::vector<PointResult> res{sample(1, 1), sample(4, 1), sample(32, 1), sample(32, 2)};
  auto j = report_json(RunInfo{o, 4096 * 100}, res);
  CHECK(j["mode"] == "scaling");
  CHECK(j["settings"]["depths"] == nlohmann::json::array({1, 4}));
  CHECK(j["settings"]["thread_list"] == nlohmann::json::array({1, 2}));
  CHECK(j["settings"]["count"] == 100);
  CHECK(j["settings"]["time_s"] == 0);
  REQUIRE(j["results"].size() == 4);
  CHECK(j["results"][1]["qd"] == 4);
  CHECK(j["results"][3]["threads"] == 2);
}

TEST_CASE("bench report: empty result and human table", "[bench]") {
  PointResult empty;
  CHECK(empty.iops() == 0);
  CHECK(empty.bw_mib_s() == 0);
  CHECK(empty.cpu_us_per_io() == 0);
  auto je = result_json(empty);
  CHECK(je["lat_us"]["p50"] == 0.0);

  auto o = parse({"latency", "-d", "/dev/ram0", "--sqpoll"});
  std::vector<PointResult> res{sample(1, 1)};
  auto text = report_human(RunInfo{o, 256u << 20}, res);
  CHECK(text.find("uringblk-bench latency /dev/ram0") != std::string::npos);
  CHECK(text.find("rw=randread bs=4096 qd=1 threads=1") != std::string::npos);
  CHECK(text.find("region=256 MiB@0") != std::string::npos);
  CHECK(text.find("sqpoll") != std::string::npos);
  CHECK(text.find("IOPS") != std::string::npos);
  CHECK(text.find("p99.9 us") != std::string::npos);
  CHECK(text.find("2000") != std::string::npos);
}
