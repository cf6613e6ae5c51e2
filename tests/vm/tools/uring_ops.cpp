// uring_ops: io_uring data-path checks for a block device (uringblk, or brd /
// null_blk as a reference), run inside the VM test bed by tests/vm/cases/*.sh.
//
//   uring_ops ops    DEV                  every data op of spec 5.1.1, data compared
//   uring_ops errors DEV                  EOF, misalignment, recovery (spec 5.3, 8.1)
//   uring_ops poll   DEV [NR_IOS [QD]]    IORING_SETUP_IOPOLL writes + reads, compared
//   uring_ops fill   DEV OFFSET LEN SEED  write the pattern SEED over [OFFSET, +LEN)
//   uring_ops verify DEV OFFSET LEN SEED  check that [OFFSET, +LEN) holds pattern SEED
//   uring_ops zero   DEV OFFSET LEN       check that [OFFSET, +LEN) reads back as zeroes
//
// OFFSET and LEN accept K/M/G suffixes (powers of 1024). Every check prints one
// "ok: ..." line; the first failed check prints "FAIL: ..." and exits 1. Usage
// errors exit 2.
#include <fcntl.h>
#include <linux/fs.h>
#include <liburing.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tool_common.hpp"

#include <uringblk/kit/pattern.hpp>
#include <uringblk/kit/ring.hpp>
#include <uringblk/unique_fd.hpp>

namespace {

// ---------------------------------------------------------------- reporting

using vmtool::cat;
using vmtool::Failure;
using vmtool::parse_size;
using vmtool::UsageError;

template <typename... Args> [[noreturn]] void fail(const Args &...args)
{
	throw Failure(cat(args...));
}

template <typename... Args> void ok(const Args &...args)
{
	std::cout << "ok: " << cat(args...) << '\n' << std::flush;
}

std::string errname(int res)
{
	if (res >= 0)
		return std::to_string(res);
	const char *name = nullptr;
	switch (-res) {
	case EINVAL: name = "EINVAL"; break;
	case ENOSPC: name = "ENOSPC"; break;
	case EIO: name = "EIO"; break;
	case EOPNOTSUPP: name = "EOPNOTSUPP"; break;
	case EAGAIN: name = "EAGAIN"; break;
	case EFAULT: name = "EFAULT"; break;
	case EOVERFLOW: name = "EOVERFLOW"; break;
	case ENOMEM: name = "ENOMEM"; break;
	case EBADF: name = "EBADF"; break;
	default: break;
	}
	return name ? cat("-", name) : cat("-", -res, " (", std::strerror(-res), ")");
}

// ---------------------------------------------------------------- RAII

using Fd = uringblk::UniqueFd;

struct FreeDeleter {
	void operator()(void *p) const noexcept { std::free(p); }
};

// An aligned, zero-filled I/O buffer.
class Buffer {
public:
	Buffer(std::size_t size, std::size_t align) : size_(size)
	{
		std::size_t alloc = (std::max<std::size_t>(size, 1) + align - 1) / align * align;
		void *p = std::aligned_alloc(align, alloc);
		if (!p)
			throw std::bad_alloc();
		std::memset(p, 0, alloc);
		mem_.reset(static_cast<std::uint8_t *>(p));
	}
	std::uint8_t *data() const { return mem_.get(); }
	std::size_t size() const { return size_; }
	std::span<std::uint8_t> span() const { return {mem_.get(), size_}; }
	iovec iov() const { return {mem_.get(), size_}; }

private:
	std::unique_ptr<std::uint8_t[], FreeDeleter> mem_;
	std::size_t size_;
};

struct Completion {
	std::uint64_t user_data;
	int res;
};

// kit::Ring (RAII, sqe(), register_buffers()) plus exact reaping.
class Ring : public uringblk::kit::Ring {
public:
	using uringblk::kit::Ring::Ring;

	// Submit what is queued and reap exactly n completions.
	std::vector<Completion> submit_and_reap(unsigned n)
	{
		int r = io_uring_submit(native());
		if (r < 0)
			fail("io_uring_submit: ", errname(r));
		std::vector<Completion> out;
		out.reserve(n);
		while (out.size() < n)
			out.push_back(reap_one());
		return out;
	}

	Completion reap_one()
	{
		io_uring_cqe *cqe = wait();
		Completion c{cqe->user_data, cqe->res};
		cqe_seen(cqe);
		return c;
	}
};

// ---------------------------------------------------------------- device

struct Device {
	std::string path;
	std::unique_ptr<Fd> fd;
	std::uint64_t size = 0;
	unsigned lbs = 0;
};

Device open_device(const std::string &path)
{
	Device d;
	d.path = path;
	int fd = ::open(path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		fail("open(", path, ", O_RDWR|O_DIRECT): ", std::strerror(errno));
	d.fd = std::make_unique<Fd>(fd);
	struct stat st {};
	if (::fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode))
		fail(path, " is not a block device");
	int lbs = 0;
	if (::ioctl(fd, BLKSSZGET, &lbs) < 0)
		fail("ioctl(BLKSSZGET): ", std::strerror(errno));
	if (lbs < 512 || (lbs & (lbs - 1)) != 0)
		fail("BLKSSZGET returned an implausible logical block size ", lbs);
	d.lbs = static_cast<unsigned>(lbs);
	if (::ioctl(fd, BLKGETSIZE64, &d.size) < 0)
		fail("ioctl(BLKGETSIZE64): ", std::strerror(errno));
	if (d.size == 0 || d.size % d.lbs)
		fail("device size ", d.size, " is not a positive multiple of the block size ", d.lbs);
	return d;
}

// ---------------------------------------------------------------- patterns

// The tools' pattern (userspace/kit/pattern.hpp): the byte at absolute device
// offset `off` is a function of (seed, off) only, so any sub-range can be
// verified on its own.
void pattern_fill(std::span<std::uint8_t> buf, std::uint64_t off, std::uint64_t seed)
{
	uringblk::kit::pattern_fill(std::as_writable_bytes(buf), off, seed);
}

// Index of the first differing byte, or -1.
long long first_diff(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b)
{
	std::size_t n = std::min(a.size(), b.size());
	auto mm = std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin());
	if (mm.first != a.begin() + static_cast<std::ptrdiff_t>(n))
		return mm.first - a.begin();
	return a.size() == b.size() ? -1 : static_cast<long long>(n);
}

void expect_same(std::span<const std::uint8_t> got, std::span<const std::uint8_t> want,
		 std::uint64_t dev_off, const std::string &what)
{
	long long d = first_diff(got, want);
	if (d >= 0)
		fail(what, ": data differs at device offset ", dev_off + static_cast<std::uint64_t>(d),
		     " (byte ", d, " of ", want.size(), "): got 0x", std::hex,
		     static_cast<unsigned>(got[static_cast<std::size_t>(d)]), " want 0x",
		     static_cast<unsigned>(want[static_cast<std::size_t>(d)]), std::dec);
}

// ---------------------------------------------------------------- ops mode

enum class Op { Write, Writev, WriteFixed, Read, Readv, ReadFixed };

const char *op_name(Op op)
{
	switch (op) {
	case Op::Write: return "WRITE";
	case Op::Writev: return "WRITEV";
	case Op::WriteFixed: return "WRITE_FIXED";
	case Op::Read: return "READ";
	case Op::Readv: return "READV";
	case Op::ReadFixed: return "READ_FIXED";
	}
	return "?";
}

bool is_vector(Op op) { return op == Op::Writev || op == Op::Readv; }
bool is_fixed(Op op) { return op == Op::WriteFixed || op == Op::ReadFixed; }

// One test region: written by `wop` from its own buffers, read back by a
// different op `rop` into other buffers.
struct Region {
	std::uint64_t off = 0;
	std::size_t len = 0;
	Op wop{}, rop{};
	std::uint64_t seed = 0;
	std::vector<std::uint8_t> want;
	std::vector<Buffer> wbufs, rbufs; // >= 3 segments for the vector ops
	std::vector<iovec> wiov, riov;
	int wfixed = -1, rfixed = -1; // registered-buffer index
};

// Segments for a vector op: up to 4 of unequal size, each a multiple of the
// block size, each in its own allocation.
std::vector<Buffer> make_segments(std::size_t len, unsigned lbs, bool vector)
{
	std::vector<Buffer> segs;
	std::size_t blocks = len / lbs;
	std::size_t n = vector ? std::min<std::size_t>(4, blocks) : 1;
	std::size_t left = blocks;
	for (std::size_t k = 0; k < n; ++k) {
		std::size_t b = (k + 1 == n) ? left : std::min(k + 1, left - (n - 1 - k));
		segs.emplace_back(b * lbs, 4096);
		left -= b;
	}
	return segs;
}

void prep_rw(io_uring_sqe *sqe, int fd, Region &r, bool write)
{
	Op op = write ? r.wop : r.rop;
	auto &bufs = write ? r.wbufs : r.rbufs;
	auto &iov = write ? r.wiov : r.riov;
	switch (op) {
	case Op::Write:
		io_uring_prep_write(sqe, fd, bufs[0].data(), static_cast<unsigned>(r.len), r.off);
		break;
	case Op::Read:
		io_uring_prep_read(sqe, fd, bufs[0].data(), static_cast<unsigned>(r.len), r.off);
		break;
	case Op::Writev:
		io_uring_prep_writev(sqe, fd, iov.data(), static_cast<unsigned>(iov.size()), r.off);
		break;
	case Op::Readv:
		io_uring_prep_readv(sqe, fd, iov.data(), static_cast<unsigned>(iov.size()), r.off);
		break;
	case Op::WriteFixed:
		io_uring_prep_write_fixed(sqe, fd, bufs[0].data(), static_cast<unsigned>(r.len), r.off,
					  r.wfixed);
		break;
	case Op::ReadFixed:
		io_uring_prep_read_fixed(sqe, fd, bufs[0].data(), static_cast<unsigned>(r.len), r.off,
					 r.rfixed);
		break;
	}
}

std::vector<std::uint8_t> gather(const std::vector<Buffer> &bufs)
{
	std::vector<std::uint8_t> out;
	for (const auto &b : bufs)
		out.insert(out.end(), b.data(), b.data() + b.size());
	return out;
}

std::string region_name(const Region &r, bool write)
{
	return cat(op_name(write ? r.wop : r.rop), " ", r.len, " B @ ", r.off,
		   is_vector(write ? r.wop : r.rop) ? cat(" (", (write ? r.wiov : r.riov).size(), " iovecs)")
						    : std::string());
}

int mode_ops(const std::string &path)
{
	Device dev = open_device(path);
	const int fd = dev.fd->get();
	const unsigned lbs = dev.lbs;
	ok("opened ", path, ": ", dev.size, " bytes, logical block size ", lbs);

	std::vector<std::size_t> sizes{lbs, 3 * std::size_t{lbs}, 4096, 65536, 1U << 20};
	std::sort(sizes.begin(), sizes.end());
	sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());

	// Each writer op is read back by each reader op of another kind.
	const std::pair<Op, Op> pairs[] = {
		{Op::Write, Op::Readv},      {Op::Write, Op::ReadFixed}, {Op::Writev, Op::Read},
		{Op::Writev, Op::ReadFixed}, {Op::WriteFixed, Op::Read}, {Op::WriteFixed, Op::Readv},
	};

	// Regions packed back to back (no gaps, so that a write spilling past its
	// range is caught by its neighbour's check), starting at an offset that is
	// block- but not page-aligned when the block size allows.
	std::vector<Region> regions;
	std::uint64_t off = 1024ULL * 1024 + (lbs < 4096 ? lbs : 0);
	std::uint64_t seed = 0xc0ffee;
	for (std::size_t len : sizes)
		for (auto [w, r] : pairs) {
			Region reg;
			reg.off = off;
			reg.len = len;
			reg.wop = w;
			reg.rop = r;
			reg.seed = ++seed;
			off += len;
			regions.push_back(std::move(reg));
		}
	if (off > dev.size)
		fail("device too small for the ops test: need ", off, " bytes, have ", dev.size);

	std::vector<iovec> fixed;
	for (auto &r : regions) {
		r.want.resize(r.len);
		pattern_fill(r.want, r.off, r.seed);
		r.wbufs = make_segments(r.len, lbs, is_vector(r.wop));
		r.rbufs = make_segments(r.len, lbs, is_vector(r.rop));
		std::size_t pos = 0;
		for (auto &b : r.wbufs) {
			std::memcpy(b.data(), r.want.data() + pos, b.size());
			pos += b.size();
			r.wiov.push_back(b.iov());
		}
		for (auto &b : r.rbufs) {
			std::memset(b.data(), 0xa5, b.size()); // not what the device holds
			r.riov.push_back(b.iov());
		}
		if (is_fixed(r.wop)) {
			r.wfixed = static_cast<int>(fixed.size());
			fixed.push_back(r.wbufs[0].iov());
		}
		if (is_fixed(r.rop)) {
			r.rfixed = static_cast<int>(fixed.size());
			fixed.push_back(r.rbufs[0].iov());
		}
	}

	Ring ring(64, 0);
	ring.register_buffers(fixed);
	ok("registered ", fixed.size(), " fixed buffers");

	// Writes in a shuffled order, all in flight together.
	std::vector<std::size_t> order(regions.size());
	for (std::size_t i = 0; i < order.size(); ++i)
		order[i] = i;
	std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
	for (std::size_t i : order) {
		io_uring_sqe *sqe = ring.sqe();
		prep_rw(sqe, fd, regions[i], true);
		io_uring_sqe_set_data64(sqe, i);
	}
	for (const Completion &c : ring.submit_and_reap(static_cast<unsigned>(regions.size()))) {
		const Region &r = regions.at(c.user_data);
		if (c.res != static_cast<int>(r.len))
			fail(region_name(r, true), ": cqe->res = ", errname(c.res), ", want ", r.len);
	}
	ok(regions.size(), " writes (WRITE, WRITEV, WRITE_FIXED; ", sizes.front(), " B to ", sizes.back(),
	   " B) completed with cqe->res = byte count");

	// FSYNC (REQ_OP_FLUSH), plain and DATASYNC.
	for (unsigned flags : {0U, unsigned{IORING_FSYNC_DATASYNC}}) {
		io_uring_prep_fsync(ring.sqe(), fd, flags);
		Completion c = ring.submit_and_reap(1).at(0);
		if (c.res != 0)
			fail("FSYNC", flags ? " (DATASYNC)" : "", ": cqe->res = ", errname(c.res), ", want 0");
		ok("FSYNC", flags ? " (DATASYNC)" : "", " cqe->res = 0");
	}

	// Reads, in another order, all in flight together.
	std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
	for (std::size_t i : order) {
		io_uring_sqe *sqe = ring.sqe();
		prep_rw(sqe, fd, regions[i], false);
		io_uring_sqe_set_data64(sqe, i);
	}
	std::map<std::uint64_t, int> results;
	for (const Completion &c : ring.submit_and_reap(static_cast<unsigned>(regions.size())))
		results[c.user_data] = c.res;
	if (results.size() != regions.size())
		fail("read completions: got ", results.size(), " distinct, want ", regions.size());
	for (std::size_t i = 0; i < regions.size(); ++i) {
		const Region &r = regions[i];
		if (results[i] != static_cast<int>(r.len))
			fail(region_name(r, false), ": cqe->res = ", errname(results[i]), ", want ", r.len);
		expect_same(gather(r.rbufs), r.want, r.off,
			    cat(region_name(r, true), " read back by ", region_name(r, false)));
		ok(region_name(r, true), " -> ", region_name(r, false), ": identical");
	}

	// Ordering (spec 5.3.2): WRITE -> FSYNC -> READ of the same blocks as one
	// IOSQE_IO_LINK chain; the read must see the write.
	{
		const std::size_t len = 64 * 1024;
		const std::uint64_t loff = off;
		if (loff + len > dev.size)
			fail("device too small for the linked-chain check");
		Buffer wb(len, 4096), rb(len, 4096);
		pattern_fill(wb.span(), loff, 0xfeed);
		io_uring_sqe *s1 = ring.sqe();
		io_uring_prep_write(s1, fd, wb.data(), len, loff);
		io_uring_sqe_set_data64(s1, 1);
		s1->flags |= IOSQE_IO_LINK;
		io_uring_sqe *s2 = ring.sqe();
		io_uring_prep_fsync(s2, fd, 0);
		io_uring_sqe_set_data64(s2, 2);
		s2->flags |= IOSQE_IO_LINK;
		io_uring_sqe *s3 = ring.sqe();
		io_uring_prep_read(s3, fd, rb.data(), len, loff);
		io_uring_sqe_set_data64(s3, 3);
		std::map<std::uint64_t, int> res;
		for (const Completion &c : ring.submit_and_reap(3))
			res[c.user_data] = c.res;
		if (res[1] != static_cast<int>(len) || res[2] != 0 || res[3] != static_cast<int>(len))
			fail("linked WRITE->FSYNC->READ: res ", errname(res[1]), ", ", errname(res[2]), ", ",
			     errname(res[3]), "; want ", len, ", 0, ", len);
		expect_same(rb.span(), wb.span(), loff, "linked WRITE->FSYNC->READ");
		ok("linked WRITE -> FSYNC -> READ (IOSQE_IO_LINK) of ", len, " B @ ", loff, ": identical");
	}
	return 0;
}

// ---------------------------------------------------------------- errors mode

// One synchronous io_uring read or write of [buf, buf+len) at off.
int uring_rw(Ring &ring, int fd, bool write, void *buf, std::size_t len, std::uint64_t off)
{
	io_uring_sqe *sqe = ring.sqe();
	if (write)
		io_uring_prep_write(sqe, fd, buf, static_cast<unsigned>(len), off);
	else
		io_uring_prep_read(sqe, fd, buf, static_cast<unsigned>(len), off);
	return ring.submit_and_reap(1).at(0).res;
}

void expect_res(const std::string &what, int got, int want)
{
	if (got != want)
		fail(what, ": cqe->res = ", errname(got), ", want ", errname(want));
	ok(what, ": cqe->res = ", errname(got));
}

// Write pattern `seed` over [off, off+len) and read it back (both must work).
void round_trip(Ring &ring, int fd, std::uint64_t off, std::size_t len, std::uint64_t seed,
		const std::string &what)
{
	Buffer w(len, 4096), r(len, 4096);
	pattern_fill(w.span(), off, seed);
	int res = uring_rw(ring, fd, true, w.data(), len, off);
	if (res != static_cast<int>(len))
		fail(what, ": write of ", len, " B @ ", off, ": cqe->res = ", errname(res));
	res = uring_rw(ring, fd, false, r.data(), len, off);
	if (res != static_cast<int>(len))
		fail(what, ": read of ", len, " B @ ", off, ": cqe->res = ", errname(res));
	expect_same(r.span(), w.span(), off, what);
	ok(what, ": ", len, " B @ ", off, " written and read back identical");
}

// Check that [off, off+len) still holds pattern `seed`.
void expect_pattern(Ring &ring, int fd, std::uint64_t off, std::size_t len, std::uint64_t seed,
		    const std::string &what)
{
	Buffer r(len, 4096);
	std::vector<std::uint8_t> want(len);
	pattern_fill(want, off, seed);
	int res = uring_rw(ring, fd, false, r.data(), len, off);
	if (res != static_cast<int>(len))
		fail(what, ": read of ", len, " B @ ", off, ": cqe->res = ", errname(res));
	expect_same(r.span(), want, off, what);
	ok(what);
}

int mode_errors(const std::string &path)
{
	Device dev = open_device(path);
	const int fd = dev.fd->get();
	const unsigned lbs = dev.lbs;
	const std::uint64_t end = dev.size;
	ok("opened ", path, ": ", end, " bytes, logical block size ", lbs);
	Buffer buf(2 * std::size_t{lbs} + 4096, 4096);
	Ring ring(8, 0);

	// Known data in the last two blocks and in a block at 1 MiB, so that
	// failed writes can be shown to have changed nothing.
	const std::uint64_t tail = end - 2 * lbs;
	const std::uint64_t mid = 1024 * 1024;
	round_trip(ring, fd, tail, 2 * lbs, 0x7a11, "set-up: the last two blocks");
	round_trip(ring, fd, mid, 4 * lbs, 0x3d1d, "set-up: four blocks at 1 MiB");

	// End of device (block/fops.c blkdev_read_iter / blkdev_write_iter):
	// a read at or past the end returns 0 (EOF); a read across the end is
	// truncated at the end; a write at or past the end fails with -ENOSPC;
	// a write across the end is truncated at the end.
	expect_res("READ of one block at the end of the device", uring_rw(ring, fd, false, buf.data(), lbs, end),
		   0);
	expect_res("READ of one block 8 blocks past the end",
		   uring_rw(ring, fd, false, buf.data(), lbs, end + 8ULL * lbs), 0);
	expect_res("READ of two blocks across the end (truncated to one)",
		   uring_rw(ring, fd, false, buf.data(), 2 * lbs, end - lbs), static_cast<int>(lbs));
	{
		std::vector<std::uint8_t> want(lbs);
		pattern_fill(want, end - lbs, 0x7a11);
		expect_same(std::span<const std::uint8_t>(buf.data(), lbs), want, end - lbs,
			    "READ across the end: the last block");
		ok("READ across the end returned the last block's data");
	}
	expect_res("WRITE of one block at the end of the device",
		   uring_rw(ring, fd, true, buf.data(), lbs, end), -ENOSPC);
	expect_res("WRITE of one block 8 blocks past the end",
		   uring_rw(ring, fd, true, buf.data(), lbs, end + 8ULL * lbs), -ENOSPC);
	{
		Buffer w(2 * std::size_t{lbs}, 4096);
		pattern_fill(w.span(), end - lbs, 0x5eed);
		expect_res("WRITE of two blocks across the end (truncated to one)",
			   uring_rw(ring, fd, true, w.data(), 2 * lbs, end - lbs), static_cast<int>(lbs));
		expect_pattern(ring, fd, end - lbs, lbs, 0x5eed,
			       "WRITE across the end: the last block holds the new data");
		expect_pattern(ring, fd, tail, lbs, 0x7a11,
			       "WRITE across the end: the block before is unchanged");
	}

	// Misaligned O_DIRECT (spec 5.3.1, 8.1.2): offset, length, buffer address.
	const std::uint64_t half = lbs / 2;
	for (bool write : {false, true}) {
		const char *op = write ? "WRITE" : "READ";
		pattern_fill(std::span<std::uint8_t>(buf.data(), 2 * lbs), 0, 0xbad);
		expect_res(cat(op, " at a misaligned offset (1 MiB + ", half, ")"),
			   uring_rw(ring, fd, write, buf.data(), lbs, mid + half), -EINVAL);
		expect_res(cat(op, " at offset 1 MiB + 1"), uring_rw(ring, fd, write, buf.data(), lbs, mid + 1),
			   -EINVAL);
		expect_res(cat(op, " of a misaligned length (", lbs + half, ")"),
			   uring_rw(ring, fd, write, buf.data(), lbs + half, mid), -EINVAL);
		expect_res(cat(op, " of a misaligned length (", lbs - 1, ")"),
			   uring_rw(ring, fd, write, buf.data(), lbs - 1, mid), -EINVAL);
		expect_res(cat(op, " from a misaligned buffer address (+1)"),
			   uring_rw(ring, fd, write, buf.data() + 1, lbs, mid), -EINVAL);
	}
	expect_pattern(ring, fd, mid, 4 * lbs, 0x3d1d, "failed misaligned WRITEs changed nothing at 1 MiB");
	expect_res("READ of length 0", uring_rw(ring, fd, false, buf.data(), 0, mid), 0);
	expect_res("WRITE of length 0", uring_rw(ring, fd, true, buf.data(), 0, mid), 0);

	// The device keeps working (spec 8.2.2).
	round_trip(ring, fd, mid, 64 * 1024, 0x600d, "after the errors: round trip at 1 MiB");
	round_trip(ring, fd, end - 64 * 1024, 64 * 1024, 0x600e, "after the errors: round trip at the end");
	return 0;
}

// ---------------------------------------------------------------- poll mode

int mode_poll(const std::string &path, unsigned nr_ios, unsigned qd)
{
	Device dev = open_device(path);
	const int fd = dev.fd->get();
	const unsigned lbs = dev.lbs;
	if (nr_ios == 0 || qd == 0 || qd > 1024)
		throw UsageError("poll: NR_IOS and QD must be positive, QD <= 1024");
	ok("opened ", path, ": ", dev.size, " bytes, logical block size ", lbs);

	// I/O i: a distinct slot of 64 KiB at 8 MiB + i*64 KiB, length from one
	// block to 64 KiB.
	const std::size_t slot = 64 * 1024;
	const std::uint64_t base = 8ULL * 1024 * 1024;
	if (base + std::uint64_t{nr_ios} * slot > dev.size)
		fail("device too small for ", nr_ios, " polled I/Os");
	std::mt19937 rng(1234);
	std::vector<std::size_t> lens(nr_ios);
	for (auto &l : lens)
		l = std::max<std::size_t>(lbs, (rng() % (slot / lbs) + 1) * lbs);

	// The buffers outlive the ring, so no I/O can target freed memory.
	std::vector<Buffer> wbufs, rbufs;
	for (unsigned i = 0; i < nr_ios; ++i) {
		wbufs.emplace_back(lens[i], 4096);
		pattern_fill(wbufs.back().span(), base + i * slot, 0x9011 + i);
		rbufs.emplace_back(lens[i], 4096);
	}
	Ring ring(2 * qd, IORING_SETUP_IOPOLL);
	unsigned completed = 0;
	for (bool write : {true, false}) {
		std::vector<Buffer> &bufs = write ? wbufs : rbufs;
		unsigned next = 0, inflight = 0, done = 0;
		while (done < nr_ios) {
			while (inflight < qd && next < nr_ios) {
				io_uring_sqe *sqe = ring.sqe();
				if (write)
					io_uring_prep_write(sqe, fd, bufs[next].data(),
							    static_cast<unsigned>(lens[next]), base + next * slot);
				else
					io_uring_prep_read(sqe, fd, bufs[next].data(),
							   static_cast<unsigned>(lens[next]), base + next * slot);
				io_uring_sqe_set_data64(sqe, next);
				++next;
				++inflight;
			}
			int r = io_uring_submit(ring.get());
			if (r < 0)
				fail("io_uring_submit (IOPOLL): ", errname(r));
			Completion c = ring.reap_one();
			--inflight;
			++done;
			if (c.user_data >= nr_ios)
				fail("IOPOLL completion with unknown user_data ", c.user_data);
			if (c.res != static_cast<int>(lens[c.user_data]))
				fail("IOPOLL ", write ? "WRITE" : "READ", " #", c.user_data, " (", lens[c.user_data],
				     " B @ ", base + c.user_data * slot, "): cqe->res = ", errname(c.res));
		}
		completed += done;
		if (!write)
			for (unsigned i = 0; i < nr_ios; ++i)
				expect_same(rbufs[i].span(), wbufs[i].span(), base + i * slot,
					    cat("IOPOLL read-back of I/O #", i));
		ok("IOPOLL ", write ? "writes" : "reads", ": ", done, " completed at QD ", qd,
		   write ? "" : ", data identical");
	}
	std::cout << "polled completions: " << completed << '\n';
	return 0;
}

// ---------------------------------------------------------------- helpers

constexpr std::size_t kChunk = 1024 * 1024;

struct Range {
	std::uint64_t off, len;
};

Range check_range(const Device &dev, std::uint64_t off, std::uint64_t len)
{
	if (off % dev.lbs || len % dev.lbs)
		throw UsageError(cat("OFFSET and LEN must be multiples of the block size ", dev.lbs));
	if (off > dev.size || len > dev.size - off)
		throw UsageError(cat("range ", off, "+", len, " is past the end of the device (", dev.size, ")"));
	return {off, len};
}

void xfer(int fd, bool write, std::uint8_t *buf, std::size_t n, std::uint64_t off)
{
	ssize_t r = write ? ::pwrite(fd, buf, n, static_cast<off_t>(off))
			  : ::pread(fd, buf, n, static_cast<off_t>(off));
	if (r < 0)
		fail(write ? "pwrite" : "pread", " of ", n, " B @ ", off, ": ", std::strerror(errno));
	if (static_cast<std::size_t>(r) != n)
		fail(write ? "pwrite" : "pread", " of ", n, " B @ ", off, ": short (", r, ")");
}

int mode_fill(const std::string &path, std::uint64_t off, std::uint64_t len, std::uint64_t seed)
{
	Device dev = open_device(path);
	Range rg = check_range(dev, off, len);
	Buffer b(kChunk, 4096);
	for (std::uint64_t p = rg.off; p < rg.off + rg.len; p += kChunk) {
		std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, rg.off + rg.len - p));
		pattern_fill(std::span<std::uint8_t>(b.data(), n), p, seed);
		xfer(dev.fd->get(), true, b.data(), n, p);
	}
	ok("filled ", path, " [", off, ", +", len, ") with pattern ", seed);
	return 0;
}

int mode_verify(const std::string &path, std::uint64_t off, std::uint64_t len, bool zero,
		std::uint64_t seed)
{
	Device dev = open_device(path);
	Range rg = check_range(dev, off, len);
	Buffer b(kChunk, 4096);
	std::vector<std::uint8_t> want(kChunk);
	for (std::uint64_t p = rg.off; p < rg.off + rg.len; p += kChunk) {
		std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, rg.off + rg.len - p));
		xfer(dev.fd->get(), false, b.data(), n, p);
		std::span<std::uint8_t> w(want.data(), n);
		if (zero)
			std::fill(w.begin(), w.end(), 0);
		else
			pattern_fill(w, p, seed);
		expect_same(std::span<const std::uint8_t>(b.data(), n), w, p,
			    zero ? std::string("zero check") : cat("pattern ", seed, " check"));
	}
	if (zero)
		ok(path, " [", off, ", +", len, ") reads back as zeroes");
	else
		ok(path, " [", off, ", +", len, ") holds pattern ", seed);
	return 0;
}

[[noreturn]] void usage_exit()
{
	std::cerr << "usage: uring_ops ops DEV | errors DEV | poll DEV [NR_IOS [QD]]\n"
		     "       uring_ops fill DEV OFFSET LEN SEED | verify DEV OFFSET LEN SEED | zero DEV OFFSET LEN\n";
	std::exit(2);
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> a(argv + 1, argv + argc);
	try {
		if (a.empty())
			usage_exit();
		const std::string &m = a[0];
		if (m == "ops" && a.size() == 2)
			return mode_ops(a[1]);
		if (m == "errors" && a.size() == 2)
			return mode_errors(a[1]);
		if (m == "poll" && a.size() >= 2 && a.size() <= 4)
			return mode_poll(a[1], a.size() > 2 ? static_cast<unsigned>(parse_size(a[2], "NR_IOS")) : 256,
					 a.size() > 3 ? static_cast<unsigned>(parse_size(a[3], "QD")) : 16);
		if (m == "fill" && a.size() == 5)
			return mode_fill(a[1], parse_size(a[2], "OFFSET"), parse_size(a[3], "LEN"),
					 parse_size(a[4], "SEED"));
		if (m == "verify" && a.size() == 5)
			return mode_verify(a[1], parse_size(a[2], "OFFSET"), parse_size(a[3], "LEN"), false,
					   parse_size(a[4], "SEED"));
		if (m == "zero" && a.size() == 4)
			return mode_verify(a[1], parse_size(a[2], "OFFSET"), parse_size(a[3], "LEN"), true, 0);
		usage_exit();
	} catch (const UsageError &e) {
		std::cerr << "uring_ops: " << e.what() << "\n";
		return 2;
	} catch (const std::exception &e) {
		std::cout << std::flush;
		std::cerr << "FAIL: " << e.what() << "\n";
		return 1;
	}
}
