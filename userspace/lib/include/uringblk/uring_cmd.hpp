// SPDX-License-Identifier: MIT
// Encoding of admin commands and the one place that fills an IORING_OP_URING_CMD SQE.
#pragma once

#include <liburing.h>
#include <linux/uringblk.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include <uringblk/result.hpp>

namespace uringblk {

/// Bytes of command data in an SQE128 (sqe->cmd); struct uringblk_cmd takes the first 48.
inline constexpr std::size_t kSqe128CmdBytes = 80;
/// Size of one SQE on an IORING_SETUP_SQE128 ring.
inline constexpr std::size_t kSqe128Bytes = 128;

/// URINGBLK_IOC_* (cmd_op and ioctl number) for a URINGBLK_UCMD_* opcode; 0 if unknown.
std::uint32_t cmd_op_for(std::uint16_t opcode) noexcept;

/// "IDENTIFY", "GET_LIMITS", "GET_FEATURES", "GET_GEOMETRY", "GET_STATS", "ADD_DEVICE",
/// "DEL_DEVICE", "LIST_DEVICES", "GET_PARAMS", "SET_PARAMS", "POWER_CUT", "POWER_ON",
/// "POWER_LOG", "POWER_MARK", "POWER_ARM"; "UNKNOWN" otherwise.
std::string_view opcode_name(std::uint16_t opcode) noexcept;

/// A command with header {URINGBLK_ABI_MAJOR.MINOR, opcode, flags, payload_len}, dev_id, and the
/// response buffer in addr/len (a command with a payload reads it at addr too: the buffer holds
/// the payload on entry and the response on return). Reserved fields are zero.
uringblk_cmd make_cmd(std::uint16_t opcode, std::uint32_t dev_id, std::span<std::byte> response,
                      std::uint16_t flags = 0, std::uint32_t payload_len = 0) noexcept;

/// Fill an SQE for IORING_OP_URING_CMD: all 128 bytes zeroed, then opcode, fd, cmd_op and the
/// 48-byte command copied to the start of sqe->cmd. user_data is left 0.
/// Precondition: sqe comes from a ring created with IORING_SETUP_SQE128 (128-byte slots).
void prep_uring_cmd(io_uring_sqe *sqe, int fd, std::uint32_t cmd_op,
                    const uringblk_cmd &cmd) noexcept;

/// A small IORING_SETUP_SQE128 ring that runs one URING_CMD at a time, synchronously.
class UringCmdRing {
public:
  /// Creates the ring (SQE128, no IOPOLL). The Error carries the -errno of io_uring_queue_init.
  static Result<UringCmdRing> create(unsigned entries = 4);

  UringCmdRing(UringCmdRing &&) noexcept;
  UringCmdRing &operator=(UringCmdRing &&) noexcept;
  ~UringCmdRing();

  /// Submit one command on fd and wait for its completion. The payload (cmd.hdr.payload_len
  /// bytes at cmd.addr) travels in the same owned buffer as the response. Returns cqe->res (the response
  /// length, or -errno from the driver), or -errno if submission/waiting failed. The kernel
  /// writes the response into a buffer the ring owns, copied to cmd.addr after the CQE: the
  /// caller's buffer is never written after execute() has returned, even when waiting failed
  /// (the command is then cancelled, and its buffer kept until the ring is gone).
  int execute(int fd, std::uint32_t cmd_op, const uringblk_cmd &cmd) noexcept;

  io_uring *native() noexcept;

private:
  struct Ring;
  explicit UringCmdRing(std::unique_ptr<Ring> ring) noexcept;
  std::unique_ptr<Ring> ring_;
};

/// EPROTO naming the command: "short response: 8 of 120 bytes".
Error short_response(std::uint16_t opcode, std::size_t got, std::size_t want);

/// `raw` as the answer of a command that returned `n` bytes into it: the error of n, or
/// short_response() if n is shorter than the ABI struct.
template <class Raw>
Result<Raw> fixed_response(std::uint16_t opcode, const Result<std::size_t> &n, const Raw &raw) {
  if (!n)
    return n.error();
  if (*n < sizeof(raw))
    return short_response(opcode, *n, sizeof(raw));
  return raw;
}

/// Run one admin command on fd: over URING_CMD on `ring` if it is not null, else as
/// ioctl(fd, cmd_op, &cmd) (retried on EINTR). Returns the response length or -errno. The one
/// place both transports are issued (Device and Control).
int run_admin_cmd(UringCmdRing *ring, int fd, std::uint32_t cmd_op, uringblk_cmd &cmd) noexcept;

} // namespace uringblk
