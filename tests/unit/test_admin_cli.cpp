// SPDX-License-Identifier: MIT
// uringblk-admin argument handling: exit codes 0/1/2 and messages on stderr, both in-process
// (admin::run) and through the built binary (URINGBLK_ADMIN_BIN).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <uringblk/admin/cli.hpp>

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
  auto o = run_binary("identify /dev/uringblk-does-not-exist");
  CHECK(o.code == 1);
  CHECK(o.err == "uringblk-admin: identify /dev/uringblk-does-not-exist: No such file or directory "
                 "(ENOENT)\n");
  auto r = run_binary("reset-stats /dev/uringblk-does-not-exist --transport auto");
  CHECK(r.code == 1);
  CHECK(r.err.find("(ENOENT)") != std::string::npos);
}

TEST_CASE("binary: list -o json on a fake sysfs", "[admin][cli][bin]") {
  TempDir sys;
  const fs::path dir = sys.path / "block/uringblk0/uringblk";
  fs::create_directories(dir);
  fs::create_directories(sys.path / "block/sda");
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
