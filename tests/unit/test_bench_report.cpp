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
  CHECK(keys == std::vector<std::string>{"version", "tool", "schema", "mode", "device",
                                         "interrupted", "settings", "results"});
  CHECK(j["interrupted"] == false);
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
  CHECK(r["interrupted"] == false);

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

// Issue 24: --batch-submit 64 --qd 32 printed "batch-submit=64" in the text but ran (and wrote
// in the JSON) 32. The text line is now rendered from the JSON settings.
TEST_CASE("bench report: the text settings line shows the values the JSON shows", "[bench]") {
  auto o = parse({"iops", "-d", "f", "--batch-submit", "64", "--qd", "32", "--batch-complete", "8",
                  "--ramp", "0.5", "--fixed-files"});
  const RunInfo run{o, 256u << 20};
  const auto s = report_json(run, std::vector<PointResult>{sample(32, 1)})["settings"];
  CHECK(s["batch_submit"] == 32);
  CHECK(s["batch_complete"] == 8);
  const std::string line = settings_line(run);
  CAPTURE(line);
  CHECK(line.find("batch-submit=64") == std::string::npos);
  CHECK(line.find("batch-submit") == std::string::npos); // the effective 32 is the qd: default
  CHECK(line.find("batch-complete=8") != std::string::npos);
  CHECK(line.find("qd=32") != std::string::npos);
  CHECK(line.find("ramp=0.5s") != std::string::npos);
  CHECK(line.find("fixed-files") != std::string::npos);
  CHECK(line.find("poll") == std::string::npos);
  // ... and the clamp is said on stderr.
  REQUIRE(o.warnings.size() == 1);
  CHECK(o.warnings[0] == "--batch-submit 64 is above the queue depth 32: using 32");

  // Every setting of the JSON has its word in the line (flags only when true, count only when
  // it bounds the run).
  auto all = parse({"scaling", "-d", "f", "--count", "100", "--batch-submit", "4", "--poll",
                    "--fixed-buffers", "--fixed-files", "--sqpoll", "--offset", "4096", "--depths",
                    "1,8", "--thread-list", "2"});
  const std::string full = settings_line(RunInfo{all, 1u << 30});
  CAPTURE(full);
  for (const char *w : {"rw=randread", "bs=4096", "qd=32", "threads=1", "count=100",
                        "region=1 GiB@4096", "poll", "fixed-buffers", "fixed-files", "sqpoll",
                        "batch-submit=4", "seed=1", "depths=1,8", "thread-list=2"})
    CHECK(full.find(w) != std::string::npos);
  CHECK(full.find("time=") == std::string::npos);
  CHECK(all.warnings ==
        std::vector<std::string>{"--batch-submit 4 is above the queue depth of the points at 1: "
                                 "each of them uses its queue depth"});
}

TEST_CASE("bench report: an interrupted run says so in JSON and text", "[bench]") {
  auto o = parse({"scaling", "-d", "f", "--depths", "1,4,16"});
  std::vector<PointResult> res{sample(1, 1), sample(4, 1)};
  res.back().interrupted = true;
  const RunInfo run{o, 1u << 30, "SIGINT"};
  const auto j = report_json(run, res);
  CHECK(j["interrupted"] == true);
  REQUIRE(j["results"].size() == 2);
  CHECK(j["results"][0]["interrupted"] == false);
  CHECK(j["results"][1]["interrupted"] == true);
  const std::string text = report_human(run, res);
  CHECK(text.find("interrupted by SIGINT: the last point ran short; the rest of the sweep did "
                  "not run") != std::string::npos);
  CHECK(report_human(RunInfo{o, 1u << 30}, res).find("interrupted") == std::string::npos);
}
