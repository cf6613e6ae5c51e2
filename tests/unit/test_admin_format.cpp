// SPDX-License-Identifier: MIT
// uringblk-admin output: aligned human text and the JSON schema (version 1).
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include <uringblk/admin/format.hpp>

using namespace uringblk;
using namespace uringblk::admin;

namespace {

Identify sample_identify() {
  Identify id;
  id.model = "uringblk virtual disk";
  id.firmware = "1.0";
  id.logical_block_size = 512;
  id.physical_block_size = 4096;
  id.capacity_sectors = 2097152;
  id.features.bitmap = URINGBLK_FEAT_WRITE_CACHE | URINGBLK_FEAT_FLUSH | URINGBLK_FEAT_POLLING;
  id.queue_count = 2;
  id.queue_depth = 128;
  id.max_segments = 128;
  id.max_segment_size = 65536;
  id.dma_alignment = 511;
  id.io_min = 512;
  id.io_opt = 0;
  id.discard_granularity = 4096;
  id.discard_max_bytes = 1u << 30;
  return id;
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

std::vector<std::string> keys(const Json &j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it)
    k.push_back(it.key());
  return k;
}

// Every "key : value" line has its " : " at the same column.
void check_aligned(const std::string &text, std::size_t expected_fields) {
  const auto ls = lines(text);
  REQUIRE(ls.size() == expected_fields + 1); // title + fields
  CHECK(ls[0].back() == ':');
  const auto col = ls[1].find(" : ");
  REQUIRE(col != std::string::npos);
  for (std::size_t i = 1; i < ls.size(); ++i) {
    INFO(ls[i]);
    CHECK(ls[i].find(" : ") == col);
    CHECK(ls[i].find_first_of(' ') > 0); // key starts at column 0
  }
}

} // namespace

TEST_CASE("render_fields aligns the colon column", "[admin][format]") {
  const std::vector<Field> f{{"a", "1"}, {"longer_key", "2"}, {"mid", "x y"}};
  CHECK(render_fields("T:", f) == "T:\n"
                                  "a          : 1\n"
                                  "longer_key : 2\n"
                                  "mid        : x y\n");
  CHECK(render_fields("", f).rfind("a          : 1\n", 0) == 0);
}

TEST_CASE("hex and human_bytes", "[admin][format]") {
  CHECK(hex(0) == "0x0");
  CHECK(hex(0x47) == "0x47");
  CHECK(human_bytes(512) == "512 B");
  CHECK(human_bytes(1024) == "1.00 KiB");
  CHECK(human_bytes(1073741824ull) == "1.00 GiB");
  CHECK(human_bytes(1536ull << 20) == "1.50 GiB");
}

TEST_CASE("identify human output is aligned like nvme id-ctrl", "[admin][format]") {
  const std::string text = identify_text(sample_identify(), "/dev/uringblk0");
  check_aligned(text, 16);
  const auto ls = lines(text);
  CHECK(ls[0] == "uringblk Identify (/dev/uringblk0):");
  CHECK(ls[1] == "model               : uringblk virtual disk");
  CHECK(ls[2] == "firmware            : 1.0");
  CHECK(ls[4] == "physical_block_size : 4096");
  CHECK(ls[6] == "capacity_bytes      : 1073741824 (1.00 GiB)");
  CHECK(ls[7] == "features            : 0x45 [write_cache flush polling]");
}

TEST_CASE("other human outputs are aligned", "[admin][format]") {
  check_aligned(limits_text(Limits{}, "/dev/uringblk0"), 11);
  check_aligned(geometry_text(Geometry{}, "/dev/uringblk0"), 7);
  check_aligned(stats_text(Stats{}, "/dev/uringblk0"), 15);
  const std::string feats = features_text(Features{URINGBLK_FEAT_FUA | (1ull << 40)}, "/dev/x");
  check_aligned(feats, 1 + 7 + 1);
  CHECK(feats.find("\nfua             : yes (Force Unit Access)\n") != std::string::npos);
  CHECK(feats.find("\nwrite_cache     : no") != std::string::npos);
  CHECK(feats.find("\nbit40           : yes") != std::string::npos);
}

TEST_CASE("list human output is a table", "[admin][format]") {
  std::vector<DeviceInfo> devs(2);
  devs[0] = {"uringblk0", "/dev/uringblk0", 0, 1073741824ull, "uringblk virtual disk", "UBK0",
             "1.0"};
  devs[1] = {"uringblk1", "/dev/uringblk1", 1, 512, "m", "S", "2.0"};
  const auto ls = lines(list_text(devs));
  REQUIRE(ls.size() == 4);
  CHECK(ls[0].rfind("Node           Model                 ", 0) == 0);
  CHECK(ls[1].rfind("-------------- ---------------------", 0) == 0);
  CHECK(ls[2].find("1.00 GiB") == ls[0].find("Capacity"));
  CHECK(ls[3].find("512 B") == ls[0].find("Capacity"));
  CHECK(lines(list_text({})).size() == 2);
}

TEST_CASE("JSON: version first, stable keys", "[admin][json]") {
  const Json id = identify_json(sample_identify(), "/dev/uringblk0");
  CHECK(keys(id) ==
        std::vector<std::string>{"version", "device", "model", "firmware", "logical_block_size",
                                 "physical_block_size", "capacity_sectors", "capacity_bytes",
                                 "features_bitmap", "features", "queue_count", "queue_depth",
                                 "max_segments", "max_segment_size", "dma_alignment", "io_min",
                                 "io_opt", "discard_granularity", "discard_max_bytes"});
  CHECK(id["version"] == 1);
  CHECK(id["version"] == kJsonVersion);
  CHECK(id["device"] == "/dev/uringblk0");
  CHECK(id["model"] == "uringblk virtual disk");
  CHECK(id["capacity_bytes"] == 1073741824ull);
  CHECK(id["features_bitmap"] == 0x45);
  CHECK(id["features"] == Json::array({"write_cache", "flush", "polling"}));
  CHECK(id["capacity_sectors"].is_number_unsigned());

  CHECK(keys(limits_json(Limits{}, "d")) ==
        std::vector<std::string>{"version", "device", "max_hw_sectors_kb", "max_sectors_kb",
                                 "nr_hw_queues", "queue_depth", "max_segments", "max_segment_size",
                                 "dma_alignment", "io_min", "io_opt", "discard_granularity",
                                 "discard_max_bytes"});
  CHECK(keys(features_json(Features{}, "d")) ==
        std::vector<std::string>{"version", "device", "features_bitmap", "features"});
  CHECK(features_json(Features{}, "d")["features"].is_array());
  CHECK(keys(geometry_json(Geometry{}, "d")) ==
        std::vector<std::string>{"version", "device", "capacity_sectors", "capacity_bytes",
                                 "logical_block_size", "physical_block_size", "cylinders", "heads",
                                 "sectors_per_track"});
  CHECK(keys(stats_json(Stats{}, "d")) ==
        std::vector<std::string>{"version", "device", "read_ops", "write_ops", "flush_ops",
                                 "discard_ops", "read_sectors", "write_sectors", "read_bytes",
                                 "write_bytes", "queue_full_events", "media_errors", "retries",
                                 "p50_read_latency_us", "p99_read_latency_us",
                                 "p50_write_latency_us", "p99_write_latency_us"});
  CHECK(keys(reset_stats_json("d")) ==
        std::vector<std::string>{"version", "device", "stats_reset"});
}

TEST_CASE("JSON: list is an array of devices", "[admin][json]") {
  std::vector<DeviceInfo> devs(1);
  devs[0] = {"uringblk0", "/dev/uringblk0", 0, 4096, "model", "serial", "fw"};
  const Json j = list_json(devs);
  CHECK(keys(j) == std::vector<std::string>{"version", "devices"});
  REQUIRE(j["devices"].is_array());
  REQUIRE(j["devices"].size() == 1);
  CHECK(keys(j["devices"][0]) == std::vector<std::string>{"name", "path", "dev_id",
                                                          "capacity_bytes", "capacity", "model",
                                                          "serial", "firmware"});
  CHECK(j["devices"][0]["capacity"] == 4096);
  CHECK(list_json({})["devices"] == Json::array());

  const std::string text = render_json(j);
  CHECK(text.back() == '\n');
  CHECK(Json::parse(text) == j);
}

TEST_CASE("errors name the subcommand, device and errno", "[admin][format]") {
  const Error e = Error::from_errno(EPERM, "IDENTIFY");
  CHECK(format_error("identify", "/dev/uringblk0", e) ==
        "uringblk-admin: identify /dev/uringblk0: Operation not permitted (EPERM)\n");
  const Error c = Error::from_errno(EACCES, "open", "open /dev/uringblk-ctl");
  CHECK(format_error("stats", "/dev/uringblk1", c) ==
        "uringblk-admin: stats /dev/uringblk1: open /dev/uringblk-ctl: Permission denied "
        "(EACCES)\n");
  CHECK(format_error("list", "", Error::from_errno(ENOENT, "list_devices")) ==
        "uringblk-admin: list: No such file or directory (ENOENT)\n");

  const Json j = error_json("identify", "/dev/uringblk0", e);
  CHECK(keys(j) == std::vector<std::string>{"version", "error"});
  CHECK(keys(j["error"]) ==
        std::vector<std::string>{"command", "device", "errno", "errno_name", "message"});
  CHECK(j["error"]["errno"] == EPERM);
  CHECK(j["error"]["errno_name"] == "EPERM");
}

TEST_CASE("parse_output_format", "[admin][format]") {
  CHECK(parse_output_format("normal") == OutputFormat::normal);
  CHECK(parse_output_format("json") == OutputFormat::json);
  CHECK_FALSE(parse_output_format("binary").has_value());
}
