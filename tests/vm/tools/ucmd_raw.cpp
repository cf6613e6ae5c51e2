// SPDX-License-Identifier: GPL-2.0 OR MIT
//
// ucmd_raw: raw test tool for the uringblk admin ABI (docs/admin-abi.md).
//
// It builds every command by hand (liburing 2.3 has no uring_cmd prep
// helper) and checks the exact answer of the driver, over
// IORING_OP_URING_CMD on /dev/uringblk-ctl and over the ioctls on the
// control node and on /dev/uringblkN.
//
//   ucmd_raw errors DEV_ID            every documented error case, exact errno
//   ucmd_raw fuzz N SEED DEV_ID       N random (mostly malformed) commands,
//                                     each checked against the documented
//                                     order of checks; then IDENTIFY again
//   ucmd_raw dump OPCODE DEV_ID [--ioctl]
//                                     print one response: hex, then key=value
//   ucmd_raw add ID|any [KEY=VALUE...]
//                                     one raw ADD_DEVICE (no client-side
//                                     checks): "res=N dev_id=M" or "res=-E..."
//   ucmd_raw add-undo                 an ADD_DEVICE whose answer cannot be
//                                     delivered, while another caller deletes
//                                     the new device and creates one with its
//                                     index: the driver's undo must not take
//                                     the newcomer (userfaultfd holds the copy)
//
// OPCODE: identify|limits|features|geometry|stats or a number (0x01...).
// Exit status: 0 when every expectation held, 1 otherwise, 2 on bad usage.
// Must run as root (CAP_SYS_ADMIN); `errors` drops and restores the
// capability itself to test -EPERM.

#include <fcntl.h>
#include <liburing.h>
#include <linux/capability.h>
#include <linux/uringblk.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <uringblk/unique_fd.hpp>

namespace {

constexpr const char *kCtlPath = "/dev/" URINGBLK_CTL_NAME;
constexpr uint32_t kMaxPayload = 4096;
constexpr size_t kPage = 4096;
constexpr unsigned char kPoison = 0xA5;
constexpr size_t kSqeCmdOffset = 48;  // offsetof(struct io_uring_sqe, cmd)

static_assert(sizeof(uringblk_cmd) == 48, "ABI: struct uringblk_cmd is 48 bytes");
static_assert(offsetof(io_uring_sqe, addr3) == kSqeCmdOffset, "sqe->cmd is at byte 48");

int g_failures = 0;
bool g_verbose = false;

void fail(const std::string &msg)
{
	std::fprintf(stderr, "FAIL: %s\n", msg.c_str());
	g_failures++;
}

std::string errname(int res)
{
	if (res >= 0)
		return std::to_string(res);
	switch (-res) {
#define E(x) \
	case x: \
		return "-" #x;
		E(EPERM) E(ENOENT) E(EIO) E(EBADF) E(EAGAIN) E(ENOMEM) E(EACCES)
		E(EFAULT) E(EBUSY) E(ENODEV) E(EINVAL) E(ENOTTY) E(EPROTO)
		E(EOVERFLOW) E(EOPNOTSUPP) E(ECANCELED) E(ETIME) E(ENXIO)
#undef E
	default:
		return "-" + std::to_string(-res);
	}
}

void expect_res(const std::string &what, int got, int want)
{
	if (got != want)
		fail(what + ": got " + errname(got) + ", want " + errname(want));
	else if (g_verbose)
		std::printf("ok   %s: %s\n", what.c_str(), errname(got).c_str());
}

void expect(bool cond, const std::string &what)
{
	if (!cond)
		fail(what);
	else if (g_verbose)
		std::printf("ok   %s\n", what.c_str());
}

uint32_t resp_size(uint32_t opcode)
{
	switch (opcode) {
	case URINGBLK_UCMD_IDENTIFY:
		return sizeof(uringblk_identify);
	case URINGBLK_UCMD_GET_LIMITS:
		return sizeof(uringblk_limits);
	case URINGBLK_UCMD_GET_FEATURES:
		return sizeof(__u64);
	case URINGBLK_UCMD_GET_GEOMETRY:
		return sizeof(uringblk_geometry);
	case URINGBLK_UCMD_GET_STATS:
		return sizeof(uringblk_stats);
	case URINGBLK_UCMD_ADD_DEVICE:
	case URINGBLK_UCMD_GET_PARAMS:
		return sizeof(uringblk_dev_params);
	case URINGBLK_UCMD_LIST_DEVICES:
		return sizeof(uringblk_dev_list);
	case URINGBLK_UCMD_POWER_CUT:
		return sizeof(uringblk_power_cut_result);
	case URINGBLK_UCMD_POWER_LOG:
		return sizeof(uringblk_power_log);
	default:
		return 0;
	}
}

// ABI 1.1 (docs/admin-abi.md): exact payload_len, per-opcode flags, control-node-only commands.
uint32_t payload_size(uint32_t opcode)
{
	return opcode == URINGBLK_UCMD_ADD_DEVICE   ? sizeof(uringblk_dev_params)
	       : opcode == URINGBLK_UCMD_SET_PARAMS ? sizeof(uringblk_set_params)
	       : opcode == URINGBLK_UCMD_POWER_CUT  ? sizeof(uringblk_power_cut)
	       : opcode == URINGBLK_UCMD_POWER_MARK ? sizeof(uringblk_power_mark)
	       : opcode == URINGBLK_UCMD_POWER_ARM  ? sizeof(uringblk_power_arm)
						    : 0;
}

// 1.2: POWER_CUT's DROP list of up to 64 change numbers follows the 16-byte struct.
bool payload_len_ok(uint32_t opcode, uint32_t len)
{
	uint32_t min = payload_size(opcode);
	if (opcode == URINGBLK_UCMD_POWER_CUT)
		return len >= min && (len - min) % 8 == 0 && (len - min) / 8 <= URINGBLK_PL_MAX_DROP;
	return len == min;
}

uint32_t flags_allowed(uint32_t opcode)
{
	return opcode == URINGBLK_UCMD_DEL_DEVICE ? URINGBLK_DEL_FORCE : 0;
}

bool ctl_only(uint32_t opcode)
{
	return opcode == URINGBLK_UCMD_ADD_DEVICE || opcode == URINGBLK_UCMD_DEL_DEVICE ||
	       opcode == URINGBLK_UCMD_LIST_DEVICES;
}

constexpr std::array<uint32_t, 5> kOurOps = {
	URINGBLK_IOC_IDENTIFY, URINGBLK_IOC_GET_LIMITS, URINGBLK_IOC_GET_FEATURES,
	URINGBLK_IOC_GET_GEOMETRY, URINGBLK_IOC_GET_STATS,
};

// 1.1 device management: create, delete and change devices (a power cut changes data, 1.2's
// power-on changes the power state), or
// answer a variable length. The fuzz does not send them (a valid ADD/DEL would change the set
// of devices under test); `errors` sends them only malformed, and GET_PARAMS.
constexpr std::array<uint32_t, 10> kMgmtOps = {
	URINGBLK_IOC_ADD_DEVICE, URINGBLK_IOC_DEL_DEVICE,  URINGBLK_IOC_LIST_DEVICES,
	URINGBLK_IOC_GET_PARAMS, URINGBLK_IOC_SET_PARAMS,  URINGBLK_IOC_POWER_CUT,
	URINGBLK_IOC_POWER_ON,	 URINGBLK_IOC_POWER_LOG,   URINGBLK_IOC_POWER_MARK,
	URINGBLK_IOC_POWER_ARM,
};

bool op_mgmt(uint32_t op)
{
	for (uint32_t o : kMgmtOps)
		if (o == op)
			return true;
	return false;
}

bool op_known(uint32_t op)
{
	for (uint32_t o : kOurOps)
		if (o == op)
			return true;
	return op_mgmt(op);
}

uint32_t op_for(uint32_t nr)
{
	return _IOWR(URINGBLK_IOC_MAGIC, nr, uringblk_cmd);
}

uringblk_cmd make_cmd(uint32_t opcode, uint32_t dev_id, const void *buf, uint32_t len)
{
	uringblk_cmd c;
	std::memset(&c, 0, sizeof(c));
	c.hdr.abi_major = URINGBLK_ABI_MAJOR;
	c.hdr.abi_minor = URINGBLK_ABI_MINOR;
	c.hdr.opcode = static_cast<__u16>(opcode);
	c.dev_id = dev_id;
	c.addr = reinterpret_cast<uintptr_t>(buf);
	c.len = len;
	return c;
}

// ---- capabilities --------------------------------------------------------

bool set_cap_sys_admin(bool on)
{
	__user_cap_header_struct hdr{};
	__user_cap_data_struct data[2]{};
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	if (on)
		data[0].effective |= 1u << CAP_SYS_ADMIN;
	else
		data[0].effective &= ~(1u << CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data) == 0;
}

// ---- io_uring ------------------------------------------------------------

struct Ring {
	io_uring ring{};
	unsigned flags = 0;
	int err = 0;

	explicit Ring(unsigned f, unsigned entries = 64) : flags(f)
	{
		io_uring_params p{};
		p.flags = f;
		if (f & IORING_SETUP_SQPOLL)
			p.sq_thread_idle = 100;
		err = io_uring_queue_init_params(entries, &ring, &p);
	}
	~Ring()
	{
		if (!err)
			io_uring_queue_exit(&ring);
	}
	Ring(const Ring &) = delete;
	Ring &operator=(const Ring &) = delete;
	bool sqe128() const { return flags & IORING_SETUP_SQE128; }
};

// Fill an SQE for IORING_OP_URING_CMD by hand: cmd_op overlays sqe->off,
// the command area starts at byte 48 (80 bytes with SQE128, else 16).
void prep_ucmd(io_uring_sqe *sqe, bool sqe128, int fd, uint32_t cmd_op,
	       const uringblk_cmd &c)
{
	std::memset(sqe, 0, sqe128 ? 128 : 64);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = cmd_op;
	std::memcpy(reinterpret_cast<unsigned char *>(sqe) + kSqeCmdOffset, &c,
		    sqe128 ? sizeof(c) : 16);
}

struct Cqe {
	uint64_t user_data;
	int res;
	uint64_t extra1;
};

// Wait for exactly n completions (10 s each at most).
bool reap(Ring &r, unsigned n, std::vector<Cqe> &out)
{
	for (unsigned i = 0; i < n; i++) {
		io_uring_cqe *cqe = nullptr;
		__kernel_timespec ts{10, 0};
		int ret = io_uring_wait_cqe_timeout(&r.ring, &cqe, &ts);
		if (ret < 0 || !cqe) {
			fail("no completion from io_uring: " + errname(ret));
			return false;
		}
		Cqe c{cqe->user_data, cqe->res, 0};
		if (r.flags & IORING_SETUP_CQE32)
			c.extra1 = cqe->big_cqe[0];
		out.push_back(c);
		io_uring_cqe_seen(&r.ring, cqe);
	}
	return true;
}

// Submit one URING_CMD (optionally with sqe flags) and return cqe->res.
int uring_cmd1(Ring &r, int fd, uint32_t cmd_op, const uringblk_cmd &c,
	       uint8_t sqe_flags = 0, uint64_t *extra1 = nullptr)
{
	io_uring_sqe *sqe = io_uring_get_sqe(&r.ring);
	if (!sqe) {
		fail("io_uring_get_sqe: ring full");
		return -9999;
	}
	prep_ucmd(sqe, r.sqe128(), fd, cmd_op, c);
	sqe->flags = sqe_flags;
	sqe->user_data = 0x55;
	int ret = io_uring_submit(&r.ring);
	if (ret != 1) {
		fail("io_uring_submit: " + errname(ret));
		return -9999;
	}
	std::vector<Cqe> v;
	if (!reap(r, 1, v))
		return -9999;
	if (extra1)
		*extra1 = v[0].extra1;
	return v[0].res;
}

// URING_CMD (IOSQE_IO_LINK) followed by a NOP: returns both results.
bool uring_cmd_linked(Ring &r, int fd, uint32_t cmd_op, const uringblk_cmd &c,
		      int &cmd_res, int &nop_res)
{
	io_uring_sqe *sqe = io_uring_get_sqe(&r.ring);
	io_uring_sqe *nop;
	if (!sqe)
		return false;
	prep_ucmd(sqe, r.sqe128(), fd, cmd_op, c);
	sqe->flags = IOSQE_IO_LINK;
	sqe->user_data = 1;
	nop = io_uring_get_sqe(&r.ring);
	if (!nop)
		return false;
	io_uring_prep_nop(nop);
	nop->user_data = 2;
	if (io_uring_submit(&r.ring) != 2)
		return false;
	std::vector<Cqe> v;
	if (!reap(r, 2, v))
		return false;
	cmd_res = nop_res = -9999;
	for (const Cqe &e : v) {
		if (e.user_data == 1)
			cmd_res = e.res;
		else
			nop_res = e.res;
	}
	return true;
}

int do_ioctl(int fd, uint32_t op, void *arg)
{
	int r = ioctl(fd, op, arg);
	return r < 0 ? -errno : r;
}

// ---- memory: a poisoned response page and bad addresses -------------------

struct Arena {
	unsigned char *rw = nullptr;	   // page 0: response buffer (poisoned)
	unsigned char *ro = nullptr;	   // page 1: PROT_READ
	unsigned char *rw2 = nullptr;	   // page 2: RW, followed by a guard page
	unsigned char *guard = nullptr;	   // page 3: PROT_NONE
	unsigned char *hole = nullptr;	   // page 5: munmap'ed (page 4, 6 PROT_NONE)

	bool init()
	{
		void *p = mmap(nullptr, 7 * kPage, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return false;
		auto *b = static_cast<unsigned char *>(p);
		rw = b;
		ro = b + kPage;
		rw2 = b + 2 * kPage;
		guard = b + 3 * kPage;
		hole = b + 5 * kPage;
		std::memset(b, kPoison, 4 * kPage);
		if (mprotect(ro, kPage, PROT_READ) || mprotect(guard, 2 * kPage, PROT_NONE) ||
		    mprotect(hole + kPage, kPage, PROT_NONE) || munmap(hole, kPage))
			return false;
		return true;
	}

	// The hole must still be unmapped (nothing else may have been placed
	// there): msync() on an unmapped range fails with ENOMEM.
	unsigned char *unmapped()
	{
		if (msync(hole, kPage, MS_ASYNC) == 0 || errno != ENOMEM) {
			void *p = mmap(nullptr, 3 * kPage, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				return nullptr;
			hole = static_cast<unsigned char *>(p) + kPage;
			munmap(hole, kPage);
		}
		return hole;
	}

	void poison() { std::memset(rw, kPoison, kPage); }

	// Bytes of page 0 outside [off, off + n) still hold the poison, and
	// bytes inside differ from it somewhere only if n > 0 is allowed.
	bool untouched_outside(size_t off, size_t n) const
	{
		for (size_t i = 0; i < kPage; i++)
			if ((i < off || i >= off + n) && rw[i] != kPoison)
				return false;
		return true;
	}
};

// ---- device discovery -----------------------------------------------------

std::set<uint32_t> existing_devices()
{
	std::set<uint32_t> ids;
	DIR *d = opendir("/sys/block");
	if (!d)
		return ids;
	while (dirent *e = readdir(d)) {
		unsigned id;
		char tail;
		if (std::sscanf(e->d_name, "uringblk%u%c", &id, &tail) == 1)
			ids.insert(id);
	}
	closedir(d);
	return ids;
}

uint32_t missing_device(const std::set<uint32_t> &ids)
{
	uint32_t id = 1000;
	while (ids.count(id))
		id++;
	return id;
}

bool read_sysfs_u64(const std::string &path, uint64_t &v)
{
	std::ifstream f(path);
	return static_cast<bool>(f >> v);
}

struct Fds {
	int ctl = -1;
	int blk = -1;
	uint32_t dev_id = 0;

	bool open_all(uint32_t id)
	{
		dev_id = id;
		ctl = open(kCtlPath, O_RDWR | O_CLOEXEC);
		if (ctl < 0) {
			std::fprintf(stderr, "ucmd_raw: open %s: %s\n", kCtlPath, std::strerror(errno));
			return false;
		}
		std::string b = "/dev/uringblk" + std::to_string(id);
		blk = open(b.c_str(), O_RDONLY | O_CLOEXEC);
		if (blk < 0) {
			std::fprintf(stderr, "ucmd_raw: open %s: %s\n", b.c_str(), std::strerror(errno));
			return false;
		}
		return true;
	}
	~Fds()
	{
		if (ctl >= 0)
			close(ctl);
		if (blk >= 0)
			close(blk);
	}
};

// ---- the documented order of checks (independent oracle) -----------------

enum class Xport { UringCtl, IoctlCtl, IoctlBlk };

const char *xname(Xport x)
{
	switch (x) {
	case Xport::UringCtl:
		return "uring_cmd(ctl)";
	case Xport::IoctlCtl:
		return "ioctl(ctl)";
	default:
		return "ioctl(blk)";
	}
}

enum class Addr { Valid, Null, Kernel, NonCanonical, Unmapped, ReadOnly, Straddle };

// docs/admin-abi.md "Order of the checks"; the caller has CAP_SYS_ADMIN
// and, for ioctls, a readable argument.
int predict(Xport x, bool sqe128, uint32_t op, const uringblk_cmd &c, Addr a,
	    uint32_t own_id, const std::set<uint32_t> &existing)
{
	if (!op_known(op))
		return x == Xport::UringCtl ? -EOPNOTSUPP : -ENOTTY;
	if (x == Xport::UringCtl && !sqe128)
		return -EPROTO;
	if (c.hdr.abi_major != URINGBLK_ABI_MAJOR)
		return -EINVAL;
	if (c.hdr.flags & ~flags_allowed(_IOC_NR(op)))
		return -EINVAL;
	if (c.reserved0 || c.reserved[0] || c.reserved[1])
		return -EINVAL;
	if (c.hdr.opcode != _IOC_NR(op))
		return -EINVAL;
	if (c.hdr.payload_len > kMaxPayload)
		return -EOVERFLOW;
	if (payload_size(c.hdr.opcode) && !payload_len_ok(c.hdr.opcode, c.hdr.payload_len))
		return -EINVAL;
	uint32_t size = resp_size(c.hdr.opcode);
	if (c.len < size)
		return -EOVERFLOW;
	if (x == Xport::IoctlBlk) {
		if (ctl_only(c.hdr.opcode))
			return -ENOTTY;
		if (c.dev_id != URINGBLK_DEV_ID_SELF && c.dev_id != own_id)
			return -EINVAL;
	} else if (!existing.count(c.dev_id)) {
		return -ENODEV;
	}
	if (a != Addr::Valid)
		return -EFAULT;
	return static_cast<int>(size);
}

// ---- the `errors` subcommand ------------------------------------------------

struct Tester {
	Fds fds;
	Arena arena;
	std::set<uint32_t> existing;
	uint32_t missing = 0;
	Ring r128{IORING_SETUP_SQE128};
	Ring r64{0};
	Ring riopoll{IORING_SETUP_SQE128 | IORING_SETUP_IOPOLL};
	Ring rcqe32{IORING_SETUP_SQE128 | IORING_SETUP_CQE32};

	bool init(uint32_t dev_id)
	{
		if (r128.err || r64.err || riopoll.err || rcqe32.err) {
			std::fprintf(stderr, "ucmd_raw: io_uring_queue_init: %s\n",
				     errname(r128.err ? r128.err : r64.err ? r64.err : riopoll.err ? riopoll.err : rcqe32.err).c_str());
			return false;
		}
		if (!fds.open_all(dev_id))
			return false;
		if (!arena.init()) {
			std::fprintf(stderr, "ucmd_raw: cannot set up the buffer arena\n");
			return false;
		}
		existing = existing_devices();
		if (!existing.count(dev_id)) {
			std::fprintf(stderr, "ucmd_raw: /sys/block/uringblk%u does not exist\n", dev_id);
			return false;
		}
		missing = missing_device(existing);
		return true;
	}

	uint32_t self_id(Xport x) const
	{
		return x == Xport::IoctlBlk ? URINGBLK_DEV_ID_SELF : fds.dev_id;
	}

	int send(Xport x, uint32_t op, uringblk_cmd c, Ring *ring = nullptr)
	{
		switch (x) {
		case Xport::UringCtl:
			return uring_cmd1(ring ? *ring : r128, fds.ctl, op, c);
		case Xport::IoctlCtl:
			return do_ioctl(fds.ctl, op, &c);
		default:
			return do_ioctl(fds.blk, op, &c);
		}
	}

	// Send @c (response expected in page 0 at offset 0) and check the
	// result and that nothing outside the response was written.
	void check(Xport x, const std::string &name, uint32_t op, const uringblk_cmd &c,
		   int want)
	{
		arena.poison();
		int got = send(x, op, c);
		std::string what = std::string(xname(x)) + " " + name;
		expect_res(what, got, want);
		size_t written = got > 0 ? static_cast<size_t>(got) : 0;
		size_t off = c.addr >= reinterpret_cast<uintptr_t>(arena.rw) &&
				     c.addr < reinterpret_cast<uintptr_t>(arena.rw) + kPage
			     ? c.addr - reinterpret_cast<uintptr_t>(arena.rw)
			     : 0;
		expect(arena.untouched_outside(off, written),
		       what + ": nothing written outside the response");
	}

	uringblk_cmd valid(Xport x, uint32_t opcode, uint32_t len = 4096)
	{
		return make_cmd(opcode, self_id(x), arena.rw, len);
	}

	void common_cases(Xport x)
	{
		const int unknown = x == Xport::UringCtl ? -EOPNOTSUPP : -ENOTTY;
		const int idsz = sizeof(uringblk_identify);

		// Success for every command; only the response is written.
		for (uint32_t op : kOurOps) {
			uint32_t nr = _IOC_NR(op);
			check(x, "opcode " + std::to_string(nr), op, valid(x, nr),
			      static_cast<int>(resp_size(nr)));
			check(x, "opcode " + std::to_string(nr) + " exact len", op,
			      valid(x, nr, resp_size(nr)), static_cast<int>(resp_size(nr)));
		}

		uringblk_cmd c = valid(x, URINGBLK_UCMD_IDENTIFY);
		const uint32_t id_op = URINGBLK_IOC_IDENTIFY;

		// ABI 1.1, without changing any device: GET_PARAMS, and the checks that refuse a
		// management command before it acts.
		{
			const int psz = sizeof(uringblk_dev_params);
			check(x, "GET_PARAMS", URINGBLK_IOC_GET_PARAMS,
			      valid(x, URINGBLK_UCMD_GET_PARAMS), psz);
			check(x, "GET_PARAMS short len", URINGBLK_IOC_GET_PARAMS,
			      valid(x, URINGBLK_UCMD_GET_PARAMS, psz - 1), -EOVERFLOW);
			uringblk_cmd g = valid(x, URINGBLK_UCMD_GET_PARAMS);
			g.hdr.flags = URINGBLK_DEL_FORCE;
			check(x, "GET_PARAMS with DEL_FORCE", URINGBLK_IOC_GET_PARAMS, g, -EINVAL);
			uringblk_cmd d = valid(x, URINGBLK_UCMD_DEL_DEVICE);
			d.hdr.flags = 2;
			check(x, "DEL_DEVICE unknown flag", URINGBLK_IOC_DEL_DEVICE, d, -EINVAL);
			uringblk_cmd a = valid(x, URINGBLK_UCMD_ADD_DEVICE);
			a.dev_id = URINGBLK_DEV_ID_ANY;
			a.hdr.payload_len = psz - 1;
			check(x, "ADD_DEVICE payload_len 79", URINGBLK_IOC_ADD_DEVICE, a, -EINVAL);
			uringblk_cmd sp = valid(x, URINGBLK_UCMD_SET_PARAMS);
			check(x, "SET_PARAMS payload_len 0", URINGBLK_IOC_SET_PARAMS, sp, -EINVAL);
			// ABI 1.2: the power commands' payloads. POWER_CUT takes its 16
			// bytes plus whole 8-byte change numbers, at most
			// URINGBLK_PL_MAX_DROP of them; the others their exact size.
			// None of these may cut, mark or arm anything. The payload
			// itself is valid (zeroes: cut ALL, mark 0, disarm), so a
			// missing length check answers 0 or ENODATA, never EINVAL.
			const uint32_t pcut = sizeof(uringblk_power_cut);
			const struct {
				const char *what;
				uint32_t op, ioc, len;
			} bad_pl[] = {
				{"POWER_MARK payload_len -1", URINGBLK_UCMD_POWER_MARK,
				 URINGBLK_IOC_POWER_MARK, sizeof(uringblk_power_mark) - 1},
				{"POWER_ARM payload_len +8", URINGBLK_UCMD_POWER_ARM,
				 URINGBLK_IOC_POWER_ARM, sizeof(uringblk_power_arm) + 8},
				{"POWER_CUT payload_len 15", URINGBLK_UCMD_POWER_CUT,
				 URINGBLK_IOC_POWER_CUT, pcut - 1},
				{"POWER_CUT payload_len 16+4", URINGBLK_UCMD_POWER_CUT,
				 URINGBLK_IOC_POWER_CUT, pcut + 4},
				{"POWER_CUT 65 change numbers", URINGBLK_UCMD_POWER_CUT,
				 URINGBLK_IOC_POWER_CUT,
				 uint32_t(pcut + (URINGBLK_PL_MAX_DROP + 1) * sizeof(__u64))},
			};
			for (const auto &b : bad_pl) {
				uringblk_cmd pc = valid(x, b.op);
				pc.hdr.payload_len = b.len;
				arena.poison();
				std::memset(arena.rw, 0, b.len);
				expect_res(std::string(xname(x)) + " " + b.what, send(x, b.ioc, pc),
					   -EINVAL);
			}
			if (x == Xport::IoctlBlk) {
				uringblk_cmd l = valid(x, URINGBLK_UCMD_LIST_DEVICES);
				check(x, "LIST_DEVICES on the block device", URINGBLK_IOC_LIST_DEVICES, l,
				      -ENOTTY);
				a.hdr.payload_len = psz;
				arena.poison();
				std::memset(arena.rw, 0, psz);	// a valid payload: all defaults
				expect_res(std::string(xname(x)) + " ADD_DEVICE on the block device",
					   send(x, URINGBLK_IOC_ADD_DEVICE, a), -ENOTTY);
			}
		}

		// Step 1: unknown commands.
		for (uint32_t nr : {0x00u, 0x04u, 0x11u, 0x12u, 0xffu}) {
			uringblk_cmd u = c;
			u.hdr.opcode = static_cast<__u16>(nr);
			check(x, "unknown nr " + std::to_string(nr), op_for(nr), u, unknown);
		}
		check(x, "wrong size", _IOWR(URINGBLK_IOC_MAGIC, 1, __u64), c, unknown);
		check(x, "wrong dir _IOR", _IOR(URINGBLK_IOC_MAGIC, 1, uringblk_cmd), c, unknown);
		check(x, "wrong dir _IOW", _IOW(URINGBLK_IOC_MAGIC, 1, uringblk_cmd), c, unknown);
		check(x, "wrong dir _IO", _IO(URINGBLK_IOC_MAGIC, 1), c, unknown);
		check(x, "wrong magic", _IOWR('Z', 1, uringblk_cmd), c, unknown);

		// ABI version.
		for (unsigned maj : {0u, 2u, 0xffffu}) {
			uringblk_cmd u = c;
			u.hdr.abi_major = static_cast<__u16>(maj);
			check(x, "abi_major " + std::to_string(maj), id_op, u, -EINVAL);
		}
		// 1.0 clients (minor 0) and newer ones are both served.
		for (unsigned min : {0u, 1u, 7u, 0xffffu}) {
			uringblk_cmd u = c;
			u.hdr.abi_minor = static_cast<__u16>(min);
			check(x, "abi_minor " + std::to_string(min), id_op, u, idsz);
		}
		// Flags, reserved fields, opcode mismatch.
		for (unsigned fl : {1u, 0x8000u}) {
			uringblk_cmd u = c;
			u.hdr.flags = static_cast<__u16>(fl);
			check(x, "hdr.flags " + std::to_string(fl), id_op, u, -EINVAL);
		}
		{
			uringblk_cmd u = c;
			u.reserved0 = 1;
			check(x, "reserved0", id_op, u, -EINVAL);
			u = c;
			u.reserved[0] = 1;
			check(x, "reserved[0]", id_op, u, -EINVAL);
			u = c;
			u.reserved[1] = 1ULL << 63;
			check(x, "reserved[1]", id_op, u, -EINVAL);
			u = c;
			u.hdr.opcode = URINGBLK_UCMD_GET_LIMITS;
			check(x, "hdr.opcode != _IOC_NR(cmd_op)", id_op, u, -EINVAL);
			u = c;
			u.hdr.opcode = 0x04;
			check(x, "hdr.opcode 0x04 under IDENTIFY", id_op, u, -EINVAL);
		}
		// Payload length.
		for (uint32_t pl : {0u, 1u, kMaxPayload}) {
			uringblk_cmd u = c;
			u.hdr.payload_len = pl;
			check(x, "payload_len " + std::to_string(pl), id_op, u, idsz);
		}
		for (uint32_t pl : {kMaxPayload + 1, 0xffffffffu}) {
			uringblk_cmd u = c;
			u.hdr.payload_len = pl;
			check(x, "payload_len " + std::to_string(pl), id_op, u, -EOVERFLOW);
		}
		// Short response buffers: -EOVERFLOW, buffer untouched.
		for (uint32_t op : kOurOps) {
			uint32_t nr = _IOC_NR(op);
			check(x, "short len (opcode " + std::to_string(nr) + ")", op,
			      valid(x, nr, resp_size(nr) - 1), -EOVERFLOW);
		}
		check(x, "len 0", id_op, valid(x, URINGBLK_UCMD_IDENTIFY, 0), -EOVERFLOW);
		// Bad response buffers: -EFAULT.
		struct {
			const char *name;
			uint64_t addr;
		} bad[] = {
			{"NULL buffer", 0},
			{"unmapped buffer", reinterpret_cast<uintptr_t>(arena.unmapped())},
			{"read-only buffer", reinterpret_cast<uintptr_t>(arena.ro)},
			{"buffer crossing into PROT_NONE", reinterpret_cast<uintptr_t>(arena.guard) - 8},
			{"kernel address", 0xffffffff81000000ULL},
			{"kernel direct map", 0xffff888000000000ULL},
			{"non-canonical address", 0x8000000000000000ULL},
		};
		for (auto &b : bad) {
			uringblk_cmd u = c;
			u.addr = b.addr;
			check(x, b.name, id_op, u, -EFAULT);
		}
		// dev_id.
		if (x == Xport::IoctlBlk) {
			uringblk_cmd u = c;
			u.dev_id = fds.dev_id;
			check(x, "own dev_id", id_op, u, idsz);
			u.dev_id = missing;
			check(x, "other dev_id", id_op, u, -EINVAL);
			for (uint32_t other : existing) {
				if (other == fds.dev_id)
					continue;
				u.dev_id = other;
				check(x, "dev_id of another live device", id_op, u, -EINVAL);
				break;
			}
		} else {
			uringblk_cmd u = c;
			u.dev_id = missing;
			check(x, "unknown dev_id", id_op, u, -ENODEV);
			u.dev_id = URINGBLK_DEV_ID_SELF;
			check(x, "DEV_ID_SELF on the control node", id_op, u, -ENODEV);
			u.dev_id = 0xfffffffe;
			check(x, "dev_id 0xfffffffe", id_op, u, -ENODEV);
		}
		// Order: the first failing check wins.
		{
			uringblk_cmd u = c;
			u.hdr.abi_major = 2;
			u.hdr.payload_len = 0xffffffff;
			u.len = 0;
			u.addr = 0;
			check(x, "order: abi_major before payload_len/len/addr", id_op, u, -EINVAL);
			u = c;
			u.hdr.payload_len = 0xffffffff;
			u.len = 0;
			check(x, "order: payload_len before len", id_op, u, -EOVERFLOW);
			u = c;
			u.len = 1;
			u.dev_id = missing;
			check(x, "order: len before dev_id", id_op, u, -EOVERFLOW);
			u = c;
			u.dev_id = missing;
			u.addr = 0;
			check(x, "order: dev_id before addr", id_op, u,
			      x == Xport::IoctlBlk ? -EINVAL : -ENODEV);
			u = c;
			u.hdr.abi_major = 9;
			check(x, "order: cmd_op before header", op_for(0x11), u, unknown);
		}
		// Permission: every command needs CAP_SYS_ADMIN.
		if (!set_cap_sys_admin(false)) {
			fail("cannot drop CAP_SYS_ADMIN");
		} else {
			check(x, "without CAP_SYS_ADMIN", id_op, c, -EPERM);
			uringblk_cmd u = c;
			u.hdr.abi_major = 5;
			check(x, "without CAP_SYS_ADMIN, bad header", id_op, u, -EPERM);
			check(x, "without CAP_SYS_ADMIN, unknown cmd_op", op_for(0x11), c, unknown);
			if (!set_cap_sys_admin(true)) {
				std::fprintf(stderr, "ucmd_raw: cannot restore CAP_SYS_ADMIN\n");
				std::exit(1);
			}
		}
	}

	void ioctl_cases(Xport x)
	{
		int fd = x == Xport::IoctlBlk ? fds.blk : fds.ctl;
		std::string p = std::string(xname(x)) + " ";
		expect_res(p + "NULL argument", do_ioctl(fd, URINGBLK_IOC_IDENTIFY, nullptr), -EFAULT);
		expect_res(p + "unmapped argument",
			   do_ioctl(fd, URINGBLK_IOC_IDENTIFY, arena.unmapped()), -EFAULT);
		expect_res(p + "kernel argument",
			   do_ioctl(fd, URINGBLK_IOC_IDENTIFY,
				    reinterpret_cast<void *>(0xffffffff81000000ULL)),
			   -EFAULT);
		// The command straddles the PROT_NONE page.
		uringblk_cmd c = valid(x, URINGBLK_UCMD_IDENTIFY);
		unsigned char *s = arena.guard - 20;
		std::memcpy(s, &c, 20);
		expect_res(p + "argument crossing into PROT_NONE",
			   do_ioctl(fd, URINGBLK_IOC_IDENTIFY, s), -EFAULT);
		std::memset(arena.rw2, kPoison, kPage);
		// The command itself is never written back.
		uringblk_cmd copy = c;
		int r = do_ioctl(fd, URINGBLK_IOC_IDENTIFY, &c);
		expect_res(p + "IDENTIFY", r, sizeof(uringblk_identify));
		expect(std::memcmp(&copy, &c, sizeof(c)) == 0, p + "argument struct is not written back");
	}

	void uring_cases()
	{
		const int idsz = sizeof(uringblk_identify);
		uringblk_cmd c = valid(Xport::UringCtl, URINGBLK_UCMD_IDENTIFY);
		arena.poison();
		expect_res("uring_cmd without SQE128 ring", uring_cmd1(r64, fds.ctl, URINGBLK_IOC_IDENTIFY, c),
			   -EPROTO);
		expect_res("uring_cmd without SQE128 ring, unknown cmd_op",
			   uring_cmd1(r64, fds.ctl, op_for(0x11), c), -EOPNOTSUPP);
		expect_res("uring_cmd on IOPOLL ring",
			   uring_cmd1(riopoll, fds.ctl, URINGBLK_IOC_IDENTIFY, c), -EOPNOTSUPP);
		expect(arena.untouched_outside(0, 0), "refused uring_cmds wrote nothing");

		uint64_t extra = 1;
		expect_res("uring_cmd on CQE32 ring",
			   uring_cmd1(rcqe32, fds.ctl, URINGBLK_IOC_IDENTIFY, c, 0, &extra), idsz);
		expect(extra == 0, "CQE32 big_cqe[0] is 0");
		expect_res("uring_cmd IOSQE_ASYNC",
			   uring_cmd1(r128, fds.ctl, URINGBLK_IOC_IDENTIFY, c, IOSQE_ASYNC), idsz);

		int cres, nres;
		if (!uring_cmd_linked(r128, fds.ctl, URINGBLK_IOC_IDENTIFY, c, cres, nres)) {
			fail("linked submission failed");
		} else {
			expect_res("linked: uring_cmd", cres, idsz);
			expect_res("linked: NOP after a successful uring_cmd", nres, 0);
		}
		uringblk_cmd bad = c;
		bad.hdr.flags = 1;
		if (!uring_cmd_linked(r128, fds.ctl, URINGBLK_IOC_IDENTIFY, bad, cres, nres)) {
			fail("linked submission failed");
		} else {
			expect_res("linked: failing uring_cmd", cres, -EINVAL);
			expect_res("linked: NOP after a failing uring_cmd", nres, -ECANCELED);
		}

		// A batch of commands in one submission, each with its own buffer.
		{
			constexpr unsigned n = 32;
			std::vector<std::array<unsigned char, 128>> bufs(n);
			for (unsigned i = 0; i < n; i++) {
				uint32_t op = kOurOps[i % kOurOps.size()];
				uringblk_cmd b = make_cmd(_IOC_NR(op), fds.dev_id, bufs[i].data(), 128);
				io_uring_sqe *sqe = io_uring_get_sqe(&r128.ring);
				prep_ucmd(sqe, true, fds.ctl, op, b);
				sqe->user_data = i;
			}
			expect_res("batch submit", io_uring_submit(&r128.ring), n);
			std::vector<Cqe> v;
			if (reap(r128, n, v))
				for (const Cqe &e : v)
					expect_res("batch cmd " + std::to_string(e.user_data), e.res,
						   resp_size(_IOC_NR(kOurOps[e.user_data % kOurOps.size()])));
		}
		// Task-run modes (completion from io-wq after the punt).
		for (unsigned f : {IORING_SETUP_COOP_TASKRUN,
				   IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN}) {
			Ring tr(IORING_SETUP_SQE128 | f, 8);
			char what_buf[64];
			std::snprintf(what_buf, sizeof(what_buf), "uring_cmd on ring flags SQE128|0x%x", f);
			std::string what = what_buf;
			if (tr.err == -EINVAL) {
				std::printf("skip %s: not supported by this kernel\n", what.c_str());
				continue;
			}
			if (tr.err) {
				fail(what + ": " + errname(tr.err));
				continue;
			}
			int lres = -1, lnop = -1;
			expect_res(what, uring_cmd1(tr, fds.ctl, URINGBLK_IOC_IDENTIFY, c), idsz);
			if (uring_cmd_linked(tr, fds.ctl, URINGBLK_IOC_GET_STATS,
					     make_cmd(URINGBLK_UCMD_GET_STATS, fds.dev_id, arena.rw, 4096),
					     lres, lnop)) {
				expect_res(what + " linked", lres, sizeof(uringblk_stats));
				expect_res(what + " linked NOP", lnop, 0);
			} else {
				fail(what + ": linked submission failed");
			}
		}
		// SQPOLL ring.
		{
			Ring sq(IORING_SETUP_SQE128 | IORING_SETUP_SQPOLL, 8);
			if (sq.err)
				fail("SQPOLL ring: " + errname(sq.err));
			else
				expect_res("uring_cmd on SQPOLL ring",
					   uring_cmd1(sq, fds.ctl, URINGBLK_IOC_IDENTIFY, c), idsz);
		}
	}

	// The three transports answer with the same bytes; IDENTIFY matches sysfs.
	void consistency()
	{
		for (uint32_t op : kOurOps) {
			uint32_t nr = _IOC_NR(op);
			if (nr == URINGBLK_UCMD_GET_STATS)
				continue;
			std::array<std::vector<unsigned char>, 3> out;
			int i = 0;
			for (Xport x : {Xport::UringCtl, Xport::IoctlCtl, Xport::IoctlBlk}) {
				std::vector<unsigned char> buf(256, kPoison);
				uringblk_cmd c = make_cmd(nr, self_id(x), buf.data(), 256);
				int r = send(x, op, c);
				expect_res(std::string(xname(x)) + " consistency opcode " + std::to_string(nr),
					   r, resp_size(nr));
				if (r > 0)
					buf.resize(r);
				out[i++] = buf;
			}
			expect(out[0] == out[1] && out[1] == out[2],
			       "opcode " + std::to_string(nr) + " answers identically on all transports");
		}
		uringblk_identify id{};
		uringblk_cmd c = make_cmd(URINGBLK_UCMD_IDENTIFY, fds.dev_id, &id, sizeof(id));
		if (send(Xport::IoctlCtl, URINGBLK_IOC_IDENTIFY, c) != sizeof(id))
			return;
		std::string sys = "/sys/block/uringblk" + std::to_string(fds.dev_id);
		uint64_t v;
		if (read_sysfs_u64(sys + "/size", v))
			expect(v == id.capacity_sectors, "IDENTIFY capacity_sectors == " + sys + "/size");
		if (read_sysfs_u64(sys + "/queue/logical_block_size", v))
			expect(v == id.logical_block_size,
			       "IDENTIFY logical_block_size == queue/logical_block_size");
		__u64 feat = 0;
		c = make_cmd(URINGBLK_UCMD_GET_FEATURES, fds.dev_id, &feat, sizeof(feat));
		if (send(Xport::IoctlCtl, URINGBLK_IOC_GET_FEATURES, c) == sizeof(feat))
			expect(feat == id.features_bitmap, "GET_FEATURES == IDENTIFY.features_bitmap");
	}

	// An unprivileged opener of the 0600 control node gets EACCES.
	void unprivileged_open()
	{
		pid_t pid = fork();
		if (pid == 0) {
			if (setgid(65534) || setuid(65534))
				_exit(3);
			int fd = open(kCtlPath, O_RDWR);
			_exit(fd < 0 && errno == EACCES ? 0 : 1);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		expect(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "unprivileged open of the control node fails with EACCES");
	}
};

int cmd_errors(uint32_t dev_id)
{
	Tester t;
	if (!t.init(dev_id))
		return 1;
	for (Xport x : {Xport::UringCtl, Xport::IoctlCtl, Xport::IoctlBlk})
		t.common_cases(x);
	t.ioctl_cases(Xport::IoctlCtl);
	t.ioctl_cases(Xport::IoctlBlk);
	t.uring_cases();
	t.consistency();
	t.unprivileged_open();
	if (g_failures) {
		std::fprintf(stderr, "ucmd_raw errors: %d expectation(s) failed\n", g_failures);
		return 1;
	}
	std::printf("ucmd_raw errors: all expectations held\n");
	return 0;
}

// ---- the `fuzz` subcommand ---------------------------------------------------

// ioctl types that the VFS answers itself for any file (FIOCLEX, FIONBIO,
// FIFREEZE, FS_IOC_*, FICLONE, ...): random ioctls avoid them so that only
// the driver answers.
bool vfs_ioctl_type(uint32_t op)
{
	switch (_IOC_TYPE(op)) {
	case 0x00: case 'T': case 'X': case 'f': case 0x94: case 0x15:
		return true;
	default:
		return false;
	}
}

int cmd_fuzz(unsigned long n, uint64_t seed, uint32_t dev_id)
{
	Tester t;
	if (!t.init(dev_id))
		return 1;
	std::mt19937_64 rng(seed);
	auto chance = [&](unsigned pct) { return rng() % 100 < pct; };
	auto pick = [&](auto... v) {
		std::array<uint64_t, sizeof...(v)> a{static_cast<uint64_t>(v)...};
		return a[rng() % a.size()];
	};

	// Baseline IDENTIFY, compared with the one after the fuzz.
	uringblk_identify before{};
	{
		uringblk_cmd c = make_cmd(URINGBLK_UCMD_IDENTIFY, dev_id, &before, sizeof(before));
		int r = do_ioctl(t.fds.ctl, URINGBLK_IOC_IDENTIFY, &c);
		if (r != sizeof(before)) {
			std::fprintf(stderr, "ucmd_raw fuzz: baseline IDENTIFY failed: %s\n",
				     errname(r).c_str());
			return 1;
		}
	}

	unsigned long counts[3] = {0, 0, 0}, ok = 0;
	std::map<int, unsigned long> hist;
	for (unsigned long i = 0; i < n && g_failures < 20; i++) {
		Xport x = static_cast<Xport>(pick(0, 0, 1, 2));
		bool use64 = x == Xport::UringCtl && chance(5);
		bool linked = x == Xport::UringCtl && !use64 && chance(5);
		uint8_t sqe_flags = x == Xport::UringCtl && chance(10) ? IOSQE_ASYNC : 0;

		// cmd_op
		uint32_t op;
		unsigned k = rng() % 100;
		if (k < 50)
			op = kOurOps[rng() % kOurOps.size()];
		else if (k < 70)
			op = op_for(rng() % 16);
		else if (k < 80)
			op = _IOC(static_cast<unsigned>(rng() % 4), URINGBLK_IOC_MAGIC,
				  static_cast<unsigned>(rng() % 16), static_cast<unsigned>(rng() % 0x4000));
		else
			op = static_cast<uint32_t>(rng());
		if (x == Xport::IoctlBlk && _IOC_TYPE(op) != URINGBLK_IOC_MAGIC)
			// Only 0xB5 reaches the driver; the rest belongs to the block layer.
			op = (op & ~(_IOC_TYPEMASK << _IOC_TYPESHIFT)) |
			     (URINGBLK_IOC_MAGIC << _IOC_TYPESHIFT);
		if (x == Xport::IoctlCtl)
			while (vfs_ioctl_type(op))
				op = static_cast<uint32_t>(rng());
		if (op_mgmt(op))	// never create or delete devices here
			op = op_for(0x11 + static_cast<uint32_t>(rng() % 4));

		// header and fields: each one valid most of the time
		uint32_t nr = op_known(op) ? _IOC_NR(op) : static_cast<uint32_t>(rng() % 8);
		uringblk_cmd c = make_cmd(nr, t.self_id(x), nullptr, 0);
		if (chance(10))
			c.hdr.abi_major = static_cast<__u16>(pick(0, 2, rng()));
		if (chance(20))
			c.hdr.abi_minor = static_cast<__u16>(rng());
		if (chance(10))
			c.hdr.opcode = static_cast<__u16>(pick(rng() % 8, rng()));
		if (chance(10))
			c.hdr.flags = static_cast<__u16>(rng());
		if (chance(30))
			c.hdr.payload_len = static_cast<__u32>(
				pick(0, 4096, 4097, rng() % 8192, rng()));
		if (chance(5))
			c.reserved0 = static_cast<__u32>(rng() | 1);
		if (chance(5))
			c.reserved[rng() % 2] = rng() | 1;
		if (chance(15)) {
			if (x == Xport::IoctlBlk)
				c.dev_id = static_cast<__u32>(pick(dev_id, t.missing, rng()));
			else
				c.dev_id = static_cast<__u32>(
					pick(URINGBLK_DEV_ID_SELF, t.missing, rng(), 0xfffffffe));
		}
		uint32_t rs = resp_size(c.hdr.opcode);
		c.len = static_cast<__u32>(pick(rs, rs, 4096, rs ? rs - 1 : 0, 0, rng() % 256, rng()));

		Addr a = Addr::Valid;
		size_t off = 0;
		if (chance(25))
			a = static_cast<Addr>(1 + rng() % 6);
		switch (a) {
		case Addr::Valid:
			off = rng() % (kPage - 128);
			c.addr = reinterpret_cast<uintptr_t>(t.arena.rw) + off;
			break;
		case Addr::Null:
			c.addr = 0;
			break;
		case Addr::Kernel:
			c.addr = 0xffff800000000000ULL | rng();
			break;
		case Addr::NonCanonical:
			c.addr = (0x0000800000000000ULL | rng()) & 0x7fffffffffffffffULL;
			if (c.addr < 0x0000800000000000ULL)
				c.addr |= 0x0000800000000000ULL;
			break;
		case Addr::Unmapped:
			c.addr = reinterpret_cast<uintptr_t>(t.arena.unmapped()) + rng() % kPage;
			break;
		case Addr::ReadOnly:
			c.addr = reinterpret_cast<uintptr_t>(t.arena.ro) + rng() % (kPage - 128);
			break;
		case Addr::Straddle:
			c.addr = reinterpret_cast<uintptr_t>(t.arena.guard) - 1 - rng() % 7;
			break;
		}
		// A response straddling the guard page only faults if it reaches it.
		if (a == Addr::Straddle && rs && c.addr + rs <= reinterpret_cast<uintptr_t>(t.arena.guard))
			a = Addr::Valid;

		// ioctl argument pointer itself bad, sometimes
		bool bad_arg = x != Xport::UringCtl && chance(3);

		int want;
		if (bad_arg)
			want = op_known(op) ? -EFAULT : -ENOTTY;
		else
			want = predict(x, !use64, op, c, a, dev_id, t.existing);

		t.arena.poison();
		std::memset(t.arena.rw2, kPoison, kPage);
		int got;
		int nop_res = 0;
		switch (x) {
		case Xport::UringCtl:
			if (linked) {
				if (!uring_cmd_linked(t.r128, t.fds.ctl, op, c, got, nop_res)) {
					fail("linked submission failed");
					got = -9999;
				}
			} else {
				got = uring_cmd1(use64 ? t.r64 : t.r128, t.fds.ctl, op, c, sqe_flags);
			}
			break;
		case Xport::IoctlCtl:
		case Xport::IoctlBlk: {
			int fd = x == Xport::IoctlCtl ? t.fds.ctl : t.fds.blk;
			void *arg = &c;
			if (bad_arg)
				arg = reinterpret_cast<void *>(
					pick(0, reinterpret_cast<uintptr_t>(t.arena.unmapped()),
					     0xffffffff81000000ULL));
			got = do_ioctl(fd, op, arg);
			break;
		}
		}
		counts[static_cast<int>(x)]++;
		char desc[256];
		std::snprintf(desc, sizeof(desc),
			      "fuzz #%lu %s%s op=0x%08x maj=%u min=%u opc=%u fl=%u pl=%u dev=%u len=%u addr=0x%llx r0=%u r=%llx/%llx",
			      i, xname(x), use64 ? "(no SQE128)" : "", op, c.hdr.abi_major,
			      c.hdr.abi_minor, c.hdr.opcode, c.hdr.flags, c.hdr.payload_len,
			      c.dev_id, c.len, static_cast<unsigned long long>(c.addr), c.reserved0,
			      static_cast<unsigned long long>(c.reserved[0]),
			      static_cast<unsigned long long>(c.reserved[1]));
		expect_res(desc, got, want);
		hist[got > 0 ? 0 : got]++;
		if (got > 0)
			ok++;
		size_t written = a == Addr::Valid && got > 0 ? static_cast<size_t>(got) : 0;
		if (!t.arena.untouched_outside(a == Addr::Valid ? off : 0, written))
			fail(std::string(desc) + ": bytes outside the response were written");
		if (linked)
			expect_res(std::string(desc) + " linked NOP", nop_res, got >= 0 ? 0 : -ECANCELED);
	}

	// The device still answers IDENTIFY correctly on every transport.
	for (Xport x : {Xport::UringCtl, Xport::IoctlCtl, Xport::IoctlBlk}) {
		uringblk_identify after{};
		uringblk_cmd c = make_cmd(URINGBLK_UCMD_IDENTIFY, t.self_id(x), &after, sizeof(after));
		int r = t.send(x, URINGBLK_IOC_IDENTIFY, c);
		expect_res(std::string("after fuzz: IDENTIFY over ") + xname(x), r, sizeof(after));
		expect(std::memcmp(&before, &after, sizeof(after)) == 0,
		       std::string("after fuzz: IDENTIFY over ") + xname(x) + " unchanged");
	}
	std::printf("ucmd_raw fuzz: %lu commands (uring %lu, ioctl ctl %lu, ioctl blk %lu), %lu succeeded, seed %" PRIu64 "\n",
		    counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2], ok, seed);
	std::printf("ucmd_raw fuzz: results:");
	for (const auto &[res, cnt] : hist)
		std::printf(" %s=%lu", res ? errname(res).c_str() : "length", cnt);
	std::printf("\n");
	if (g_failures) {
		std::fprintf(stderr, "ucmd_raw fuzz: %d expectation(s) failed\n", g_failures);
		return 1;
	}
	return 0;
}

// ---- the `dump` subcommand -----------------------------------------------------

void print_str(const char *key, const __u8 *s, size_t n)
{
	std::string v;
	for (size_t i = 0; i < n && s[i]; i++)
		v += (s[i] >= 0x20 && s[i] < 0x7f) ? static_cast<char>(s[i]) : '?';
	std::printf("%s=%s\n", key, v.c_str());
}

#define KV(s, f) std::printf(#f "=%llu\n", static_cast<unsigned long long>((s).f))

void decode(uint32_t opcode, const unsigned char *buf)
{
	switch (opcode) {
	case URINGBLK_UCMD_IDENTIFY: {
		uringblk_identify r;
		std::memcpy(&r, buf, sizeof(r));
		print_str("model", r.model, sizeof(r.model));
		print_str("firmware", r.firmware, sizeof(r.firmware));
		KV(r, logical_block_size);
		KV(r, physical_block_size);
		KV(r, capacity_sectors);
		std::printf("features_bitmap=0x%llx\n", static_cast<unsigned long long>(r.features_bitmap));
		KV(r, queue_count);
		KV(r, queue_depth);
		KV(r, max_segments);
		KV(r, max_segment_size);
		KV(r, dma_alignment);
		KV(r, io_min);
		KV(r, io_opt);
		KV(r, discard_granularity);
		KV(r, discard_max_bytes);
		break;
	}
	case URINGBLK_UCMD_GET_LIMITS: {
		uringblk_limits r;
		std::memcpy(&r, buf, sizeof(r));
		KV(r, max_hw_sectors_kb);
		KV(r, max_sectors_kb);
		KV(r, nr_hw_queues);
		KV(r, queue_depth);
		KV(r, max_segments);
		KV(r, max_segment_size);
		KV(r, dma_alignment);
		KV(r, io_min);
		KV(r, io_opt);
		KV(r, discard_granularity);
		KV(r, discard_max_bytes);
		break;
	}
	case URINGBLK_UCMD_GET_FEATURES: {
		__u64 f;
		std::memcpy(&f, buf, sizeof(f));
		std::printf("features=0x%llx\n", static_cast<unsigned long long>(f));
		static const char *names[] = {"write_cache", "fua", "flush", "discard",
					      "write_zeroes", "zoned", "polling"};
		for (unsigned b = 0; b < 7; b++)
			std::printf("%s=%d\n", names[b], (f >> b) & 1 ? 1 : 0);
		break;
	}
	case URINGBLK_UCMD_GET_GEOMETRY: {
		uringblk_geometry r;
		std::memcpy(&r, buf, sizeof(r));
		KV(r, capacity_sectors);
		KV(r, logical_block_size);
		KV(r, physical_block_size);
		KV(r, cylinders);
		KV(r, heads);
		KV(r, sectors_per_track);
		break;
	}
	case URINGBLK_UCMD_GET_STATS: {
		uringblk_stats r;
		std::memcpy(&r, buf, sizeof(r));
		KV(r, read_ops);
		KV(r, write_ops);
		KV(r, flush_ops);
		KV(r, discard_ops);
		KV(r, read_sectors);
		KV(r, write_sectors);
		KV(r, read_bytes);
		KV(r, write_bytes);
		KV(r, queue_full_events);
		KV(r, media_errors);
		KV(r, retries);
		KV(r, p50_read_latency_us);
		KV(r, p99_read_latency_us);
		KV(r, p50_write_latency_us);
		KV(r, p99_write_latency_us);
		break;
	}
	}
}

bool parse_opcode(const std::string &s, uint32_t &nr)
{
	static const struct {
		const char *name;
		uint32_t nr;
	} names[] = {
		{"identify", URINGBLK_UCMD_IDENTIFY}, {"limits", URINGBLK_UCMD_GET_LIMITS},
		{"get_limits", URINGBLK_UCMD_GET_LIMITS}, {"features", URINGBLK_UCMD_GET_FEATURES},
		{"get_features", URINGBLK_UCMD_GET_FEATURES}, {"geometry", URINGBLK_UCMD_GET_GEOMETRY},
		{"get_geometry", URINGBLK_UCMD_GET_GEOMETRY}, {"stats", URINGBLK_UCMD_GET_STATS},
		{"get_stats", URINGBLK_UCMD_GET_STATS},
	};
	for (auto &n : names)
		if (s == n.name) {
			nr = n.nr;
			return true;
		}
	char *end = nullptr;
	unsigned long v = std::strtoul(s.c_str(), &end, 0);
	if (s.empty() || *end || v > 0xff)
		return false;
	nr = static_cast<uint32_t>(v);
	return true;
}

int cmd_dump(uint32_t nr, uint32_t dev_id, bool use_ioctl)
{
	std::array<unsigned char, 4096> buf{};
	uringblk_cmd c = make_cmd(nr, dev_id, buf.data(), buf.size());
	uint32_t op = op_for(nr);
	int r;
	if (use_ioctl) {
		std::string b = "/dev/uringblk" + std::to_string(dev_id);
		int fd = open(b.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			std::fprintf(stderr, "ucmd_raw: open %s: %s\n", b.c_str(), std::strerror(errno));
			return 1;
		}
		r = do_ioctl(fd, op, &c);
		close(fd);
	} else {
		int fd = open(kCtlPath, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			std::fprintf(stderr, "ucmd_raw: open %s: %s\n", kCtlPath, std::strerror(errno));
			return 1;
		}
		Ring ring(IORING_SETUP_SQE128, 4);
		if (ring.err) {
			std::fprintf(stderr, "ucmd_raw: io_uring_queue_init: %s\n", errname(ring.err).c_str());
			close(fd);
			return 1;
		}
		r = uring_cmd1(ring, fd, op, c);
		close(fd);
	}
	if (r < 0) {
		std::fprintf(stderr, "ucmd_raw dump: opcode 0x%02x failed: %s (%s)\n", nr,
			     errname(r).c_str(), std::strerror(-r));
		return 1;
	}
	std::printf("# opcode=0x%02x dev_id=%u transport=%s len=%d\n", nr, dev_id,
		    use_ioctl ? "ioctl" : "uring_cmd", r);
	for (int i = 0; i < r; i += 16) {
		std::printf("%04x:", i);
		for (int j = i; j < i + 16 && j < r; j++)
			std::printf(" %02x", buf[j]);
		std::printf("\n");
	}
	if (static_cast<uint32_t>(r) != resp_size(nr)) {
		std::fprintf(stderr, "ucmd_raw dump: unexpected length %d\n", r);
		return 1;
	}
	decode(nr, buf.data());
	return 0;
}

int usage()
{
	std::fprintf(stderr,
		     "usage: ucmd_raw [-v] errors DEV_ID\n"
		     "       ucmd_raw [-v] fuzz N SEED DEV_ID\n"
		     "       ucmd_raw dump OPCODE DEV_ID [--ioctl]\n"
		     "       ucmd_raw add ID|any [KEY=VALUE...]\n"
		     "OPCODE: identify|limits|features|geometry|stats or a number\n");
	return 2;
}

bool parse_u64(const char *s, uint64_t &v)
{
	char *end = nullptr;
	errno = 0;
	v = std::strtoull(s, &end, 0);
	return *s && !*end && errno == 0;
}

bool parse_u32(const char *s, uint32_t &v)
{
	uint64_t x;
	if (!parse_u64(s, x) || x > 0xffffffffULL)
		return false;
	v = static_cast<uint32_t>(x);
	return true;
}

// ucmd_raw add ID|any [KEY=VALUE...]: one ADD_DEVICE over URING_CMD with the raw payload, the
// library's client-side checks bypassed (to see what the kernel itself refuses). Prints
// "res=N dev_id=M" or "res=-ERRNO"; exit 0 on success, 1 on failure.
int cmd_add(const std::vector<std::string> &args)
{
	uringblk_dev_params p;
	std::memset(&p, 0, sizeof(p));
	uint32_t want = URINGBLK_DEV_ID_ANY;
	if (args[1] != "any" && !parse_u32(args[1].c_str(), want))
		return usage();
	struct Key {
		const char *name;
		size_t off, size;
	};
#define UBK_KEY(f) Key{#f, offsetof(uringblk_dev_params, f), sizeof(p.f)}
	const Key keys[] = {
		UBK_KEY(capacity_mb), UBK_KEY(logical_block_size), UBK_KEY(nr_hw_queues),
		UBK_KEY(poll_queues), UBK_KEY(queue_depth), UBK_KEY(max_io_size_kb),
		UBK_KEY(io_timeout_ms), UBK_KEY(write_cache), UBK_KEY(discard),
		UBK_KEY(write_zeroes), UBK_KEY(poll), UBK_KEY(state),
	};
#undef UBK_KEY
	for (size_t i = 2; i < args.size(); i++) {
		const std::string &kv = args[i];
		const size_t eq = kv.find('=');
		if (eq == std::string::npos)
			return usage();
		const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
		if (k == "serial_suffix") {
			if (v.size() > sizeof(p.serial_suffix))
				return usage();
			std::memcpy(p.serial_suffix, v.data(), v.size());
			continue;
		}
		if (k == "reserved0") {
			uint64_t x;
			if (!parse_u64(v.c_str(), x))
				return usage();
			p.reserved[0] = x;
			continue;
		}
		bool found = false;
		uint32_t x;
		for (const auto &key : keys)
			if (k == key.name && parse_u32(v.c_str(), x)) {
				const __u8 b = static_cast<__u8>(x);
				std::memcpy(reinterpret_cast<char *>(&p) + key.off,
					    key.size == 1 ? static_cast<const void *>(&b) : &x, key.size);
				found = true;
			}
		if (!found)
			return usage();
	}
	int fd = open(kCtlPath, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		std::fprintf(stderr, "ucmd_raw: open %s: %s\n", kCtlPath, std::strerror(errno));
		return 1;
	}
	Ring ring(IORING_SETUP_SQE128, 4);
	uringblk_cmd c = make_cmd(URINGBLK_UCMD_ADD_DEVICE, want, &p, sizeof(p));
	c.hdr.payload_len = sizeof(p);
	const int r = ring.err ? ring.err : uring_cmd1(ring, fd, URINGBLK_IOC_ADD_DEVICE, c);
	close(fd);
	if (r < 0) {
		std::printf("res=%s\n", errname(r).c_str());
		return 1;
	}
	std::printf("res=%d dev_id=%u state=%u\n", r, p.dev_id, p.state);
	return 0;
}

}  // namespace


// ---- the `add-undo` subcommand ------------------------------------------------

// A RAII anonymous mapping.
struct AnonPage {
	void *p = MAP_FAILED;
	AnonPage() : p(mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) {}
	~AnonPage()
	{
		if (p != MAP_FAILED)
			munmap(p, kPage);
	}
	AnonPage(const AnonPage &) = delete;
	AnonPage &operator=(const AnonPage &) = delete;
};

std::set<uint32_t> list_ids(int ctl)
{
	std::vector<__u8> buf(kMaxPayload);
	uringblk_cmd c = make_cmd(URINGBLK_UCMD_LIST_DEVICES, URINGBLK_DEV_ID_ANY, buf.data(), kMaxPayload);
	std::set<uint32_t> ids;
	if (do_ioctl(ctl, URINGBLK_IOC_LIST_DEVICES, &c) < 0)
		return ids;
	uringblk_dev_list hdr;
	std::memcpy(&hdr, buf.data(), sizeof(hdr));
	for (uint32_t i = 0; i < hdr.nr_ids && sizeof(hdr) + (i + 1) * 4 <= kMaxPayload; i++) {
		uint32_t id;
		std::memcpy(&id, buf.data() + sizeof(hdr) + i * 4, 4);
		ids.insert(id);
	}
	return ids;
}

// The ADD_DEVICE payload sits on a write-protected userfaultfd page: the
// driver reads it, creates device K and blocks copying the answer back.
// Meanwhile this process deletes K, creates a new device with index K, makes
// the page read-only and lets the copy go on: it fails, and the driver
// undoes its ADD_DEVICE. Device K (the newcomer) must still exist.
int cmd_add_undo()
{
	uringblk::UniqueFd ctl(open(kCtlPath, O_RDWR | O_CLOEXEC));
	uringblk::UniqueFd uffd(static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC)));
	if (!ctl || !uffd) {
		std::fprintf(stderr, "ucmd_raw add-undo: %s: %s\n", !ctl ? kCtlPath : "userfaultfd",
			     std::strerror(errno));
		return 1;
	}
	uffdio_api api{};
	api.api = UFFD_API;
	api.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP;
	AnonPage page;
	if (ioctl(uffd.get(), UFFDIO_API, &api) < 0 || page.p == MAP_FAILED) {
		std::fprintf(stderr, "ucmd_raw add-undo: write-protect faults: %s\n", std::strerror(errno));
		return 1;
	}
	uringblk_dev_params p;
	std::memset(&p, 0, sizeof(p));
	p.capacity_mb = 16;
	std::memcpy(page.p, &p, sizeof(p));		// faulted in, then protected
	const auto start = reinterpret_cast<uintptr_t>(page.p);
	uffdio_register reg{};
	reg.range = {start, kPage};
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	uffdio_writeprotect wp{};
	wp.range = {start, kPage};
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	if (ioctl(uffd.get(), UFFDIO_REGISTER, &reg) < 0 ||
	    ioctl(uffd.get(), UFFDIO_WRITEPROTECT, &wp) < 0) {
		std::fprintf(stderr, "ucmd_raw add-undo: write-protect the page: %s\n", std::strerror(errno));
		return 1;
	}
	const std::set<uint32_t> before = list_ids(ctl.get());
	int add_res = 0;
	std::thread adder([&] {
		uringblk_cmd c = make_cmd(URINGBLK_UCMD_ADD_DEVICE, URINGBLK_DEV_ID_ANY, page.p, sizeof(p));
		c.hdr.payload_len = sizeof(p);
		add_res = do_ioctl(ctl.get(), URINGBLK_IOC_ADD_DEVICE, &c);
	});
	int fails = 0;
	auto bad = [&fails](const char *what, long v) {
		std::printf("FAIL: add-undo: %s (%ld)\n", what, v);
		fails++;
	};
	pollfd pfd{uffd.get(), POLLIN, 0};
	uint32_t k = UINT32_MAX;
	if (poll(&pfd, 1, 30000) != 1) {
		bad("ADD_DEVICE never wrote its answer", 0);
	} else {
		uffd_msg msg;
		if (read(uffd.get(), &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT || !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
			bad("not a write-protect fault", msg.event);
		for (uint32_t id : list_ids(ctl.get()))
			if (!before.count(id))
				k = id;
		if (k == UINT32_MAX)
			bad("the new device is not listed while its answer is copied", 0);
		uringblk_cmd d = make_cmd(URINGBLK_UCMD_DEL_DEVICE, k, nullptr, 0);
		d.hdr.flags = URINGBLK_DEL_FORCE;
		int r = do_ioctl(ctl.get(), URINGBLK_IOC_DEL_DEVICE, &d);
		if (r < 0)
			bad("DEL_DEVICE of the new device", r);
		uringblk_dev_params q;
		std::memset(&q, 0, sizeof(q));
		q.capacity_mb = 8;
		uringblk_cmd a = make_cmd(URINGBLK_UCMD_ADD_DEVICE, k, &q, sizeof(q));
		a.hdr.payload_len = sizeof(q);
		r = do_ioctl(ctl.get(), URINGBLK_IOC_ADD_DEVICE, &a);
		if (r < 0)
			bad("ADD_DEVICE of a newcomer with the same index", r);
		// The copy resumes on a read-only page: it fails.
		mprotect(page.p, kPage, PROT_READ);
		uffdio_range wake{start, kPage};
		ioctl(uffd.get(), UFFDIO_WAKE, &wake);
	}
	adder.join();
	if (add_res != -EFAULT)
		bad("the ADD_DEVICE whose answer could not be copied: want -EFAULT", add_res);
	const std::set<uint32_t> after = list_ids(ctl.get());
	if (k != UINT32_MAX && !after.count(k))
		bad("the undo deleted the newcomer with the same index", k);
	if (!fails) {
		std::printf("ok   add-undo: the undo of an ADD_DEVICE (-EFAULT) left the newcomer "
			    "uringblk%u alone\n", k);
		uringblk_cmd d = make_cmd(URINGBLK_UCMD_DEL_DEVICE, k, nullptr, 0);
		do_ioctl(ctl.get(), URINGBLK_IOC_DEL_DEVICE, &d);
	}
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	std::vector<std::string> args(argv + 1, argv + argc);
	if (!args.empty() && args[0] == "-v") {
		g_verbose = true;
		args.erase(args.begin());
	}
	if (args.empty())
		return usage();
	setvbuf(stdout, nullptr, _IOLBF, 0);
	const std::string &sub = args[0];
	uint32_t dev_id;
	if (sub == "errors" && args.size() == 2 && parse_u32(args[1].c_str(), dev_id))
		return cmd_errors(dev_id);
	uint64_t n, seed;
	if (sub == "fuzz" && args.size() == 4 && parse_u64(args[1].c_str(), n) &&
	    parse_u64(args[2].c_str(), seed) && parse_u32(args[3].c_str(), dev_id))
		return cmd_fuzz(n, seed, dev_id);
	uint32_t nr;
	if (sub == "dump" && (args.size() == 3 || (args.size() == 4 && args[3] == "--ioctl")) &&
	    parse_opcode(args[1], nr) && parse_u32(args[2].c_str(), dev_id))
		return cmd_dump(nr, dev_id, args.size() == 4);
	if (sub == "add" && args.size() >= 2)
		return cmd_add(args);
	if (sub == "add-undo" && args.size() == 1)
		return cmd_add_undo();
	return usage();
}
