// SPDX-License-Identifier: MIT
// uringblk-admin argument handling: exit codes 0/1/2 and messages on stderr, both in-process
// (admin::run) and through the built binary (URINGBLK_ADMIN_BIN).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <uringblk/admin/cli.hpp>
#include <uringblk/admin/power_cli.hpp>

#include "test_helpers.hpp"

namespace fs = std::filesystem;
using uringblk::admin::run;

namespace {

using test_helpers::Outcome;
using test_helpers::slurp;

Outcome run_in_process(std::initializer_list<const char *> args) {
  return test_helpers::run_admin(args);
}

struct TempDir : test_helpers::TempDir {
  TempDir() : test_helpers::TempDir("uringblk-cli") {}
};

// URINGBLK_SYSFS_ROOT at a sysfs with no uringblk disk for the scope; with `module`, also
// module/uringblk_driver (the module is loaded), so that the outcome does not depend on this
// machine. Without it, and without /dev/uringblk-ctl, the module is not loaded.
struct Sysfs {
  TempDir root;
  explicit Sysfs(bool module) {
    fs::create_directories(root.path / "block");
    if (module)
      fs::create_directories(root.path / "module/uringblk_driver");
    ::setenv("URINGBLK_SYSFS_ROOT", root.path.c_str(), 1);
  }
  Sysfs(const Sysfs &) = delete;
  Sysfs &operator=(const Sysfs &) = delete;
  ~Sysfs() { ::unsetenv("URINGBLK_SYSFS_ROOT"); }
};

} // namespace

TEST_CASE("device_path_from_arg", "[admin][cli]") {
  using uringblk::admin::device_path_from_arg;
  CHECK(device_path_from_arg("/dev/uringblk0") == "/dev/uringblk0");
  CHECK(device_path_from_arg("uringblk3") == "/dev/uringblk3");
  CHECK(device_path_from_arg("7") == "/dev/uringblk7");
  CHECK(device_path_from_arg("./x") == "./x");
}

TEST_CASE("usage errors exit 2 with a message on stderr (in-process)", "[admin][cli]") {
  for (auto o :
       {run_in_process({}), run_in_process({"frobnicate", "/dev/uringblk0"}),
        run_in_process({"identify"}), run_in_process({"stats", "-o", "xml", "/dev/x"}),
        run_in_process({"limits", "--transport", "nvme", "/dev/x"}),
        run_in_process({"geometry", "/dev/a", "/dev/b"}), run_in_process({"--bogus", "list"})}) {
    INFO(o.err);
    CHECK(o.code == 2);
    CHECK(o.err.rfind("uringblk-admin: ", 0) == 0);
    CHECK(o.out.empty());
  }
  CHECK(run_in_process({"frobnicate"}).err.find("frobnicate") != std::string::npos);
  CHECK(run_in_process({"identify"}).err.find("device") != std::string::npos);
}

TEST_CASE("--help exits 0 for the tool and every subcommand", "[admin][cli]") {
  auto top = run_in_process({"--help"});
  CHECK(top.code == 0);
  for (const char *sub :
       {"list", "identify", "limits", "features", "geometry", "stats", "reset-stats"}) {
    INFO(sub);
    CHECK(top.out.find(sub) != std::string::npos);
    auto h = run_in_process({sub, "--help"});
    CHECK(h.code == 0);
    CHECK(h.out.find("--output-format") != std::string::npos);
    CHECK(h.out.find("--transport") != std::string::npos);
  }
}

TEST_CASE("a missing device exits 1 naming the errno (in-process)", "[admin][cli]") {
  const Sysfs sys(true);
  auto o = run_in_process({"identify", "/dev/uringblk-does-not-exist"});
  CHECK(o.code == 1);
  CHECK(o.err == "uringblk-admin: identify /dev/uringblk-does-not-exist: No such file or directory "
                 "(ENOENT)\n");
  CHECK(o.out.empty());

  auto j = run_in_process({"-o", "json", "stats", "/dev/uringblk-does-not-exist"});
  CHECK(j.code == 1);
  const auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["version"] == 1);
  CHECK(doc["error"]["errno_name"] == "ENOENT");
  CHECK(doc["error"]["command"] == "stats");

  auto chr = run_in_process({"features", "--transport", "ioctl", "/dev/null"});
  CHECK(chr.code == 1);
  CHECK(chr.err.find("(ENOTBLK)") != std::string::npos);
}

TEST_CASE("power-on and power-cut --resume parse (ABI 1.2, in-process)", "[admin][cli]") {
  CHECK(run_in_process({"--help"}).out.find("power-on") != std::string::npos);
  auto on_help = run_in_process({"power-on", "--help"});
  CHECK(on_help.code == 0);
  CHECK(on_help.out.find("POWER_ON") != std::string::npos);
  CHECK(on_help.out.find("--transport") != std::string::npos);
  CHECK(on_help.out.find("--output-format") != std::string::npos);
  auto cut_help = run_in_process({"power-cut", "--help"});
  CHECK(cut_help.code == 0);
  CHECK(cut_help.out.find("--resume") != std::string::npos);

  // Usage errors: exit 2 before the control node is opened.
  for (auto [o, word] : std::initializer_list<std::pair<Outcome, const char *>>{
           {run_in_process({"power-on"}), "device is required"},
           {run_in_process({"power-on", ""}), "is empty"},
           {run_in_process({"power-on", "0", "1"}), "not expected: 1"},
           {run_in_process({"power-on", "0", "--resume"}), "--resume"},
           {run_in_process({"power-on", "0", "--transport", "nvme"}), "--transport"},
           {run_in_process({"power-cut", "0", "--resume=maybe"}), "--resume"},
           // --resume is taken, and the mode/seed rule still applies with it.
           {run_in_process({"power-cut", "0", "--resume", "--mode", "torn"}),
            "--mode torn needs --seed N"},
           {run_in_process({"power-cut", "0", "--mode", "random", "--resume", "--seed", "x"}),
            "--seed"}}) {
    INFO(word << ": " << o.err);
    CHECK(o.code == 2);
    CHECK(o.err.rfind("uringblk-admin: ", 0) == 0);
    CHECK(o.err.find(word) != std::string::npos);
    CHECK(o.out.empty());
  }

  // A device that does not exist: exit 1 naming the errno, before the control node is opened.
  auto missing = run_in_process({"power-on", "/nonexistent/disk"});
  CHECK(missing.code == 1);
  CHECK(missing.err.rfind("uringblk-admin: power-on /nonexistent/disk: ", 0) == 0);
  CHECK(missing.err.find("(ENOENT)") != std::string::npos);
  auto missing_json = run_in_process({"power-on", "/nonexistent/disk", "-o", "json"});
  CHECK(missing_json.code == 1);
  const auto doc = nlohmann::json::parse(missing_json.out);
  CHECK(doc["error"]["command"] == "power-on");
  CHECK(doc["error"]["device"] == "/nonexistent/disk");

  // With the module but without its control node the valid command lines get as far as the node.
  if (!fs::exists("/dev/uringblk-ctl")) {
    const Sysfs sys(true);
    for (auto o : {run_in_process({"power-on", "0"}),
                   run_in_process({"power-on", "uringblk0", "--transport", "ioctl"}),
                   run_in_process({"power-cut", "0", "--resume"}),
                   run_in_process({"power-cut", "/dev/uringblk0", "--mode", "torn", "--seed", "1",
                                   "--resume", "--transport", "ioctl"})}) {
      INFO(o.err);
      CHECK(o.code == 1);
      CHECK(o.err.find("open /dev/uringblk-ctl: No such file or directory (ENOENT)") !=
            std::string::npos);
    }
  }
}

TEST_CASE("parse_drop_list: 1 to 64 change numbers, each at least 1", "[admin][cli]") {
  using uringblk::admin::parse_drop_list;
  auto one = parse_drop_list("7");
  REQUIRE(one);
  CHECK(*one == std::vector<std::uint64_t>{7});
  auto three = parse_drop_list("3,5,18446744073709551615");
  REQUIRE(three);
  CHECK(*three == std::vector<std::uint64_t>{3, 5, 18446744073709551615ULL});
  std::string most = "1";
  for (int i = 2; i <= 64; ++i)
    most += "," + std::to_string(i);
  auto m = parse_drop_list(most);
  REQUIRE(m);
  CHECK(m->size() == 64);
  CHECK(m->back() == 64);
  for (auto [text, word] : std::initializer_list<std::pair<std::string, const char *>>{
           {most + ",65", "at most 64 changes (65 given)"},
           {"0", "change numbers start at 1"},
           {"4,0", "change numbers start at 1"},
           {"", "empty value"},
           {"1,", "empty value"},
           {",1", "empty value"},
           {"1,,2", "empty value"},
           {"x", "'x' is not a decimal number"},
           {"-1", "'-1' is not a decimal number"},
           {"1 2", "is not a decimal number"},
           {"0x10", "is not a decimal number"},
           {"18446744073709551616", "too large"}}) {
    INFO(text);
    auto r = parse_drop_list(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().value() == EINVAL);
    CHECK(r.error().context.rfind("--drop: ", 0) == 0);
    CHECK(r.error().context.find(word) != std::string::npos);
  }
}

TEST_CASE("cut_spec: the payload of each mode, and the rules between the options", "[admin][cli]") {
  using uringblk::admin::cut_spec;
  using uringblk::admin::CutOptions;
  auto spec = [](CutOptions o, bool arm = false) { return cut_spec(o, arm); };

  auto all = spec({});
  REQUIRE(all);
  CHECK(+all->payload.mode == URINGBLK_PL_ALL);
  CHECK(+all->payload.flags == 0);
  CHECK(+all->payload.seed == 0);
  CHECK(all->drop.empty());

  CutOptions torn;
  torn.mode = "torn";
  torn.seed = 7;
  torn.tear = "physical";
  torn.resume = true;
  auto t = spec(torn);
  REQUIRE(t);
  CHECK(+t->payload.mode == URINGBLK_PL_TORN);
  CHECK(+t->payload.seed == 7);
  CHECK(+t->payload.flags == (URINGBLK_PL_CUT_TEAR_PHYSICAL | URINGBLK_PL_CUT_RESUME));
  torn.tear = "logical";
  torn.resume = false;
  CHECK(+spec(torn)->payload.flags == 0);

  CutOptions prefix;
  prefix.mode = "prefix";
  prefix.keep = 12;
  auto p = spec(prefix);
  REQUIRE(p);
  CHECK(+p->payload.mode == URINGBLK_PL_PREFIX);
  CHECK(+p->payload.seed == 12);
  prefix.keep = 0; // nothing survives: allowed
  CHECK(spec(prefix));
  auto p_arm = spec(prefix, true);
  REQUIRE(p_arm);
  CHECK(+p_arm->payload.seed == 0);

  CutOptions drop;
  drop.mode = "drop";
  drop.drop = "9,4";
  drop.resume = true;
  auto d = spec(drop);
  REQUIRE(d);
  CHECK(+d->payload.mode == URINGBLK_PL_DROP);
  CHECK(+d->payload.seed == 2); // the ABI's n
  CHECK(+d->payload.flags == URINGBLK_PL_CUT_RESUME);
  CHECK(d->drop == std::vector<std::uint64_t>{9, 4});

  CutOptions random;
  random.mode = "random";
  random.seed = 0;
  auto r = spec(random);
  REQUIRE(r);
  CHECK(+r->payload.mode == URINGBLK_PL_RANDOM);

  auto bad = [&](CutOptions o, const std::string &msg, bool arm = false) {
    auto x = cut_spec(o, arm);
    INFO(msg);
    REQUIRE_FALSE(x);
    CHECK(x.error().value() == EINVAL);
    CHECK(x.error().context == msg);
  };
  CutOptions o;
  o.mode = "random";
  bad(o, "--mode random needs --seed N");
  o.mode = "torn";
  bad(o, "--mode torn needs --seed N");
  o.mode = "prefix";
  bad(o, "--mode prefix needs --keep K");
  o.mode = "drop";
  bad(o, "--mode drop needs --drop N,N,...");
  o.mode = "sideways";
  bad(o, "--mode sideways: not one of all, random, torn, prefix, drop");
  o.mode = "drop";
  o.drop = "1";
  bad(o, "--mode drop: not one of all, random, torn, prefix", true);
  o.drop = "0";
  bad(o, "--drop: change numbers start at 1");
  o = {};
  o.seed = 1;
  bad(o, "--seed is for --mode random or torn");
  o = {};
  o.keep = 1;
  bad(o, "--keep is for --mode prefix");
  o = {};
  o.drop = "1";
  bad(o, "--drop is for --mode drop");
  o = {};
  o.mode = "random";
  o.seed = 1;
  o.tear = "physical";
  bad(o, "--tear is for --mode torn");
  o.mode = "torn";
  o.tear = "diagonal";
  bad(o, "--tear diagonal: not one of logical, physical");
  o = {};
  o.resume = true;
  bad(o, "--resume is for power-cut", true);
  o.mode = "prefix";
  o.keep = 1;
  o.seed = 2;
  bad(o, "--seed is for --mode random or torn");
}

TEST_CASE("parse_arm_trigger: change, flush, lba, mark, none", "[admin][cli]") {
  using uringblk::admin::parse_arm_trigger;
  auto change = parse_arm_trigger("change:3");
  REQUIRE(change);
  CHECK(+change->trigger == URINGBLK_PL_ARM_CHANGE);
  CHECK(+change->count == 3);
  CHECK(+change->sector == 0);
  CHECK(+change->mode == 0);
  CHECK(+change->reserved0 == 0);
  auto flush = parse_arm_trigger("flush:0x10");
  REQUIRE(flush);
  CHECK(+flush->trigger == URINGBLK_PL_ARM_FLUSH);
  CHECK(+flush->count == 16);
  auto lba = parse_arm_trigger("lba:2048+8");
  REQUIRE(lba);
  CHECK(+lba->trigger == URINGBLK_PL_ARM_LBA);
  CHECK(+lba->sector == 2048);
  CHECK(+lba->nr_sectors == 8);
  CHECK(+lba->count == 0);
  auto lba0 = parse_arm_trigger("lba:0+1");
  REQUIRE(lba0);
  CHECK(+lba0->sector == 0);
  auto mark = parse_arm_trigger("mark:0xdeadbeefcafe");
  REQUIRE(mark);
  CHECK(+mark->trigger == URINGBLK_PL_ARM_MARK);
  CHECK(+mark->sector == 0xdeadbeefcafeULL); // the ABI puts the tag in sector
  CHECK(+parse_arm_trigger("mark:0")->sector == 0);
  auto none = parse_arm_trigger("none");
  REQUIRE(none);
  CHECK(+none->trigger == URINGBLK_PL_ARM_NONE);

  for (auto [text, word] : std::initializer_list<std::pair<const char *, const char *>>{
           {"", "give change:N, flush:N, lba:SECTOR+NR, mark:TAG or none"},
           {"change", "give change:N"},
           {"none:1", "give change:N"},
           {"lba:5", "give change:N"},
           {"bogus:1", "give change:N"},
           {"Change:1", "give change:N"},
           {"change:0", "--at change: N starts at 1"},
           {"flush:0", "--at flush: N starts at 1"},
           {"change:", "--at change: empty value"},
           {"change:-1", "--at change: '-1' is not a number"},
           {"lba:5+0", "--at lba: NR must be at least 1"},
           {"lba:+8", "--at lba: empty value"},
           {"lba:x+8", "--at lba: 'x' is not a number"},
           {"mark:0xzz", "--at mark: '0xzz' is not a number"},
           {"mark:18446744073709551616", "too large"}}) {
    INFO(text);
    auto r = parse_arm_trigger(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().value() == EINVAL);
    CHECK(r.error().context.find(word) != std::string::npos);
  }
}

TEST_CASE("power-cut modes, power-log, power-mark and power-arm parse (ABI 1.2, in-process)",
          "[admin][cli]") {
  auto top = run_in_process({"--help"});
  for (const char *sub : {"power-log", "power-mark", "power-arm"}) {
    INFO(sub);
    CHECK(top.out.find(sub) != std::string::npos);
    auto h = run_in_process({sub, "--help"});
    CHECK(h.code == 0);
    CHECK(h.out.find("--transport") != std::string::npos);
    CHECK(h.out.find("--output-format") != std::string::npos);
  }
  auto cut_help = run_in_process({"power-cut", "--help"});
  for (const char *opt : {"prefix", "drop", "--keep", "--drop", "--tear"})
    CHECK(cut_help.out.find(opt) != std::string::npos);
  auto arm_help = run_in_process({"power-arm", "--help"});
  for (const char *opt : {"--at", "--mode", "--keep", "--tear", "change:N", "lba:SECTOR+NR"})
    CHECK(arm_help.out.find(opt) != std::string::npos);
  CHECK(arm_help.out.find("--drop") == std::string::npos);
  CHECK(arm_help.out.find("--resume") == std::string::npos);

  // Usage errors: exit 2 before the control node is opened.
  for (auto [o, word] : std::initializer_list<std::pair<Outcome, const char *>>{
           {run_in_process({"power-cut", "0", "--mode", "prefix"}), "--mode prefix needs --keep K"},
           {run_in_process({"power-cut", "0", "--mode", "drop"}),
            "--mode drop needs --drop N,N,..."},
           {run_in_process({"power-cut", "0", "--mode", "drop", "--drop", "0"}),
            "power-cut: --drop: change numbers start at 1"},
           {run_in_process({"power-cut", "0", "--mode", "drop", "--drop", "1,,2"}),
            "--drop: empty value"},
           {run_in_process({"power-cut", "0", "--mode", "drop", "--drop", "1", "--drop", "2"}),
            "--drop"},
           {run_in_process({"power-cut", "0", "--drop", "3"}), "--drop is for --mode drop"},
           {run_in_process({"power-cut", "0", "--keep", "3"}), "--keep is for --mode prefix"},
           {run_in_process({"power-cut", "0", "--mode", "prefix", "--keep", "-1"}), "--keep"},
           {run_in_process({"power-cut", "0", "--mode", "prefix", "--keep", "3", "--seed", "1"}),
            "--seed is for --mode random or torn"},
           {run_in_process(
                {"power-cut", "0", "--mode", "random", "--seed", "1", "--tear", "physical"}),
            "--tear is for --mode torn"},
           {run_in_process({"power-cut", "0", "--mode", "torn", "--seed", "1", "--tear", "atomic"}),
            "atomic not in {logical,physical}"},
           {run_in_process({"power-cut", "0", "--mode", "wobbly"}), "wobbly not in"},
           {run_in_process({"power-log"}), "device is required"},
           {run_in_process({"power-log", "0", "1"}), "not expected: 1"},
           {run_in_process({"power-log", "0", "--mode", "all"}), "--mode"},
           {run_in_process({"power-mark", "0"}), "tag is required"},
           {run_in_process({"power-mark", "0", "x"}), "tag: 'x' is not a number"},
           {run_in_process({"power-mark", "0", "-1"}), "tag"},
           {run_in_process({"power-mark", "0", "18446744073709551616"}), "too large"},
           {run_in_process({"power-mark", "0", "1", "2"}), "not expected: 2"},
           {run_in_process({"power-arm", "0"}), "--at is required"},
           {run_in_process({"power-arm", "0", "--at", "change:0"}), "power-arm: --at change"},
           {run_in_process({"power-arm", "0", "--at", "soon"}), "give change:N"},
           {run_in_process({"power-arm", "0", "--at", "lba:8"}), "give change:N"},
           {run_in_process({"power-arm", "0", "--at", "change:1", "--mode", "drop"}),
            "drop not in {all,random,torn,prefix}"},
           {run_in_process({"power-arm", "0", "--at", "change:1", "--resume"}), "--resume"},
           {run_in_process({"power-arm", "0", "--at", "change:1", "--drop", "1"}), "--drop"},
           {run_in_process({"power-arm", "0", "--at", "flush:1", "--mode", "torn"}),
            "--mode torn needs --seed N"},
           {run_in_process({"power-arm", "0", "--at", "none", "--mode", "all"}),
            "--at none disarms"},
           {run_in_process({"power-arm", "0", "--at", "none", "--keep", "1"}),
            "--at none disarms"}}) {
    INFO(word << ": " << o.err);
    CHECK(o.code == 2);
    CHECK(o.err.rfind("uringblk-admin: ", 0) == 0);
    CHECK(o.err.find(word) != std::string::npos);
    CHECK(o.out.empty());
  }

  // A device that does not exist: exit 1 naming the errno, before the control node is opened.
  for (const char *sub : {"power-log", "power-mark", "power-arm"}) {
    INFO(sub);
    auto m = std::string(sub) == "power-mark" ? run_in_process({sub, "/nonexistent/disk", "1"})
             : std::string(sub) == "power-arm"
                 ? run_in_process({sub, "/nonexistent/disk", "--at", "none"})
                 : run_in_process({sub, "/nonexistent/disk"});
    CHECK(m.code == 1);
    CHECK(m.err.rfind("uringblk-admin: " + std::string(sub) + " /nonexistent/disk: ", 0) == 0);
    CHECK(m.err.find("(ENOENT)") != std::string::npos);
  }

  // With the module but without its control node the valid command lines get as far as the node.
  if (!fs::exists("/dev/uringblk-ctl")) {
    const Sysfs sys(true);
    for (auto o :
         {run_in_process({"power-cut", "0", "--mode", "prefix", "--keep", "0"}),
          run_in_process({"power-cut", "0", "--mode", "drop", "--drop", "3,5,9", "--resume"}),
          run_in_process({"power-cut", "0", "--mode", "torn", "--seed", "1", "--tear", "physical",
                          "--transport", "ioctl"}),
          run_in_process({"power-log", "uringblk0", "-o", "json"}),
          run_in_process({"power-mark", "0", "0xff"}),
          run_in_process({"power-arm", "0", "--at", "change:3", "--mode", "prefix", "--keep", "2"}),
          run_in_process({"power-arm", "0", "--at", "lba:0x800+8", "--mode", "torn", "--seed", "3",
                          "--tear", "physical"}),
          run_in_process({"power-arm", "0", "--at", "mark:42", "--transport", "auto"}),
          run_in_process({"power-arm", "0", "--at", "none"})}) {
      INFO(o.err);
      CHECK(o.code == 1);
      CHECK(o.err.find("open /dev/uringblk-ctl: No such file or directory (ENOENT)") !=
            std::string::npos);
    }
  }
}

TEST_CASE("every input error exits 2 with the one footer, also with --dry-run and -o json",
          "[admin][cli]") {
  const std::string footer = "\n" + std::string(uringblk::admin::kUsageFooter) + "\n";
  for (auto [o, word] : std::initializer_list<std::pair<Outcome, const char *>>{
           // A value outside the driver's range: the range of kmod/dev_params.h.
           {run_in_process({"create", "--capacity-mb", "0"}),
            "--capacity-mb: '0' is out of range (1..4194304)"},
           {run_in_process({"create", "--capacity-mb", "0", "--dry-run"}), "(1..4194304)"},
           {run_in_process({"create", "--capacity-mb", "0", "--json"}), "(1..4194304)"},
           {run_in_process({"create", "--capacity-mb", "4194305", "-o", "json"}), "(1..4194304)"},
           {run_in_process({"create", "--queue-depth", "31"}), "(32..4096)"},
           {run_in_process({"create", "--nr-hw-queues", "65"}), "(1..64)"},
           {run_in_process({"create", "--poll-queues", "17"}), "(0..16)"},
           {run_in_process({"create", "--max-io-size-kb", "32772"}), "(4..32768)"},
           {run_in_process({"create", "--io-timeout-ms", "3600001"}), "(10..3600000)"},
           {run_in_process({"create", "--logical-block-size", "8192"}), "(512..4096)"},
           {run_in_process({"set", "0", "--max-sectors-kb", "32769"}), "(4..32768)"},
           // A rule between values, or of one value that is not a range: the driver's line.
           {run_in_process({"create", "--logical-block-size", "1000", "--dry-run"}),
            "create: logical_block_size=1000 out of range (512, 1024, 2048 or 4096)"},
           {run_in_process({"create", "--logical-block-size", "4096", "--max-io-size-kb", "6"}),
            "max_io_size_kb=6 out of range (4-32768, multiple of 4)"},
           {run_in_process({"create", "--poll", "off", "--poll-queues", "2", "-o", "json"}),
            "poll_queues=2 out of range (0 with polling off)"},
           {run_in_process({"create", "--serial-suffix", "123456789"}), "longer than 8"},
           // An error-injection rule's syntax.
           {run_in_process({"inject", "add", "0", "read,1000,0"}),
            "inject add: 'read,1000,0': COUNT 0 out of range (1-1000000000)"},
           {run_in_process({"inject", "add", "-o", "json", "0", "read,1,1", "frob,1,1"}),
            "frob"},
           // The others, for the footer.
           {run_in_process({"frobnicate"}), "unknown subcommand: frobnicate"},
           {run_in_process({"metrics", "-o", "json"}), "Prometheus"},
           {run_in_process({"set", "0"}), "nothing to change"},
           {run_in_process({"power-cut", "0", "--mode", "torn"}), "--mode torn needs --seed N"}}) {
    INFO(word << ": " << o.err);
    CHECK(o.code == 2);
    CHECK(o.err.rfind("uringblk-admin: ", 0) == 0);
    CHECK(o.err.find(word) != std::string::npos);
    CHECK(o.out.empty());
    CHECK(o.err.size() > footer.size());
    CHECK(o.err.substr(o.err.size() - footer.size()) == footer);
  }
}

TEST_CASE("create --serial-suffix names the character that is not allowed", "[admin][cli]") {
  for (auto [suffix, shown] : std::initializer_list<std::pair<const char *, const char *>>{
           {"a/b", "'/'"}, {"ok ok", "' '"}, {"tab\t", "'\\x09'"}}) {
    auto o = run_in_process({"create", "--serial-suffix", suffix});
    INFO(o.err);
    CHECK(o.code == 2);
    CHECK(o.err.find(std::string("create: serial_suffix: ") + shown +
                     " is not allowed (allowed: [A-Za-z0-9_.-]") != std::string::npos);
    CHECK(o.err.find("=47") == std::string::npos);
  }
}

TEST_CASE("create --id: the driver's indexes; URINGBLK_DEV_ID_ANY is refused", "[admin][cli]") {
  for (const char *any : {"4294967295", "04294967295"}) {
    auto o = run_in_process({"create", "--id", any, "--dry-run"});
    INFO(o.err);
    CHECK(o.code == 2);
    CHECK(o.err.find("URINGBLK_DEV_ID_ANY") != std::string::npos);
    CHECK(o.err.find("omit --id for the lowest free index") != std::string::npos);
  }
  auto big = run_in_process({"create", "--id", "64"});
  CHECK(big.code == 2);
  CHECK(big.err.find("--id: '64' is out of range (0..63)") != std::string::npos);
  auto bad = run_in_process({"create", "--id", "x"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--id: 'x' is not a decimal number") != std::string::npos);
  CHECK(run_in_process({"create", "--id", "63", "--dry-run"}).code == 0);
  CHECK(run_in_process({"create", "--id", "0", "--dry-run"}).code == 0);
}

TEST_CASE("help: the real ranges, the exit statuses", "[admin][cli]") {
  auto h = run_in_process({"create", "--help"});
  CHECK(h.code == 0);
  INFO(h.out);
  for (const char *range : {"1..4194304", "512..4096", "512, 1024, 2048 or 4096", "1..64",
                            "0..16", "32..4096", "4..32768", "10..3600000", "0..63"})
    CHECK(h.out.find(range) != std::string::npos);
  CHECK(h.out.find("4294967295") == std::string::npos);
  auto s = run_in_process({"set", "--help"});
  CHECK(s.out.find("4..32768") != std::string::npos);
  CHECK(s.out.find("4294967295") == std::string::npos);
  const std::string status(uringblk::admin::kExitStatusHelp);
  CHECK(status.find("0 success, 1 the command failed, 2 usage error") != std::string::npos);
  CHECK(status.find("130 interrupted") != std::string::npos);
  for (const char *sub : {"--help", "list", "create", "inject", "power-cut"}) {
    auto o = std::string(sub) == "--help" ? run_in_process({sub}) : run_in_process({sub, "--help"});
    INFO(sub);
    CHECK(o.code == 0);
    CHECK(o.out.find(status) != std::string::npos);
  }
}

TEST_CASE("without the module: every subcommand that needs it says so, exit 1", "[admin][cli]") {
  if (fs::exists("/dev/uringblk-ctl")) {
    WARN("the control node exists here: skipped");
    return;
  }
  const Sysfs sys(false);
  const std::string module = (sys.root.path / "module/uringblk_driver").string();
  const std::string said = "the uringblk module is not loaded (no /dev/uringblk-ctl, no " +
                           module + "): load it with 'modprobe uringblk_driver' or 'insmod ";
  for (auto o : {run_in_process({"list"}), run_in_process({"identify", "0"}),
                 run_in_process({"stats", "uringblk0", "--transport", "ioctl"}),
                 run_in_process({"reset-stats", "0"}), run_in_process({"inject", "list", "0"}),
                 run_in_process({"inject", "add", "0", "read,1,1"}), run_in_process({"create"}),
                 run_in_process({"delete", "0"}), run_in_process({"params", "0"}),
                 run_in_process({"set", "0", "--write-cache", "on"}),
                 run_in_process({"power-log", "0"}), run_in_process({"power-on", "0"})}) {
    INFO(o.err);
    CHECK(o.code == 1);
    CHECK(o.err.find(said) != std::string::npos);
    CHECK(o.err.find("(ENOENT)") != std::string::npos);
    CHECK(o.out.empty()); // list: no empty table
  }
  auto j = run_in_process({"list", "-o", "json"});
  CHECK(j.code == 1);
  const auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["error"]["errno_name"] == "ENOENT");
  CHECK(doc["error"]["message"].get<std::string>().find("not loaded") != std::string::npos);
  // Checking options and reporting zero devices need no module.
  CHECK(run_in_process({"create", "--capacity-mb", "8", "--dry-run"}).code == 0);
  CHECK(run_in_process({"metrics"}).code == 0);
  // A usage error is still one.
  CHECK(run_in_process({"create", "--capacity-mb", "0"}).code == 2);
}

#ifdef URINGBLK_ADMIN_BIN

namespace {
// Runs the binary with /bin/sh; args must not need quoting beyond single quotes.
Outcome run_binary(const std::string &args, const std::string &env = {}) {
  TempDir tmp;
  const std::string cmd = env + (env.empty() ? "" : " ") + "'" URINGBLK_ADMIN_BIN "' " + args +
                          " >'" + (tmp.path / "out").string() + "' 2>'" +
                          (tmp.path / "err").string() + "'";
  const int status = std::system(cmd.c_str());
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), slurp(tmp.path / "out"), slurp(tmp.path / "err")};
}
} // namespace

TEST_CASE("binary: usage errors exit 2", "[admin][cli][bin]") {
  for (const char *args : {"", "frobnicate /dev/uringblk0", "identify", "identify -o yaml /dev/x",
                           "stats --transport carrier-pigeon /dev/x", "--nope"}) {
    INFO(args);
    auto o = run_binary(args);
    CHECK(o.code == 2);
    CHECK(o.err.find("uringblk-admin: ") != std::string::npos);
  }
  auto h = run_binary("identify --help");
  CHECK(h.code == 0);
  CHECK(h.out.find("device") != std::string::npos);
}

TEST_CASE("binary: nonexistent device exits 1 naming the errno", "[admin][cli][bin]") {
  TempDir sys; // the module is loaded: the device is what is missing
  fs::create_directories(sys.path / "module/uringblk_driver");
  const std::string env = "URINGBLK_SYSFS_ROOT='" + sys.path.string() + "'";
  auto o = run_binary("identify /dev/uringblk-does-not-exist", env);
  CHECK(o.code == 1);
  CHECK(o.err == "uringblk-admin: identify /dev/uringblk-does-not-exist: No such file or directory "
                 "(ENOENT)\n");
  auto r = run_binary("reset-stats /dev/uringblk-does-not-exist --transport auto", env);
  CHECK(r.code == 1);
  CHECK(r.err.find("(ENOENT)") != std::string::npos);
}

TEST_CASE("binary: list -o json on a fake sysfs", "[admin][cli][bin]") {
  TempDir sys;
  const fs::path dir = sys.path / "block/uringblk0/uringblk";
  fs::create_directories(dir);
  fs::create_directories(sys.path / "block/sda");
  fs::create_directories(sys.path / "module/uringblk_driver");
  std::ofstream(dir / "model") << "uringblk virtual disk\n";
  std::ofstream(dir / "serial") << "UBK-0001\n";
  std::ofstream(dir / "firmware_rev") << "1.0\n";
  std::ofstream(dir / "capacity") << "1073741824\n";
  std::ofstream(dir / "dev_id") << "0\n";

  auto o = run_binary("list -o json", "URINGBLK_SYSFS_ROOT='" + sys.path.string() + "'");
  REQUIRE(o.code == 0);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["version"] == 1);
  REQUIRE(j["devices"].size() == 1);
  CHECK(j["devices"][0]["name"] == "uringblk0");
  CHECK(j["devices"][0]["path"] == "/dev/uringblk0");
  CHECK(j["devices"][0]["capacity"] == 1073741824ull);
  CHECK(j["devices"][0]["model"] == "uringblk virtual disk");
  CHECK(j["devices"][0]["serial"] == "UBK-0001");

  auto t = run_binary("list", "URINGBLK_SYSFS_ROOT='" + sys.path.string() + "'");
  CHECK(t.code == 0);
  CHECK(t.out.find("/dev/uringblk0") != std::string::npos);
  CHECK(t.out.find("1.00 GiB") != std::string::npos);
}

#endif // URINGBLK_ADMIN_BIN
