// SPDX-License-Identifier: MIT
// uringblk-admin metrics: the Prometheus text exposition, checked with the strict parser in
// prom_text.hpp (which is itself tested here against malformed documents), the atomic
// textfile writer, and the subcommand's argument handling.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include <uringblk/admin/cli.hpp>
#include <uringblk/admin/metrics.hpp>

#include "prom_text.hpp"
#include "test_helpers.hpp"

namespace fs = std::filesystem;
using namespace uringblk;
using namespace uringblk::admin;

namespace {

struct TempDir : test_helpers::TempDir {
  TempDir() : test_helpers::TempDir("uringblk-metrics") {}
};
using test_helpers::slurp;

DeviceMetrics sample_device(unsigned n) {
  DeviceMetrics m;
  m.info.name = "uringblk" + std::to_string(n);
  m.info.path = "/dev/" + m.info.name;
  m.info.dev_id = n;
  m.info.capacity_bytes = 1073741824ull * (n + 1);
  m.info.model = "uringblk virtual RAM disk";
  m.info.serial = "UBK0000000" + std::to_string(n);
  m.info.firmware = "1.0";
  m.stats.read_ops = 1000 + n;
  m.stats.write_ops = 2000 + n;
  m.stats.flush_ops = 3;
  m.stats.discard_ops = 4;
  m.stats.read_sectors = 8000;
  m.stats.write_sectors = 16000;
  m.stats.read_bytes = 8000 * 512;
  m.stats.write_bytes = 16000 * 512;
  m.stats.queue_full_events = 5;
  m.stats.media_errors = 6;
  m.stats.retries = 7;
  m.stats.p50_read_latency_us = 12;
  m.stats.p99_read_latency_us = 1500000;
  m.stats.p50_write_latency_us = 0; // no samples
  m.stats.p99_write_latency_us = 0;
  m.write_zeroes_ops = 8;
  m.polled_completions = 9;
  m.mem_used_bytes = 4096 * (n + 1);
  return m;
}

prom_text::Labels dev(const std::string &name) { return {{"device", name}}; }

} // namespace

// ---- the parser rejects what the format (and our policy) forbids ------------------------

TEST_CASE("prom_text parser: accepts a valid exposition", "[admin][metrics][parser]") {
  const std::string ok = "# HELP a_total A \\\\ counter\\nwith two lines.\n"
                         "# TYPE a_total counter\n"
                         "a_total{x=\"q\\\"uote\\\\back\\nnl\",y=\"\"} 1.5e3\n"
                         "a_total{x=\"other\"} 0\n"
                         "\n"
                         "# some comment\n"
                         "# HELP g A gauge.\n"
                         "# TYPE g gauge\n"
                         "g -Inf\n"
                         "# HELP s A summary.\n"
                         "# TYPE s summary\n"
                         "s{quantile=\"0.5\"} NaN\n"
                         "s_sum 3\n"
                         "s_count 2\n"
                         "# HELP h A histogram.\n"
                         "# TYPE h histogram\n"
                         "h_bucket{le=\"1\"} 1\n"
                         "h_bucket{le=\"+Inf\"} 2\n"
                         "h_sum 3\n"
                         "h_count 2\n";
  const auto ex = prom_text::parse(ok);
  REQUIRE(ex.families.size() == 4);
  CHECK(ex.families[0].help == "A \\ counter\nwith two lines.");
  CHECK(ex.value("a_total", {{"x", "q\"uote\\back\nnl"}}) == 1500.0);
  CHECK(std::isinf(ex.value("g")));
  CHECK(std::isnan(ex.value("s")));
  CHECK(ex.find("s")->samples.size() == 3);
  CHECK(ex.value("h_count") == 2);
}

TEST_CASE("prom_text parser: rejects malformed expositions", "[admin][metrics][parser]") {
  const std::string head = "# HELP m_total M.\n# TYPE m_total counter\n";
  const std::vector<std::pair<std::string, std::string>> bad{
      {"no final newline", head + "m_total 1"},
      {"bad metric name", "# HELP 1m M.\n"},
      {"bad sample name", head + "m-total 1\n"},
      {"sample before TYPE", "# HELP m_total M.\nm_total 1\n# TYPE m_total counter\n"},
      {"sample without HELP/TYPE", "m_total 1\n"},
      {"second TYPE", head + "# TYPE m_total counter\n"},
      {"second HELP", head + "# HELP m_total again\n"},
      {"bad type", "# HELP m M.\n# TYPE m meter\n"},
      {"counter not ending in _total", "# HELP m M.\n# TYPE m counter\nm 1\n"},
      {"negative counter", head + "m_total -1\n"},
      {"NaN counter", head + "m_total NaN\n"},
      {"duplicate series", head + "m_total{a=\"1\"} 1\nm_total{a=\"1\"} 2\n"},
      {"duplicate series, labels reordered",
       head + "m_total{a=\"1\",b=\"2\"} 1\nm_total{b=\"2\",a=\"1\"} 2\n"},
      {"label twice", head + "m_total{a=\"1\",a=\"2\"} 1\n"},
      {"bad label name", head + "m_total{1a=\"1\"} 1\n"},
      {"reserved label name", head + "m_total{__name__=\"x\"} 1\n"},
      {"unquoted label value", head + "m_total{a=1} 1\n"},
      {"bad escape", head + "m_total{a=\"\\t\"} 1\n"},
      {"unterminated label value", head + "m_total{a=\"1} 1\n"},
      {"trailing comma", head + "m_total{a=\"1\",} 1\n"},
      {"bad value", head + "m_total one\n"},
      {"hex value", head + "m_total 0x10\n"},
      {"no value", head + "m_total\n"},
      {"timestamp (textfile collector rejects them)", head + "m_total 1 1700000000000\n"},
      {"non-contiguous family",
       head + "m_total{a=\"1\"} 1\n# HELP g G.\n# TYPE g gauge\ng 1\nm_total{a=\"2\"} 1\n"},
      {"summary without quantile", "# HELP s S.\n# TYPE s summary\ns 1\n"},
      {"quantile out of range", "# HELP s S.\n# TYPE s summary\ns{quantile=\"2\"} 1\n"},
      {"histogram without +Inf",
       "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n"},
      {"histogram not cumulative", "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                   "h_bucket{le=\"+Inf\"} 1\nh_count 1\n"},
      {"control character", head + "m_total{a=\"x\ry\"} 1\n"},
  };
  for (const auto &[what, text] : bad) {
    INFO(what);
    CHECK_THROWS_AS(prom_text::parse(text), prom_text::ParseError);
  }
}

// ---- rendering -------------------------------------------------------------------------

TEST_CASE("latency_seconds is exact decimal, NaN without samples", "[admin][metrics]") {
  CHECK(latency_seconds(0) == "NaN");
  CHECK(latency_seconds(1) == "0.000001");
  CHECK(latency_seconds(12) == "0.000012");
  CHECK(latency_seconds(123456) == "0.123456");
  CHECK(latency_seconds(1000000) == "1");
  CHECK(latency_seconds(1500000) == "1.5");
  CHECK(latency_seconds(4294967295u) == "4294.967295");
}

TEST_CASE("escape_label_value", "[admin][metrics]") {
  CHECK(escape_label_value("plain text") == "plain text");
  CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("metrics_text: no devices", "[admin][metrics]") {
  const std::string t = metrics_text({});
  CHECK(t == "# HELP uringblk_devices Number of uringblk devices in this report.\n"
             "# TYPE uringblk_devices gauge\n"
             "uringblk_devices 0\n");
  CHECK(prom_text::parse(t).value("uringblk_devices") == 0);
}

TEST_CASE("metrics_text: every counter, info and latency of two devices", "[admin][metrics]") {
  const std::vector<DeviceMetrics> ds{sample_device(0), sample_device(1)};
  const std::string t = metrics_text(ds);
  INFO(t);
  const auto ex = prom_text::parse(t); // strict: throws on any violation

  CHECK(ex.value("uringblk_devices") == 2);
  const auto *info = ex.find("uringblk_device_info");
  REQUIRE(info);
  CHECK(info->type == "gauge");
  REQUIRE(info->samples.size() == 2);
  CHECK(info->samples[1].label("device") == "uringblk1");
  CHECK(info->samples[1].label("model") == "uringblk virtual RAM disk");
  CHECK(info->samples[1].label("serial") == "UBK00000001");
  CHECK(info->samples[1].label("firmware") == "1.0");
  CHECK(info->samples[1].value == 1);

  const std::vector<std::pair<const char *, double>> counters1{
      {"uringblk_read_ops_total", 1001},
      {"uringblk_write_ops_total", 2001},
      {"uringblk_flush_ops_total", 3},
      {"uringblk_discard_ops_total", 4},
      {"uringblk_write_zeroes_ops_total", 8},
      {"uringblk_read_bytes_total", 8000 * 512},
      {"uringblk_write_bytes_total", 16000 * 512},
      {"uringblk_read_sectors_total", 8000},
      {"uringblk_write_sectors_total", 16000},
      {"uringblk_queue_full_events_total", 5},
      {"uringblk_media_errors_total", 6},
      {"uringblk_retries_total", 7},
      {"uringblk_polled_completions_total", 9},
  };
  for (const auto &[name, want] : counters1) {
    INFO(name);
    const auto *f = ex.find(name);
    REQUIRE(f);
    CHECK(f->type == "counter");
    CHECK(f->help.has_value());
    CHECK(f->samples.size() == 2);
    CHECK(ex.value(name, dev("uringblk1")) == want);
  }
  CHECK(ex.find("uringblk_capacity_bytes")->type == "gauge");
  CHECK(ex.value("uringblk_capacity_bytes", dev("uringblk1")) == 2147483648.0);
  CHECK(ex.find("uringblk_memory_used_bytes")->type == "gauge");
  CHECK(ex.value("uringblk_memory_used_bytes", dev("uringblk0")) == 4096);

  const auto *rl = ex.find("uringblk_read_latency_seconds");
  REQUIRE(rl);
  CHECK(rl->type == "summary");
  CHECK(rl->samples.size() == 4);
  CHECK(ex.value("uringblk_read_latency_seconds", {{"device", "uringblk0"}, {"quantile", "0.5"}}) ==
        Approx(12e-6));
  CHECK(ex.value("uringblk_read_latency_seconds",
                 {{"device", "uringblk0"}, {"quantile", "0.99"}}) == 1.5);
  CHECK(std::isnan(
      ex.value("uringblk_write_latency_seconds", {{"device", "uringblk1"}, {"quantile", "0.5"}})));

  // Every family is documented; every series carries the device label.
  for (const auto &f : ex.families) {
    INFO(f.name);
    CHECK(f.name.rfind("uringblk_", 0) == 0);
    CHECK(f.help.has_value());
    if (f.name != "uringblk_devices")
      for (const auto &s : f.samples)
        CHECK(s.label("device").has_value());
  }
}

TEST_CASE("metrics_text: label values are escaped", "[admin][metrics]") {
  auto d = sample_device(0);
  d.info.model = "a \"quoted\" \\ model\nline2";
  d.info.serial = "";
  const std::vector<DeviceMetrics> ds{d};
  const auto ex = prom_text::parse(metrics_text(ds));
  const auto &s = ex.find("uringblk_device_info")->samples.at(0);
  CHECK(s.label("model") == "a \"quoted\" \\ model\nline2");
  CHECK(s.label("serial") == "");
}

TEST_CASE("metrics_text: sysfs-only counters are left out when absent", "[admin][metrics]") {
  auto a = sample_device(0);
  auto b = sample_device(1);
  for (auto *d : {&a, &b}) {
    d->write_zeroes_ops.reset();
    d->mem_used_bytes.reset();
  }
  b.polled_completions.reset();
  const std::vector<DeviceMetrics> ds{a, b};
  const auto ex = prom_text::parse(metrics_text(ds));
  CHECK(ex.find("uringblk_write_zeroes_ops_total") == nullptr);
  CHECK(ex.find("uringblk_memory_used_bytes") == nullptr);
  REQUIRE(ex.find("uringblk_polled_completions_total"));
  CHECK(ex.find("uringblk_polled_completions_total")->samples.size() == 1);
}

// ---- the textfile ----------------------------------------------------------------------

TEST_CASE("write_textfile replaces DIR/uringblk.prom atomically", "[admin][metrics]") {
  TempDir dir;
  const fs::path prom = dir.path / "uringblk.prom";
  const auto old_umask = ::umask(077);
  REQUIRE(write_textfile(dir.path, "first\n"));
  ::umask(old_umask);
  CHECK(slurp(prom) == "first\n");
  struct stat st1 {};
  REQUIRE(::stat(prom.c_str(), &st1) == 0);
  CHECK((st1.st_mode & 0777) == 0644); // readable by node_exporter whatever the umask

  // A reader holding the old file keeps seeing all of it: the new one is a new inode.
  std::ifstream reader(prom);
  REQUIRE(write_textfile(dir.path, "second\n"));
  struct stat st2 {};
  REQUIRE(::stat(prom.c_str(), &st2) == 0);
  CHECK(st2.st_ino != st1.st_ino);
  std::stringstream held;
  held << reader.rdbuf();
  CHECK(held.str() == "first\n");
  CHECK(slurp(prom) == "second\n");

  // Nothing else is left in the directory (no temporary file).
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(dir.path))
    names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"uringblk.prom"});
}

TEST_CASE("write_textfile fails cleanly on a missing directory", "[admin][metrics]") {
  TempDir dir;
  auto r = write_textfile(dir.path / "missing", "x\n");
  REQUIRE_FALSE(r);
  CHECK(r.error().value() == ENOENT);
  CHECK(fs::is_empty(dir.path));
}

// ---- the subcommand --------------------------------------------------------------------

namespace {
using test_helpers::Outcome;
using test_helpers::run_admin;
// Points URINGBLK_SYSFS_ROOT at a sysfs with no uringblk device for the scope.
struct EmptySysfs {
  TempDir root;
  EmptySysfs() {
    fs::create_directories(root.path / "block/sda");
    ::setenv("URINGBLK_SYSFS_ROOT", root.path.c_str(), 1);
  }
  ~EmptySysfs() { ::unsetenv("URINGBLK_SYSFS_ROOT"); }
};
} // namespace

TEST_CASE("metrics subcommand: no device, stdout and --textfile", "[admin][metrics][cli]") {
  EmptySysfs sys;
  auto o = run_admin({"metrics"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  CHECK(o.err.empty());
  CHECK(prom_text::parse(o.out).value("uringblk_devices") == 0);

  TempDir dir;
  auto t = run_admin({"metrics", "--textfile", dir.path.c_str()});
  REQUIRE(t.code == 0);
  CHECK(t.out.empty());
  CHECK(slurp(dir.path / "uringblk.prom") == o.out);
}

TEST_CASE("metrics subcommand: errors", "[admin][metrics][cli]") {
  EmptySysfs sys;
  auto j = run_admin({"metrics", "-o", "json"});
  CHECK(j.code == 2);
  CHECK(j.err.find("Prometheus text format") != std::string::npos);

  TempDir dir;
  auto m = run_admin({"metrics", "--textfile", (dir.path / "missing").c_str()});
  CHECK(m.code == 1);
  CHECK(m.err.find("(ENOENT)") != std::string::npos);
  CHECK(m.out.empty());

  auto d = run_admin({"metrics", "/dev/uringblk-does-not-exist"});
  CHECK(d.code == 1);
  CHECK(d.err == "uringblk-admin: metrics /dev/uringblk-does-not-exist: No such file or "
                 "directory (ENOENT)\n");
  // The rest of the report is still emitted, with the failure as a sample (issue 14).
  const auto ex = prom_text::parse(d.out);
  CHECK(ex.value("uringblk_devices") == 0);
  CHECK(d.out.find("uringblk_collect_error{device=\"/dev/uringblk-does-not-exist\"} 1") !=
        std::string::npos);

  auto h = run_admin({"metrics", "--help"});
  CHECK(h.code == 0);
  CHECK(h.out.find("--textfile") != std::string::npos);
}
