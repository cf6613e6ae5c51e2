// SPDX-License-Identifier: MIT
#include <uringblk/kit/ring.hpp>

#include <cerrno>
#include <cstring>

#include <uringblk/kit/errors.hpp>
#include <uringblk/result.hpp>

namespace uringblk::kit {

std::string res_name(int res) {
  if (res >= 0)
    return std::to_string(res);
  return "-" + uringblk::errno_name(-res);
}

std::string setup_flags_name(unsigned flags) {
  static constexpr std::pair<unsigned, const char *> kNames[] = {
      {IORING_SETUP_IOPOLL, "IORING_SETUP_IOPOLL"},
      {IORING_SETUP_SQPOLL, "IORING_SETUP_SQPOLL"},
      {IORING_SETUP_SQE128, "IORING_SETUP_SQE128"},
      {IORING_SETUP_CQE32, "IORING_SETUP_CQE32"},
  };
  std::string s;
  for (const auto &[bit, name] : kNames) {
    if (flags & bit) {
      s += (s.empty() ? "" : "|");
      s += name;
      flags &= ~bit;
    }
  }
  if (flags)
    s += cat(s.empty() ? "" : "|", "0x", std::hex, flags);
  return s.empty() ? "0" : s;
}

Ring::Ring(unsigned entries, unsigned flags, unsigned sq_thread_idle_ms) : flags_(flags) {
  io_uring_params p{};
  p.flags = flags;
  if (flags & IORING_SETUP_SQPOLL)
    p.sq_thread_idle = sq_thread_idle_ms;
  const int ret = io_uring_queue_init_params(entries, &ring_, &p);
  if (ret < 0)
    fail("io_uring_queue_init(", entries, ", ", setup_flags_name(flags), "): ", std::strerror(-ret),
         " (", res_name(ret), ")");
  entries_ = p.sq_entries;
}

Ring::~Ring() {
  if (registered_)
    io_uring_unregister_buffers(&ring_);
  io_uring_queue_exit(&ring_);
}

io_uring_sqe *Ring::sqe() {
  io_uring_sqe *s = io_uring_get_sqe(&ring_);
  if (!s)
    fail("io_uring_get_sqe: submission queue full");
  return s;
}

void Ring::register_buffers(std::span<const iovec> iovs) {
  if (iovs.empty())
    return;
  const int ret =
      io_uring_register_buffers(&ring_, iovs.data(), static_cast<unsigned>(iovs.size()));
  if (ret < 0)
    fail("io_uring_register_buffers(", iovs.size(), " buffers): ", res_name(ret));
  registered_ = true;
}

io_uring_cqe *Ring::wait() {
  io_uring_cqe *cqe = nullptr;
  int ret;
  do
    ret = io_uring_wait_cqe(&ring_, &cqe);
  while (ret == -EINTR);
  if (ret < 0)
    fail("io_uring_wait_cqe: ", res_name(ret));
  return cqe;
}

} // namespace uringblk::kit
