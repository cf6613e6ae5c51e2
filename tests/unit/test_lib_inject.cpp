// SPDX-License-Identifier: MIT
// libuapi error-injection helpers (uringblk/inject.hpp): typed rules, validation with the
// driver's limits, the exact kernel grammar (kmod/inject_rule.h) for parsing and formatting,
// the sysfs add/clear/list on a fake /sys tree, and the uringblk-admin "inject" formatting.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <uringblk/admin/cli.hpp>
#include <uringblk/admin/format.hpp>
#include <uringblk/inject.hpp>

#include "inject_rule.h"

using namespace uringblk;
namespace fs = std::filesystem;

namespace {

struct FakeSys {
  fs::path root;
  FakeSys() {
    static std::atomic<int> n{0};
    root = fs::temp_directory_path() /
           ("uringblk-inject-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(root / "block/uringblk0/uringblk");
    set("");
  }
  ~FakeSys() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  fs::path file() const { return root / "block/uringblk0/uringblk/error_inject"; }
  void set(const std::string &text) const { std::ofstream(file(), std::ios::trunc) << text; }
  std::string get() const {
    std::ifstream in(file());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

std::string line_of(const InjectRule &r) {
  auto l = format_inject_rule(r);
  REQUIRE(l.has_value());
  return *l;
}

// What the kernel's parser makes of a line: accepted (a rule, not "clear") or not.
bool kernel_accepts_rule(const std::string &s) {
  ubk_inj_rule raw{};
  return ubk_inj_parse(s.data(), s.size(), &raw) == 0 && raw.kind != UBK_INJ_CLEAR;
}

} // namespace

TEST_CASE("inject kinds have the grammar's names", "[lib][inject]") {
  for (auto [k, name] : std::vector<std::pair<InjectKind, std::string>>{
           {InjectKind::read, "read"},
           {InjectKind::write, "write"},
           {InjectKind::nospc, "nospc"},
           {InjectKind::busy, "busy"},
           {InjectKind::nomem, "nomem"},
           {InjectKind::timeout, "timeout"},
           {InjectKind::delay, "delay"}}) {
    CHECK(to_string(k) == name);
    CHECK(parse_inject_kind(name) == k);
  }
  CHECK_FALSE(parse_inject_kind("clear").has_value());
  CHECK_FALSE(parse_inject_kind("READ").has_value());
  CHECK(InjectRule::read(1, 1).is_count());
  CHECK(InjectRule::nospc(1, 1).is_count());
  CHECK_FALSE(InjectRule::timeout(1, 1).is_count());
  CHECK_FALSE(InjectRule::delay(1, 1).is_count());
}

TEST_CASE("typed rules format to the canonical line", "[lib][inject]") {
  CHECK(line_of(InjectRule::read(1000, 5)) == "read,1000,5");
  CHECK(line_of(InjectRule::read(0, 1)) == "read,0,1"); // block 0, not "any"
  CHECK(line_of(InjectRule::read(1000, 5, 50)) == "read,1000,5,50");
  CHECK(line_of(InjectRule::write(7, 1).any_lba()) == "write,*,1");
  CHECK(line_of(InjectRule::nospc(0, 1).any_lba()) == "nospc,*,1");
  CHECK(line_of(InjectRule::timeout(0, 10)) == "timeout,0,10");
  CHECK(line_of(InjectRule::timeout(0, 100)) == "timeout,0,100"); // PCT always shown
  CHECK(line_of(InjectRule::timeout(99, 10).any_lba()) == "timeout,0,10");
  CHECK(line_of(InjectRule::timeout(12, 3)) == "timeout,12,3");
  CHECK(line_of(InjectRule::delay(0, 2000, 50)) == "delay,0,2000,50");
  CHECK(line_of(InjectRule::delay(5, 1)) == "delay,5,1");
  CHECK(line_of(InjectRule::read(UINT64_MAX, kInjectMaxCount, 1)) ==
        "read,18446744073709551615,1000000000,1");
  CHECK(line_of(InjectRule::delay(1, kInjectMaxUsec)) == "delay,1,10000000");
  // Unused fields do not matter.
  InjectRule t = InjectRule::timeout(4, 20);
  t.count = 77;
  t.usec = 9;
  CHECK(line_of(t) == "timeout,4,20");
  CHECK(t == InjectRule::timeout(4, 20));
}

TEST_CASE("canonical form and equality", "[lib][inject]") {
  // In timeout and delay rules LBA 0 is "any".
  CHECK(InjectRule::timeout(0, 10).any);
  CHECK(InjectRule::delay(0, 1).any);
  CHECK(InjectRule::timeout(0, 10) == InjectRule::timeout(5, 10).any_lba());
  CHECK_FALSE(InjectRule::read(0, 1).any);
  CHECK_FALSE(InjectRule::read(0, 1) == InjectRule::read(0, 1).any_lba());
  CHECK_FALSE(InjectRule::read(1, 1) == InjectRule::write(1, 1));
  CHECK_FALSE(InjectRule::read(1, 1) == InjectRule::read(1, 2));
  CHECK_FALSE(InjectRule::read(1, 1) == InjectRule::read(1, 1, 99));
  InjectRule a = InjectRule::read(5, 1).any_lba();
  CHECK(a.lba == 0);
  CHECK(a == InjectRule{InjectKind::read, true, 123, 1, 100, 0});
}

TEST_CASE("validation uses the driver's limits", "[lib][inject]") {
  auto bad = [](const InjectRule &r, const std::string &why) {
    INFO(why);
    auto p = inject_rule_problem(r);
    REQUIRE(p.has_value());
    CHECK(p->find(why) != std::string::npos);
    auto l = format_inject_rule(r);
    REQUIRE_FALSE(l.has_value());
    CHECK(l.error().value() == EINVAL);
    CHECK(l.error().context.find(why) != std::string::npos);
  };
  bad(InjectRule::read(1, 0), "COUNT 0 out of range (1-1000000000)");
  bad(InjectRule::write(1, kInjectMaxCount + 1), "COUNT 1000000001");
  bad(InjectRule::nospc(1, 1, 0), "PCT 0 out of range (1-100)");
  bad(InjectRule::nospc(1, 1, 101), "PCT 101");
  bad(InjectRule::timeout(1, 0), "PCT 0");
  bad(InjectRule::timeout(1, 101), "PCT 101");
  bad(InjectRule::delay(1, 0), "USEC 0 out of range (1-10000000)");
  bad(InjectRule::delay(1, kInjectMaxUsec + 1), "USEC 10000001");
  bad(InjectRule{static_cast<InjectKind>(42), false, 1, 1, 100, 0}, "unknown rule kind");
  for (const auto &ok : {InjectRule::read(0, 1, 1), InjectRule::read(UINT64_MAX, kInjectMaxCount),
                         InjectRule::timeout(1, 1), InjectRule::timeout(1, 100),
                         InjectRule::delay(1, 1, 1), InjectRule::delay(1, kInjectMaxUsec, 100)}) {
    CHECK_FALSE(inject_rule_problem(ok).has_value());
    CHECK(format_inject_rule(ok).has_value());
  }
}

TEST_CASE("parsing accepts the grammar and round-trips", "[lib][inject]") {
  auto r = parse_inject_rule("read,1000,5\n");
  REQUIRE(r.has_value());
  CHECK(*r == InjectRule::read(1000, 5));
  CHECK(r->count == 5);
  CHECK(r->pct == 100);

  r = parse_inject_rule("  nospc,*,1 ");
  REQUIRE(r.has_value());
  CHECK(r->kind == InjectKind::nospc);
  CHECK(r->any);

  r = parse_inject_rule("timeout,0,10");
  REQUIRE(r.has_value());
  CHECK(r->any);
  CHECK(r->pct == 10);
  CHECK(r->count == 0);

  r = parse_inject_rule("delay,007,2000,50");
  REQUIRE(r.has_value());
  CHECK(*r == InjectRule::delay(7, 2000, 50));
  CHECK(r->usec == 2000);
  CHECK(line_of(*r) == "delay,7,2000,50"); // leading zeros dropped

  for (const char *canonical :
       {"read,1000,5", "read,0,1", "read,*,3,50", "write,18446744073709551615,1000000000,1",
        "nospc,*,1", "timeout,0,10", "timeout,9,100", "delay,0,2000,50", "delay,3,10000000"}) {
    INFO(canonical);
    auto p = parse_inject_rule(canonical);
    REQUIRE(p.has_value());
    CHECK(line_of(*p) == canonical);
  }
}

TEST_CASE("parsing rejects what the driver rejects, saying why", "[lib][inject]") {
  auto why = [](const std::string &line, const std::string &reason) {
    INFO(line);
    auto r = parse_inject_rule(line);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().value() == EINVAL);
    CHECK(r.error().command == "parse_inject_rule");
    CHECK(r.error().context.find(reason) != std::string::npos);
  };
  why("", "empty rule");
  why("\n", "empty rule");
  why("clear", "\"clear\" is a command");
  why("frob,1,1", "unknown op 'frob'");
  why("READ,1,1", "unknown op 'READ'");
  why("read,1", "read takes 3 or 4 fields");
  why("read,1,1,1,1", "read takes 3 or 4 fields");
  why("timeout,0,10,5", "timeout takes 3 fields");
  why("read, 1,1", "whitespace");
  why(std::string("read,1\0,1", 9), "NUL");
  why("read,x,1", "LBA 'x' is not");
  why("read,-1,1", "LBA '-1' is not");
  why("read,18446744073709551616,1", "LBA 18446744073709551616 out of range");
  why("read,1,0", "COUNT 0 out of range");
  why("read,1,0x10", "COUNT '0x10' is not a decimal number");
  why("read,1,1000000001", "COUNT 1000000001 out of range");
  why("read,1,99999999999999999999", "COUNT 99999999999999999999 out of range");
  why("read,1,1,0", "PCT 0 out of range");
  why("read,1,1,", "PCT '' is not a decimal number");
  why("timeout,1,101", "PCT 101 out of range");
  why("delay,1,0", "USEC 0 out of range");
  why("delay,1,10000001", "USEC 10000001 out of range");
}

TEST_CASE("the library accepts exactly what the kernel parser accepts", "[lib][inject]") {
  std::mt19937 rng(1234);
  const std::vector<std::string> seeds = {
      "read,1000,5",   "write,*,1,50", "nospc,0,1",      "timeout,0,10",  "delay,0,2000,50",
      "delay,5,1",     "timeout,7,1",  "read,1,1000000000", "clear",       "read,,1"};
  const std::string alphabet = "0123456789,*rwdtnoe \n-x";
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    const int edits = static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
      switch (rng() % 3) {
      case 0:
        s.insert(pos, 1, alphabet[rng() % alphabet.size()]);
        break;
      case 1:
        if (pos < s.size())
          s.erase(pos, 1);
        break;
      default:
        if (pos < s.size())
          s[pos] = alphabet[rng() % alphabet.size()];
        break;
      }
    }
    INFO("'" << s << "'");
    auto r = parse_inject_rule(s);
    REQUIRE(r.has_value() == kernel_accepts_rule(s));
    if (r) {
      // format -> kernel parse gives the same rule.
      const std::string l = line_of(*r);
      REQUIRE(kernel_accepts_rule(l));
      auto back = parse_inject_rule(l);
      REQUIRE(back.has_value());
      CHECK(*back == *r);
    }
  }
}

TEST_CASE("parse_inject_list reads a listing", "[lib][inject]") {
  auto l = parse_inject_list("read,1000,3\nnospc,*,1\n\ntimeout,0,10\ndelay,0,2000,50\n");
  REQUIRE(l.has_value());
  REQUIRE(l->size() == 4);
  CHECK((*l)[0] == InjectRule::read(1000, 3));
  CHECK((*l)[1] == InjectRule::nospc(0, 1).any_lba());
  CHECK((*l)[2] == InjectRule::timeout(0, 10));
  CHECK((*l)[3] == InjectRule::delay(0, 2000, 50));
  CHECK(parse_inject_list("")->empty());
  CHECK(parse_inject_list("\n \n")->empty());
  auto bad = parse_inject_list("read,1,1\nread,1,0\n");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().value() == EINVAL);
  CHECK(bad.error().context.find("line 2") != std::string::npos);
}

TEST_CASE("the kernel's listing parses back to the same rules", "[lib][inject]") {
  // Build a table with the kernel's own code, format it, parse it with the library.
  ubk_inj_table table{};
  ubk_inj_counters ctr{};
  for (const char *cmd : {"read,1000,5", "timeout,0,10", "delay,0,2000,50", "nospc,*,1",
                          "write,8,3,25", "read,1000,7"}) {
    ubk_inj_rule rule{};
    REQUIRE(ubk_inj_parse(cmd, std::strlen(cmd), &rule) == 0);
    ubk_inj_table next{};
    REQUIRE(ubk_inj_apply(&next, &table, &rule, &ctr) == 0);
    table = next;
  }
  char buf[UBK_INJ_LIST_MAX];
  const std::size_t n = ubk_inj_format(&table, &ctr, buf, sizeof(buf));
  auto l = parse_inject_list(std::string_view(buf, n));
  REQUIRE(l.has_value());
  REQUIRE(l->size() == 5);
  CHECK((*l)[0] == InjectRule::read(1000, 7)); // replaced in place, fresh COUNT
  CHECK((*l)[1] == InjectRule::nospc(0, 1).any_lba());
  CHECK((*l)[2] == InjectRule::write(8, 3, 25));
  CHECK((*l)[3] == InjectRule::timeout(0, 10));
  CHECK((*l)[4] == InjectRule::delay(0, 2000, 50));
  std::string joined;
  for (const auto &r : *l)
    joined += line_of(r) + "\n";
  CHECK(joined == std::string(buf, n));
}

TEST_CASE("inject_add/clear/list on a fake sysfs", "[lib][inject][sysfs]") {
  FakeSys sys;
  REQUIRE(inject_add("uringblk0", InjectRule::read(1000, 5), sys.root).has_value());
  CHECK(sys.get() == "read,1000,5\n");
  sys.set(""); // a regular file is not truncated by the write (sysfs needs no truncation)
  REQUIRE(inject_add("uringblk0", InjectRule::timeout(0, 10), sys.root).has_value());
  CHECK(sys.get() == "timeout,0,10\n");

  // An invalid rule is not written at all.
  sys.set("untouched");
  auto bad = inject_add("uringblk0", InjectRule::read(1, 0), sys.root);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().value() == EINVAL);
  CHECK(bad.error().command == "inject_add");
  CHECK(sys.get() == "untouched");

  sys.set("");
  REQUIRE(inject_clear("uringblk0", sys.root).has_value());
  CHECK(sys.get() == "clear\n");

  sys.set("read,1000,3\ntimeout,0,10\n");
  auto l = inject_list("uringblk0", sys.root);
  REQUIRE(l.has_value());
  REQUIRE(l->size() == 2);
  CHECK((*l)[0] == InjectRule::read(1000, 3));
  CHECK((*l)[1] == InjectRule::timeout(0, 10));

  sys.set("");
  CHECK(inject_list("uringblk0", sys.root)->empty());

  sys.set("read,1000,3\ngarbage\n");
  auto proto = inject_list("uringblk0", sys.root);
  REQUIRE_FALSE(proto.has_value());
  CHECK(proto.error().value() == EPROTO);
  CHECK(proto.error().context.find("line 2") != std::string::npos);

  auto missing = inject_list("uringblk9", sys.root);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().value() == ENOENT);
  CHECK(missing.error().command == "inject_list");
  auto missing_add = inject_add("uringblk9", InjectRule::read(1, 1), sys.root);
  REQUIRE_FALSE(missing_add.has_value());
  CHECK(missing_add.error().value() == ENOENT);
}

TEST_CASE("uringblk-admin inject output", "[admin][format][inject]") {
  using namespace uringblk::admin;
  const std::vector<InjectRule> rules = {InjectRule::read(1000, 3),
                                         InjectRule::timeout(0, 10),
                                         InjectRule::delay(0, 2000, 50)};
  CHECK(inject_list_text(rules, "/dev/uringblk0") ==
        "uringblk Error injection (/dev/uringblk0):\nread,1000,3\ntimeout,0,10\n"
        "delay,0,2000,50\n");
  CHECK(inject_list_text({}, "/dev/uringblk0") ==
        "uringblk Error injection (/dev/uringblk0):\n(no rules)\n");
  CHECK(inject_add_text(std::span(rules).first(1), "/dev/uringblk0") ==
        "/dev/uringblk0: added read,1000,3\n");
  CHECK(inject_clear_text("/dev/uringblk0") == "/dev/uringblk0: error injection rules cleared\n");

  const auto j = nlohmann::json::parse(render_json(inject_list_json(rules, "/dev/uringblk0")));
  CHECK(j["version"] == 1);
  CHECK(j["device"] == "/dev/uringblk0");
  REQUIRE(j["rules"].size() == 3);
  CHECK(j["rules"][0]["rule"] == "read,1000,3");
  CHECK(j["rules"][0]["kind"] == "read");
  CHECK(j["rules"][0]["any"] == false);
  CHECK(j["rules"][0]["lba"] == 1000);
  CHECK(j["rules"][0]["count"] == 3);
  CHECK(j["rules"][0]["pct"] == 100);
  CHECK(j["rules"][1]["any"] == true);
  CHECK(j["rules"][1]["pct"] == 10);
  CHECK(j["rules"][2]["usec"] == 2000);
  const std::vector<std::string> keys = {"rule", "kind", "any", "lba", "count", "pct", "usec"};
  std::vector<std::string> got;
  for (auto it = j["rules"][0].begin(); it != j["rules"][0].end(); ++it)
    got.push_back(it.key());
  std::sort(got.begin(), got.end());
  auto want = keys;
  std::sort(want.begin(), want.end());
  CHECK(got == want);
  CHECK(inject_list_json({}, "x")["rules"].is_array());
  CHECK(inject_add_json(rules, "x")["added"].size() == 3);
  CHECK(inject_clear_json("x")["cleared"] == true);
}

TEST_CASE("uringblk-admin inject arguments", "[admin][cli][inject]") {
  auto run = [](std::vector<const char *> args) {
    args.insert(args.begin(), "uringblk-admin");
    std::ostringstream out, err;
    const int code =
        uringblk::admin::run(static_cast<int>(args.size()), args.data(), out, err);
    return std::tuple{code, out.str(), err.str()};
  };
  // Usage errors: no subcommand, no device, add without a rule.
  for (auto args : std::vector<std::vector<const char *>>{
           {"inject"}, {"inject", "list"}, {"inject", "add", "/dev/x"}, {"inject", "frob", "0"}}) {
    auto [code, out, err] = run(args);
    INFO(err);
    CHECK(code == 2);
  }
  auto [hcode, hout, herr] = run({"inject", "--help"});
  CHECK(hcode == 0);
  for (const char *sub : {"add", "list", "clear"})
    CHECK(hout.find(sub) != std::string::npos);

  // A bad rule is bad input, refused before the device is looked at (exit 2, with the reason).
  auto [code, out, err] = run({"inject", "add", "/dev/uringblk-nope", "read,1000,0"});
  CHECK(code == 2);
  CHECK(err == "uringblk-admin: inject add: 'read,1000,0': COUNT 0 out of range (1-1000000000)"
               "\nRun with --help for more information.\n");
  CHECK(out.empty());

  auto [jcode, jout, jerr] =
      run({"inject", "add", "-o", "json", "/dev/uringblk-nope", "read,1,1", "clear"});
  CHECK(jcode == 2);
  CHECK(jout.empty());
  CHECK(jerr.find("'clear'") != std::string::npos);

  // A good rule on a device that does not exist: ENOENT.
  auto [ncode, nout, nerr] = run({"inject", "list", "/dev/uringblk-nope"});
  CHECK(ncode == 1);
  CHECK(nerr.find("(ENOENT)") != std::string::npos);
}
