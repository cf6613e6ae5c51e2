// SPDX-License-Identifier: MIT
// Command encoding: make_cmd, cmd_op_for and the one URING_CMD SQE prep function.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <uringblk/control.hpp>
#include <uringblk/device.hpp>
#include <uringblk/unique_fd.hpp>
#include <uringblk/uring_cmd.hpp>

using namespace uringblk;

TEST_CASE("cmd_op_for maps opcodes to URINGBLK_IOC_*", "[lib][cmd]") {
  CHECK(cmd_op_for(URINGBLK_UCMD_IDENTIFY) == URINGBLK_IOC_IDENTIFY);
  CHECK(cmd_op_for(URINGBLK_UCMD_GET_LIMITS) == URINGBLK_IOC_GET_LIMITS);
  CHECK(cmd_op_for(URINGBLK_UCMD_GET_FEATURES) == URINGBLK_IOC_GET_FEATURES);
  CHECK(cmd_op_for(URINGBLK_UCMD_GET_GEOMETRY) == URINGBLK_IOC_GET_GEOMETRY);
  CHECK(cmd_op_for(URINGBLK_UCMD_GET_STATS) == URINGBLK_IOC_GET_STATS);
  CHECK(cmd_op_for(0x04) == 0);
  CHECK(cmd_op_for(0) == 0);
  CHECK(opcode_name(URINGBLK_UCMD_IDENTIFY) == "IDENTIFY");
  CHECK(opcode_name(URINGBLK_UCMD_GET_STATS) == "GET_STATS");
  CHECK(opcode_name(0x04) == "UNKNOWN");
  // ABI 1.1
  CHECK(cmd_op_for(URINGBLK_UCMD_ADD_DEVICE) == URINGBLK_IOC_ADD_DEVICE);
  CHECK(cmd_op_for(URINGBLK_UCMD_DEL_DEVICE) == URINGBLK_IOC_DEL_DEVICE);
  CHECK(cmd_op_for(URINGBLK_UCMD_LIST_DEVICES) == URINGBLK_IOC_LIST_DEVICES);
  CHECK(cmd_op_for(URINGBLK_UCMD_GET_PARAMS) == URINGBLK_IOC_GET_PARAMS);
  CHECK(cmd_op_for(URINGBLK_UCMD_SET_PARAMS) == URINGBLK_IOC_SET_PARAMS);
  CHECK(cmd_op_for(URINGBLK_UCMD_POWER_CUT) == URINGBLK_IOC_POWER_CUT);
  CHECK(cmd_op_for(0x0d) == 0);
  CHECK(opcode_name(URINGBLK_UCMD_ADD_DEVICE) == "ADD_DEVICE");
  CHECK(opcode_name(URINGBLK_UCMD_SET_PARAMS) == "SET_PARAMS");
  CHECK(opcode_name(URINGBLK_UCMD_POWER_CUT) == "POWER_CUT");
  CHECK(opcode_name(0x0d) == "UNKNOWN");
}

TEST_CASE("make_cmd fills header, dev_id and the response buffer", "[lib][cmd]") {
  std::array<std::byte, 120> buf{};
  const uringblk_cmd cmd = make_cmd(URINGBLK_UCMD_IDENTIFY, 3, buf);
  CHECK(+cmd.hdr.abi_major == 1);
  CHECK(+cmd.hdr.abi_minor == URINGBLK_ABI_MINOR);
  CHECK(+cmd.hdr.opcode == URINGBLK_UCMD_IDENTIFY);
  CHECK(+cmd.hdr.flags == 0);
  CHECK(+cmd.hdr.payload_len == 0);
  CHECK(+cmd.dev_id == 3);
  CHECK(+cmd.addr == reinterpret_cast<std::uintptr_t>(buf.data()));
  CHECK(+cmd.len == 120);
  CHECK(+cmd.reserved0 == 0);
  CHECK(+cmd.reserved[0] == 0);
  CHECK(+cmd.reserved[1] == 0);

  const uringblk_cmd self = make_cmd(URINGBLK_UCMD_GET_STATS, URINGBLK_DEV_ID_SELF, {});
  CHECK(+self.dev_id == 0xffffffffu);
  CHECK(+self.len == 0);

  std::array<std::byte, 80> params{};
  const uringblk_cmd add = make_cmd(URINGBLK_UCMD_ADD_DEVICE, URINGBLK_DEV_ID_ANY, params, 0, 80);
  CHECK(+add.hdr.payload_len == 80);
  CHECK(+add.len == 80);
  const uringblk_cmd del = make_cmd(URINGBLK_UCMD_DEL_DEVICE, 2, {}, URINGBLK_DEL_FORCE);
  CHECK(+del.hdr.flags == URINGBLK_DEL_FORCE);
  CHECK(+del.hdr.payload_len == 0);
}

TEST_CASE("prep_uring_cmd fills the SQE128 exactly", "[lib][cmd]") {
  alignas(64) std::array<unsigned char, kSqe128Bytes> slot;
  slot.fill(0xAA); // garbage that must all be overwritten
  std::array<std::byte, 104> resp{};
  const uringblk_cmd cmd = make_cmd(URINGBLK_UCMD_GET_STATS, 7, resp);

  auto *sqe = reinterpret_cast<io_uring_sqe *>(slot.data());
  prep_uring_cmd(sqe, 42, URINGBLK_IOC_GET_STATS, cmd);

  // Field view.
  CHECK(+sqe->opcode == IORING_OP_URING_CMD);
  CHECK(+sqe->flags == 0);
  CHECK(+sqe->ioprio == 0);
  CHECK(+sqe->fd == 42);
  CHECK(+sqe->cmd_op == URINGBLK_IOC_GET_STATS);
  CHECK(+sqe->__pad1 == 0);
  CHECK(+sqe->addr == 0);
  CHECK(+sqe->len == 0);
  CHECK(+sqe->uring_cmd_flags == 0);
  CHECK(+sqe->user_data == 0);
  CHECK(+sqe->buf_index == 0);
  CHECK(+sqe->personality == 0);
  CHECK(+sqe->file_index == 0);

  // Byte view: the whole 128-byte slot equals the expected image.
  std::array<unsigned char, kSqe128Bytes> expect{};
  expect[0] = IORING_OP_URING_CMD;
  const std::int32_t fd = 42;
  std::memcpy(&expect[offsetof(io_uring_sqe, fd)], &fd, sizeof fd);
  const std::uint32_t op = URINGBLK_IOC_GET_STATS;
  std::memcpy(&expect[8], &op, sizeof op); // cmd_op shares the union with off at offset 8
  STATIC_REQUIRE(offsetof(io_uring_sqe, cmd) == 48);
  std::memcpy(&expect[48], &cmd, sizeof cmd); // the 48-byte command at the start of sqe->cmd
  for (std::size_t i = 0; i < kSqe128Bytes; ++i) {
    INFO("byte " << i);
    CHECK(+slot[i] == +expect[i]);
  }
}

TEST_CASE("UringCmdRing submits a URING_CMD (smoke test on /dev/null)", "[lib][ring]") {
  auto ring = UringCmdRing::create();
  if (!ring) {
    WARN("io_uring with SQE128 unavailable here: " << ring.error().message());
    return;
  }
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  REQUIRE(null_fd >= 0);
  std::array<std::byte, 120> resp{};
  const auto cmd = make_cmd(URINGBLK_UCMD_IDENTIFY, 0, resp);
  // Since 6.0 /dev/null implements uring_cmd as a no-op returning 0; older kernels refuse.
  const int res = ring->execute(null_fd, URINGBLK_IOC_IDENTIFY, cmd);
  CHECK((res == 0 || res == -EOPNOTSUPP));
  // The ring is reusable.
  const int res2 = ring->execute(null_fd, URINGBLK_IOC_GET_STATS, cmd);
  CHECK(res2 == res);
  ::close(null_fd);

  // A regular file has no uring_cmd: -EOPNOTSUPP in cqe->res.
  std::FILE *tmp = std::tmpfile();
  REQUIRE(tmp != nullptr);
  CHECK(ring->execute(::fileno(tmp), URINGBLK_IOC_IDENTIFY, cmd) == -EOPNOTSUPP);
  std::fclose(tmp);
}

TEST_CASE("Device::open names the failure", "[lib][device]") {
  auto missing = Device::open("/nonexistent/uringblk-test");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == std::errc::no_such_file_or_directory);
  CHECK(missing.error().command == "open");

  auto chr = Device::open("/dev/null", Transport::ioctl);
  REQUIRE_FALSE(chr);
  CHECK(chr.error().value() == ENOTBLK);
  CHECK_THROWS_AS(chr.value(), BadResultAccess);
}

TEST_CASE("Transport names round-trip", "[lib][device]") {
  for (auto t : {Transport::uring_cmd, Transport::ioctl, Transport::automatic})
    CHECK(parse_transport(to_string(t)) == t);
  CHECK(parse_transport("uring_cmd") == Transport::uring_cmd);
  CHECK_FALSE(parse_transport("nvme").has_value());
}

TEST_CASE("run_admin_cmd: the ioctl transport answers -errno", "[lib][cmd]") {
  UniqueFd fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  REQUIRE(fd);
  std::array<std::byte, 16> buf{};
  uringblk_cmd cmd = make_cmd(URINGBLK_UCMD_LIST_DEVICES, URINGBLK_DEV_ID_ANY, buf);
  CHECK(run_admin_cmd(nullptr, fd.get(), URINGBLK_IOC_LIST_DEVICES, cmd) == -ENOTTY);
}

TEST_CASE("Control::open: a missing control node is ENOENT naming it", "[lib][cmd]") {
  auto c = Control::open(Transport::automatic, "/nonexistent/uringblk-ctl");
  REQUIRE_FALSE(c);
  CHECK(c.error().value() == ENOENT);
  CHECK(c.error().context == "open /nonexistent/uringblk-ctl");
}

TEST_CASE("Control: a node that knows no uringblk command is reported as ABI 1.0",
          "[lib][cmd]") {
  // /dev/null answers ENOTTY to the ioctl, as a 1.0 module does to a 1.1 opcode.
  auto c = Control::open(Transport::ioctl, "/dev/null");
  REQUIRE(c);
  auto l = c->list_devices();
  REQUIRE_FALSE(l);
  CHECK(is_abi10_error(l.error()));
  CHECK(l.error().message() == "LIST_DEVICES: " + std::string(kAbi10Message) +
                                   ": Operation not supported (EOPNOTSUPP)");
  // 1.0 commands keep their errno.
  std::array<std::byte, 120> buf{};
  auto n = c->execute(URINGBLK_UCMD_IDENTIFY, 0, buf);
  REQUIRE_FALSE(n);
  CHECK(n.error().value() == ENOTTY);
}
