// SPDX-License-Identifier: MIT
// An io_uring instance owned by an object: io_uring_queue_exit() (and unregistering buffers)
// on destruction. Errors throw kit::Failure naming the call and the setup flags.
#pragma once

#include <liburing.h>
#include <sys/uio.h>

#include <span>
#include <string>

namespace uringblk::kit {

class Ring {
public:
  /// flags: IORING_SETUP_*; with IORING_SETUP_SQPOLL, sq_thread_idle_ms is the poller's idle.
  explicit Ring(unsigned entries, unsigned flags = 0, unsigned sq_thread_idle_ms = 2000);
  Ring(const Ring &) = delete;
  Ring &operator=(const Ring &) = delete;
  ~Ring();

  io_uring *native() noexcept { return &ring_; }
  io_uring *get() noexcept { return &ring_; }
  unsigned entries() const noexcept { return entries_; }
  unsigned flags() const noexcept { return flags_; }

  /// The next free SQE; Failure when the submission queue is full.
  io_uring_sqe *sqe();
  /// Register buffers for READ_FIXED/WRITE_FIXED (unregistered on destruction).
  void register_buffers(std::span<const iovec> iovs);
  /// Wait for one completion (EINTR retried); Failure on error. Call cqe_seen() after use.
  io_uring_cqe *wait();
  void cqe_seen(io_uring_cqe *cqe) noexcept { io_uring_cqe_seen(&ring_, cqe); }

private:
  io_uring ring_{};
  unsigned entries_ = 0;
  unsigned flags_ = 0;
  bool registered_ = false;
};

/// "IORING_SETUP_IOPOLL|IORING_SETUP_SQPOLL" for the flags set ("0" for none; others in hex).
std::string setup_flags_name(unsigned flags);
/// "-EINVAL" for -EINVAL, the number for res >= 0.
std::string res_name(int res);

} // namespace uringblk::kit
