// SPDX-License-Identifier: GPL-2.0 OR MIT
//
// admin_check: checks the answers of the uringblk admin plane against the
// truth (sysfs, the block layer's own ioctls and the I/O the tool issues),
// over both transports of libuapi (URING_CMD on /dev/uringblk-ctl and the
// ioctl on /dev/uringblkN). Used by tests/vm/cases/admin*.sh, as root.
//
//   admin_check truth DEV
//       IDENTIFY, GET_LIMITS, GET_FEATURES, GET_GEOMETRY and GET_STATS over
//       both transports, each field compared with sysfs
//       (/sys/block/DEV/{size,stat,queue/*,mq/,uringblk/*}), BLK* ioctls and
//       HDIO_GETGEO. The device must be idle: GET_STATS must equal the sysfs
//       counters exactly.
//   admin_check io DEV [OTHER]
//       stats_reset; GET_STATS must be all zero (latencies too). Then K
//       O_DIRECT preads and M O_DIRECT pwrites of known sizes, one fsync and
//       one BLKDISCARD; GET_STATS (both transports) must count exactly that,
//       and so must the sysfs counters and the deltas of /sys/block/DEV/stat.
//       flush_ops must be 1 with queue/write_cache "write back" (the fsync
//       reaches the driver as one REQ_OP_FLUSH) and 0 with "write through"
//       (the block layer completes the empty flush itself). OTHER (another
//       uringblk disk) must not see any of it (dev_id routing).
//   admin_check loop DEV MIN_ITERS MIN_SECONDS [--require-io]
//       At least MIN_ITERS iterations and MIN_SECONDS seconds of IDENTIFY +
//       GET_STATS over URING_CMD and over ioctl (GET_LIMITS, GET_FEATURES,
//       GET_GEOMETRY every 16th iteration), while other processes do I/O:
//       every answer must be valid and equal to the first (sysfs-checked)
//       one, and every GET_STATS counter must never decrease from one answer
//       to the next (across both transports). Prints the counters at the end.
//       --require-io: fail unless reads and writes completed during the loop
//       (proves that the loop ran under I/O).
//   admin_check stats DEV [uring|ioctl]
//       Prints GET_STATS as key=value lines.
//
// DEV: uringblkN, /dev/uringblkN or N. Exit status: 0 when every check held,
// 1 otherwise (each failure printed as "FAIL: ..."), 2 on bad usage.

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/hdreg.h>
#include <linux/uringblk.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <uringblk/uringblk.hpp>

namespace {

using uringblk::Device;
using uringblk::Transport;

int g_failures = 0;

void fail(const std::string &msg)
{
	std::fprintf(stderr, "FAIL: %s\n", msg.c_str());
	g_failures++;
}

const char *tname(Transport t)
{
	return t == Transport::ioctl ? "ioctl" : "uring";
}

constexpr std::array<Transport, 2> kTransports = {Transport::uring_cmd, Transport::ioctl};

// ---- the truth: sysfs and block ioctls ------------------------------------

std::optional<std::string> read_file(const std::string &path)
{
	std::ifstream f(path);
	if (!f)
		return std::nullopt;
	std::stringstream ss;
	ss << f.rdbuf();
	std::string s = ss.str();
	while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
		s.pop_back();
	return s;
}

std::string must_read(const std::string &path)
{
	auto s = read_file(path);
	if (!s) {
		fail("cannot read " + path);
		return "";
	}
	return *s;
}

// A decimal or 0x-hex sysfs number. Missing or unparsable: a failure, 0.
uint64_t sys_u64(const std::string &path)
{
	auto s = read_file(path);
	if (!s) {
		fail("cannot read " + path);
		return 0;
	}
	auto v = uringblk::parse_u64(*s);
	if (!v) {
		fail(path + ": not a number: '" + *s + "'");
		return 0;
	}
	return *v;
}

struct Disk {
	std::string name; // uringblk0
	std::string dev;  // /dev/uringblk0
	std::string sys;  // /sys/block/uringblk0
	uint32_t index = 0;

	std::string q(const std::string &a) const { return sys + "/queue/" + a; }
	std::string u(const std::string &a) const { return sys + "/uringblk/" + a; }
};

std::optional<Disk> parse_disk(std::string arg)
{
	if (!arg.empty() && std::all_of(arg.begin(), arg.end(), ::isdigit))
		arg = "uringblk" + arg;
	if (arg.rfind("/dev/", 0) == 0)
		arg = arg.substr(5);
	auto n = uringblk::parse_device_name(arg);
	if (!n)
		return std::nullopt;
	return Disk{arg, "/dev/" + arg, "/sys/block/" + arg, *n};
}

// The fields of /sys/block/DEV/stat (Documentation/block/stat.rst).
struct BlkStat {
	uint64_t v[17] = {};
	uint64_t read_ios() const { return v[0]; }
	uint64_t read_sectors() const { return v[2]; }
	uint64_t write_ios() const { return v[4]; }
	uint64_t write_sectors() const { return v[6]; }
	uint64_t discard_ios() const { return v[11]; }
	uint64_t discard_sectors() const { return v[13]; }
	uint64_t flush_ios() const { return v[15]; }
};

BlkStat blk_stat(const Disk &d)
{
	BlkStat s;
	std::istringstream in(must_read(d.sys + "/stat"));
	for (auto &x : s.v)
		if (!(in >> x)) {
			fail(d.sys + "/stat: fewer than 17 fields");
			break;
		}
	return s;
}

template <class A, class B>
void eq(const std::string &what, const A &got, const B &want)
{
	if (static_cast<uint64_t>(got) != static_cast<uint64_t>(want))
		fail(what + ": got " + std::to_string(static_cast<uint64_t>(got)) + ", want " +
		     std::to_string(static_cast<uint64_t>(want)));
}

void eq_str(const std::string &what, const std::string &got, const std::string &want)
{
	if (got != want)
		fail(what + ": got '" + got + "', want '" + want + "'");
}

// ---- admin commands through libuapi ----------------------------------------

std::optional<Device> open_dev(const Disk &d, Transport t)
{
	auto r = Device::open(d.dev, t);
	if (!r) {
		fail(std::string("Device::open(") + d.dev + ", " + tname(t) + "): " +
		     r.error().message());
		return std::nullopt;
	}
	if (r->transport() != t)
		fail(std::string("Device::open(") + d.dev + "): transport " +
		     tname(r->transport()) + ", want " + tname(t));
	// The dev_id the commands carry: N over URING_CMD, URINGBLK_DEV_ID_SELF
	// over the block device ioctl (docs/userspace.md).
	uint32_t want_id = t == Transport::ioctl ? URINGBLK_DEV_ID_SELF : d.index;
	if (r->dev_id() != want_id)
		fail(d.dev + ": dev_id " + std::to_string(r->dev_id()) + " over " + tname(t) +
		     ", want " + std::to_string(want_id));
	return std::move(r).value();
}

template <class T>
std::optional<T> got(const char *cmd, Transport t, uringblk::Result<T> r)
{
	if (!r) {
		fail(std::string(cmd) + " over " + tname(t) + ": " + r.error().message());
		return std::nullopt;
	}
	return std::move(r).value();
}

// ---- truth -----------------------------------------------------------------

struct BlkIoctls {
	uint64_t size64 = 0;
	int ssz = 0;
	unsigned pbsz = 0, iomin = 0, ioopt = 0;
	hd_geometry geo{};
};

BlkIoctls blk_ioctls(const Disk &d)
{
	BlkIoctls b;
	int fd = ::open(d.dev.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail("open " + d.dev + ": " + std::strerror(errno));
		return b;
	}
	if (ioctl(fd, BLKGETSIZE64, &b.size64))
		fail(std::string("BLKGETSIZE64: ") + std::strerror(errno));
	if (ioctl(fd, BLKSSZGET, &b.ssz))
		fail(std::string("BLKSSZGET: ") + std::strerror(errno));
	if (ioctl(fd, BLKPBSZGET, &b.pbsz))
		fail(std::string("BLKPBSZGET: ") + std::strerror(errno));
	if (ioctl(fd, BLKIOMIN, &b.iomin))
		fail(std::string("BLKIOMIN: ") + std::strerror(errno));
	if (ioctl(fd, BLKIOOPT, &b.ioopt))
		fail(std::string("BLKIOOPT: ") + std::strerror(errno));
	if (ioctl(fd, HDIO_GETGEO, &b.geo))
		fail(std::string("HDIO_GETGEO: ") + std::strerror(errno));
	::close(fd);
	return b;
}

unsigned count_mq_dirs(const Disk &d)
{
	unsigned n = 0;
	std::error_code ec;
	for (const auto &e : std::filesystem::directory_iterator(d.sys + "/mq", ec))
		if (e.is_directory())
			n++;
	if (ec)
		fail(d.sys + "/mq: " + ec.message());
	return n;
}

// The queue-limit fields shared by IDENTIFY and GET_LIMITS.
template <class T>
void check_queue_limits(const std::string &p, const T &x, const Disk &d)
{
	eq(p + ".max_segments", x.max_segments, sys_u64(d.q("max_segments")));
	eq(p + ".max_segment_size", x.max_segment_size, sys_u64(d.q("max_segment_size")));
	eq(p + ".dma_alignment", x.dma_alignment, sys_u64(d.q("dma_alignment")));
	eq(p + ".io_min", x.io_min, sys_u64(d.q("minimum_io_size")));
	eq(p + ".io_opt", x.io_opt, sys_u64(d.q("optimal_io_size")));
	eq(p + ".discard_granularity", x.discard_granularity,
	   sys_u64(d.q("discard_granularity")));
	eq(p + ".discard_max_bytes", x.discard_max_bytes, sys_u64(d.q("discard_max_bytes")));
}

void check_features(const std::string &p, uint64_t f, const Disk &d)
{
	eq(p, f, sys_u64(d.u("features")));
	bool wb = must_read(d.q("write_cache")) == "write back";
	eq(p + " bit write_cache vs queue/write_cache", (f & URINGBLK_FEAT_WRITE_CACHE) != 0, wb);
	// FLUSH and FUA follow the live write-cache mode: in write-through mode
	// the block layer sends no flush and strips FUA, whatever queue/fua says.
	eq(p + " bit flush vs queue/write_cache", (f & URINGBLK_FEAT_FLUSH) != 0, wb);
	if (auto fua = read_file(d.q("fua")))
		eq(p + " bit fua vs queue/fua and queue/write_cache", (f & URINGBLK_FEAT_FUA) != 0,
		   wb && *fua == "1");
	eq(p + " bit discard vs queue/discard_max_bytes", (f & URINGBLK_FEAT_DISCARD) != 0,
	   sys_u64(d.q("discard_max_bytes")) != 0);
	eq(p + " bit write_zeroes vs queue/write_zeroes_max_bytes",
	   (f & URINGBLK_FEAT_WRITE_ZEROES) != 0, sys_u64(d.q("write_zeroes_max_bytes")) != 0);
	eq(p + " bit polling vs uringblk/poll_queues", (f & URINGBLK_FEAT_POLLING) != 0,
	   sys_u64(d.u("poll_queues")) != 0);
	eq(p + " bit polling vs queue/io_poll", (f & URINGBLK_FEAT_POLLING) != 0,
	   sys_u64(d.q("io_poll")) != 0);
	eq(p + " bit zoned", (f & URINGBLK_FEAT_ZONED) != 0, must_read(d.q("zoned")) != "none");
	if (f & ~uint64_t(0x7f))
		fail(p + ": unknown bits set");
}

void check_identify(Transport t, const uringblk::Identify &id, const Disk &d,
		    const BlkIoctls &b)
{
	std::string p = std::string("IDENTIFY(") + tname(t) + ")";
	eq_str(p + ".model", id.model, must_read(d.u("model")));
	eq_str(p + ".firmware", id.firmware, must_read(d.u("firmware_rev")));
	if (id.model.empty())
		fail(p + ".model is empty");
	eq(p + ".logical_block_size", id.logical_block_size, sys_u64(d.q("logical_block_size")));
	eq(p + ".logical_block_size vs BLKSSZGET", id.logical_block_size, b.ssz);
	eq(p + ".physical_block_size", id.physical_block_size,
	   sys_u64(d.q("physical_block_size")));
	eq(p + ".physical_block_size vs BLKPBSZGET", id.physical_block_size, b.pbsz);
	eq(p + ".capacity_sectors", id.capacity_sectors, sys_u64(d.sys + "/size"));
	eq(p + ".capacity_sectors vs BLKGETSIZE64", id.capacity_sectors, b.size64 / 512);
	eq(p + ".capacity_sectors vs uringblk/capacity", id.capacity_sectors * 512,
	   sys_u64(d.u("capacity")));
	check_features(p + ".features_bitmap", id.features.bitmap, d);
	eq(p + ".queue_count", id.queue_count, sys_u64(d.u("nr_hw_queues")));
	eq(p + ".queue_count vs /sys/block/X/mq/*", id.queue_count, count_mq_dirs(d));
	eq(p + ".queue_depth", id.queue_depth, sys_u64(d.u("queue_depth")));
	check_queue_limits(p, id, d);
	eq(p + ".io_min vs BLKIOMIN", id.io_min, b.iomin);
	eq(p + ".io_opt vs BLKIOOPT", id.io_opt, b.ioopt);
}

void check_limits(Transport t, const uringblk::Limits &l, const Disk &d)
{
	std::string p = std::string("GET_LIMITS(") + tname(t) + ")";
	eq(p + ".max_hw_sectors_kb", l.max_hw_sectors_kb, sys_u64(d.q("max_hw_sectors_kb")));
	eq(p + ".max_sectors_kb", l.max_sectors_kb, sys_u64(d.q("max_sectors_kb")));
	eq(p + ".nr_hw_queues", l.nr_hw_queues, sys_u64(d.u("nr_hw_queues")));
	eq(p + ".nr_hw_queues vs /sys/block/X/mq/*", l.nr_hw_queues, count_mq_dirs(d));
	eq(p + ".queue_depth", l.queue_depth, sys_u64(d.u("queue_depth")));
	check_queue_limits(p, l, d);
}

void check_geometry(Transport t, const uringblk::Geometry &g, const Disk &d,
		    const BlkIoctls &b)
{
	std::string p = std::string("GET_GEOMETRY(") + tname(t) + ")";
	eq(p + ".capacity_sectors", g.capacity_sectors, sys_u64(d.sys + "/size"));
	eq(p + ".logical_block_size", g.logical_block_size, sys_u64(d.q("logical_block_size")));
	eq(p + ".physical_block_size", g.physical_block_size,
	   sys_u64(d.q("physical_block_size")));
	eq(p + ".cylinders vs HDIO_GETGEO", g.cylinders, b.geo.cylinders);
	eq(p + ".heads vs HDIO_GETGEO", g.heads, b.geo.heads);
	eq(p + ".sectors_per_track vs HDIO_GETGEO", g.sectors_per_track, b.geo.sectors);
	eq(p + " HDIO_GETGEO.start", b.geo.start, 0);
	if (!g.heads || !g.sectors_per_track) {
		fail(p + ": zero heads or sectors per track");
	} else {
		uint64_t cyl = g.capacity_sectors / (uint64_t(g.heads) * g.sectors_per_track);
		eq(p + ".cylinders = min(capacity / (heads * sectors), 65535)", g.cylinders,
		   std::min<uint64_t>(cyl, 0xffff));
	}
}

// The sysfs counters of GET_STATS (sysfs has bytes, not sectors).
void check_stats_vs_sysfs(const std::string &p, const uringblk::Stats &s, const Disk &d)
{
	eq(p + ".read_ops", s.read_ops, sys_u64(d.u("read_ops")));
	eq(p + ".write_ops", s.write_ops, sys_u64(d.u("write_ops")));
	eq(p + ".flush_ops", s.flush_ops, sys_u64(d.u("flush_ops")));
	eq(p + ".discard_ops", s.discard_ops, sys_u64(d.u("discard_ops")));
	eq(p + ".read_bytes", s.read_bytes, sys_u64(d.u("read_bytes")));
	eq(p + ".write_bytes", s.write_bytes, sys_u64(d.u("write_bytes")));
	eq(p + ".queue_full_events", s.queue_full_events, sys_u64(d.u("queue_full_events")));
	eq(p + ".media_errors", s.media_errors, sys_u64(d.u("media_errors")));
	eq(p + ".retries", s.retries, sys_u64(d.u("retries")));
}

// Invariants every GET_STATS answer must satisfy, idle or not.
void check_stats_shape(const std::string &p, const uringblk::Stats &s)
{
	eq(p + ".read_sectors = read_bytes / 512", s.read_sectors, s.read_bytes / 512);
	eq(p + ".write_sectors = write_bytes / 512", s.write_sectors, s.write_bytes / 512);
	if (s.p50_read_latency_us > s.p99_read_latency_us)
		fail(p + ": p50_read " + std::to_string(s.p50_read_latency_us) + " > p99_read " +
		     std::to_string(s.p99_read_latency_us));
	if (s.p50_write_latency_us > s.p99_write_latency_us)
		fail(p + ": p50_write " + std::to_string(s.p50_write_latency_us) + " > p99_write " +
		     std::to_string(s.p99_write_latency_us));
	if ((s.read_ops == 0) != (s.p50_read_latency_us == 0))
		fail(p + ": read_ops " + std::to_string(s.read_ops) + " but p50_read " +
		     std::to_string(s.p50_read_latency_us));
	if ((s.write_ops == 0) != (s.p50_write_latency_us == 0))
		fail(p + ": write_ops " + std::to_string(s.write_ops) + " but p50_write " +
		     std::to_string(s.p50_write_latency_us));
}

void print_stats(const char *prefix, const uringblk::Stats &s)
{
	std::printf("%sread_ops=%" PRIu64 " write_ops=%" PRIu64 " flush_ops=%" PRIu64
		    " discard_ops=%" PRIu64 " read_bytes=%" PRIu64 " write_bytes=%" PRIu64
		    " queue_full=%" PRIu64 " retries=%" PRIu64 " media_errors=%" PRIu64
		    " p50/p99 read=%u/%u us write=%u/%u us\n",
		    prefix, s.read_ops, s.write_ops, s.flush_ops, s.discard_ops, s.read_bytes,
		    s.write_bytes, s.queue_full_events, s.retries, s.media_errors,
		    s.p50_read_latency_us, s.p99_read_latency_us, s.p50_write_latency_us,
		    s.p99_write_latency_us);
}

int cmd_truth(const Disk &d)
{
	BlkIoctls b = blk_ioctls(d);
	std::optional<uringblk::Identify> id0;
	std::optional<uringblk::Limits> lim0;
	std::optional<uringblk::Geometry> geo0;
	std::optional<uringblk::Stats> st0;
	for (Transport t : kTransports) {
		auto dev = open_dev(d, t);
		if (!dev)
			continue;
		auto id = got("IDENTIFY", t, dev->identify());
		auto lim = got("GET_LIMITS", t, dev->limits());
		auto feat = got("GET_FEATURES", t, dev->features());
		auto geo = got("GET_GEOMETRY", t, dev->geometry());
		auto st = got("GET_STATS", t, dev->stats());
		if (id)
			check_identify(t, *id, d, b);
		if (lim)
			check_limits(t, *lim, d);
		if (feat)
			check_features(std::string("GET_FEATURES(") + tname(t) + ")", feat->bitmap, d);
		if (id && feat && id->features != *feat)
			fail(std::string("GET_FEATURES != IDENTIFY.features_bitmap over ") + tname(t));
		if (id && lim) {
			eq(std::string("GET_LIMITS.nr_hw_queues = IDENTIFY.queue_count ") + tname(t),
			   lim->nr_hw_queues, id->queue_count);
			eq(std::string("GET_LIMITS.queue_depth = IDENTIFY.queue_depth ") + tname(t),
			   lim->queue_depth, id->queue_depth);
		}
		if (geo)
			check_geometry(t, *geo, d, b);
		if (st) {
			std::string p = std::string("GET_STATS(") + tname(t) + ")";
			check_stats_vs_sysfs(p, *st, d);
			check_stats_shape(p, *st);
		}
		if (t == Transport::uring_cmd) {
			id0 = id, lim0 = lim, geo0 = geo, st0 = st;
		} else {
			if (id && id0 && *id != *id0)
				fail("IDENTIFY differs between uring and ioctl");
			if (lim && lim0 && *lim != *lim0)
				fail("GET_LIMITS differs between uring and ioctl");
			if (geo && geo0 && *geo != *geo0)
				fail("GET_GEOMETRY differs between uring and ioctl");
			if (st && st0 && *st != *st0)
				fail("GET_STATS differs between uring and ioctl (device idle)");
		}
	}
	if (id0)
		std::printf("%s: model='%s' firmware='%s' lbs=%u pbs=%u capacity=%" PRIu64
			    " sectors features=0x%" PRIx64 " queues=%u depth=%u geometry=%u/%u/%u\n",
			    d.name.c_str(), id0->model.c_str(), id0->firmware.c_str(),
			    id0->logical_block_size, id0->physical_block_size, id0->capacity_sectors,
			    id0->features.bitmap, id0->queue_count, id0->queue_depth,
			    geo0 ? geo0->cylinders : 0, geo0 ? geo0->heads : 0,
			    geo0 ? geo0->sectors_per_track : 0);
	if (st0)
		print_stats("  stats: ", *st0);
	if (g_failures)
		return 1;
	std::printf("ok: %s: every admin answer (uring and ioctl) matches sysfs, BLK* ioctls "
		    "and HDIO_GETGEO\n",
		    d.name.c_str());
	return 0;
}

// ---- io: exact counters ------------------------------------------------------

std::optional<uringblk::Stats> stats_over(const Disk &d, Transport t)
{
	auto dev = open_dev(d, t);
	if (!dev)
		return std::nullopt;
	return got("GET_STATS", t, dev->stats());
}

void expect_all_zero(const std::string &p, const uringblk::Stats &s)
{
	if (s != uringblk::Stats{}) {
		print_stats("  got: ", s);
		fail(p + ": not all zero after stats_reset");
	}
}

int cmd_io(const Disk &d, const std::optional<Disk> &other)
{
	std::optional<uringblk::Stats> other_before;
	if (other)
		other_before = stats_over(*other, Transport::uring_cmd);

	if (auto r = uringblk::reset_stats(d.name); !r)
		fail("reset_stats: " + r.error().message());
	for (Transport t : kTransports)
		if (auto s = stats_over(d, t))
			expect_all_zero(std::string("GET_STATS(") + tname(t) + ")", *s);
	for (auto c : {"read_ops", "write_ops", "flush_ops", "discard_ops", "read_bytes",
		       "write_bytes", "queue_full_events", "media_errors", "retries"})
		eq(std::string("sysfs ") + c + " after stats_reset", sys_u64(d.u(c)), 0);

	const uint64_t lbs = sys_u64(d.q("logical_block_size"));
	const uint64_t max_io = sys_u64(d.q("max_sectors_kb")) * 1024;
	const uint64_t max_segs = sys_u64(d.q("max_segments"));
	const uint64_t cap = sys_u64(d.sys + "/size") * 512;
	const bool wb = must_read(d.q("write_cache")) == "write back";
	const uint64_t dgran = sys_u64(d.q("discard_granularity"));
	const uint64_t dmax = sys_u64(d.q("discard_max_bytes"));
	if (g_failures || !lbs)
		return 1;

	// Sizes in logical blocks: each is one request (no larger than
	// max_sectors_kb and fewer pages than max_segments), and consecutive
	// synchronous syscalls never merge.
	const std::vector<uint64_t> rd_blocks = {1, 3, 8, 16, 1, 64, 5};
	const std::vector<uint64_t> wr_blocks = {8, 1, 64, 7, 32};
	uint64_t rd_bytes = 0, wr_bytes = 0, biggest = 0;
	for (auto n : rd_blocks)
		rd_bytes += n * lbs, biggest = std::max(biggest, n * lbs);
	for (auto n : wr_blocks)
		wr_bytes += n * lbs, biggest = std::max(biggest, n * lbs);
	if (biggest > max_io || biggest / 4096 + 2 > max_segs) {
		fail("I/O sizes do not fit one request (max_sectors_kb, max_segments)");
		return 1;
	}
	if (cap < 64ull << 20) {
		fail("capacity below 64 MiB");
		return 1;
	}

	void *buf = nullptr;
	if (posix_memalign(&buf, 4096, biggest)) {
		fail("posix_memalign");
		return 1;
	}
	std::memset(buf, 0x5a, biggest);

	BlkStat before = blk_stat(d);
	int fd = ::open(d.dev.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fail("open O_DIRECT " + d.dev + ": " + std::strerror(errno));
		std::free(buf);
		return 1;
	}
	uint64_t off = 8ull << 20;
	for (auto n : wr_blocks) {
		ssize_t r = pwrite(fd, buf, n * lbs, off);
		if (r != ssize_t(n * lbs))
			fail("pwrite " + std::to_string(n * lbs) + " @" + std::to_string(off) + ": " +
			     std::to_string(r) + " " + std::strerror(errno));
		off += 1 << 20;
	}
	off = 16ull << 20;
	for (auto n : rd_blocks) {
		ssize_t r = pread(fd, buf, n * lbs, off);
		if (r != ssize_t(n * lbs))
			fail("pread " + std::to_string(n * lbs) + " @" + std::to_string(off) + ": " +
			     std::to_string(r) + " " + std::strerror(errno));
		off += 1 << 20;
	}
	if (fsync(fd))
		fail(std::string("fsync: ") + std::strerror(errno));

	// One discard request: 1 MiB (or less, within discard_max_bytes), aligned
	// to the discard granularity.
	uint64_t dlen = 1 << 20;
	bool discard = dmax != 0;
	if (discard) {
		dlen = std::min(dlen, dmax);
		if (dgran)
			dlen -= dlen % dgran;
		uint64_t range[2] = {32ull << 20, dlen};
		if (ioctl(fd, BLKDISCARD, range))
			fail(std::string("BLKDISCARD: ") + std::strerror(errno));
	} else {
		uint64_t range[2] = {32ull << 20, dlen};
		if (ioctl(fd, BLKDISCARD, range) == 0 || errno != EOPNOTSUPP)
			fail("BLKDISCARD without discard support: want EOPNOTSUPP");
	}
	::close(fd);
	std::free(buf);

	const uint64_t K = rd_blocks.size(), M = wr_blocks.size();
	const uint64_t want_flush = wb ? 1 : 0;
	const uint64_t want_discard = discard ? 1 : 0;

	// blk_mq_end_request() ends the bios (waking the syscall) before
	// __blk_mq_end_request() bumps the disk's ios counters, so when the
	// request completed on another CPU the last count can land just after
	// the syscall returned. Wait (bounded) for it; the exact-delta checks
	// below still catch a count that is too high or never arrives.
	BlkStat after = blk_stat(d);
	for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
	     std::chrono::steady_clock::now() < until;) {
		if (after.read_ios() - before.read_ios() >= K &&
		    after.write_ios() - before.write_ios() >= M &&
		    after.discard_ios() - before.discard_ios() >= want_discard &&
		    after.flush_ios() - before.flush_ios() >= want_flush)
			break;
		usleep(10000);
		after = blk_stat(d);
	}
	std::optional<uringblk::Stats> s0;
	for (Transport t : kTransports) {
		auto s = stats_over(d, t);
		if (!s)
			continue;
		std::string p = std::string("GET_STATS(") + tname(t) + ")";
		eq(p + ".read_ops", s->read_ops, K);
		eq(p + ".write_ops", s->write_ops, M);
		eq(p + ".read_bytes", s->read_bytes, rd_bytes);
		eq(p + ".write_bytes", s->write_bytes, wr_bytes);
		eq(p + ".read_sectors", s->read_sectors, rd_bytes / 512);
		eq(p + ".write_sectors", s->write_sectors, wr_bytes / 512);
		eq(p + std::string(".flush_ops (fsync, queue/write_cache ") +
			   (wb ? "write back)" : "write through)"),
		   s->flush_ops, want_flush);
		eq(p + ".discard_ops", s->discard_ops, want_discard);
		eq(p + ".queue_full_events", s->queue_full_events, 0);
		eq(p + ".media_errors", s->media_errors, 0);
		eq(p + ".retries", s->retries, 0);
		if (!s->p50_read_latency_us || !s->p99_read_latency_us ||
		    !s->p50_write_latency_us || !s->p99_write_latency_us)
			fail(p + ": a latency percentile is 0 after I/O");
		check_stats_shape(p, *s);
		check_stats_vs_sysfs(p, *s, d);
		if (t == Transport::uring_cmd)
			s0 = s;
		else if (s0 && *s != *s0)
			fail("GET_STATS differs between uring and ioctl (device idle)");
	}
	// The block layer's own accounting of the same requests.
	eq("/sys/block/X/stat read ios delta", after.read_ios() - before.read_ios(), K);
	eq("/sys/block/X/stat read sectors delta", after.read_sectors() - before.read_sectors(),
	   rd_bytes / 512);
	// The fsync's data-less REQ_PREFLUSH write never reaches the driver as a
	// write (only as the flush), but 6.1 counts it as a 0-sector write once
	// the flush sequence is done (blk_flush_restore_request() clears
	// RQF_FLUSH_SEQ before the request ends).
	const uint64_t wios = after.write_ios() - before.write_ios();
	if (wios != M && wios != M + want_flush)
		fail("/sys/block/X/stat write ios delta: got " + std::to_string(wios) + ", want " +
		     std::to_string(M) + (want_flush ? " (+1 for the empty preflush write)" : ""));
	eq("/sys/block/X/stat write sectors delta", after.write_sectors() - before.write_sectors(),
	   wr_bytes / 512);
	eq("/sys/block/X/stat discard ios delta", after.discard_ios() - before.discard_ios(),
	   want_discard);
	eq("/sys/block/X/stat flush ios delta", after.flush_ios() - before.flush_ios(), want_flush);

	if (other && other_before) {
		auto s = stats_over(*other, Transport::uring_cmd);
		if (s && *s != *other_before)
			fail(other->name + ": GET_STATS changed by I/O on " + d.name);
	}
	if (s0)
		print_stats("  stats: ", *s0);
	if (g_failures)
		return 1;
	std::printf("ok: %s: GET_STATS (uring = ioctl = sysfs = block stat) counts exactly "
		    "%" PRIu64 " reads (%" PRIu64 " B), %" PRIu64 " writes (%" PRIu64
		    " B), %" PRIu64 " flush (write_cache %s), %" PRIu64 " discard\n",
		    d.name.c_str(), K, rd_bytes, M, wr_bytes, want_flush,
		    wb ? "write back" : "write through", want_discard);
	return 0;
}

// ---- loop: answers under load, monotonic counters ----------------------------

bool stats_ge(const uringblk::Stats &a, const uringblk::Stats &b, std::string &which)
{
	const std::pair<const char *, std::pair<uint64_t, uint64_t>> f[] = {
		{"read_ops", {a.read_ops, b.read_ops}},
		{"write_ops", {a.write_ops, b.write_ops}},
		{"flush_ops", {a.flush_ops, b.flush_ops}},
		{"discard_ops", {a.discard_ops, b.discard_ops}},
		{"read_sectors", {a.read_sectors, b.read_sectors}},
		{"write_sectors", {a.write_sectors, b.write_sectors}},
		{"read_bytes", {a.read_bytes, b.read_bytes}},
		{"write_bytes", {a.write_bytes, b.write_bytes}},
		{"queue_full_events", {a.queue_full_events, b.queue_full_events}},
		{"media_errors", {a.media_errors, b.media_errors}},
		{"retries", {a.retries, b.retries}},
	};
	for (const auto &[name, v] : f)
		if (v.first < v.second) {
			which = std::string(name) + " " + std::to_string(v.second) + " -> " +
				std::to_string(v.first);
			return false;
		}
	return true;
}

int cmd_loop(const Disk &d, unsigned long min_iters, double min_secs, bool require_io)
{
	BlkIoctls b = blk_ioctls(d);
	std::optional<Device> devs[2];
	for (int i = 0; i < 2; i++)
		devs[i] = open_dev(d, kTransports[i]);
	if (!devs[0] || !devs[1])
		return 1;
	// Reference answers, checked against sysfs once (the static parts do
	// not change under I/O).
	auto id_ref = got("IDENTIFY", Transport::uring_cmd, devs[0]->identify());
	auto lim_ref = got("GET_LIMITS", Transport::uring_cmd, devs[0]->limits());
	auto feat_ref = got("GET_FEATURES", Transport::uring_cmd, devs[0]->features());
	auto geo_ref = got("GET_GEOMETRY", Transport::uring_cmd, devs[0]->geometry());
	if (!id_ref || !lim_ref || !feat_ref || !geo_ref)
		return 1;
	check_identify(Transport::uring_cmd, *id_ref, d, b);
	check_limits(Transport::uring_cmd, *lim_ref, d);
	check_geometry(Transport::uring_cmd, *geo_ref, d, b);
	if (g_failures)
		return 1;

	uringblk::Stats last{}, first{};
	bool have_last = false;
	unsigned long iters = 0, cmds = 0;
	const auto t0 = std::chrono::steady_clock::now();
	auto elapsed = [&] {
		return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	};
	while ((iters < min_iters || elapsed() < min_secs) && g_failures < 10) {
		for (int i = 0; i < 2; i++) {
			Transport t = kTransports[i];
			std::string p = std::string(tname(t)) + " iteration " + std::to_string(iters);
			auto id = devs[i]->identify();
			cmds++;
			if (!id)
				fail("IDENTIFY " + p + ": " + id.error().message());
			else if (*id != *id_ref)
				fail("IDENTIFY " + p + ": differs from the first answer");
			auto st = devs[i]->stats();
			cmds++;
			if (!st) {
				fail("GET_STATS " + p + ": " + st.error().message());
			} else {
				check_stats_shape("GET_STATS " + p, *st);
				std::string which;
				if (have_last && !stats_ge(*st, last, which))
					fail("GET_STATS " + p + ": counter went backwards: " + which);
				if (!have_last)
					first = *st;
				last = *st;
				have_last = true;
			}
			if (iters % 16 == 0) {
				auto lim = devs[i]->limits();
				auto feat = devs[i]->features();
				auto geo = devs[i]->geometry();
				cmds += 3;
				if (!lim || *lim != *lim_ref)
					fail("GET_LIMITS " + p + ": error or differs");
				if (!feat || *feat != *feat_ref)
					fail("GET_FEATURES " + p + ": error or differs");
				if (!geo || *geo != *geo_ref)
					fail("GET_GEOMETRY " + p + ": error or differs");
			}
		}
		iters++;
	}
	std::printf("loop: %lu iterations, %lu admin commands in %.1f s\n", iters, cmds, elapsed());
	print_stats("  first: ", first);
	print_stats("  last:  ", last);
	if (last.read_ops == first.read_ops || last.write_ops == first.write_ops) {
		if (require_io)
			fail("no reads or no writes completed during the loop");
		else
			std::printf("  note: no reads or no writes completed during the loop\n");
	}
	if (g_failures)
		return 1;
	std::printf("ok: %s: every admin answer valid, GET_STATS counters monotonic\n",
		    d.name.c_str());
	return 0;
}

int cmd_stats(const Disk &d, Transport t)
{
	auto s = stats_over(d, t);
	if (!s)
		return 1;
	std::printf("read_ops=%" PRIu64 "\nwrite_ops=%" PRIu64 "\nflush_ops=%" PRIu64
		    "\ndiscard_ops=%" PRIu64 "\nread_sectors=%" PRIu64 "\nwrite_sectors=%" PRIu64
		    "\nread_bytes=%" PRIu64 "\nwrite_bytes=%" PRIu64
		    "\nqueue_full_events=%" PRIu64 "\nmedia_errors=%" PRIu64 "\nretries=%" PRIu64
		    "\np50_read_latency_us=%u\np99_read_latency_us=%u\np50_write_latency_us=%u"
		    "\np99_write_latency_us=%u\n",
		    s->read_ops, s->write_ops, s->flush_ops, s->discard_ops, s->read_sectors,
		    s->write_sectors, s->read_bytes, s->write_bytes, s->queue_full_events,
		    s->media_errors, s->retries, s->p50_read_latency_us, s->p99_read_latency_us,
		    s->p50_write_latency_us, s->p99_write_latency_us);
	return g_failures ? 1 : 0;
}

int usage()
{
	std::fprintf(stderr, "usage: admin_check truth DEV\n"
			     "       admin_check io DEV [OTHER_DEV]\n"
			     "       admin_check loop DEV MIN_ITERS MIN_SECONDS [--require-io]\n"
			     "       admin_check stats DEV [uring|ioctl]\n");
	return 2;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	const std::string mode = argv[1];
	auto d = parse_disk(argv[2]);
	if (!d) {
		std::fprintf(stderr, "admin_check: not a uringblk device: %s\n", argv[2]);
		return 2;
	}
	if (mode == "truth" && argc == 3)
		return cmd_truth(*d);
	if (mode == "io" && (argc == 3 || argc == 4)) {
		std::optional<Disk> other;
		if (argc == 4 && !(other = parse_disk(argv[3])))
			return usage();
		return cmd_io(*d, other);
	}
	if (mode == "loop" && (argc == 5 || (argc == 6 && std::string(argv[5]) == "--require-io"))) {
		char *end = nullptr;
		unsigned long n = std::strtoul(argv[3], &end, 10);
		if (*end)
			return usage();
		double secs = std::strtod(argv[4], &end);
		if (*end)
			return usage();
		return cmd_loop(*d, n, secs, argc == 6);
	}
	if (mode == "stats" && (argc == 3 || argc == 4)) {
		Transport t = Transport::uring_cmd;
		if (argc == 4) {
			auto p = uringblk::parse_transport(argv[3]);
			if (!p || *p == Transport::automatic)
				return usage();
			t = *p;
		}
		return cmd_stats(*d, t);
	}
	return usage();
}
