// SPDX-License-Identifier: MIT
// uringblk-admin output: aligned human text and the JSON schema (version 1).
#include <catch2/catch.hpp>

#include <cstdint>
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

TEST_CASE("power-cut and power-on output: the power state (ABI 1.2)", "[admin][format][json]") {
  PowerCutResult r{};
  r.pending = 40;
  r.reverted = 21;
  r.torn = 3;
  r.changes = 41;
  const auto torn5 = power_cut_payload(PowerCutMode::torn, 5);
  const auto torn5_resume = power_cut_payload(PowerCutMode::torn, 5, URINGBLK_PL_CUT_RESUME);
  CHECK(power_cut_text(r, torn5, {}, "/dev/uringblk0") ==
        "/dev/uringblk0: power cut (torn, seed 5): 40 non-durable changes, 21 undone, 3 torn; "
        "the device is off until 'uringblk-admin power-on /dev/uringblk0'\n");
  CHECK(power_cut_text(r, torn5_resume, {}, "/dev/uringblk0") ==
        "/dev/uringblk0: power cut (torn, seed 5): 40 non-durable changes, 21 undone, 3 torn; "
        "the power is back on\n");
  CHECK(power_cut_text(PowerCutResult{}, power_cut_payload(PowerCutMode::all), {},
                       "/dev/uringblk2") ==
        "/dev/uringblk2: power cut (all): 0 non-durable changes, 0 undone, 0 torn (nothing to "
        "lose: all durable, or write-through); the device is off until 'uringblk-admin "
        "power-on /dev/uringblk2'\n");

  const Json off = power_cut_json(r, torn5, {}, "/dev/uringblk0");
  CHECK(keys(off) == std::vector<std::string>{"version", "device", "mode", "seed", "tear", "resume",
                                              "pending", "reverted", "torn", "changes", "power"});
  CHECK(off["device"] == "/dev/uringblk0");
  CHECK(off["mode"] == "torn");
  CHECK(off["seed"] == 5);
  CHECK(off["tear"] == "logical");
  CHECK(off["resume"] == false);
  CHECK(off["pending"] == 40);
  CHECK(off["reverted"] == 21);
  CHECK(off["torn"] == 3);
  CHECK(off["changes"] == 41);
  CHECK(off["power"] == "off");
  const Json on =
      power_cut_json(r, power_cut_payload(PowerCutMode::all, 0, URINGBLK_PL_CUT_RESUME), {}, "d");
  CHECK(keys(on) == std::vector<std::string>{"version", "device", "mode", "resume", "pending",
                                             "reverted", "torn", "changes", "power"});
  CHECK(on["resume"] == true);
  CHECK(on["power"] == "on");

  CHECK(power_on_text("/dev/uringblk0") == "/dev/uringblk0: power on\n");
  const Json p = power_on_json("/dev/uringblk0");
  CHECK(keys(p) == std::vector<std::string>{"version", "device", "power"});
  CHECK(p["version"] == kJsonVersion);
  CHECK(p["power"] == "on");
}

TEST_CASE("power-cut output: prefix, drop and the physical tear (ABI 1.2)",
          "[admin][format][json]") {
  PowerCutResult r{};
  r.pending = 9;
  r.reverted = 2;
  r.changes = 10;
  const auto prefix = power_cut_payload(PowerCutMode::prefix, 7);
  CHECK(power_cut_text(r, prefix, {}, "/dev/uringblk0") ==
        "/dev/uringblk0: power cut (prefix, keep 7): 9 non-durable changes, 2 undone, 0 torn; "
        "the device is off until 'uringblk-admin power-on /dev/uringblk0'\n");
  const Json jp = power_cut_json(r, prefix, {}, "/dev/uringblk0");
  CHECK(keys(jp) == std::vector<std::string>{"version", "device", "mode", "keep", "resume",
                                             "pending", "reverted", "torn", "changes", "power"});
  CHECK(jp["mode"] == "prefix");
  CHECK(jp["keep"] == 7);

  const std::vector<std::uint64_t> drop{3, 5, 9};
  const auto d = power_cut_payload(PowerCutMode::drop, drop.size(), URINGBLK_PL_CUT_RESUME);
  CHECK(power_cut_text(r, d, drop, "/dev/uringblk1") ==
        "/dev/uringblk1: power cut (drop, changes 3,5,9): 9 non-durable changes, 2 undone, 0 "
        "torn; the power is back on\n");
  const Json jd = power_cut_json(r, d, drop, "/dev/uringblk1");
  CHECK(keys(jd) == std::vector<std::string>{"version", "device", "mode", "drop", "resume",
                                             "pending", "reverted", "torn", "changes", "power"});
  CHECK(jd["mode"] == "drop");
  CHECK(jd["drop"] == Json::array({3, 5, 9}));
  CHECK(jd["power"] == "on");

  const auto phys = power_cut_payload(PowerCutMode::torn, 11, URINGBLK_PL_CUT_TEAR_PHYSICAL);
  CHECK(
      power_cut_text(r, phys, {}, "d").rfind("d: power cut (torn, seed 11, physical tear): ", 0) ==
      0);
  CHECK(power_cut_json(r, phys, {}, "d")["tear"] == "physical");

  CHECK(power_cut_mode_name(URINGBLK_PL_ALL) == "all");
  CHECK(power_cut_mode_name(URINGBLK_PL_PREFIX) == "prefix");
  CHECK(power_cut_mode_name(URINGBLK_PL_DROP) == "drop");
  CHECK(power_cut_mode_name(5).empty());
  // A mode this tool does not know is shown by number, not dropped.
  CHECK(power_cut_json(r, power_cut_payload(static_cast<PowerCutMode>(9)), {}, "d")["mode"] ==
        "unknown(9)");
}

namespace {
PowerLogEntry log_entry(std::uint64_t seq, std::uint8_t op, std::uint64_t sector, std::uint32_t nr,
                        std::uint8_t flags = 0, std::uint64_t mark = 0) {
  PowerLogEntry e{};
  e.seq = seq;
  e.op = op;
  e.sector = sector;
  e.nr_sectors = nr;
  e.flags = flags;
  e.mark = mark;
  return e;
}
} // namespace

TEST_CASE("power-log output: a table and the JSON list (ABI 1.2)", "[admin][format][json]") {
  PowerLog log;
  log.nr_changes = 3;
  log.entries = {log_entry(1, URINGBLK_PL_OP_WRITE, 2048, 8),
                 log_entry(2, URINGBLK_PL_OP_DISCARD, 0, 4096, URINGBLK_PL_LOG_MARK, 7),
                 log_entry(3, URINGBLK_PL_OP_WRITE_ZEROES, 123456789, 16, URINGBLK_PL_LOG_MARK,
                           0xffffffffffffffffULL)};
  CHECK(power_log_text(log, "/dev/uringblk0") ==
        "uringblk Power-loss log (/dev/uringblk0):\n"
        "Seq Op           Sector    Sectors FUA Mark\n"
        "--- ------------ --------- ------- --- --------------------\n"
        "1   write        2048      8       no  -\n"
        "2   discard      0         4096    no  7\n"
        "3   write_zeroes 123456789 16      no  18446744073709551615\n"
        "3 non-durable changes\n");

  const Json j = power_log_json(log, "/dev/uringblk0");
  CHECK(keys(j) == std::vector<std::string>{"version", "device", "nr_changes", "changes"});
  CHECK(j["device"] == "/dev/uringblk0");
  CHECK(j["nr_changes"] == 3);
  REQUIRE(j["changes"].size() == 3);
  CHECK(keys(j["changes"][0]) ==
        std::vector<std::string>{"seq", "op", "sector", "nr_sectors", "fua", "mark"});
  CHECK(j["changes"][0]["seq"] == 1);
  CHECK(j["changes"][0]["op"] == "write");
  CHECK(j["changes"][0]["sector"] == 2048);
  CHECK(j["changes"][0]["nr_sectors"] == 8);
  CHECK(j["changes"][0]["fua"] == false);
  CHECK(j["changes"][0]["mark"].is_null());
  CHECK(j["changes"][1]["op"] == "discard");
  CHECK(j["changes"][1]["mark"] == 7);
  CHECK(j["changes"][1]["fua"] == false); // a mark is not FUA
  CHECK(j["changes"][2]["fua"] == false);
  CHECK(j["changes"][2]["op"] == "write_zeroes");
  CHECK(j["changes"][2]["mark"] == 0xffffffffffffffffULL);

  SECTION("FUA changes are durable: counted apart") {
    log.entries[0].flags |= URINGBLK_PL_LOG_FUA;
    const auto t = power_log_text(log, "d");
    CHECK(t.find("\n1   write        2048      8       yes -\n") != std::string::npos);
    CHECK(t.find("\n2   discard      0         4096    no  7\n") != std::string::npos);
    CHECK(lines(t).back() == "3 changes: 2 non-durable, 1 durable (FUA)");
    const Json f = power_log_json(log, "d");
    CHECK(f["changes"][0]["fua"] == true);
    CHECK(f["changes"][0]["mark"].is_null()); // FUA is not a mark
    CHECK(f["changes"][1]["fua"] == false);
  }
  SECTION("more changes than entries: the count says so") {
    log.nr_changes = 5000;
    CHECK(lines(power_log_text(log, "d")).back() ==
          "5000 non-durable changes (the first 3 listed)");
    CHECK(power_log_json(log, "d")["nr_changes"] == 5000);
  }
  SECTION("an empty log: no table") {
    CHECK(power_log_text(PowerLog{}, "/dev/uringblk3") ==
          "uringblk Power-loss log (/dev/uringblk3):\n0 non-durable changes\n");
    const Json e = power_log_json(PowerLog{}, "/dev/uringblk3");
    CHECK(e["nr_changes"] == 0);
    CHECK(e["changes"].is_array());
    CHECK(e["changes"].empty());
  }
  SECTION("an unknown op is shown by number") {
    log.entries[0].op = 9;
    CHECK(power_log_json(log, "d")["changes"][0]["op"] == "unknown(9)");
    CHECK(power_log_op_name(9).empty());
  }
}

TEST_CASE("power-mark and power-arm output (ABI 1.2)", "[admin][format][json]") {
  CHECK(power_mark_text(42, "/dev/uringblk0") == "/dev/uringblk0: mark 42\n");
  const Json m = power_mark_json(0xabcdef, "/dev/uringblk0");
  CHECK(keys(m) == std::vector<std::string>{"version", "device", "mark"});
  CHECK(m["mark"] == 0xabcdef);

  PowerArm a{};
  a.trigger = URINGBLK_PL_ARM_CHANGE;
  a.count = 3;
  a.mode = URINGBLK_PL_TORN;
  a.seed = 5;
  a.flags = URINGBLK_PL_CUT_TEAR_PHYSICAL;
  CHECK(power_arm_text(a, "/dev/uringblk0") ==
        "/dev/uringblk0: power cut (torn, seed 5, physical tear) armed at change 3\n");
  Json j = power_arm_json(a, "/dev/uringblk0");
  CHECK(keys(j) == std::vector<std::string>{"version", "device", "armed", "trigger", "count",
                                            "mode", "seed", "tear"});
  CHECK(j["armed"] == true);
  CHECK(j["trigger"] == "change");
  CHECK(j["count"] == 3);
  CHECK(j["tear"] == "physical");

  a = PowerArm{};
  a.trigger = URINGBLK_PL_ARM_LBA;
  a.sector = 2048;
  a.nr_sectors = 8;
  a.mode = URINGBLK_PL_PREFIX;
  a.seed = 4;
  CHECK(power_arm_text(a, "d") == "d: power cut (prefix, keep 4) armed at lba 2048+8\n");
  j = power_arm_json(a, "d");
  CHECK(keys(j) == std::vector<std::string>{"version", "device", "armed", "trigger", "sector",
                                            "nr_sectors", "mode", "keep"});
  CHECK(j["sector"] == 2048);
  CHECK(j["nr_sectors"] == 8);

  a = PowerArm{};
  a.trigger = URINGBLK_PL_ARM_FLUSH;
  a.count = 2;
  CHECK(power_arm_text(a, "d") == "d: power cut (all) armed at flush 2\n");
  a.trigger = URINGBLK_PL_ARM_MARK;
  a.sector = 99;
  CHECK(power_arm_text(a, "d") == "d: power cut (all) armed at mark 99\n");
  j = power_arm_json(a, "d");
  CHECK(keys(j) ==
        std::vector<std::string>{"version", "device", "armed", "trigger", "tag", "mode"});
  CHECK(j["tag"] == 99);

  const PowerArm none{};
  CHECK(power_arm_text(none, "d") == "d: power cut disarmed\n");
  j = power_arm_json(none, "d");
  CHECK(keys(j) == std::vector<std::string>{"version", "device", "armed", "trigger"});
  CHECK(j["armed"] == false);
  CHECK(j["trigger"] == "none");
  CHECK(power_arm_trigger_name(URINGBLK_PL_ARM_MARK) == "mark");
  CHECK(power_arm_trigger_name(5).empty());
}

TEST_CASE("parse_output_format", "[admin][format]") {
  CHECK(parse_output_format("normal") == OutputFormat::normal);
  CHECK(parse_output_format("json") == OutputFormat::json);
  CHECK_FALSE(parse_output_format("binary").has_value());
}
