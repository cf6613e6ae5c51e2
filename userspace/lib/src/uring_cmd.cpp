// SPDX-License-Identifier: MIT
#include <uringblk/uring_cmd.hpp>

#include "ucmd_check.h" // kmod/: the driver's command list

#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace uringblk {

// A seam for the unit tests (tests/unit/test_defects_issue14.cpp): they make a wait fail to
// check that execute() never returns while its command is in flight. Not in any header.
namespace test_hooks {
using WaitCqe = int (*)(io_uring *, io_uring_cqe **);
namespace {
WaitCqe g_wait_cqe = nullptr;
}
void set_wait_cqe(WaitCqe fn) noexcept;
void set_wait_cqe(WaitCqe fn) noexcept { g_wait_cqe = fn; }
} // namespace test_hooks

namespace {
int wait_cqe(io_uring *ring, io_uring_cqe **cqe) {
  if (test_hooks::g_wait_cqe)
    return test_hooks::g_wait_cqe(ring, cqe);
  return io_uring_wait_cqe(ring, cqe);
}
} // namespace

static_assert(sizeof(uringblk_cmd) <= kSqe128CmdBytes, "uringblk_cmd must fit in an SQE128");
static_assert(sizeof(io_uring_sqe) == 64, "io_uring_sqe is the 64-byte base SQE");
static_assert(offsetof(io_uring_sqe, cmd) + kSqe128CmdBytes == kSqe128Bytes);

// The driver's own list of commands (kmod/ucmd_check.h): every cmd_op is _IOWR(0xB5, opcode,
// struct uringblk_cmd), and an opcode the driver does not implement has none.
std::uint32_t cmd_op_for(std::uint16_t opcode) noexcept {
  const std::uint32_t op = _IOWR(URINGBLK_IOC_MAGIC, opcode, struct uringblk_cmd);
  return ubk_ucmd_op_known(op) ? op : 0;
}

std::string_view opcode_name(std::uint16_t opcode) noexcept {
  switch (opcode) {
  case URINGBLK_UCMD_IDENTIFY:
    return "IDENTIFY";
  case URINGBLK_UCMD_GET_LIMITS:
    return "GET_LIMITS";
  case URINGBLK_UCMD_GET_FEATURES:
    return "GET_FEATURES";
  case URINGBLK_UCMD_GET_GEOMETRY:
    return "GET_GEOMETRY";
  case URINGBLK_UCMD_GET_STATS:
    return "GET_STATS";
  case URINGBLK_UCMD_ADD_DEVICE:
    return "ADD_DEVICE";
  case URINGBLK_UCMD_DEL_DEVICE:
    return "DEL_DEVICE";
  case URINGBLK_UCMD_LIST_DEVICES:
    return "LIST_DEVICES";
  case URINGBLK_UCMD_GET_PARAMS:
    return "GET_PARAMS";
  case URINGBLK_UCMD_SET_PARAMS:
    return "SET_PARAMS";
  case URINGBLK_UCMD_POWER_CUT:
    return "POWER_CUT";
  case URINGBLK_UCMD_POWER_ON:
    return "POWER_ON";
  case URINGBLK_UCMD_POWER_LOG:
    return "POWER_LOG";
  case URINGBLK_UCMD_POWER_MARK:
    return "POWER_MARK";
  case URINGBLK_UCMD_POWER_ARM:
    return "POWER_ARM";
  default:
    return "UNKNOWN";
  }
}

uringblk_cmd make_cmd(std::uint16_t opcode, std::uint32_t dev_id, std::span<std::byte> response,
                      std::uint16_t flags, std::uint32_t payload_len) noexcept {
  uringblk_cmd cmd;
  std::memset(&cmd, 0, sizeof(cmd));
  cmd.hdr.abi_major = URINGBLK_ABI_MAJOR;
  cmd.hdr.abi_minor = URINGBLK_ABI_MINOR;
  cmd.hdr.opcode = opcode;
  cmd.hdr.flags = flags;
  cmd.hdr.payload_len = payload_len;
  cmd.dev_id = dev_id;
  cmd.addr = reinterpret_cast<std::uintptr_t>(response.data());
  cmd.len = static_cast<std::uint32_t>(response.size());
  return cmd;
}

// The one place that fills a URING_CMD SQE (liburing 2.3 has no prep helper).
void prep_uring_cmd(io_uring_sqe *sqe, int fd, std::uint32_t cmd_op,
                    const uringblk_cmd &cmd) noexcept {
  auto *bytes = reinterpret_cast<unsigned char *>(sqe);
  std::memset(bytes, 0, kSqe128Bytes);
  sqe->opcode = IORING_OP_URING_CMD;
  sqe->fd = fd;
  sqe->cmd_op = cmd_op; // __pad1, uring_cmd_flags, buf_index, personality stay 0
  // sqe->cmd is a zero-length array overlaying addr3: the 80-byte area of an SQE128.
  std::memcpy(bytes + offsetof(io_uring_sqe, cmd), &cmd, sizeof(cmd));
}

struct UringCmdRing::Ring {
  io_uring ring{};
  // Response buffers of commands whose completion could not be waited for: the kernel may
  // still write them, so they are never freed (not even after io_uring_queue_exit(), whose
  // teardown of in-flight requests is asynchronous).
  std::vector<std::unique_ptr<std::byte[]>> stranded;
  ~Ring() {
    io_uring_queue_exit(&ring);
    for (auto &b : stranded)
      (void)b.release();
  }
};

UringCmdRing::UringCmdRing(std::unique_ptr<Ring> ring) noexcept : ring_(std::move(ring)) {}
UringCmdRing::UringCmdRing(UringCmdRing &&) noexcept = default;
UringCmdRing &UringCmdRing::operator=(UringCmdRing &&) noexcept = default;
UringCmdRing::~UringCmdRing() = default;

Result<UringCmdRing> UringCmdRing::create(unsigned entries) {
  // Construct without running the destructor on failure: only a successfully initialised
  // ring is handed to a Ring object.
  io_uring tmp;
  std::memset(&tmp, 0, sizeof(tmp));
  const int ret = io_uring_queue_init(entries, &tmp, IORING_SETUP_SQE128);
  if (ret < 0)
    return Error::from_errno(-ret, "io_uring_queue_init", "io_uring_queue_init(SQE128)");
  auto ring = std::make_unique<Ring>();
  ring->ring = tmp; // plain data: the SQ/CQ pointers point into the mmaps, not into the struct
  return UringCmdRing(std::move(ring));
}

io_uring *UringCmdRing::native() noexcept { return &ring_->ring; }

// The command runs on a buffer owned here, copied back to cmd.addr once its CQE has arrived, so
// that execute() never returns while the kernel may still write the caller's buffer. A failed
// wait is retried; after the first one the command is also cancelled (IORING_OP_ASYNC_CANCEL).
// Only if waiting keeps failing does execute() give up, and the buffer stays allocated.
int UringCmdRing::execute(int fd, std::uint32_t cmd_op, const uringblk_cmd &cmd) noexcept {
  static constexpr std::uint64_t kTag = 0x75626c6b;       // "ublk"
  static constexpr std::uint64_t kCancelTag = 0x63616e63; // "canc"
  static constexpr int kMaxWaitFailures = 16;
  io_uring *ring = &ring_->ring;

  auto *user = reinterpret_cast<std::byte *>(static_cast<std::uintptr_t>(cmd.addr));
  // The payload (if any) is read from the same buffer: copy whichever is longer.
  const std::size_t len = user ? std::max<std::size_t>(cmd.len, cmd.hdr.payload_len) : 0;
  std::unique_ptr<std::byte[]> bounce(new (std::nothrow) std::byte[len ? len : 1]);
  if (!bounce)
    return -ENOMEM;
  if (len)
    std::memcpy(bounce.get(), user, len);
  uringblk_cmd own = cmd;
  own.addr = user ? reinterpret_cast<std::uintptr_t>(bounce.get()) : 0;

  io_uring_sqe *sqe = io_uring_get_sqe(ring);
  if (!sqe)
    return -EBUSY;
  prep_uring_cmd(sqe, fd, cmd_op, own);
  io_uring_sqe_set_data64(sqe, kTag);

  int ret;
  do
    ret = io_uring_submit(ring);
  while (ret == -EINTR);
  if (ret < 0)
    return ret; // nothing was submitted
  if (ret != 1)
    return -EIO;

  bool done = false, cancel_pending = false, cancel_sent = false;
  int res = 0, failures = 0;
  while (!done || cancel_pending) {
    io_uring_cqe *cqe = nullptr;
    ret = wait_cqe(ring, &cqe);
    if (ret == -EINTR)
      continue;
    if (ret < 0) {
      if (!done && !cancel_sent) {
        if (io_uring_sqe *c = io_uring_get_sqe(ring)) {
          io_uring_prep_cancel64(c, kTag, 0);
          io_uring_sqe_set_data64(c, kCancelTag);
          if (io_uring_submit(ring) == 1)
            cancel_pending = true;
        }
        cancel_sent = true;
      }
      if (++failures >= kMaxWaitFailures) {
        if (!done) {
          ring_->stranded.push_back(std::move(bounce));
          return ret;
        }
        break; // the command is done; only the cancel's CQE is missing
      }
      continue;
    }
    const std::uint64_t tag = io_uring_cqe_get_data64(cqe);
    const int v = cqe->res;
    io_uring_cqe_seen(ring, cqe);
    if (tag == kTag) {
      done = true;
      res = v;
    } else if (tag == kCancelTag) {
      cancel_pending = false;
    }
  }
  if (len)
    std::memcpy(user, bounce.get(), len);
  return res;
}

Error short_response(std::uint16_t opcode, std::size_t got, std::size_t want) {
  return Error::from_errno(EPROTO, std::string(opcode_name(opcode)),
                           "short response: " + std::to_string(got) + " of " +
                               std::to_string(want) + " bytes");
}

int run_admin_cmd(UringCmdRing *ring, int fd, std::uint32_t cmd_op, uringblk_cmd &cmd) noexcept {
  if (ring)
    return ring->execute(fd, cmd_op, cmd);
  int ret;
  do
    ret = ::ioctl(fd, cmd_op, &cmd);
  while (ret < 0 && errno == EINTR);
  return ret < 0 ? -errno : ret;
}

} // namespace uringblk
