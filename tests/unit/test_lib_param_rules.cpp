// SPDX-License-Identifier: MIT
// The library's view of the driver's parameter rules (uringblk/params.hpp: the ranges asked of
// kmod/dev_params.h's own check, the serial-suffix message) and the one "module not loaded"
// check (uringblk/sysfs.hpp), which uringblk-admin's options, help and messages are built on.

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "dev_params.h"

#include <uringblk/admin/devices_cli.hpp>
#include <uringblk/params.hpp>
#include <uringblk/sysfs.hpp>

#include "test_helpers.hpp"

namespace fs = std::filesystem;

namespace {

// A valid set: polling on, so that poll_queues has its 1-16 range.
uringblk::DevParams valid() {
  uringblk::DevParams p = uringblk::default_dev_params();
  p.capacity_mb = 64;
  p.logical_block_size = 512;
  p.nr_hw_queues = 2;
  p.poll = URINGBLK_DEV_ON;
  p.poll_queues = 1;
  p.queue_depth = 64;
  p.max_io_size_kb = 128;
  p.io_timeout_ms = 1000;
  p.write_cache = p.discard = p.write_zeroes = URINGBLK_DEV_ON;
  return p;
}

void set_field(uringblk::DevParams &p, std::string_view name, std::uint32_t v) {
  if (name == "capacity_mb")
    p.capacity_mb = v;
  else if (name == "nr_hw_queues")
    p.nr_hw_queues = v;
  else if (name == "poll_queues")
    p.poll_queues = v;
  else if (name == "queue_depth")
    p.queue_depth = v;
  else if (name == "max_io_size_kb")
    p.max_io_size_kb = v;
  else
    p.io_timeout_ms = v;
}

} // namespace

TEST_CASE("dev_param_rule: the range ubk_dev_params_check() applies", "[lib][params]") {
  using uringblk::dev_param_rule;
  CHECK(dev_param_rule("capacity_mb")->text() == "1-4194304");
  CHECK(dev_param_rule("capacity_mb")->hi == UBK_CAPACITY_MB_MAX);
  CHECK(dev_param_rule("nr_hw_queues")->text() == "1-64");
  CHECK(dev_param_rule("poll_queues")->text() == "1-16");
  CHECK(dev_param_rule("queue_depth")->text() == "32-4096");
  CHECK(dev_param_rule("max_io_size_kb")->text() == "4-32768");
  CHECK(dev_param_rule("io_timeout_ms")->text() == "10-3600000");
  const auto lbs = dev_param_rule("logical_block_size");
  CHECK(lbs->lo == 512);
  CHECK(lbs->hi == 4096);
  CHECK(lbs->what == "512, 1024, 2048 or 4096");
  CHECK_FALSE(dev_param_rule("write_cache"));
  CHECK_FALSE(dev_param_rule("nope"));

  // Each range is exactly what the check accepts: lo and hi pass, lo - 1 and hi + 1 do not.
  for (const char *name : {"capacity_mb", "nr_hw_queues", "poll_queues", "queue_depth",
                           "max_io_size_kb", "io_timeout_ms"}) {
    INFO(name);
    const auto r = dev_param_rule(name);
    REQUIRE(r);
    CHECK(r->name == name);
    CHECK(r->what.empty());
    uringblk::DevParams p = valid();
    for (std::uint32_t v : {r->lo, r->hi}) {
      set_field(p, name, v);
      CHECK_FALSE(uringblk::check_dev_params(p));
    }
    for (std::uint32_t v : {r->lo - 1, r->hi + 1}) {
      set_field(p, name, v);
      const auto e = uringblk::check_dev_params(p);
      REQUIRE(e);
      CHECK(e->name == name);
    }
  }
}

TEST_CASE("max_sectors_kb_rule and dev_id_rule", "[lib][params]") {
  const auto m = uringblk::max_sectors_kb_rule();
  CHECK(m.name == "max_sectors_kb");
  CHECK(m.lo == UBK_MAX_IO_KB_MIN);
  CHECK(m.hi == UBK_MAX_IO_KB_MAX);
  const auto id = uringblk::dev_id_rule();
  CHECK(id.lo == 0);
  CHECK(id.hi == UBK_MAX_DEVICES - 1);
  CHECK(id.hi < URINGBLK_DEV_ID_ANY);
}

TEST_CASE("ParamError: a serial suffix's character is named, not its code", "[lib][params]") {
  uringblk::DevParams p = valid();
  REQUIRE(uringblk::set_serial_suffix(p, "a/b"));
  auto e = uringblk::check_dev_params(p);
  REQUIRE(e);
  CHECK(e->message() ==
        "serial_suffix: '/' is not allowed (allowed: [A-Za-z0-9_.-], NUL-padded)");
  REQUIRE(uringblk::set_serial_suffix(p, "x\x01"));
  CHECK(uringblk::check_dev_params(p)->message().find("'\\x01' is not allowed") !=
        std::string::npos);
  // The other rules keep the driver's line.
  p = valid();
  p.capacity_mb = 0;
  CHECK(uringblk::check_dev_params(p)->message() == "capacity_mb=0 out of range (1-4194304)");

  uringblk::admin::CreateOptions o;
  o.serial_suffix = "a b";
  CHECK(uringblk::admin::create_params(o).error().context ==
        "serial_suffix: ' ' is not allowed (allowed: [A-Za-z0-9_.-], NUL-padded)");
}

TEST_CASE("check_module: not loaded only without the control node and the module's sysfs",
          "[lib][sysfs]") {
  test_helpers::TempDir t("uringblk-module");
  const fs::path sys = t.path / "sys";
  const fs::path ctl = t.path / "uringblk-ctl";
  fs::create_directories(sys);

  auto r = uringblk::check_module(sys, ctl);
  REQUIRE_FALSE(r);
  CHECK(r.error().value() == ENOENT);
  CHECK(r.error().detail() ==
        "the uringblk module is not loaded (no " + ctl.string() + ", no " +
            (sys / "module/uringblk_driver").string() +
            "): load it with 'modprobe uringblk_driver' or 'insmod "
            "/path/to/uringblk_driver.ko': No such file or directory (ENOENT)");

  fs::create_directories(sys / "module/uringblk_driver"); // loaded, the node not (yet) made
  CHECK(uringblk::check_module(sys, ctl));
  fs::remove(sys / "module/uringblk_driver");
  std::ofstream(ctl).close(); // a node without sysfs (a container)
  CHECK(uringblk::check_module(sys, ctl));
}
