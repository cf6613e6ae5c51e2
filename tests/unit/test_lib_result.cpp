// SPDX-License-Identifier: MIT
// Result<T> / Error: value or error, errno and command named.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include <uringblk/result.hpp>

using namespace uringblk;

TEST_CASE("errno_name gives the symbolic name", "[lib][result]") {
  CHECK(errno_name(EPERM) == "EPERM");
  CHECK(errno_name(-ENOENT) == "ENOENT");
  CHECK(errno_name(EOPNOTSUPP) == "EOPNOTSUPP");
  CHECK(errno_name(EPROTO) == "EPROTO");
  CHECK(errno_name(99999) == "errno 99999");
}

TEST_CASE("Error names the command, the step and the errno", "[lib][result]") {
  const Error e = Error::from_errno(-EPERM, "IDENTIFY");
  CHECK(e.code == std::errc::operation_not_permitted);
  CHECK(e.code.category() == std::system_category());
  CHECK(e.value() == EPERM);
  CHECK(e.detail() == "Operation not permitted (EPERM)");
  CHECK(e.message() == "IDENTIFY: Operation not permitted (EPERM)");

  const Error c = Error::from_errno(EACCES, "open", "open /dev/uringblk-ctl");
  CHECK(c.detail() == "open /dev/uringblk-ctl: Permission denied (EACCES)");
  CHECK(c.message() == "open: open /dev/uringblk-ctl: Permission denied (EACCES)");
}

TEST_CASE("Result<T> holds a value or an error", "[lib][result]") {
  Result<int> ok = 5;
  REQUIRE(ok);
  CHECK(ok.has_value());
  CHECK(*ok == 5);
  CHECK(ok.value() == 5);

  Result<std::string> s = std::string("abc");
  CHECK(s->size() == 3);

  Result<int> bad = Error::from_errno(ENODEV, "GET_STATS");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().command == "GET_STATS");
  CHECK(bad.error().value() == ENODEV);
  try {
    (void)bad.value();
    FAIL("value() of an error must throw");
  } catch (const BadResultAccess &ex) {
    CHECK(ex.code().value() == ENODEV);
    CHECK(std::string(ex.what()).find("GET_STATS") != std::string::npos);
    CHECK(ex.error().command == "GET_STATS");
  }

  Result<void> v;
  CHECK(v);
  CHECK_NOTHROW(v.value());
  Result<void> verr = Error::from_errno(EIO, "reset_stats");
  CHECK_FALSE(verr);
  CHECK(verr.error().message() == "reset_stats: Input/output error (EIO)");
  CHECK_THROWS_AS(verr.value(), BadResultAccess);
}
