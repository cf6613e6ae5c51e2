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
#include <vector>

#include <uringblk/control.hpp>
#include <uringblk/device.hpp>
#include <uringblk/unique_fd.hpp>
#include <uringblk/uring_cmd.hpp>

#include "ucmd_check.h" // kmod/: the sizes the driver accepts

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
  CHECK(opcode_name(URINGBLK_UCMD_ADD_DEVICE) == "ADD_DEVICE");
  CHECK(opcode_name(URINGBLK_UCMD_SET_PARAMS) == "SET_PARAMS");
  CHECK(opcode_name(URINGBLK_UCMD_POWER_CUT) == "POWER_CUT");
  // ABI 1.2
  CHECK(cmd_op_for(URINGBLK_UCMD_POWER_ON) == URINGBLK_IOC_POWER_ON);
  CHECK(opcode_name(URINGBLK_UCMD_POWER_ON) == "POWER_ON");
  CHECK(cmd_op_for(URINGBLK_UCMD_POWER_LOG) == URINGBLK_IOC_POWER_LOG);
  CHECK(cmd_op_for(URINGBLK_UCMD_POWER_MARK) == URINGBLK_IOC_POWER_MARK);
  CHECK(cmd_op_for(URINGBLK_UCMD_POWER_ARM) == URINGBLK_IOC_POWER_ARM);
  CHECK(opcode_name(URINGBLK_UCMD_POWER_LOG) == "POWER_LOG");
  CHECK(opcode_name(URINGBLK_UCMD_POWER_MARK) == "POWER_MARK");
  CHECK(opcode_name(URINGBLK_UCMD_POWER_ARM) == "POWER_ARM");
  CHECK(cmd_op_for(0x11) == 0);
  CHECK(opcode_name(0x11) == "UNKNOWN");
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

TEST_CASE("Control: a node that knows no uringblk command is reported as ABI 1.0 (1.1 "
          "commands) or older than 1.2 (POWER_ON)",
          "[lib][cmd]") {
  // /dev/null answers ENOTTY to the ioctl, as a 1.0 module does to a 1.1 opcode.
  auto c = Control::open(Transport::ioctl, "/dev/null");
  REQUIRE(c);
  auto l = c->list_devices();
  REQUIRE_FALSE(l);
  CHECK(is_abi10_error(l.error()));
  CHECK(l.error().message() == "LIST_DEVICES: " + std::string(kAbi10Message) +
                                   ": Operation not supported (EOPNOTSUPP)");
  CHECK_FALSE(is_abi11_error(l.error()));
  auto cut = c->power_cut(0, power_cut_payload(PowerCutMode::all));
  REQUIRE_FALSE(cut);
  CHECK(is_abi10_error(cut.error()));
  const std::array<std::uint64_t, 2> drop{1, 2};
  auto cut_drop = c->power_cut(0, power_cut_payload(PowerCutMode::drop, 2), drop);
  REQUIRE_FALSE(cut_drop);
  CHECK(is_abi10_error(cut_drop.error()));
  // 1.2: a module that does not know POWER_ON predates 1.2 (it may well speak 1.1).
  auto on = c->power_on(0);
  REQUIRE_FALSE(on);
  CHECK(is_abi11_error(on.error()));
  CHECK_FALSE(is_abi10_error(on.error()));
  CHECK(on.error().message() ==
        "POWER_ON: " + std::string(kAbi11Message) + ": Operation not supported (EOPNOTSUPP)");
  // So do the other 1.2 commands.
  auto log = c->power_log(0);
  REQUIRE_FALSE(log);
  CHECK(is_abi11_error(log.error()));
  CHECK(log.error().command == "POWER_LOG");
  auto mark = c->power_mark(0, 7);
  REQUIRE_FALSE(mark);
  CHECK(is_abi11_error(mark.error()));
  CHECK(mark.error().command == "POWER_MARK");
  PowerArm arm{};
  auto armed = c->power_arm(0, arm);
  REQUIRE_FALSE(armed);
  CHECK(is_abi11_error(armed.error()));
  CHECK(armed.error().command == "POWER_ARM");
  // 1.0 commands keep their errno.
  std::array<std::byte, 120> buf{};
  auto n = c->execute(URINGBLK_UCMD_IDENTIFY, 0, buf);
  REQUIRE_FALSE(n);
  CHECK(n.error().value() == ENOTTY);
}

TEST_CASE("power_cut_payload: mode, seed and the 1.2 flags", "[lib][cmd]") {
  const uringblk_power_cut off = power_cut_payload(PowerCutMode::torn, 42);
  CHECK(+off.mode == URINGBLK_PL_TORN);
  CHECK(+off.flags == 0);
  CHECK(+off.seed == 42);
  const uringblk_power_cut on = power_cut_payload(PowerCutMode::all, 0, URINGBLK_PL_CUT_RESUME);
  CHECK(+on.mode == URINGBLK_PL_ALL);
  CHECK(+on.flags == URINGBLK_PL_CUT_RESUME);
  CHECK(+on.seed == 0);
  CHECK(+power_cut_payload(PowerCutMode::random, 7).mode == URINGBLK_PL_RANDOM);
  CHECK(+power_cut_payload(PowerCutMode::prefix, 9).mode == URINGBLK_PL_PREFIX);
  CHECK(+power_cut_payload(PowerCutMode::drop, 1).mode == URINGBLK_PL_DROP);
  const auto both = URINGBLK_PL_CUT_RESUME | URINGBLK_PL_CUT_TEAR_PHYSICAL;
  CHECK(+power_cut_payload(PowerCutMode::torn, 1, both).flags == 3u);
}

namespace {
std::uint64_t u64_at(const std::vector<std::byte> &b, std::size_t off) {
  std::uint64_t v;
  std::memcpy(&v, b.data() + off, 8);
  return v;
}
std::uint32_t u32_at(const std::vector<std::byte> &b, std::size_t off) {
  std::uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}
} // namespace

TEST_CASE("power_cut_payload_bytes: the struct, then DROP's change numbers", "[lib][cmd]") {
  const auto all = power_cut_payload_bytes(power_cut_payload(PowerCutMode::all));
  REQUIRE(all.size() == 16);
  CHECK(u32_at(all, 0) == URINGBLK_PL_ALL);
  CHECK(u32_at(all, 4) == 0);
  CHECK(u64_at(all, 8) == 0);

  const std::array<std::uint64_t, 3> drop{3, 0x1122334455667788ULL, 9};
  const auto d = power_cut_payload_bytes(
      power_cut_payload(PowerCutMode::drop, drop.size(), URINGBLK_PL_CUT_RESUME), drop);
  REQUIRE(d.size() == 16 + 8 * 3);
  CHECK(u32_at(d, 0) == URINGBLK_PL_DROP);
  CHECK(u32_at(d, 4) == URINGBLK_PL_CUT_RESUME);
  CHECK(u64_at(d, 8) == 3);
  CHECK(u64_at(d, 16) == 3);
  CHECK(u64_at(d, 24) == 0x1122334455667788ULL);
  CHECK(u64_at(d, 32) == 9);
  // Little-endian on the wire, as the kernel reads a __u64.
  CHECK(d[24] == std::byte{0x88});

  std::vector<std::uint64_t> most(URINGBLK_PL_MAX_DROP);
  for (std::size_t i = 0; i < most.size(); ++i)
    most[i] = i + 1;
  const auto m = power_cut_payload_bytes(power_cut_payload(PowerCutMode::drop, 64), most);
  CHECK(m.size() == 16 + 8 * 64);
  CHECK(u64_at(m, m.size() - 8) == 64);
  // The sizes are what the driver accepts, and one more number is not.
  for (const auto &b : {all, d, m})
    CHECK(ubk_ucmd_payload_ok(URINGBLK_UCMD_POWER_CUT, static_cast<std::uint32_t>(b.size())));
  most.push_back(65);
  CHECK_FALSE(ubk_ucmd_payload_ok(
      URINGBLK_UCMD_POWER_CUT,
      static_cast<std::uint32_t>(
          power_cut_payload_bytes(power_cut_payload(PowerCutMode::drop, 65), most).size())));
}

namespace {
std::vector<std::byte> log_answer(std::uint64_t nr_changes, std::uint32_t nr_entries,
                                  std::size_t entries_present) {
  std::vector<std::byte> b(16 + 32 * entries_present);
  std::memcpy(b.data(), &nr_changes, 8);
  std::memcpy(b.data() + 8, &nr_entries, 4);
  for (std::size_t i = 0; i < entries_present; ++i) {
    PowerLogEntry e{};
    e.seq = i + 1;
    e.sector = 8 * i;
    e.nr_sectors = 8;
    e.op = URINGBLK_PL_OP_WRITE;
    e.flags = i == 1 ? URINGBLK_PL_LOG_FUA | URINGBLK_PL_LOG_MARK : 0;
    e.mark = i == 1 ? 77 : 0;
    std::memcpy(b.data() + 16 + 32 * i, &e, 32);
  }
  return b;
}
} // namespace

TEST_CASE("decode_power_log: the header and nr_entries entries, else EPROTO", "[lib][cmd]") {
  auto ok = decode_power_log(log_answer(5, 3, 3));
  REQUIRE(ok);
  CHECK(ok->nr_changes == 5);
  REQUIRE(ok->entries.size() == 3);
  CHECK(+ok->entries[0].seq == 1);
  CHECK(+ok->entries[2].sector == 16);
  CHECK(+ok->entries[1].flags == (URINGBLK_PL_LOG_FUA | URINGBLK_PL_LOG_MARK));
  CHECK(+ok->entries[1].mark == 77);
  CHECK(+ok->entries[1].op == URINGBLK_PL_OP_WRITE);

  auto empty = decode_power_log(log_answer(0, 0, 0));
  REQUIRE(empty);
  CHECK(empty->nr_changes == 0);
  CHECK(empty->entries.empty());

  const auto b = log_answer(5, 3, 3);
  auto short_head = decode_power_log(std::span(b).first(15));
  REQUIRE_FALSE(short_head);
  CHECK(short_head.error().value() == EPROTO);
  CHECK(short_head.error().message() ==
        "POWER_LOG: short response: 15 of 16 bytes: Protocol error (EPROTO)");
  for (const auto &bad : {log_answer(5, 3, 2),    // fewer entries than announced
                          log_answer(5, 2, 3),    // more
                          log_answer(2, 3, 3)}) { // more entries than changes
    auto r = decode_power_log(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().value() == EPROTO);
    CHECK(r.error().command == "POWER_LOG");
  }
  CHECK(decode_power_log(log_answer(5, 3, 2)).error().context ==
        "response of 80 bytes with 3 entries of 5 changes");
}
