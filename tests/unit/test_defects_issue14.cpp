// SPDX-License-Identifier: MIT
// Issue 14: the bad input a user types into uringblk-admin and the library, each test written
// against the defect it pins down.
#include <catch2/catch.hpp>

#include <liburing.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <uringblk/admin/cli.hpp>
#include <uringblk/admin/format.hpp>
#include <uringblk/inject.hpp>
#include <uringblk/sysfs.hpp>
#include <uringblk/uring_cmd.hpp>

#include "bench_report.hpp"
#include "test_helpers.hpp"

namespace fs = std::filesystem;

// The test hook of UringCmdRing::execute (defined in userspace/lib/src/uring_cmd.cpp).
namespace uringblk::test_hooks {
using WaitCqe = int (*)(io_uring *, io_uring_cqe **);
void set_wait_cqe(WaitCqe fn) noexcept;
} // namespace uringblk::test_hooks

namespace {

using test_helpers::Outcome;
Outcome admin(std::initializer_list<const char *> args) { return test_helpers::run_admin(args); }

struct FakeSysfs : test_helpers::TempDir {
  FakeSysfs() : TempDir("uringblk-i14") {
    fs::create_directories(path / "block");
    ::setenv("URINGBLK_SYSFS_ROOT", path.c_str(), 1);
  }
  ~FakeSysfs() { ::unsetenv("URINGBLK_SYSFS_ROOT"); }
  fs::path disk(const std::string &name, bool uringblk) {
    const fs::path d = path / "block" / name / (uringblk ? "uringblk" : "");
    fs::create_directories(d);
    return d;
  }
};

// Some block device node of this machine (any will do: it is only stat()ed), or nullopt.
std::optional<std::string> some_block_device() {
  std::error_code ec;
  for (const auto &e : fs::directory_iterator("/dev", ec)) {
    struct stat st {};
    if (::stat(e.path().c_str(), &st) == 0 && S_ISBLK(st.st_mode))
      return e.path().string();
  }
  return std::nullopt;
}

} // namespace

TEST_CASE("not a uringblk device: ENODEV and one message for every subcommand",
          "[admin][issue14]") {
  const auto dev = some_block_device();
  if (!dev) {
    WARN("no block device node in /dev: skipped");
    return;
  }
  FakeSysfs sys;
  sys.disk(fs::path(*dev).filename().string(), false);
  const std::string d = *dev;
  for (const auto &args : std::vector<std::vector<const char *>>{
           {"identify", d.c_str()},
           {"reset-stats", d.c_str()},
           {"inject", "list", d.c_str()},
           {"inject", "clear", d.c_str()},
           {"inject", "add", d.c_str(), "read,1,1"}}) {
    const auto o = test_helpers::run_admin(args);
    INFO(o.err);
    CHECK(o.code == 1);
    CHECK(o.err.find(d + ": not a uringblk device") != std::string::npos);
    CHECK(o.err.find("(ENODEV)") != std::string::npos);
    CHECK(o.err.find(sys.path.string()) == std::string::npos); // no raw sysfs path
  }
}

TEST_CASE("inject with an unknown subcommand names it", "[admin][issue14]") {
  auto o = admin({"inject", "frob", "0"});
  INFO(o.err);
  CHECK(o.code == 2);
  CHECK(o.err.find("unknown subcommand: frob") != std::string::npos);
  CHECK(o.err.find("A subcommand is required") == std::string::npos);
}

TEST_CASE("an empty device argument is named", "[admin][issue14]") {
  for (const char *sub : {"identify", "stats", "reset-stats"}) {
    auto o = admin({sub, ""});
    INFO(o.err);
    CHECK(o.code == 2);
    CHECK(o.err.find("device ''") != std::string::npos);
  }
}

TEST_CASE("an LBA beyond 64 bits is out of range, not 'not a decimal number'",
          "[lib][inject][issue14]") {
  auto r = uringblk::parse_inject_rule("read,99999999999999999999999,1");
  REQUIRE_FALSE(r);
  INFO(r.error().context);
  CHECK(r.error().context.find("out of range") != std::string::npos);
  CHECK(r.error().context.find("not") == std::string::npos);
}

TEST_CASE("inject add -o json shows the rules written before a failure", "[admin][issue14]") {
  FakeSysfs sys;
  const fs::path attr = sys.disk("uringblk0", true) / "error_inject";
  std::ofstream(attr).close();
  // The first line (9 bytes) fits under the file size limit, the second (10 bytes) does not.
  rlimit old{};
  ::getrlimit(RLIMIT_FSIZE, &old);
  const rlimit lim{9, old.rlim_max};
  auto prev = ::signal(SIGXFSZ, SIG_IGN);
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &lim) == 0);
  // The device is named by a path that resolves to "uringblk0" without a device node: a block
  // device's node name is used when <sysfs>/dev/block/MAJ:MIN is absent, so use a symlink to
  // some block device named uringblk0.
  const auto blk = some_block_device();
  std::optional<Outcome> o;
  if (blk) {
    fs::create_symlink(*blk, sys.path / "uringblk0");
    fs::create_directories(sys.path / "dev/block");
    struct stat st {};
    ::stat(blk->c_str(), &st);
    fs::create_symlink("../../block/uringblk0", sys.path / "dev/block" /
                                                   (std::to_string(major(st.st_rdev)) + ":" +
                                                    std::to_string(minor(st.st_rdev))));
    const std::string path = (sys.path / "uringblk0").string();
    o = admin({"inject", "add", "-o", "json", path.c_str(), "read,1,1", "write,2,1"});
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, prev);
  if (!blk) {
    WARN("no block device node in /dev: skipped");
    return;
  }
  INFO(o->err);
  INFO(o->out);
  CHECK(o->code == 1);
  const auto j = nlohmann::json::parse(o->out);
  REQUIRE(j.contains("added"));
  REQUIRE(j["added"].size() == 1);
  CHECK(j["added"][0]["rule"] == "read,1,1");
  CHECK(j.contains("error"));
}

TEST_CASE("metrics: a device that cannot be read is reported, the rest still emitted",
          "[admin][metrics][issue14]") {
  FakeSysfs sys;
  for (const char *d : {"uringblk0", "uringblk1"}) {
    const fs::path dir = sys.disk(d, true);
    std::ofstream(dir / "capacity") << "1048576\n";
  }
  auto o = admin({"metrics"}); // no /dev/uringblk0 or 1 here: both fail
  INFO(o.err);
  INFO(o.out);
  CHECK(o.code == 1);
  CHECK(o.out.find("uringblk_devices 0") != std::string::npos);
  CHECK(o.out.find("uringblk_collect_error{device=\"uringblk0\"} 1") != std::string::npos);
  CHECK(o.out.find("uringblk_collect_error{device=\"uringblk1\"} 1") != std::string::npos);
  CHECK(o.err.find("uringblk0") != std::string::npos);
}

TEST_CASE("JSON: one name for the capacity and for the schema version", "[admin][issue14]") {
  uringblk::DeviceInfo d;
  d.name = "uringblk0";
  d.capacity_bytes = 4096;
  const auto l = uringblk::admin::list_json(std::span(&d, 1));
  CHECK(l["version"] == 1);
  CHECK(l["devices"][0]["capacity_bytes"] == 4096);
  CHECK(l["devices"][0]["capacity"] == 4096); // deprecated alias, version 1 only
  // uringblk-bench: the same first key as uringblk-admin.
  uringblk::bench::Options o;
  o.device = "/dev/uringblk0";
  const auto b = uringblk::bench::report_json({o, 4096}, {});
  CHECK(b.begin().key() == "version");
  CHECK(b["version"] == 1);
  CHECK(b["schema"] == 1); // deprecated alias, version 1 only
}

namespace {
int g_fail_waits = 0;
int failing_wait(io_uring *ring, io_uring_cqe **cqe) {
  if (g_fail_waits > 0) {
    --g_fail_waits;
    return -EIO;
  }
  return io_uring_wait_cqe(ring, cqe);
}
} // namespace

TEST_CASE("UringCmdRing::execute does not return while its command is in flight",
          "[lib][cmd][issue14]") {
  auto ring = uringblk::UringCmdRing::create();
  REQUIRE(ring);
  std::FILE *tmp = std::tmpfile(); // no uring_cmd: completes with -EOPNOTSUPP
  REQUIRE(tmp != nullptr);
  std::array<std::byte, 64> resp{};
  const auto cmd = uringblk::make_cmd(URINGBLK_UCMD_IDENTIFY, 0, resp);
  g_fail_waits = 1;
  uringblk::test_hooks::set_wait_cqe(failing_wait);
  const int res = ring->execute(::fileno(tmp), URINGBLK_IOC_IDENTIFY, cmd);
  uringblk::test_hooks::set_wait_cqe(nullptr);
  // A failed wait is retried until the command's own completion arrives.
  CHECK(res == -EOPNOTSUPP);
  // And nothing of it is left in the ring: the next command gets its own answer.
  CHECK(io_uring_cq_ready(ring->native()) == 0);
  CHECK(ring->execute(::fileno(tmp), URINGBLK_IOC_IDENTIFY, cmd) == -EOPNOTSUPP);
  std::fclose(tmp);
}

#ifdef URINGBLK_ADMIN_BIN
TEST_CASE("URINGBLK_SYSFS_ROOT is ignored by a setuid program", "[lib][sysfs][issue14]") {
  if (::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0) {
    WARN("needs root and setpriv: skipped");
    return;
  }
  FakeSysfs sys;
  std::ofstream(sys.disk("uringblk7", true) / "capacity") << "4096\n";
  const fs::path bin = sys.path / "uringblk-admin";
  fs::copy_file(URINGBLK_ADMIN_BIN, bin);
  fs::permissions(sys.path, fs::perms::all);
  ::chmod(bin.c_str(), 04755);
  const std::string out = (sys.path / "out").string();
  const std::string cmd = "URINGBLK_SYSFS_ROOT='" + sys.path.string() +
                          "' setpriv --reuid=65534 --regid=65534 --clear-groups '" +
                          bin.string() + "' list -o json >'" + out + "' 2>&1";
  const int status = std::system(cmd.c_str());
  const std::string text = test_helpers::slurp(out);
  INFO(text);
  REQUIRE(WIFEXITED(status));
  CHECK(text.find("uringblk7") == std::string::npos);
}
#endif
