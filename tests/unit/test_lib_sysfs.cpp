// SPDX-License-Identifier: MIT
// sysfs helpers against a fake /sys tree.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <uringblk/sysfs.hpp>

using namespace uringblk;
namespace fs = std::filesystem;

namespace {

struct FakeSys {
  fs::path root;
  FakeSys() {
    static std::atomic<int> n{0};
    root = fs::temp_directory_path() /
           ("uringblk-sysfs-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(root / "block");
  }
  ~FakeSys() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  void attr(const std::string &dev, const std::string &name, const std::string &value) {
    const fs::path dir = root / "block" / dev / "uringblk";
    fs::create_directories(dir);
    std::ofstream(dir / name) << value;
  }
  void disk(const std::string &name, unsigned id, const std::string &model) {
    attr(name, "dev_id", std::to_string(id) + "\n");
    attr(name, "model", model + "\n");
    attr(name, "serial", "UBK" + std::to_string(id) + "\n");
    attr(name, "firmware_rev", "1.0\n");
    attr(name, "capacity", std::to_string((id + 1) * 1048576ull) + "\n");
    attr(name, "features", "0x47\n");
    attr(name, "stats_reset", "");
    attr(name, "admin_node", "uringblk-ctl\n");
  }
  std::string read(const std::string &dev, const std::string &name) {
    std::ifstream in(root / "block" / dev / "uringblk" / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

} // namespace

TEST_CASE("parse_u64 and parse_device_name", "[lib][sysfs]") {
  CHECK(parse_u64("123\n") == 123u);
  CHECK(parse_u64("0x47") == 0x47u);
  CHECK(parse_u64(" 0XfF ") == 0xffu);
  CHECK_FALSE(parse_u64("").has_value());
  CHECK_FALSE(parse_u64("0x").has_value());
  CHECK_FALSE(parse_u64("12a").has_value());
  CHECK_FALSE(parse_u64("-1").has_value());

  CHECK(parse_device_name("uringblk0") == 0u);
  CHECK(parse_device_name("uringblk12") == 12u);
  CHECK_FALSE(parse_device_name("uringblk").has_value());
  CHECK_FALSE(parse_device_name("uringblk0p1").has_value());
  CHECK_FALSE(parse_device_name("uringblk01").has_value());
  CHECK_FALSE(parse_device_name("uringblk-ctl").has_value());
  CHECK_FALSE(parse_device_name("sda").has_value());
}

TEST_CASE("read_attr / read_attr_u64 / reset_stats", "[lib][sysfs]") {
  FakeSys sys;
  sys.disk("uringblk0", 0, "uringblk virtual disk");
  CHECK(attr_path("uringblk0", "model", sys.root) == sys.root / "block/uringblk0/uringblk/model");

  auto model = read_attr("uringblk0", "model", sys.root);
  REQUIRE(model);
  CHECK(*model == "uringblk virtual disk");
  auto feats = read_attr_u64("uringblk0", "features", sys.root);
  REQUIRE(feats);
  CHECK(*feats == 0x47u);
  auto cap = read_attr_u64("uringblk0", "capacity", sys.root);
  REQUIRE(cap);
  CHECK(*cap == 1048576u);

  auto missing = read_attr("uringblk0", "nope", sys.root);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().value() == ENOENT);
  CHECK(missing.error().context.find("nope") != std::string::npos);

  auto bad = read_attr_u64("uringblk0", "model", sys.root);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().value() == EPROTO);

  auto r = reset_stats("uringblk0", sys.root);
  REQUIRE(r);
  CHECK(sys.read("uringblk0", "stats_reset") == "1");

  auto r2 = reset_stats("uringblk9", sys.root); // no such device: no file is created
  REQUIRE_FALSE(r2);
  CHECK(r2.error().command == "reset_stats");
  CHECK(r2.error().value() == ENOENT);
  CHECK_FALSE(fs::exists(sys.root / "block/uringblk9"));
}

TEST_CASE("list_devices finds uringblkN sorted by N", "[lib][sysfs]") {
  FakeSys sys;
  sys.disk("uringblk10", 10, "ten");
  sys.disk("uringblk2", 2, "two");
  sys.disk("uringblk0", 0, "zero");
  fs::create_directories(sys.root / "block/sda");
  fs::create_directories(sys.root / "block/uringblkx");

  auto devs = list_devices(sys.root);
  REQUIRE(devs);
  REQUIRE(devs->size() == 3);
  CHECK((*devs)[0].name == "uringblk0");
  CHECK((*devs)[1].name == "uringblk2");
  CHECK((*devs)[2].name == "uringblk10");
  const DeviceInfo &d = (*devs)[1];
  CHECK(d.path == "/dev/uringblk2");
  CHECK(d.dev_id == 2);
  CHECK(d.model == "two");
  CHECK(d.serial == "UBK2");
  CHECK(d.firmware == "1.0");
  CHECK(d.capacity_bytes == 3 * 1048576ull);

  FakeSys empty;
  auto none = list_devices(empty.root);
  REQUIRE(none);
  CHECK(none->empty());

  auto nosys = list_devices(empty.root / "missing");
  REQUIRE_FALSE(nosys);
  CHECK(nosys.error().value() == ENOENT);
}
