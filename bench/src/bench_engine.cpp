// SPDX-License-Identifier: MIT
#include "bench_engine.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include <uringblk/kit/interrupt.hpp>
#include <uringblk/kit/parse.hpp>
#include <uringblk/kit/ring.hpp>

namespace uringblk::bench {

namespace {

std::string errmsg(std::string_view call, int err) {
  return std::string(call) + ": " + std::strerror(err);
}

std::uint64_t mono_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

struct CpuTimes {
  double user_s = 0, sys_s = 0;
};

CpuTimes cpu_now() noexcept {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval &tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return {sec(ru.ru_utime), sec(ru.ru_stime)};
}

// Anonymous page-aligned memory (O_DIRECT buffers).
class Mapping {
public:
  explicit Mapping(std::size_t len) : len_(len) {
    void *p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      throw RunError(errmsg("mmap " + std::to_string(len) + " bytes of buffers", errno));
    p_ = static_cast<std::byte *>(p);
  }
  Mapping(const Mapping &) = delete;
  Mapping &operator=(const Mapping &) = delete;
  ~Mapping() { ::munmap(p_, len_); }
  std::span<std::byte> bytes() const noexcept { return {p_, len_}; }

private:
  std::byte *p_ = nullptr;
  std::size_t len_ = 0;
};

using Ring = kit::Ring;

void fill_pattern(std::span<std::byte> buf, std::uint64_t seed) noexcept {
  std::uint64_t s = seed;
  for (std::size_t i = 0; i + 8 <= buf.size(); i += 8) {
    std::uint64_t w = splitmix64(s) | 0x0101010101010101ull; // no zero byte
    std::memcpy(buf.data() + i, &w, 8);
  }
}

// Times shared by main and the workers of one point (written before the start barrier).
struct Clock {
  std::uint64_t start_ns = 0;
  std::uint64_t ramp_end_ns = 0;
  std::uint64_t end_ns = 0; // issue deadline (time bounded runs)
};

struct alignas(64) Live {
  std::atomic<std::uint64_t> ios{0}; // every completion, ramp included (progress only)
};

struct WorkerOut {
  LatencyHistogram lat;
  std::uint64_t ios = 0, bytes = 0;
  std::uint64_t last_ns = 0; // last measured completion
  std::string error;
};

class Worker {
public:
  Worker(const Options &o, const Target &t, Point pt, unsigned index, std::uint64_t my_count)
      : o_(o), t_(t), qd_(pt.qd), index_(index), my_count_(my_count),
        batch_submit_(o.batch_submit_for(pt.qd)), batch_complete_(o.batch_complete_for(pt.qd)),
        gen_(is_random(o.rw), o.offset, t.region_size, o.bs, index, pt.threads, o.seed) {}

  // Builds the ring, buffers and registrations; throws RunError.
  void setup() {
    unsigned flags = 0;
    if (o_.poll)
      flags |= IORING_SETUP_IOPOLL;
    if (o_.sqpoll)
      flags |= IORING_SETUP_SQPOLL;
    ring_ = std::make_unique<Ring>(qd_, flags, 2000);
    bufs_ = std::make_unique<Mapping>(static_cast<std::size_t>(qd_) * o_.bs);
    fill_pattern(bufs_->bytes(), thread_seed(o_.seed, index_) ^ 0x5a5a);
    iovs_.resize(qd_);
    for (unsigned i = 0; i < qd_; ++i)
      iovs_[i] = {bufs_->bytes().data() + static_cast<std::size_t>(i) * o_.bs, o_.bs};
    if (o_.fixed_buffers) {
      int ret = io_uring_register_buffers(ring_->get(), iovs_.data(), qd_);
      if (ret < 0)
        throw RunError(errmsg("io_uring_register_buffers", -ret));
    }
    fd_ = t_.fd.get();
    if (o_.fixed_files) {
      int ret = io_uring_register_files(ring_->get(), &fd_, 1);
      if (ret < 0)
        throw RunError(errmsg("io_uring_register_files", -ret));
      fd_ = 0; // index into the registered table
    }
    slots_.resize(qd_);
    free_.reserve(qd_);
    for (unsigned i = qd_; i-- > 0;)
      free_.push_back(i);
  }

  void run(const Clock &clk, const std::atomic<bool> &abort, std::atomic<bool> &failed, Live &live,
           WorkerOut &out) {
    io_uring *ring = ring_->get();
    const bool count_mode = o_.count != 0;
    const bool write = is_write(o_.rw);
    std::uint64_t issued_measured = 0;
    unsigned queued = 0;
    bool stop = count_mode && my_count_ == 0;
    std::vector<io_uring_cqe *> cqes(batch_complete_);

    while (true) {
      std::uint64_t now = mono_ns();
      if (!stop) {
        if (abort.load(std::memory_order_relaxed) || kit::interrupted() ||
            (!count_mode && now >= clk.end_ns))
          stop = true; // Ctrl-C: at the next completion, then drain
      }
      while (!stop && !free_.empty()) {
        io_uring_sqe *sqe = io_uring_get_sqe(ring);
        if (!sqe)
          break; // SQ full of unsubmitted entries: submit below
        unsigned slot = free_.back();
        free_.pop_back();
        std::uint64_t off = gen_.next();
        void *buf = iovs_[slot].iov_base;
        unsigned len = static_cast<unsigned>(o_.bs);
        if (o_.fixed_buffers) {
          if (write)
            io_uring_prep_write_fixed(sqe, fd_, buf, len, off, static_cast<int>(slot));
          else
            io_uring_prep_read_fixed(sqe, fd_, buf, len, off, static_cast<int>(slot));
        } else {
          if (write)
            io_uring_prep_write(sqe, fd_, buf, len, off);
          else
            io_uring_prep_read(sqe, fd_, buf, len, off);
        }
        if (o_.fixed_files)
          sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(sqe, slot);
        Slot &s = slots_[slot];
        s.off = off;
        s.start_ns = mono_ns();
        s.measured = s.start_ns >= clk.ramp_end_ns;
        if (s.measured && count_mode && ++issued_measured >= my_count_)
          stop = true;
        if (++queued >= batch_submit_) {
          int ret = io_uring_submit(ring);
          if (ret < 0 && ret != -EAGAIN && ret != -EBUSY && ret != -EINTR)
            return fail(out, failed, errmsg("io_uring_submit", -ret));
          queued = 0;
        }
      }
      if (free_.size() == qd_ && queued == 0)
        break; // stopped and drained

      // Wait for at least one completion, submitting whatever is queued.
      int ret;
      if (queued) {
        ret = io_uring_submit_and_wait(ring, 1);
        if (ret >= 0)
          queued = 0;
      } else {
        io_uring_cqe *cqe;
        ret = io_uring_wait_cqe(ring, &cqe);
      }
      if (ret < 0 && ret != -EAGAIN && ret != -EBUSY && ret != -EINTR && ret != -ETIME)
        return fail(out, failed,
                    errmsg(queued ? "io_uring_submit_and_wait" : "io_uring_wait_cqe", -ret));

      unsigned n = io_uring_peek_batch_cqe(ring, cqes.data(), batch_complete_);
      if (n == 0)
        continue;
      std::uint64_t reaped = mono_ns();
      for (unsigned i = 0; i < n; ++i) {
        auto slot = static_cast<unsigned>(io_uring_cqe_get_data64(cqes[i]));
        int res = cqes[i]->res;
        const Slot &s = slots_[slot];
        if (res != static_cast<int>(o_.bs)) {
          if (out.error.empty())
            out.error = io_error(res, s.off);
          failed.store(true, std::memory_order_relaxed);
          stop = true;
        } else if (s.measured) {
          out.lat.record(reaped - s.start_ns);
          ++out.ios;
          out.bytes += o_.bs;
          out.last_ns = reaped;
        }
        free_.push_back(slot);
      }
      io_uring_cq_advance(ring, n);
      live.ios.fetch_add(n, std::memory_order_relaxed);
    }
  }

private:
  struct Slot {
    std::uint64_t off = 0;
    std::uint64_t start_ns = 0;
    bool measured = false;
  };

  // An error that leaves I/O in flight: the ring's teardown cancels and waits for it.
  void fail(WorkerOut &out, std::atomic<bool> &failed, std::string msg) {
    out.error = std::move(msg);
    failed.store(true, std::memory_order_relaxed);
  }

  std::string io_error(int res, std::uint64_t off) const {
    std::string op = is_write(o_.rw) ? "write" : "read";
    std::string where = op + " of " + std::to_string(o_.bs) + " bytes at offset " +
                        std::to_string(off) + " (thread " + std::to_string(index_) + ")";
    if (res >= 0)
      return "short " + where + ": " + std::to_string(res) + " bytes transferred";
    std::string msg = where + ": " + std::strerror(-res);
    if (o_.poll && (res == -EOPNOTSUPP || res == -EINVAL))
      msg += " (--poll: polled I/O is not supported here; a block device needs poll queues, "
             "e.g. null_blk poll_queues=N; try "
             "without --poll)";
    return msg;
  }

  const Options &o_;
  const Target &t_;
  unsigned qd_;
  unsigned index_;
  std::uint64_t my_count_;
  unsigned batch_submit_;
  unsigned batch_complete_;
  OffsetGen gen_;
  int fd_ = -1;
  std::unique_ptr<Mapping> bufs_; // declared first: outlives the ring that may still use it
  std::unique_ptr<Ring> ring_;
  std::vector<iovec> iovs_;
  std::vector<Slot> slots_;
  std::vector<unsigned> free_;
};

class Progress {
public:
  explicit Progress(bool on, Point pt, std::uint64_t bs) : on_(on), pt_(pt), bs_(bs) {}
  void update(double elapsed_s, std::uint64_t ios) {
    if (!on_)
      return;
    double dt = elapsed_s - last_s_;
    double iops = dt > 0 ? static_cast<double>(ios - last_ios_) / dt : 0;
    std::fprintf(stderr, "\r\033[K qd %u thr %u  %6.1fs  %10.0f IOPS  %9.1f MiB/s", pt_.qd,
                 pt_.threads, elapsed_s, iops, iops * static_cast<double>(bs_) / (1024.0 * 1024.0));
    std::fflush(stderr);
    last_s_ = elapsed_s;
    last_ios_ = ios;
    drawn_ = true;
  }
  ~Progress() {
    if (drawn_) {
      std::fputs("\r\033[K", stderr);
      std::fflush(stderr);
    }
  }

private:
  bool on_;
  Point pt_;
  std::uint64_t bs_;
  double last_s_ = 0;
  std::uint64_t last_ios_ = 0;
  bool drawn_ = false;
};

} // namespace

Target open_target(const Options &o) {
  Target t;
  try {
    static_cast<kit::Target &>(t) = kit::open_target(o.device, {.write = is_write(o.rw),
                                                                .exclusive = !o.allow_mounted_write,
                                                                .direct = true,
                                                                .allow_file = true});
  } catch (const kit::UsageError &e) {
    std::string msg = e.what();
    if (msg.find("refusing to overwrite") != std::string::npos)
      msg += " (--allow-mounted-write overrides)";
    throw RunError(msg);
  }
  if (o.bs % t.lbs)
    throw UsageError("--bs " + std::to_string(o.bs) +
                     " is not a multiple of the logical block size " + std::to_string(t.lbs) +
                     " of " + o.device);
  if (o.offset % t.lbs)
    throw UsageError("--offset " + std::to_string(o.offset) +
                     " is not a multiple of the logical block size " + std::to_string(t.lbs) +
                     " of " + o.device);
  if (o.offset >= t.size)
    throw UsageError("--offset " + std::to_string(o.offset) + " is not below the size " +
                     std::to_string(t.size) + " of " + o.device);
  t.region_size = o.size.value_or(t.size - o.offset);
  if (t.region_size > t.size - o.offset)
    throw UsageError("--offset + --size (" + std::to_string(o.offset + t.region_size) +
                     ") exceeds the size " + std::to_string(t.size) + " of " + o.device);
  if (t.region_size < o.bs)
    throw UsageError("the region (" + std::to_string(t.region_size) +
                     " bytes) is smaller than --bs");
  return t;
}

void check_points(const Options &o, const Target &t, std::span<const Point> points) {
  for (const Point &pt : points)
    if (!is_random(o.rw) && t.region_size / o.bs < pt.threads)
      throw UsageError("the region holds fewer blocks than threads (" + std::to_string(pt.threads) +
                       "): sequential I/O needs one stripe per thread");
}

PointResult run_point(const Options &o, const Target &t, Point pt, bool progress) {
  const unsigned n = pt.threads;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<WorkerOut> outs(n);
  std::unique_ptr<Live[]> live = std::make_unique<Live[]>(n);
  for (unsigned i = 0; i < n; ++i) {
    std::uint64_t share = o.count ? o.count / n + (i < o.count % n ? 1 : 0) : 0;
    workers.push_back(std::make_unique<Worker>(o, t, pt, i, share));
  }

  Clock clk;
  std::atomic<bool> abort{false}, failed{false};
  std::atomic<unsigned> finished{0};
  std::barrier sync(static_cast<std::ptrdiff_t>(n) + 1);
  std::vector<std::jthread> threads;
  for (unsigned i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      WorkerOut &out = outs[i];
      try {
        workers[i]->setup();
      } catch (const std::exception &e) {
        out.error = e.what();
        failed.store(true);
      }
      sync.arrive_and_wait(); // setup done
      sync.arrive_and_wait(); // go: clk is set
      if (!abort.load())
        workers[i]->run(clk, abort, failed, live[i], out);
      finished.fetch_add(1);
      sync.arrive_and_wait(); // done: main samples the CPU time
      sync.arrive_and_wait(); // release: tear the ring down
      workers[i].reset();
    });
  }

  sync.arrive_and_wait(); // setup done
  if (failed.load() || kit::interrupted())
    abort.store(true);
  clk.start_ns = mono_ns();
  // --time and --ramp are at most kMaxSeconds: no deadline overflows.
  clk.ramp_end_ns = clk.start_ns + kit::seconds_to_ns(o.ramp_s);
  clk.end_ns = o.count ? UINT64_MAX : clk.ramp_end_ns + kit::seconds_to_ns(o.time_s);
  CpuTimes cpu0{};
  bool cpu0_taken = false;
  if (o.ramp_s <= 0) {
    cpu0 = cpu_now();
    cpu0_taken = true;
  }
  sync.arrive_and_wait(); // go

  {
    Progress prog(progress && !abort.load(), pt, o.bs);
    std::uint64_t next_draw = clk.start_ns + 500'000'000ull;
    while (finished.load() < n) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::uint64_t now = mono_ns();
      if (failed.load())
        abort.store(true);
      if (!cpu0_taken && now >= clk.ramp_end_ns) {
        cpu0 = cpu_now();
        cpu0_taken = true;
      }
      if (now >= next_draw) {
        std::uint64_t ios = 0;
        for (unsigned i = 0; i < n; ++i)
          ios += live[i].ios.load(std::memory_order_relaxed);
        prog.update(static_cast<double>(now - clk.start_ns) / 1e9, ios);
        next_draw += 500'000'000ull;
      }
    }
  }
  sync.arrive_and_wait(); // done
  CpuTimes cpu1 = cpu_now();
  if (!cpu0_taken)
    cpu0 = cpu1;          // the run ended inside the ramp
  sync.arrive_and_wait(); // release
  threads.clear();        // join

  for (const auto &out : outs)
    if (!out.error.empty())
      throw RunError(out.error);

  PointResult r;
  r.qd = pt.qd;
  r.threads = pt.threads;
  std::uint64_t last = clk.ramp_end_ns;
  for (const auto &out : outs) {
    r.lat.merge(out.lat);
    r.ios += out.ios;
    r.bytes += out.bytes;
    last = std::max(last, out.last_ns);
  }
  r.elapsed_s = static_cast<double>(last - clk.ramp_end_ns) / 1e9;
  r.user_s = cpu1.user_s - cpu0.user_s;
  r.sys_s = cpu1.sys_s - cpu0.sys_s;
  r.interrupted = kit::interrupted();
  return r;
}

} // namespace uringblk::bench
