// torture: every feature of uringblk at once, against a model (issue #22), in
// the spirit of rcutorture: concurrent actors with seeded schedules and an
// oracle that checks every read and every errno.
//
//   torture [--duration S] [--seed N] [--io-actors N] [--region-kb K]
//           [--max-extra N] [--no-inject] [--no-power] [--no-lifecycle]
//           [--set-params max_sectors,write_cache,inject_reset|none]
//           [--no-memory] [-o text|json] [DEVICE...]
//
// DEVICEs (default: every /dev/uringblkN present at start) must be fresh: the
// I/O actors discard and flush their ranges first. Actors, one thread each,
// each with its own RNG seeded from --seed and its index:
//
//   io<i>      O_DIRECT reads (verified) and writes, FUA writes, FLUSH,
//              discard and write-zeroes on an interrupt ring and an IOPOLL
//              ring, queue depths 1-32, sizes up to max_hw_sectors_kb, on a
//              range of every device that no other actor touches (so the
//              model of each block has one writer and is exact);
//   inject     adds and clears error-injection rules of every kind;
//   power      power cuts (all, random, torn, prefix) while I/O runs, then
//              pauses the I/O actors, powers on, and lets each actor check
//              its blocks against the model;
//   lifecycle  ADD_DEVICE / DEL_DEVICE (with and without force) of extra
//              devices the I/O actors use, SET_PARAMS, open/close races with
//              a forced delete, reads of every sysfs attribute;
//   memory     anonymous memory and page-cache pressure, and on a kernel with
//              fail_page_alloc short windows in which one I/O actor's
//              non-sleeping allocations in modules fail (the case script
//              sets the filters up).
//
// The oracle, per logical block: the tags (a tag names a write; 0 is zeroes)
// it may hold now, the tags it may hold durably, and the tags written since
// the last durable point whatever their outcome. A read must return one of
// the "now" tags; after a cut every block holds a durable tag or one written
// since (docs/power-loss.md), and after a cut in mode `all` not a tag whose
// write completed with no FLUSH in flight or since (tests/vm/tools/
// pl_model.py argues the same). A failed write may or may not have changed
// its blocks. Every errno must be one the documentation allows for what was
// going on (power off or a cut, an injection rule of that kind, a deleted
// device, a memory window); while the power is off every request fails with
// EIO.
//
// On a failure: "FAIL: ...", the seed and the last operations of every actor,
// exit 1. An actor that makes no progress for --hang seconds is a failure
// too (the process then exits without waiting for it). Usage errors exit 2.
#include <fcntl.h>
#include <linux/fs.h>
#include <liburing.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <shared_mutex>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tool_common.hpp"

#include <uringblk/control.hpp>
#include <uringblk/inject.hpp>
#include <uringblk/kit/blockdev.hpp>
#include <uringblk/kit/pattern.hpp>
#include <uringblk/kit/ring.hpp>
#include <uringblk/params.hpp>
#include <uringblk/sysfs.hpp>
#include <uringblk/unique_fd.hpp>

namespace {

using uringblk::UniqueFd;
using uringblk::kit::mix64;
using vmtool::cat;
using vmtool::Failure;
using vmtool::UsageError;
using Clock = std::chrono::steady_clock;
using Tag = std::uint64_t; // 0: zeroes; else the write that filled the block
namespace fs = std::filesystem;

// Before 6.5 a polled direct-I/O bio is REQ_NOWAIT, and one that has to be
// split (larger than max_sectors_kb) is retried by io-wq forever: a kernel
// bug, not the driver's (docs/kernels.md, "Kernel bugs users meet"). There
// polled requests stay within kOldPollCap and SET_PARAMS never sets
// max_sectors_kb below it.
constexpr std::uint64_t kOldPollCap = 128 << 10;

bool polled_split_hangs()
{
	utsname u{};
	unsigned major = 0, minor = 0;
	if (uname(&u) != 0 || std::sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return true;
	return major < 6 || (major == 6 && minor < 5);
}

struct Opts {
	double duration = 120;
	std::uint64_t seed = 1;
	unsigned io_actors = 4;
	unsigned region_kb = 8192;
	unsigned max_extra = 2;
	double hang_s = 120;
	bool inject = true, power = true, lifecycle = true, memory = true;
	// What the lifecycle actor's SET_PARAMS may change.
	std::vector<std::string> set_params{"max_sectors", "write_cache", "inject_reset"};
	std::string output = "text";
	std::vector<std::string> devices;
};

// ---------------------------------------------------------------- history

// What an actor did last: kept for the failure report.
struct OpRec {
	double t = 0;
	std::uint64_t seq = 0;
	std::string what;
	int res = 0;
};

class History {
public:
	void add(std::string what, int res)
	{
		std::lock_guard g(mu_);
		OpRec &r = ring_[n_ % ring_.size()];
		r.t = std::chrono::duration<double>(Clock::now() - t0()).count();
		r.seq = n_++;
		r.what = std::move(what);
		r.res = res;
	}
	// What the actor is waiting for now (a hang report names it).
	void pending(std::string what)
	{
		std::lock_guard g(mu_);
		pending_ = std::move(what);
	}
	void dump(std::ostream &os, std::string_view name) const
	{
		std::lock_guard g(mu_);
		os << "last operations of " << name << " (" << n_ << " in all):\n";
		if (!pending_.empty())
			os << "  in progress: " << pending_ << "\n";
		std::uint64_t first = n_ > ring_.size() ? n_ - ring_.size() : 0;
		for (std::uint64_t i = first; i < n_; i++) {
			const OpRec &r = ring_[i % ring_.size()];
			os << "  #" << r.seq << " t=" << std::fixed << std::setprecision(3) << r.t
			   << " " << r.what << " -> " << uringblk::kit::res_name(r.res) << "\n";
		}
	}
	static Clock::time_point t0()
	{
		static const Clock::time_point t = Clock::now();
		return t;
	}

private:
	mutable std::mutex mu_;
	std::array<OpRec, 20> ring_{};
	std::string pending_;
	std::uint64_t n_ = 0;
};

// ---------------------------------------------------------------- devices

// Which injection rules may act on a request: a bit per kind.
enum : std::uint32_t {
	INJ_READ = 1, INJ_WRITE = 2, INJ_NOSPC = 4, INJ_BUSY = 8,
	INJ_NOMEM = 16, INJ_TIMEOUT = 32, INJ_DELAY = 64,
};

// What the power actor learned at a cut, for the actors that check it.
struct CutInfo {
	std::uint64_t gen = 0;
	bool done = false;	// the cut happened (else it was refused)
	bool strict = false;	// mode all, and nothing can have made changes durable
	std::uint64_t flush_done = 0, epoch = 0;
	std::string spec;
};

// One incarnation of a device: an index reused after a delete is a new one.
struct Dev {
	std::uint32_t id = 0;
	std::uint64_t incarnation = 0;
	std::string name, path;
	unsigned lbs = 512;
	std::uint64_t size = 0, max_io = 0;
	bool extra = false;

	// Opening the path (shared) against marking the device dead (exclusive):
	// an open that saw it alive opened this incarnation.
	std::shared_mutex life;
	std::atomic<bool> dead{false};

	std::atomic<std::uint64_t> cut_gen{0};	// bumped when a cut begins
	std::atomic<bool> cutting{false}, off{false};
	// FLUSHes for the oracle, under one lock so that a snapshot is one
	// instant: issued, in flight, completed. Write-through counts as a
	// FLUSH in flight for as long as it lasts (every write in it is
	// durable), and switching to it is a FLUSH.
	struct Flushes {
		std::uint64_t issued = 0, inflight = 0, done = 0;
	};
	std::mutex flush_mu;
	Flushes flushes;
	Flushes flush_snap()
	{
		std::lock_guard g(flush_mu);
		return flushes;
	}
	void flush_begin()
	{
		std::lock_guard g(flush_mu);
		flushes.issued++;
		flushes.inflight++;
	}
	void flush_end(bool ok)
	{
		std::lock_guard g(flush_mu);
		flushes.done += ok;
		flushes.inflight--;
	}
	std::atomic<std::uint64_t> epoch{0};	// bumped when tracking was switched
	std::atomic<std::uint32_t> inj_cur{0}, inj_ever{0};
	std::atomic<std::uint64_t> inj_clears{0};
	// Held across a rule change and its model update: a clear (or an
	// inject reset) that zeroes inj_cur between an add's model update and
	// its kernel write would leave a live rule the model does not know.
	std::mutex inj_mu;
	std::atomic<bool> write_through{false};

	std::mutex cut_mu;
	CutInfo last_cut;
};
using DevPtr = std::shared_ptr<Dev>;

// The state of the run every actor sees.
struct Shared {
	Opts o;
	const bool old_poll = polled_split_hangs();
	std::atomic<bool> stop{false};
	std::atomic<bool> failed{false};
	std::mutex fail_mu;
	std::string fail_msg;

	std::mutex devs_mu;
	std::vector<DevPtr> devs;
	std::atomic<std::uint64_t> incarnations{0};

	std::atomic<bool> pause_req{false};
	std::atomic<unsigned> paused{0};

	std::atomic<bool> mem_active{false};
	std::atomic<std::uint64_t> mem_epoch{0};
	std::vector<std::atomic<int>> io_tids;

	explicit Shared(const Opts &opts) : o(opts), io_tids(opts.io_actors) {}

	// The first failure is the one reported; every actor stops.
	void set_failure(const std::string &msg)
	{
		std::lock_guard g(fail_mu);
		if (!failed.exchange(true))
			fail_msg = msg;
		stop = true;
	}

	std::vector<DevPtr> snapshot()
	{
		std::lock_guard g(devs_mu);
		return devs;
	}
};

// A check failed: recorded once, every actor stops.
struct Stop {};

class Actor {
public:
	Actor(Shared &sh, std::string name, unsigned index)
		: sh_(sh), name_(std::move(name)),
		  rng_(mix64(sh.o.seed ^ mix64(index + 1))) {}
	virtual ~Actor() = default;
	virtual void run() = 0;

	const std::string &name() const { return name_; }
	const History &history() const { return hist_; }
	std::uint64_t ops() const { return ops_.load(); }
	std::int64_t last_progress() const { return progress_.load(); }
	bool finished() const { return finished_.load(); }
	virtual void summary(nlohmann::json &j) const { j["ops"] = ops(); }

	int tid() const { return tid_.load(); }

	void main()
	{
		tid_ = static_cast<int>(::syscall(SYS_gettid));
		touch();
		try {
			run();
		} catch (const Stop &) {
		} catch (const std::exception &e) {
			fail(cat("unexpected exception: ", e.what()));
		}
		finished_ = true;
	}

protected:
	[[noreturn]] void fail(const std::string &msg)
	{
		sh_.set_failure(cat(name_, ": ", msg));
		throw Stop{};
	}
	void record(std::string what, int res)
	{
		hist_.add(std::move(what), res);
		ops_++;
		touch();
	}
	void touch() { progress_ = Clock::now().time_since_epoch().count(); }
	bool stopping() const { return sh_.stop.load(); }
	// Sleep in slices, so that a stop is seen at once.
	void nap(double s)
	{
		auto end = Clock::now() + std::chrono::duration<double>(s);
		while (!stopping() && Clock::now() < end) {
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
			touch();
		}
	}
	std::uint64_t rnd(std::uint64_t n) { return n ? rng_() % n : 0; }
	bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
	double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }

	Shared &sh_;
	std::string name_;
	std::mt19937_64 rng_;
	History hist_;
	std::atomic<std::uint64_t> ops_{0};
	std::atomic<std::int64_t> progress_{0};
	std::atomic<bool> finished_{false};
	std::atomic<int> tid_{0};
};

std::string errno_str(int err) { return uringblk::errno_name(err); }

// ---------------------------------------------------------------- I/O actor

struct Undo {
	Tag tag;
	std::uint64_t flush_done, epoch;
};

// The model of one logical block (see the header).
struct Block {
	std::vector<Tag> now{0}, durable{0}, since;
	std::vector<Undo> undo;
};

void add_tag(std::vector<Tag> &v, Tag t)
{
	if (std::find(v.begin(), v.end(), t) == v.end())
		v.push_back(t);
}

// The circumstances of one request: sampled at submission and at completion.
struct Ctx {
	std::uint64_t cut_gen = 0, inj_clears = 0, mem_epoch = 0;
	bool cutting = false, off = false, dead = false, mem = false;
	std::uint32_t inj = 0;
};

Ctx sample(const Shared &sh, const Dev &d)
{
	Ctx c;
	c.dead = d.dead.load();
	c.cutting = d.cutting.load();
	c.off = d.off.load();
	c.cut_gen = d.cut_gen.load();
	c.inj = d.inj_cur.load();
	c.inj_clears = d.inj_clears.load();
	c.mem = sh.mem_active.load();
	c.mem_epoch = sh.mem_epoch.load();
	return c;
}

enum class Op { read, write, fua, flush, discard, zeroes };

const char *op_name(Op op)
{
	switch (op) {
	case Op::read: return "read";
	case Op::write: return "write";
	case Op::fua: return "write+fua";
	case Op::flush: return "flush";
	case Op::discard: return "discard";
	case Op::zeroes: return "write-zeroes";
	}
	return "?";
}

bool is_change(Op op) { return op != Op::read && op != Op::flush; }

// Is res (a negative errno, or a byte count short of len) allowed for op
// under what was going on between s and c? The reason it is not, or "".
std::string judge(Op op, int res, std::uint64_t len, const Ctx &s, const Ctx &c, const Dev &d)
{
	const bool dying = s.dead || c.dead;
	const bool power = s.cut_gen != c.cut_gen || s.cutting || c.cutting || s.off || c.off;
	std::uint32_t inj = s.inj | c.inj;
	if (s.inj_clears != c.inj_clears)
		inj |= d.inj_ever.load();
	const bool mem = s.mem || c.mem || s.mem_epoch != c.mem_epoch;
	const bool writes = is_change(op);

	// While the power is off every request fails with EIO (an injected
	// timeout may hold it first).
	if (s.off && c.off && s.cut_gen == c.cut_gen && !dying) {
		if (res == -EIO || (res == -ETIMEDOUT && (inj & INJ_TIMEOUT)))
			return "";
		return "the power is off: every request must fail with EIO";
	}
	if (res >= 0) {
		if (static_cast<std::uint64_t>(res) == len || dying)
			return "";
		return cat("short transfer of ", res, " of ", len, " bytes");
	}
	switch (-res) {
	case EIO:
		if (power || dying)
			return "";
		if ((op == Op::read && (inj & INJ_READ)) ||
		    ((op == Op::write || op == Op::fua || op == Op::zeroes) && (inj & INJ_WRITE)))
			return "";
		break;
	case ENOSPC:
		if (dying || (writes && (mem || (inj & (INJ_NOSPC | INJ_NOMEM)))))
			return "";
		break;
	case ETIMEDOUT:
		if (inj & INJ_TIMEOUT)
			return "";
		break;
	case EINVAL:
	case ENXIO:
	case ENODEV:
		if (dying)
			return "";
		break;
	default:
		break;
	}
	return cat("-", errno_str(-res), " is not allowed here (power ",
		   power ? "cut/off" : "on", ", rules 0x", std::hex, inj, std::dec,
		   dying ? ", device deleted" : "", mem ? ", memory window" : "", ")");
}

struct AlignedFree {
	void operator()(std::byte *p) const noexcept { std::free(p); }
};
using Buf = std::unique_ptr<std::byte[], AlignedFree>;

Buf alloc_buf(std::size_t n)
{
	Buf b(static_cast<std::byte *>(std::aligned_alloc(4096, n)));
	if (!b)
		throw std::bad_alloc();
	return b;
}

class IoActor : public Actor {
public:
	static constexpr std::size_t kBuf = 8 << 20;

	IoActor(Shared &sh, unsigned idx)
		: Actor(sh, cat("io", idx), 100 + idx), idx_(idx), ring_(64),
		  pring_(64, IORING_SETUP_IOPOLL), buf_(alloc_buf(kBuf)) {}

	// Discard and flush my range of every device: a known durable start.
	void prepare()
	{
		sh_.io_tids[idx_] = static_cast<int>(::syscall(SYS_gettid));
		for (const DevPtr &d : sh_.snapshot()) {
			Mine *m = adopt(d);
			if (!m)
				fail(cat("cannot open ", d->path));
			std::uint64_t r[2] = {m->base, m->nblk * d->lbs};
			if (::ioctl(m->fd.get(), BLKDISCARD, r) != 0 || ::fsync(m->fd.get()) != 0)
				fail(cat(d->path, ": initial discard/flush: ", std::strerror(errno)));
		}
	}

	void run() override
	{
		while (!stopping()) {
			pause_point();
			refresh();
			Mine *m = pick();
			if (!m) {
				nap(0.05);
				continue;
			}
			if (m->seen_cut != m->d->cut_gen.load()) {
				if (!m->d->cutting && !m->d->off)
					verify_after_cut(*m);
				else
					nap(0.01);
				continue;
			}
			const std::uint64_t p = rnd(100);
			if (p < 70)
				batch(*m, chance(0.3));
			else if (p < 80)
				flush(*m);
			else if (p < 90)
				zero(*m, chance(0.5) ? Op::discard : Op::zeroes);
			else if (m->d->extra && chance(0.5))
				m->fd.reset(); // closed now, opened again later: the model stays
			else
				batch(*m, false);
		}
	}

	void summary(nlohmann::json &j) const override
	{
		j["ops"] = ops();
		j["reads"] = reads_;
		j["writes"] = writes_;
		j["flushes"] = flushes_;
		j["zeroes"] = zeroes_;
		j["polled"] = polled_;
		j["errors"] = errors_;
		j["cut_checks"] = cut_checks_;
		j["strict_checks"] = strict_checks_;
		j["bytes_verified"] = verified_;
	}

private:
	// My range of one device and its model.
	struct Mine {
		DevPtr d;
		UniqueFd fd;
		std::uint64_t base = 0, nblk = 0;	// bytes, logical blocks
		std::vector<Block> blk;
		std::uint64_t seen_cut = 0;
	};

	Mine *adopt(const DevPtr &d)
	{
		std::uint64_t region = std::min<std::uint64_t>(
			std::uint64_t(sh_.o.region_kb) << 10, d->size / sh_.o.io_actors);
		region &= ~std::uint64_t(4095);
		if (region < 4096)
			return nullptr;
		auto m = std::make_unique<Mine>();
		m->d = d;
		m->base = idx_ * region;
		m->nblk = region / d->lbs;
		m->blk.resize(m->nblk);
		m->seen_cut = d->cut_gen.load();
		if (!open_fd(*m))
			return nullptr;
		mine_.push_back(std::move(m));
		return mine_.back().get();
	}

	bool open_fd(Mine &m)
	{
		std::shared_lock g(m.d->life);
		if (m.d->dead)
			return false;
		m.fd = UniqueFd(::open(m.d->path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC));
		const int err = errno;
		record(cat("open ", m.d->path), m.fd ? 0 : -err);
		// A device deleted without force (nobody had it open) is gone
		// before the lifecycle actor marks it.
		if (!m.fd && !(m.d->extra && (err == ENOENT || err == ENXIO || err == ENODEV)))
			fail(cat("open ", m.d->path, ": ", std::strerror(err)));
		return bool(m.fd);
	}

	// Drop the devices that were deleted, adopt the new ones.
	void refresh()
	{
		std::erase_if(mine_, [](const std::unique_ptr<Mine> &m) { return m->d->dead.load(); });
		for (const DevPtr &d : sh_.snapshot()) {
			if (d->dead)
				continue;
			bool have = std::any_of(mine_.begin(), mine_.end(),
						[&](const auto &m) { return m->d == d; });
			if (!have && d->extra && chance(0.2)) {
				Mine *m = adopt(d);
				(void)m;
			}
		}
	}

	Mine *pick()
	{
		if (mine_.empty())
			return nullptr;
		Mine &m = *mine_[rnd(mine_.size())];
		if (!m.fd && !open_fd(m))
			return nullptr;
		return &m;
	}

	void pause_point()
	{
		if (!sh_.pause_req)
			return;
		sh_.paused++;
		while (sh_.pause_req && !stopping()) {
			std::this_thread::sleep_for(std::chrono::milliseconds(5));
			touch();
		}
		sh_.paused--;
	}

	static bool holds(std::span<const std::byte> b, std::uint64_t off, Tag t)
	{
		if (t == 0)
			return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
		return !uringblk::kit::pattern_mismatch(b, off, t);
	}

	static std::string tags(const std::vector<Tag> &v)
	{
		std::string s = "{";
		for (Tag t : v)
			s += cat(s.size() > 1 ? " " : "", t ? cat("w", t >> 40, ".", t & ((1ULL << 40) - 1)) : "zero");
		return s + "}";
	}

	// Which write's data a block holds: its tag, if a tag of this run
	// fits the first word, else the first bytes.
	std::string identify(std::span<const std::byte> b, std::uint64_t off) const
	{
		if (holds(b, off, 0))
			return "zero";
		for (std::uint64_t a = 1; a <= 16; a++)
			for (std::uint64_t k = 1; k <= max_tagseq_.load() + 1; k++)
				if (holds(b.first(8), off, (a << 40) | k))
					return cat(tags({(a << 40) | k}), holds(b, off, (a << 40) | k) ? "" : " (partly)");
		return hexhead(b) + "...";
	}

	static std::string hexhead(std::span<const std::byte> b)
	{
		std::ostringstream os;
		for (std::size_t i = 0; i < std::min<std::size_t>(16, b.size()); i++)
			os << std::hex << std::setw(2) << std::setfill('0') << int(b[i]);
		return os.str();
	}

	// Check the blocks [first, first + n) read into buf against allowed(block).
	template <typename F>
	void check(Mine &m, std::uint64_t first, std::uint64_t n, std::span<const std::byte> buf,
		   const char *what, F allowed)
	{
		const unsigned lbs = m.d->lbs;
		for (std::uint64_t i = 0; i < n; i++) {
			const std::uint64_t b = first + i;
			const std::uint64_t off = m.base + b * lbs;
			auto data = buf.subspan(i * lbs, lbs);
			const std::vector<Tag> ok = allowed(m.blk[b]);
			if (std::none_of(ok.begin(), ok.end(), [&](Tag t) { return holds(data, off, t); })) {
				const Block &bl = m.blk[b];
				std::string undo;
				for (const Undo &u : bl.undo)
					undo += cat(" ", tags({u.tag}), "@flush", u.flush_done, "/epoch", u.epoch);
				fail(cat(what, ": ", m.d->name, " block ", off / lbs, " (offset ", off,
					 ") holds ", identify(data, off), ", the model allows ", tags(ok),
					 " (now ", tags(bl.now), ", durable ", tags(bl.durable), ", since ",
					 tags(bl.since), ", undo", undo, ")"));
			}
		}
		verified_ += n * lbs;
	}

	struct Io {
		Op op;
		std::uint64_t first, n, boff;	// blocks; offset in buf_
		Tag tag = 0;
		int res = 0;
		bool done = false;
	};

	std::uint64_t io_blocks(const Mine &m, bool polled = false)
	{
		const std::uint64_t cap = polled && sh_.old_poll ? kOldPollCap : kBuf / 2;
		const std::uint64_t maxb = std::max<std::uint64_t>(1, std::min<std::uint64_t>(
			{m.d->max_io, cap, m.nblk * m.d->lbs / 2}) / m.d->lbs);
		const std::uint64_t p = rnd(100);
		if (p < 30)
			return 1;
		if (p < 60)
			return 1 + rnd(std::min<std::uint64_t>(8, maxb));
		if (p < 85)
			return 1 + rnd(std::min<std::uint64_t>(65536 / m.d->lbs, maxb));
		return 1 + rnd(maxb);
	}

	Tag new_tag()
	{
		++tagseq_;
		if (tagseq_ > max_tagseq_)
			max_tagseq_ = tagseq_;
		return (std::uint64_t(idx_ + 1) << 40) | tagseq_;
	}

	// A batch of non-overlapping reads and writes, at one queue depth, on
	// the interrupt or the polled ring.
	void batch(Mine &m, bool polled)
	{
		static constexpr unsigned kDepths[] = {1, 2, 4, 8, 16, 32};
		const unsigned qd = kDepths[rnd(std::size(kDepths))];
		const unsigned lbs = m.d->lbs;
		std::vector<Io> ios;
		std::uint64_t used = 0;
		for (unsigned k = 0; k < qd * 2 && ios.size() < qd; k++) {
			std::uint64_t n = io_blocks(m, polled);
			std::uint64_t first = rnd(m.nblk - std::min(n, m.nblk) + 1);
			n = std::min(n, m.nblk - first);
			if (used + n * lbs > kBuf)
				break;
			bool clash = std::any_of(ios.begin(), ios.end(), [&](const Io &x) {
				return first < x.first + x.n && x.first < first + n;
			});
			if (clash)
				continue;
			const std::uint64_t p = rnd(100);
			Op op = p < 50 ? Op::read : (p < 90 || polled) ? Op::write : Op::fua;
			ios.push_back({op, first, n, used});
			used += (n * lbs + 4095) & ~std::uint64_t(4095);
		}
		uringblk::kit::Ring &r = polled ? pring_ : ring_;
		const Ctx s = sample(sh_, *m.d);
		for (std::size_t i = 0; i < ios.size(); i++) {
			Io &io = ios[i];
			std::byte *p = buf_.get() + io.boff;
			const std::uint64_t off = m.base + io.first * lbs, len = io.n * lbs;
			io_uring_sqe *sqe = r.sqe();
			if (io.op == Op::read) {
				io_uring_prep_read(sqe, m.fd.get(), p, unsigned(len), off);
			} else {
				io.tag = new_tag();
				uringblk::kit::pattern_fill({p, len}, off, io.tag);
				io_uring_prep_write(sqe, m.fd.get(), p, unsigned(len), off);
				if (io.op == Op::fua)
					sqe->rw_flags = RWF_DSYNC;
				// Written, whatever the outcome: a cut may keep it.
				for (std::uint64_t b = io.first; b < io.first + io.n; b++)
					add_tag(m.blk[b].since, io.tag);
			}
			sqe->user_data = i;
		}
		{
			std::string what = cat(polled ? "polled " : "", "batch on ", m.d->name, ":");
			for (const Io &io : ios)
				what += cat(" ", op_name(io.op), " ", m.base + io.first * lbs, "+", io.n * lbs);
			hist_.pending(std::move(what));
		}
		// A FLUSH in flight when a write begins may cover it (pl_model.py).
		const Dev::Flushes f0 = m.d->flush_snap();
		const std::uint64_t gen = f0.issued - f0.inflight;
		int ret = io_uring_submit(r.native());
		if (ret < 0 || unsigned(ret) != ios.size())
			fail(cat("io_uring_submit of ", ios.size(), polled ? " polled" : "", " I/Os: ",
				 uringblk::kit::res_name(ret)));
		for (std::size_t k = 0; k < ios.size(); k++) {
			io_uring_cqe *cqe = r.wait();
			Io &io = ios.at(cqe->user_data);
			io.res = cqe->res;
			r.cqe_seen(cqe);
			touch();
		}
		hist_.pending({});
		const Ctx c = sample(sh_, *m.d);
		const bool trusted = s.cut_gen == c.cut_gen && !s.cutting && !c.cutting && !s.off &&
				     !c.dead && !s.dead;
		// Completed with no FLUSH in flight at any moment of its flight: a
		// cut in mode `all` must undo it until a FLUSH completes.
		const Dev::Flushes f1 = m.d->flush_snap();
		const bool undoable = gen == f1.issued;
		for (Io &io : ios) {
			const std::uint64_t off = m.base + io.first * lbs, len = io.n * lbs;
			record(cat(op_name(io.op), polled ? " polled" : "", " ", m.d->name, " ", off, "+",
				   len, " qd ", ios.size(), io.tag ? " " + tags({io.tag}) : ""),
			       io.res);
			if (polled)
				polled_++;
			const bool ok = io.res >= 0 && std::uint64_t(io.res) == len;
			if (!ok) {
				errors_++;
				std::string why = judge(io.op, io.res, len, s, c, *m.d);
				if (!why.empty())
					fail(cat(op_name(io.op), polled ? " (polled)" : "", " of ", len,
						 " bytes at ", m.d->name, " offset ", off, ": ",
						 uringblk::kit::res_name(io.res), ": ", why));
			} else if (!judge(io.op, io.res, len, s, c, *m.d).empty()) {
				fail(cat(op_name(io.op), " of ", len, " bytes at ", m.d->name, " offset ",
					 off, " succeeded while the power was off"));
			}
			if (io.op == Op::read) {
				reads_++;
				if (ok && trusted)
					check(m, io.first, io.n, {buf_.get() + io.boff, len}, "read",
					      [](const Block &b) { return b.now; });
				continue;
			}
			writes_++;
			for (std::uint64_t b = io.first; b < io.first + io.n; b++) {
				Block &bl = m.blk[b];
				if (!ok || !trusted) {
					add_tag(bl.now, io.tag);
					continue;
				}
				bl.now = {io.tag};
				if (io.op == Op::fua) {
					bl.durable = {io.tag};
					bl.since.clear();
					bl.undo.clear();
				} else if (undoable) {
					bl.undo.push_back({io.tag, f1.done, m.d->epoch});
				}
			}
		}
	}

	void flush(Mine &m)
	{
		Dev &d = *m.d;
		const Ctx s = sample(sh_, d);
		d.flush_begin();
		hist_.pending(cat("flush ", d.name));
		const int r = ::fsync(m.fd.get()) == 0 ? 0 : -errno;
		hist_.pending({});
		d.flush_end(r == 0);
		const Ctx c = sample(sh_, d);
		record(cat("flush ", d.name), r);
		flushes_++;
		std::string why = judge(Op::flush, r, 0, s, c, d);
		if (!why.empty())
			fail(cat("flush of ", d.name, ": ", r ? uringblk::kit::res_name(r) : "ok", ": ", why));
		if (r != 0) {
			errors_++;
			return;
		}
		if (s.cut_gen != c.cut_gen || s.cutting || c.cutting)
			return;
		// Everything of mine completed before the FLUSH was issued.
		for (Block &b : m.blk) {
			b.durable = b.now;
			b.since.clear();
			b.undo.clear();
		}
	}

	void zero(Mine &m, Op op)
	{
		Dev &d = *m.d;
		std::uint64_t n = io_blocks(m);
		const std::uint64_t first = rnd(m.nblk - std::min(n, m.nblk) + 1);
		n = std::min(n, m.nblk - first);
		std::uint64_t r[2] = {m.base + first * d.lbs, n * d.lbs};
		for (std::uint64_t b = first; b < first + n; b++)
			add_tag(m.blk[b].since, 0);
		const Ctx s = sample(sh_, d);
		const Dev::Flushes f0 = d.flush_snap();
		const std::uint64_t gen = f0.issued - f0.inflight;
		const unsigned long req = op == Op::discard ? BLKDISCARD : BLKZEROOUT;
		hist_.pending(cat(op_name(op), " ", d.name, " ", r[0], "+", r[1]));
		const int res = ::ioctl(m.fd.get(), req, r) == 0 ? 0 : -errno;
		hist_.pending({});
		const Ctx c = sample(sh_, d);
		record(cat(op_name(op), " ", d.name, " ", r[0], "+", r[1]), res);
		zeroes_++;
		std::string why = judge(op, res, 0, s, c, d);
		if (!why.empty())
			fail(cat(op_name(op), " of ", r[1], " bytes at ", d.name, " offset ", r[0], ": ",
				 res ? uringblk::kit::res_name(res) : "ok", ": ", why));
		const bool trusted = res == 0 && s.cut_gen == c.cut_gen && !s.cutting && !c.cutting && !s.off;
		const Dev::Flushes f1 = d.flush_snap();
		const bool undoable = gen == f1.issued;
		if (res)
			errors_++;
		for (std::uint64_t b = first; b < first + n; b++) {
			Block &bl = m.blk[b];
			if (!trusted) {
				add_tag(bl.now, 0);
				continue;
			}
			bl.now = {0};
			if (undoable)
				bl.undo.push_back({0, f1.done, d.epoch});
		}
	}

	// After a cut and power-on: every block holds its durable tag or one
	// written since; after `all`, none that the cut had to undo.
	void verify_after_cut(Mine &m)
	{
		Dev &d = *m.d;
		const std::uint64_t gen = d.cut_gen;
		CutInfo ci;
		{
			std::lock_guard g(d.cut_mu);
			ci = d.last_cut;
		}
		// A second cut before this check: the first one's `all` is not
		// exact any more.
		const bool strict = ci.done && ci.strict && ci.gen == gen && m.seen_cut + 1 == gen;
		const unsigned lbs = d.lbs;
		const std::uint64_t chunk =
			std::min<std::uint64_t>(kBuf, std::max<std::uint64_t>(d.max_io, lbs)) / lbs;
		for (std::uint64_t first = 0; first < m.nblk; first += chunk) {
			const std::uint64_t n = std::min(chunk, m.nblk - first);
			const Ctx s = sample(sh_, d);
			const ssize_t r = ::pread(m.fd.get(), buf_.get(), n * lbs, m.base + first * lbs);
			const int res = r < 0 ? -errno : int(r);
			const Ctx c = sample(sh_, d);
			record(cat("verify ", d.name, " after cut ", gen, " ", m.base + first * lbs, "+", n * lbs), res);
			if (res != int(n * lbs)) {
				std::string why = judge(Op::read, res, n * lbs, s, c, d);
				if (!why.empty())
					fail(cat("read after power-on of ", d.name, ": ", uringblk::kit::res_name(res), ": ", why));
				return; // again later (another cut, a rule, a delete)
			}
			if (c.cut_gen != gen || c.dead)
				return;
			check(m, first, n, {buf_.get(), n * lbs}, cat("after cut ", gen, " (", ci.spec, ")").c_str(),
			      [&](const Block &b) {
				      std::vector<Tag> ok = b.durable;
				      for (Tag t : b.since)
					      add_tag(ok, t);
				      if (!strict)
					      return ok;
				      for (const Undo &u : b.undo)
					      if (u.tag != 0 && u.flush_done == ci.flush_done && u.epoch == ci.epoch &&
						  std::find(b.durable.begin(), b.durable.end(), u.tag) == b.durable.end())
						      std::erase(ok, u.tag);
				      return ok;
			      });
			// What was read is the new durable state of these blocks.
			for (std::uint64_t i = 0; i < n; i++) {
				Block &b = m.blk[first + i];
				auto data = std::span<const std::byte>(buf_.get() + i * lbs, lbs);
				const std::uint64_t off = m.base + (first + i) * lbs;
				std::vector<Tag> cand = b.durable;
				for (Tag t : b.since)
					add_tag(cand, t);
				for (Tag t : cand)
					if (holds(data, off, t)) {
						b.now = b.durable = {t};
						break;
					}
				b.since.clear();
				b.undo.clear();
			}
		}
		m.seen_cut = gen;
		cut_checks_++;
		if (strict)
			strict_checks_++;
	}

	unsigned idx_;
	uringblk::kit::Ring ring_, pring_;
	Buf buf_;
	std::vector<std::unique_ptr<Mine>> mine_;
	std::uint64_t tagseq_ = 0;
	static inline std::atomic<std::uint64_t> max_tagseq_{0}; // of every actor
	std::uint64_t reads_ = 0, writes_ = 0, flushes_ = 0, zeroes_ = 0, polled_ = 0, errors_ = 0;
	std::uint64_t cut_checks_ = 0, strict_checks_ = 0, verified_ = 0;
};

// ---------------------------------------------------------------- admin helpers

std::string sysfs_read(const std::string &path, int &err)
{
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd) {
		err = errno;
		return {};
	}
	std::string s(8192, '\0');
	const ssize_t n = ::read(fd.get(), s.data(), s.size());
	if (n < 0) {
		err = errno;
		return {};
	}
	err = 0;
	s.resize(std::size_t(n));
	return s;
}

// An extra device may be gone before the lifecycle actor marks it dead: a
// delete without force succeeds as soon as nobody has it open.
bool gone(const Dev &d, int err)
{
	return (d.dead || d.extra) && (err == ENOENT || err == ENODEV || err == ENXIO);
}

std::uint64_t attr_u64(const Dev &d, std::string_view attr)
{
	auto v = uringblk::read_attr_u64(d.name, attr);
	return v ? *v : ~0ULL;
}

// ---------------------------------------------------------------- inject

class InjectActor : public Actor {
public:
	explicit InjectActor(Shared &sh) : Actor(sh, "inject", 1) {}

	void run() override
	{
		while (!stopping()) {
			nap(uniform(0.1, 0.8));
			std::vector<DevPtr> devs = sh_.snapshot();
			std::erase_if(devs, [](const DevPtr &d) { return d->dead.load(); });
			if (devs.empty() || stopping())
				continue;
			Dev &d = *devs[rnd(devs.size())];
			std::unique_lock inj_lock(d.inj_mu);
			if (chance(0.25)) {
				// Requests across the clear may meet any rule ever set
				// (inj_clears moves); after it, none.
				d.inj_clears++;
				auto r = uringblk::inject_clear(d.name);
				d.inj_clears++;
				d.inj_cur = 0;
				inj_lock.unlock();
				record(cat("clear ", d.name), r ? 0 : -r.error().value());
				if (!r && !gone(d, r.error().value()))
					fail(cat("inject clear ", d.name, ": ", r.error().message()));
				clears_++;
				continue;
			}
			uringblk::InjectRule rule = random_rule(d);
			const std::uint32_t bit = 1U << unsigned(rule.kind);
			d.inj_cur |= bit;
			d.inj_ever |= bit;
			std::string line = uringblk::format_inject_rule(rule).value();
			auto r = uringblk::inject_add(d.name, rule);
			inj_lock.unlock();
			record(cat("add ", d.name, " ", line), r ? 0 : -r.error().value());
			if (r)
				rules_++;
			else if (r.error().value() != ENOSPC && !gone(d, r.error().value()))
				fail(cat("inject ", line, " on ", d.name, ": ", r.error().message()));
			else
				full_++;
		}
	}

	void summary(nlohmann::json &j) const override
	{
		j["ops"] = ops();
		j["rules"] = rules_;
		j["clears"] = clears_;
		j["table_full"] = full_;
	}

private:
	// The enum order of InjectKind is the order of the INJ_* bits.
	static_assert(1U << unsigned(uringblk::InjectKind::timeout) == INJ_TIMEOUT);
	static_assert(1U << unsigned(uringblk::InjectKind::nomem) == INJ_NOMEM);

	uringblk::InjectRule random_rule(const Dev &d)
	{
		using uringblk::InjectKind;
		using uringblk::InjectRule;
		static constexpr InjectKind kinds[] = {
			InjectKind::read, InjectKind::write, InjectKind::nospc, InjectKind::busy,
			InjectKind::nomem, InjectKind::timeout, InjectKind::delay,
		};
		InjectRule r;
		r.kind = kinds[rnd(std::size(kinds))];
		r.any = chance(0.5);
		// An LBA in the first 8 MiB regions, where the actors work.
		r.lba = r.any ? 0 : rnd(std::min<std::uint64_t>(d.size, 64ULL << 20) / d.lbs);
		r.pct = chance(0.5) ? 100 : 1 + unsigned(rnd(30));
		switch (r.kind) {
		case InjectKind::timeout:
			r.pct = 1 + unsigned(rnd(3));
			break;
		case InjectKind::delay:
			r.usec = 100 + unsigned(rnd(200000));
			r.pct = 1 + unsigned(rnd(20));
			break;
		default:
			r.count = 1 + unsigned(rnd(r.any ? 20 : 5));
			break;
		}
		return r;
	}

	std::uint64_t rules_ = 0, clears_ = 0, full_ = 0;
};

// ---------------------------------------------------------------- power

class PowerActor : public Actor {
public:
	explicit PowerActor(Shared &sh)
		: Actor(sh, "power", 2), ctl_(uringblk::Control::open().value()) {}

	void run() override
	{
		static constexpr const char *kModes[] = {"all", "random", "torn", "prefix"};
		while (!stopping()) {
			nap(uniform(0.5, 3.0));
			std::vector<DevPtr> devs = sh_.snapshot();
			std::erase_if(devs, [](const DevPtr &d) { return d->dead.load(); });
			if (devs.empty() || stopping())
				continue;
			DevPtr dp = devs[rnd(devs.size())];
			Dev &d = *dp;
			const unsigned mode = unsigned(rnd(4));
			std::uint64_t seed = mode == 3 ? rnd(20) : rng_();
			std::uint32_t flags = mode == 2 && chance(0.3) ? URINGBLK_PL_CUT_TEAR_PHYSICAL : 0;
			std::string spec = cat(kModes[mode], mode ? cat(" ", seed) : "",
					       flags ? " physical" : "");
			cut(d, static_cast<uringblk::PowerCutMode>(mode), seed, flags, spec);
		}
	}

	void summary(nlohmann::json &j) const override
	{
		j["ops"] = ops();
		j["cuts"] = cuts_;
		j["cuts_refused"] = refused_;
		j["reverted"] = reverted_;
		j["mends"] = mends_;
	}

private:
	void cut(Dev &d, uringblk::PowerCutMode mode, std::uint64_t seed, std::uint32_t flags,
		 const std::string &spec)
	{
		{
			std::shared_lock g(d.life);
			if (d.dead)
				return;
			d.cutting = true;
		}
		const std::uint64_t wb0 = attr_u64(d, "power_loss_written_back");
		const std::uint64_t un0 = attr_u64(d, "power_loss_untracked");
		const Dev::Flushes f0 = d.flush_snap();
		const std::uint64_t gen = ++d.cut_gen;
		auto r = ctl_.power_cut(d.id, uringblk::power_cut_payload(mode, seed, flags));
		const int res = r ? 0 : -r.error().value();
		record(cat("cut ", d.name, " ", spec,
			   r ? cat(": changes ", r->changes, " pending ", r->pending, " reverted ",
				   r->reverted, " torn ", r->torn)
			     : ""),
		       res);
		CutInfo ci;
		ci.gen = gen;
		ci.spec = spec;
		ci.done = bool(r);
		ci.flush_done = f0.done;
		ci.epoch = d.epoch;
		// Changes written back for the budget, or applied untracked, or a
		// FLUSH in flight: `all` cannot tell which completed writes are
		// gone.
		ci.strict = mode == uringblk::PowerCutMode::all && f0.inflight == 0 &&
			    d.flush_snap().issued == f0.issued &&
			    wb0 == baseline_wb(d) && un0 == baseline_un(d) &&
			    attr_u64(d, "power_loss_written_back") == wb0 &&
			    attr_u64(d, "power_loss_untracked") == un0;
		if (r) {
			cuts_++;
			reverted_ += r->reverted;
			d.off = true;
		} else {
			const int err = r.error().value();
			const bool broken = attr_u64(d, "power_loss_broken") == 1;
			if (!gone(d, err) && !(err == EIO && broken))
				fail(cat("power cut ", spec, " of ", d.name, ": ", r.error().message()));
			refused_++;
		}
		{
			std::lock_guard g(d.cut_mu);
			d.last_cut = ci;
		}
		nap(uniform(0.05, 0.6)); // I/O meets the power off
		// Power on with the I/O actors stopped, so that none mistakes a
		// request of the powered-on device for one of the off one.
		pause_io();
		if (r && !d.dead) {
			Result on = chance(0.5) ? ctl_.power_on(d.id)
					        : uringblk::write_attr(d.name, "power_on", "1");
			record(cat("power on ", d.name), on ? 0 : -on.error().value());
			if (!on && !gone(d, on.error().value()))
				fail(cat("power on ", d.name, ": ", on.error().message()));
		} else if (!r && !d.dead) {
			// A broken log: switch tracking off and on to mend it.
			auto a = uringblk::write_attr(d.name, "power_loss", "0");
			auto b = uringblk::write_attr(d.name, "power_loss", "1");
			record(cat("mend ", d.name), a && b ? 0 : -EIO);
			if ((!a || !b) && !d.dead && !d.extra)
				fail(cat("switching power_loss of ", d.name, " off and on failed"));
			d.epoch++;
			mends_++;
		}
		d.off = false;
		d.cutting = false;
		set_baseline(d);
		resume_io();
	}

	using Result = uringblk::Result<void>;

	void pause_io()
	{
		sh_.pause_req = true;
		while (sh_.paused < sh_.o.io_actors && !stopping()) {
			std::this_thread::sleep_for(std::chrono::milliseconds(5));
			touch();
		}
	}
	void resume_io() { sh_.pause_req = false; }

	std::uint64_t baseline_wb(const Dev &d) { return base_[&d].first; }
	std::uint64_t baseline_un(const Dev &d) { return base_[&d].second; }
	void set_baseline(const Dev &d)
	{
		base_[&d] = {attr_u64(d, "power_loss_written_back"), attr_u64(d, "power_loss_untracked")};
	}

	uringblk::Control ctl_;
	std::map<const Dev *, std::pair<std::uint64_t, std::uint64_t>> base_;
	std::uint64_t cuts_ = 0, refused_ = 0, reverted_ = 0, mends_ = 0;
};

// ---------------------------------------------------------------- lifecycle

class LifecycleActor : public Actor {
public:
	explicit LifecycleActor(Shared &sh)
		: Actor(sh, "lifecycle", 3), ctl_(uringblk::Control::open().value()) {}

	void run() override
	{
		while (!stopping()) {
			nap(uniform(0.2, 1.5));
			if (stopping())
				break;
			const std::uint64_t p = rnd(100);
			if (p < 25)
				add();
			else if (p < 45)
				del();
			else if (p < 65 && !sh_.o.set_params.empty())
				set_params();
			else
				read_sysfs();
		}
	}

	void summary(nlohmann::json &j) const override
	{
		j["ops"] = ops();
		j["adds"] = adds_;
		j["deletes"] = dels_;
		j["deletes_forced"] = forced_;
		j["deletes_busy"] = busy_;
		j["set_params"] = sets_;
		j["sysfs_reads"] = sysfs_;
		j["open_races"] = opens_;
	}

private:
	std::vector<DevPtr> extras()
	{
		std::vector<DevPtr> v = sh_.snapshot();
		std::erase_if(v, [](const DevPtr &d) { return !d->extra || d->dead.load(); });
		return v;
	}

	void add()
	{
		if (extras().size() >= sh_.o.max_extra)
			return;
		// A cut still running on a deleted device would hit the new one
		// if it got the same index.
		for (const DevPtr &d : sh_.snapshot())
			while (d->dead && d->cutting && !stopping())
				nap(0.01);
		uringblk::DevParams p = uringblk::default_dev_params();
		p.capacity_mb = 32 + 32 * unsigned(rnd(2));
		p.logical_block_size = chance(0.5) ? 512 : 4096;
		const std::uint64_t inc = ++sh_.incarnations;
		(void)uringblk::set_serial_suffix(p, cat("t", inc));
		auto r = ctl_.add_device(p);
		record(cat("add_device ", p.capacity_mb, " MiB lbs ", p.logical_block_size,
			   r ? cat(" -> uringblk", r->dev_id) : ""), r ? 0 : -r.error().value());
		if (!r) {
			if (r.error().value() == ENOMEM || r.error().value() == ENOSPC)
				return;
			fail(cat("ADD_DEVICE: ", r.error().message()));
		}
		auto d = std::make_shared<Dev>();
		d->id = r->dev_id;
		d->incarnation = inc;
		d->name = cat("uringblk", d->id);
		d->path = "/dev/" + d->name;
		d->lbs = r->logical_block_size;
		d->size = std::uint64_t(r->capacity_mb) << 20;
		d->max_io = std::uint64_t(r->max_io_size_kb) << 10;
		d->extra = true;
		for (int i = 0; i < 100 && ::access(d->path.c_str(), F_OK) != 0; i++)
			nap(0.05);
		if (::access(d->path.c_str(), F_OK) != 0)
			fail(cat(d->path, " did not appear after ADD_DEVICE"));
		{
			std::lock_guard g(sh_.devs_mu);
			std::erase_if(sh_.devs, [](const DevPtr &x) { return x->dead.load(); });
			sh_.devs.push_back(d);
		}
		adds_++;
	}

	void del()
	{
		auto v = extras();
		if (v.empty())
			return;
		DevPtr d = v[rnd(v.size())];
		const bool force = chance(0.6);
		if (force) {
			std::unique_lock g(d->life);
			d->dead = true;
		}
		// Openers racing the delete: they must get the device or an
		// error, never hang.
		std::atomic<bool> done{false};
		std::atomic<std::uint64_t> opens{0};
		std::string race_err;
		std::jthread opener([&] {
			while (!done) {
				UniqueFd fd(::open(d->path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
				if (!fd && errno != ENOENT && errno != ENXIO && errno != ENODEV && errno != EBUSY)
					race_err = cat("open ", d->path, " during DEL_DEVICE: ", std::strerror(errno));
				opens++;
			}
		});
		auto r = ctl_.delete_device(d->id, force);
		done = true;
		opener.join();
		opens_ += opens;
		record(cat("del_device ", d->name, force ? " force" : "", " (", opens.load(), " racing opens)"),
		       r ? 0 : -r.error().value());
		if (!race_err.empty())
			fail(race_err);
		if (!r) {
			if (!force && r.error().value() == EBUSY) {
				busy_++;
				return;
			}
			fail(cat("DEL_DEVICE ", d->id, force ? " force" : "", ": ", r.error().message()));
		}
		{
			std::unique_lock g(d->life);
			d->dead = true;
		}
		dels_++;
		if (force)
			forced_++;
	}

	void set_params()
	{
		std::vector<DevPtr> v = sh_.snapshot();
		std::erase_if(v, [](const DevPtr &d) { return d->dead.load(); });
		if (v.empty())
			return;
		Dev &d = *v[rnd(v.size())];
		uringblk::SetParams s{};
		std::unique_lock<std::mutex> inj_lock;	// an inject reset: Dev::inj_mu
		const auto &kinds = sh_.o.set_params;
		const std::string &kind = kinds[rnd(kinds.size())];
		if (kind == "none")
			return;
		std::string what;
		if (kind == "max_sectors") {
			const unsigned hw = unsigned(d.max_io >> 10), unit = std::max(4U, d.lbs / 1024);
			const unsigned floor = sh_.old_poll ? std::min(hw, unsigned(kOldPollCap >> 10)) : unit;
			s.mask = URINGBLK_SET_MAX_SECTORS_KB;
			s.max_sectors_kb = std::max(floor, unsigned(rnd(hw / unit + 1)) * unit);
			what = cat("max_sectors_kb ", s.max_sectors_kb);
		} else if (kind == "write_cache") {
			// Write-through is a FLUSH, and every write in it durable: for
			// the oracle a FLUSH in flight while it lasts.
			s.mask = URINGBLK_SET_WRITE_CACHE;
			const bool wt = !d.write_through;
			s.write_cache = wt ? 0 : 1;
			what = wt ? "write through" : "write back";
			if (wt) {
				d.flush_begin();
				d.write_through = true;
			}
		} else {
			s.mask = URINGBLK_SET_INJECT_RESET;
			what = "inject reset";
			inj_lock = std::unique_lock(d.inj_mu);
			d.inj_clears++;
		}
		auto r = ctl_.set_params(d.id, s);
		if (inj_lock.owns_lock()) {
			d.inj_clears++;
			d.inj_cur = 0;
			inj_lock.unlock();
		}
		record(cat("set_params ", d.name, " ", what), r ? 0 : -r.error().value());
		if (s.mask == URINGBLK_SET_WRITE_CACHE && s.write_cache == 0 && !r) {
			d.write_through = false;
			d.flush_end(false);
		}
		if (s.mask == URINGBLK_SET_WRITE_CACHE && s.write_cache == 1 && r) {
			d.write_through = false;
			d.flush_end(true);
		}
		if (!r && !(d.dead && r.error().value() == ENODEV))
			fail(cat("SET_PARAMS ", what, " on ", d.name, ": ", r.error().message()));
		sets_++;
	}

	// Every readable attribute of every device: none may fail. And the
	// writable ones that do not change what the oracle models.
	void read_sysfs()
	{
		for (const DevPtr &d : sh_.snapshot()) {
			if (d->dead)
				continue;
			for (auto [attr, val] : {std::pair<std::string_view, std::string>{"stats_reset", "1"},
						 {"power_mark", std::to_string(rng_())}}) {
				auto w = uringblk::write_attr(d->name, attr, val);
				record(cat("write ", d->name, "/", attr, " ", val), w ? 0 : -w.error().value());
				if (!w && !d->dead)
					fail(cat("write ", val, " to ", d->name, "/uringblk/", attr, ": ",
						 w.error().message()));
			}
			const fs::path dir = fs::path("/sys/block") / d->name / "uringblk";
			std::error_code ec;
			for (const auto &e : fs::directory_iterator(dir, ec)) {
				const auto perms = e.status(ec).permissions();
				if (ec || (perms & fs::perms::owner_read) == fs::perms::none)
					continue;
				int err = 0;
				sysfs_read(e.path(), err);
				sysfs_++;
				if (err && !d->dead)
					fail(cat("read ", e.path().string(), ": ", std::strerror(err)));
			}
			record(cat("sysfs ", dir.string()), 0);
		}
	}

	uringblk::Control ctl_;
	std::uint64_t adds_ = 0, dels_ = 0, forced_ = 0, busy_ = 0, sets_ = 0, sysfs_ = 0, opens_ = 0;
};

// ---------------------------------------------------------------- memory

// An anonymous mapping, unmapped on destruction.
class Mapping {
public:
	explicit Mapping(std::size_t n) : n_(n)
	{
		void *p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		p_ = p == MAP_FAILED ? nullptr : static_cast<std::byte *>(p);
	}
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;
	~Mapping()
	{
		if (p_)
			::munmap(p_, n_);
	}
	std::span<std::byte> span() { return p_ ? std::span(p_, n_) : std::span<std::byte>(); }

private:
	std::byte *p_ = nullptr;
	std::size_t n_;
};

class MemoryActor : public Actor {
public:
	explicit MemoryActor(Shared &sh) : Actor(sh, "memory", 4)
	{
		fault_ = fs::exists("/sys/kernel/debug/fail_page_alloc/probability");
		std::ifstream mi("/proc/meminfo");
		std::string k;
		std::uint64_t v = 0;
		while (mi >> k >> v) {
			if (k == "MemTotal:")
				total_ = v << 10;
			mi.ignore(64, '\n');
		}
	}

	void run() override
	{
		while (!stopping()) {
			nap(uniform(0.2, 2.0));
			if (stopping())
				break;
			const std::uint64_t p = rnd(100);
			if (fault_ && p < 35)
				fail_window();
			else if (p < 70)
				anon();
			else
				cache();
		}
	}

	void summary(nlohmann::json &j) const override
	{
		j["ops"] = ops();
		j["anon_mib"] = anon_mib_;
		j["cache_mib"] = cache_mib_;
		j["fail_windows"] = windows_;
		j["fault_injection"] = fault_;
	}

private:
	void window(bool on)
	{
		if (on)
			sh_.mem_active = true;
		sh_.mem_epoch++;
		if (!on)
			sh_.mem_active = false;
	}

	// Up to a fifth of the RAM, touched and held for a while.
	void anon()
	{
		const std::size_t n = std::size_t(total_ / 20 * (1 + rnd(4))) & ~std::size_t(4095);
		window(true);
		{
			Mapping m(n);
			auto s = m.span();
			for (std::size_t i = 0; i < s.size(); i += 4096)
				s[i] = std::byte(i >> 12);
			record(cat("anon ", n >> 20, " MiB"), s.empty() ? -ENOMEM : 0);
			anon_mib_ += n >> 20;
			nap(uniform(0.2, 1.5));
		}
		window(false);
	}

	// Buffered reads of a device: page cache to reclaim.
	void cache()
	{
		std::vector<DevPtr> v = sh_.snapshot();
		std::erase_if(v, [](const DevPtr &d) { return d->dead.load(); });
		if (v.empty())
			return;
		DevPtr d = v[rnd(v.size())];
		UniqueFd fd;
		{
			std::shared_lock g(d->life);
			if (d->dead)
				return;
			fd = UniqueFd(::open(d->path.c_str(), O_RDONLY | O_CLOEXEC));
		}
		if (!fd)
			return;
		std::vector<char> b(1 << 20);
		const std::uint64_t len = std::min<std::uint64_t>(d->size, std::uint64_t(16 + rnd(48)) << 20);
		std::uint64_t got = 0;
		int res = 0;
		while (got < len && !stopping()) {
			const ssize_t r = ::pread(fd.get(), b.data(), b.size(), off_t(got));
			if (r <= 0) {
				res = r < 0 ? -errno : 0;
				break;
			}
			got += std::uint64_t(r);
		}
		record(cat("buffered read ", d->name, " ", got >> 20, " MiB"), res);
		cache_mib_ += got >> 20;
		// Errors are the I/O actors' to judge: these reads share their
		// circumstances but not their bookkeeping.
		if (res && res != -EIO && res != -ETIMEDOUT && !d->dead)
			fail(cat("buffered read of ", d->path, ": ", uringblk::kit::res_name(res)));
	}

	static bool wr(const std::string &path, std::string_view v)
	{
		UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
		return fd && ::write(fd.get(), v.data(), v.size()) == ssize_t(v.size());
	}

	// One I/O actor's non-sleeping module allocations fail for a moment.
	void fail_window()
	{
		const unsigned a = unsigned(rnd(sh_.o.io_actors));
		const int tid = sh_.io_tids[a];
		if (tid <= 0)
			return;
		const std::string pct = std::to_string(5 + rnd(96));
		const std::string task = cat("/proc/self/task/", tid, "/make-it-fail");
		window(true);
		bool ok = wr(task, "1") && wr("/sys/kernel/debug/failslab/probability", pct) &&
			  wr("/sys/kernel/debug/fail_page_alloc/probability", pct);
		nap(uniform(0.05, 0.5));
		ok = wr("/sys/kernel/debug/fail_page_alloc/probability", "0") && ok;
		ok = wr("/sys/kernel/debug/failslab/probability", "0") && ok;
		ok = wr(task, "0") && ok;
		window(false);
		record(cat("fail window io", a, " ", pct, "%"), ok ? 0 : -EIO);
		if (!ok)
			fail("cannot set up fail_page_alloc/failslab (debugfs)");
		windows_++;
	}

	bool fault_ = false;
	std::uint64_t total_ = 1ULL << 30;
	std::uint64_t anon_mib_ = 0, cache_mib_ = 0, windows_ = 0;
};

// ---------------------------------------------------------------- main

DevPtr base_device(const std::string &path)
{
	uringblk::kit::OpenSpec spec;
	spec.write = false;
	spec.exclusive = false;
	uringblk::kit::Target t = uringblk::kit::open_target(path, spec);
	auto name = uringblk::uringblk_name_from_path(path);
	if (!name)
		throw UsageError(cat(path, ": ", name.error().message()));
	auto d = std::make_shared<Dev>();
	d->name = *name;
	d->id = *uringblk::parse_device_name(d->name);
	d->path = "/dev/" + d->name;
	d->lbs = t.lbs;
	d->size = t.size;
	auto hw = uringblk::read_attr_u64(d->name, "../queue/max_hw_sectors_kb");
	d->max_io = hw ? *hw << 10 : 1 << 20;
	auto pl = uringblk::read_attr_u64(d->name, "power_loss");
	if (!pl || *pl != 1)
		throw UsageError(cat(path, ": power-loss tracking is off (load with power_loss=1)"));
	return d;
}

int run(const Opts &o)
{
	Shared sh(o);
	std::vector<std::string> paths = o.devices;
	if (paths.empty()) {
		auto list = uringblk::list_devices();
		if (!list)
			throw UsageError(list.error().message());
		for (const uringblk::DeviceInfo &i : *list)
			paths.push_back(i.path);
	}
	if (paths.empty())
		throw UsageError("no uringblk device");
	for (const std::string &p : paths) {
		DevPtr d = base_device(p);
		d->incarnation = ++sh.incarnations;
		sh.devs.push_back(d);
	}

	std::vector<std::unique_ptr<Actor>> actors;
	std::vector<IoActor *> io;
	for (unsigned i = 0; i < o.io_actors; i++) {
		auto a = std::make_unique<IoActor>(sh, i);
		io.push_back(a.get());
		actors.push_back(std::move(a));
	}
	if (o.inject)
		actors.push_back(std::make_unique<InjectActor>(sh));
	if (o.power)
		actors.push_back(std::make_unique<PowerActor>(sh));
	if (o.lifecycle)
		actors.push_back(std::make_unique<LifecycleActor>(sh));
	if (o.memory)
		actors.push_back(std::make_unique<MemoryActor>(sh));

	// Each I/O actor prepares its ranges in its own thread (its tid is the
	// one the memory actor's fail windows name), then all start together.
	std::atomic<unsigned> ready{0};
	std::atomic<bool> go{false};
	std::vector<std::thread> threads;
	for (auto &a : actors) {
		Actor *ap = a.get();
		IoActor *ia = dynamic_cast<IoActor *>(ap);
		threads.emplace_back([&, ap, ia] {
			if (ia) {
				try {
					ia->prepare();
				} catch (const Stop &) {
				} catch (const std::exception &e) {
					sh.set_failure(cat(ia->name(), ": preparing: ", e.what()));
				}
			}
			ready++;
			while (!go)
				std::this_thread::sleep_for(std::chrono::milliseconds(1));
			ap->main();
		});
	}
	while (ready < actors.size())
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	const Clock::time_point t0 = Clock::now();
	go = true;

	// The watchdog: the run ends at --duration, at the first failure, or
	// when an actor makes no progress (a hang is a failure, not a wait).
	std::string hung;
	const std::int64_t hang_ns = std::int64_t(o.hang_s * 1e9);
	for (;;) {
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		const double el = std::chrono::duration<double>(Clock::now() - t0).count();
		if (el >= o.duration)
			sh.stop = true;
		const std::int64_t now = Clock::now().time_since_epoch().count();
		bool all_done = true;
		for (auto &a : actors) {
			if (a->finished())
				continue;
			all_done = false;
			if (now - a->last_progress() > hang_ns && hung.empty())
				hung = a->name();
		}
		if (all_done || !hung.empty())
			break;
	}
	const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
	if (!hung.empty()) {
		sh.set_failure(cat(hung, ": no progress for ", o.hang_s, " s (a hang?)"));
		// Where it waits: the system call and the kernel stack of every
		// actor that did not finish.
		for (auto &a : actors) {
			if (a->finished())
				continue;
			const std::string dir = cat("/proc/self/task/", a->tid(), "/");
			int err = 0;
			std::cerr << a->name() << " (tid " << a->tid() << ") syscall: "
				  << sysfs_read(dir + "syscall", err) << "kernel stack:\n"
				  << sysfs_read(dir + "stack", err);
		}
	} else
		for (auto &t : threads)
			t.join();
	// A hung actor's counters are read while it may still change them:
	// the report is all that is left to do then.

	std::uint64_t total = 0;
	nlohmann::json j;
	j["seed"] = o.seed;
	j["seconds"] = secs;
	for (auto &a : actors) {
		nlohmann::json aj;
		a->summary(aj);
		total += a->ops();
		j["actors"][a->name()] = aj;
	}
	j["ops"] = total;
	j["ops_per_s"] = secs > 0 ? double(total) / secs : 0.0;
	j["result"] = sh.failed ? "FAIL" : "ok";

	if (sh.failed) {
		std::cout << std::flush;
		std::cerr << "FAIL: " << sh.fail_msg << " (seed " << o.seed << ", --seed " << o.seed
			  << " repeats the schedule)\n";
		for (auto &a : actors)
			a->history().dump(std::cerr, a->name());
		std::cout << "torture-summary " << j.dump() << "\n" << std::flush;
		std::cerr << std::flush;
		if (!hung.empty())
			std::_Exit(1); // the hung thread cannot be joined
		return 1;
	}

	// Leave no rule behind: the case deletes the devices next.
	for (const DevPtr &d : sh.snapshot())
		if (!d->dead)
			(void)uringblk::inject_clear(d->name);

	if (o.output == "json") {
		std::cout << j.dump() << "\n";
	} else {
		for (auto &a : actors) {
			nlohmann::json aj;
			a->summary(aj);
			std::cout << std::left << std::setw(10) << a->name() << " " << aj.dump() << "\n";
		}
		std::cout << "ok: " << total << " operations in " << std::fixed << std::setprecision(1)
			  << secs << " s (" << std::setprecision(0) << double(total) / secs
			  << "/s), seed " << o.seed << "\n";
		std::cout << "torture-summary " << j.dump() << "\n";
	}
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	Opts o;
	CLI::App app{"uringblk torture test: concurrent actors against a model (issue #22)"};
	app.add_option("--duration", o.duration, "seconds to run")->check(CLI::Range(1.0, 86400.0));
	app.add_option("--seed", o.seed, "seed of every actor's schedule");
	app.add_option("--io-actors", o.io_actors, "I/O actors")->check(CLI::Range(1, 16));
	app.add_option("--region-kb", o.region_kb, "range of each device per I/O actor, KiB")
		->check(CLI::Range(64, 1 << 20));
	app.add_option("--max-extra", o.max_extra, "devices the lifecycle actor keeps at most")
		->check(CLI::Range(0, 8));
	app.add_option("--hang", o.hang_s, "seconds without progress that count as a hang")
		->check(CLI::Range(5.0, 3600.0));
	app.add_flag("!--no-inject", o.inject, "no injection actor");
	app.add_flag("!--no-power", o.power, "no power actor");
	app.add_flag("!--no-lifecycle", o.lifecycle, "no lifecycle actor");
	app.add_option("--set-params", o.set_params,
		       "what the lifecycle actor's SET_PARAMS may change (none: no SET_PARAMS)")
		->delimiter(',')
		->check(CLI::IsMember({"max_sectors", "write_cache", "inject_reset", "none"}));
	app.add_flag("!--no-memory", o.memory, "no memory actor");
	app.add_option("-o,--output", o.output, "text or json")->check(CLI::IsMember({"text", "json"}));
	app.add_option("devices", o.devices, "uringblk devices (default: all)");
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e) == 0 ? 0 : 2;
	}
	try {
		return run(o);
	} catch (const UsageError &e) {
		std::cerr << "torture: " << e.what() << "\n";
		return 2;
	} catch (const std::exception &e) {
		std::cerr << "FAIL: " << e.what() << " (seed " << o.seed << ")\n";
		return 1;
	}
}
