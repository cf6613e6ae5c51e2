// SPDX-License-Identifier: GPL-2.0 OR MIT
//
// Unit tests of kmod/ucmd_check.h, the pure validation of admin commands
// that the kernel module compiles too. The expected answers and their
// order are those of docs/admin-abi.md ("Order of the checks").

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>

#include "ucmd_check.h"

namespace {

uringblk_cmd good_cmd(uint32_t opcode)
{
	uringblk_cmd c;
	std::memset(&c, 0, sizeof(c));
	c.hdr.abi_major = URINGBLK_ABI_MAJOR;
	c.hdr.abi_minor = URINGBLK_ABI_MINOR;
	c.hdr.opcode = static_cast<__u16>(opcode);
	c.dev_id = 0;
	c.addr = 0x10000;
	c.len = 4096;
	return c;
}

constexpr uint32_t kOps[] = {
	URINGBLK_IOC_IDENTIFY, URINGBLK_IOC_GET_LIMITS, URINGBLK_IOC_GET_FEATURES,
	URINGBLK_IOC_GET_GEOMETRY, URINGBLK_IOC_GET_STATS,
};

uint32_t op_for(uint32_t nr)
{
	return _IOWR(URINGBLK_IOC_MAGIC, nr, struct uringblk_cmd);
}

// Independent statement of steps 5-10 of the documented order.
int reference_check(const uringblk_cmd &c, uint32_t op)
{
	bool known = false;
	for (uint32_t o : kOps)
		known = known || o == op;
	if (!known)
		return -EOPNOTSUPP;
	if (c.hdr.abi_major != 1)
		return -EINVAL;
	if (c.hdr.flags)
		return -EINVAL;
	if (c.reserved0 || c.reserved[0] || c.reserved[1])
		return -EINVAL;
	if (c.hdr.opcode != ((op >> 0) & 0xff))
		return -EINVAL;
	if (c.hdr.payload_len > 4096)
		return -EOVERFLOW;
	static const uint32_t sizes[] = {0, 120, 48, 8, 0, 20, 104};
	if (c.len < sizes[c.hdr.opcode])
		return -EOVERFLOW;
	return 0;
}

}  // namespace

TEST_CASE("ucmd_check: ABI layout", "[ucmd_check]")
{
	STATIC_REQUIRE(sizeof(struct uringblk_ucmd_hdr) == 12);
	STATIC_REQUIRE(sizeof(struct uringblk_cmd) == 48);
	STATIC_REQUIRE(offsetof(struct uringblk_cmd, dev_id) == 12);
	STATIC_REQUIRE(offsetof(struct uringblk_cmd, addr) == 16);
	STATIC_REQUIRE(offsetof(struct uringblk_cmd, len) == 24);
	STATIC_REQUIRE(offsetof(struct uringblk_cmd, reserved0) == 28);
	STATIC_REQUIRE(offsetof(struct uringblk_cmd, reserved) == 32);
	STATIC_REQUIRE(URINGBLK_IOC_IDENTIFY == 0xc030b501u);
	STATIC_REQUIRE(URINGBLK_IOC_GET_STATS == 0xc030b506u);
	STATIC_REQUIRE(UBK_UCMD_MAX_PAYLOAD == 4096);
}

TEST_CASE("ucmd_check: response sizes", "[ucmd_check]")
{
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_IDENTIFY) == 120);
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_GET_LIMITS) == 48);
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_GET_FEATURES) == 8);
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_GET_GEOMETRY) == 20);
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_GET_STATS) == 104);
	for (uint32_t nr : {0u, 4u, 7u, 8u, 0xffu, 0x101u, 0xffffffffu})
		CHECK(ubk_ucmd_resp_size(nr) == 0);
	for (uint32_t nr = 0; nr < 256; nr++)
		CHECK(ubk_ucmd_resp_size(nr) <= UBK_UCMD_MAX_RESP);
}

TEST_CASE("ucmd_check: step 1, the command number", "[ucmd_check]")
{
	for (uint32_t op : kOps) {
		CHECK(ubk_ucmd_op_known(op));
		CHECK(ubk_ucmd_check_op(op, UBK_UCMD_URING_CMD) == 0);
		CHECK(ubk_ucmd_check_op(op, UBK_UCMD_IOCTL) == 0);
	}
	const uint32_t unknown[] = {
		op_for(0x00), op_for(0x04), op_for(0x07), op_for(0xff),
		_IOWR(URINGBLK_IOC_MAGIC, 1, uint64_t),			// wrong size
		_IOR(URINGBLK_IOC_MAGIC, 1, struct uringblk_cmd),	// wrong direction
		_IOW(URINGBLK_IOC_MAGIC, 1, struct uringblk_cmd),
		_IO(URINGBLK_IOC_MAGIC, 1),
		_IOWR('u', 1, struct uringblk_cmd),			// wrong magic
		0, 1, 0xffffffffu,
	};
	for (uint32_t op : unknown) {
		INFO("cmd_op " << std::hex << op);
		CHECK_FALSE(ubk_ucmd_op_known(op));
		CHECK(ubk_ucmd_check_op(op, UBK_UCMD_URING_CMD) == -EOPNOTSUPP);
		CHECK(ubk_ucmd_check_op(op, UBK_UCMD_IOCTL) == -ENOTTY);
		// Defensive: check_cmd refuses what step 1 refuses.
		uringblk_cmd c = good_cmd(op & 0xff);
		CHECK(ubk_ucmd_check_cmd(&c, op) == -EOPNOTSUPP);
	}
}

TEST_CASE("ucmd_check: valid commands", "[ucmd_check]")
{
	for (uint32_t op : kOps) {
		uint32_t nr = _IOC_NR(op);
		uringblk_cmd c = good_cmd(nr);
		CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
		c.len = ubk_ucmd_resp_size(nr);		// exactly the response
		CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
		c.len = 0xffffffffu;
		CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
	}
	uringblk_cmd c = good_cmd(URINGBLK_UCMD_IDENTIFY);
	SECTION("a newer minor of major 1 is accepted")
	{
		for (unsigned m : {1u, 2u, 0xffffu}) {
			c.hdr.abi_minor = static_cast<__u16>(m);
			CHECK(ubk_ucmd_check_cmd(&c, URINGBLK_IOC_IDENTIFY) == 0);
		}
	}
	SECTION("payload_len up to 4096 is accepted")
	{
		for (uint32_t pl : {0u, 1u, 4095u, 4096u}) {
			c.hdr.payload_len = pl;
			CHECK(ubk_ucmd_check_cmd(&c, URINGBLK_IOC_IDENTIFY) == 0);
		}
	}
	SECTION("dev_id, addr are not checked here")
	{
		c.dev_id = 0xfffffffeu;
		c.addr = 0;
		CHECK(ubk_ucmd_check_cmd(&c, URINGBLK_IOC_IDENTIFY) == 0);
	}
}

TEST_CASE("ucmd_check: each malformed field", "[ucmd_check]")
{
	const uint32_t op = URINGBLK_IOC_IDENTIFY;
	uringblk_cmd c = good_cmd(URINGBLK_UCMD_IDENTIFY);

	SECTION("unknown ABI major") {
		for (unsigned v : {0u, 2u, 0xffffu}) {
			c.hdr.abi_major = static_cast<__u16>(v);
			CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
		}
	}
	SECTION("non-zero flags") {
		for (unsigned v : {1u, 0x80u, 0x8000u}) {
			c.hdr.flags = static_cast<__u16>(v);
			CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
		}
	}
	SECTION("non-zero reserved0") {
		c.reserved0 = 1;
		CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
	}
	SECTION("non-zero reserved[0]") {
		c.reserved[0] = 1ULL << 40;
		CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
	}
	SECTION("non-zero reserved[1]") {
		c.reserved[1] = 1ULL << 63;
		CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
	}
	SECTION("opcode differs from _IOC_NR(cmd_op)") {
		for (unsigned v : {0u, 2u, 4u, 0x101u}) {
			c.hdr.opcode = static_cast<__u16>(v);
			CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
		}
	}
	SECTION("payload_len over 4096") {
		for (uint32_t v : {4097u, 8192u, 0xffffffffu}) {
			c.hdr.payload_len = v;
			CHECK(ubk_ucmd_check_cmd(&c, op) == -EOVERFLOW);
		}
	}
	SECTION("response buffer too small") {
		for (uint32_t o : kOps) {
			uint32_t nr = _IOC_NR(o);
			uringblk_cmd s = good_cmd(nr);
			s.len = ubk_ucmd_resp_size(nr) - 1;
			CHECK(ubk_ucmd_check_cmd(&s, o) == -EOVERFLOW);
			s.len = 0;
			CHECK(ubk_ucmd_check_cmd(&s, o) == -EOVERFLOW);
		}
	}
}

TEST_CASE("ucmd_check: the first failing check wins", "[ucmd_check]")
{
	const uint32_t op = URINGBLK_IOC_GET_STATS;
	uringblk_cmd c = good_cmd(URINGBLK_UCMD_GET_STATS);
	c.hdr.abi_major = 3;
	c.hdr.flags = 1;
	c.reserved0 = 1;
	c.hdr.opcode = 9;
	c.hdr.payload_len = 5000;
	c.len = 1;
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);	// major
	c.hdr.abi_major = 1;
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);	// flags
	c.hdr.flags = 0;
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);	// reserved
	c.reserved0 = 0;
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);	// opcode
	c.hdr.opcode = URINGBLK_UCMD_GET_STATS;
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EOVERFLOW);	// payload_len
	c.hdr.payload_len = 0;
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EOVERFLOW);	// len
	c.len = 104;
	CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
	// Before the header: an unknown cmd_op.
	CHECK(ubk_ucmd_check_op(op_for(7), UBK_UCMD_URING_CMD) == -EOPNOTSUPP);
}

TEST_CASE("ucmd_check: block device dev_id", "[ucmd_check]")
{
	CHECK(ubk_ucmd_check_blk_dev_id(URINGBLK_DEV_ID_SELF, 3) == 0);
	CHECK(ubk_ucmd_check_blk_dev_id(3, 3) == 0);
	CHECK(ubk_ucmd_check_blk_dev_id(0, 0) == 0);
	CHECK(ubk_ucmd_check_blk_dev_id(0, 3) == -EINVAL);
	CHECK(ubk_ucmd_check_blk_dev_id(4, 3) == -EINVAL);
	CHECK(ubk_ucmd_check_blk_dev_id(0xfffffffeu, 3) == -EINVAL);
}

TEST_CASE("ucmd_check: bounded random fuzz against the documented order", "[ucmd_check][fuzz]")
{
	std::mt19937_64 rng(0x75626b);	// fixed seed: reproducible
	const std::set<int> allowed = {0, -EINVAL, -EOVERFLOW, -EOPNOTSUPP};
	unsigned long accepted = 0;

	for (int i = 0; i < 200000; i++) {
		uint32_t op;
		switch (rng() % 4) {
		case 0:
		case 1:
			op = kOps[rng() % 5];
			break;
		case 2:
			op = op_for(static_cast<uint32_t>(rng() % 16));
			break;
		default:
			op = static_cast<uint32_t>(rng());
			break;
		}
		uringblk_cmd c = good_cmd(_IOC_NR(op));
		if (rng() % 8 == 0)
			c.hdr.abi_major = static_cast<__u16>(rng());
		if (rng() % 4 == 0)
			c.hdr.abi_minor = static_cast<__u16>(rng());
		if (rng() % 8 == 0)
			c.hdr.opcode = static_cast<__u16>(rng() % 3 ? rng() % 8 : rng());
		if (rng() % 8 == 0)
			c.hdr.flags = static_cast<__u16>(rng());
		if (rng() % 3 == 0)
			c.hdr.payload_len = static_cast<__u32>(rng() % 2 ? rng() % 8192 : rng());
		if (rng() % 16 == 0)
			c.reserved0 = static_cast<__u32>(rng());
		if (rng() % 16 == 0)
			c.reserved[rng() % 2] = rng();
		c.dev_id = static_cast<__u32>(rng());
		c.addr = rng();
		c.len = static_cast<__u32>(rng() % 2 ? rng() % 256 : rng());

		int got = ubk_ucmd_check_op(op, UBK_UCMD_URING_CMD);
		if (got == 0)
			got = ubk_ucmd_check_cmd(&c, op);
		INFO("iteration " << i << " cmd_op 0x" << std::hex << op);
		REQUIRE(allowed.count(got) == 1);
		REQUIRE(got == reference_check(c, op));
		REQUIRE((ubk_ucmd_check_op(op, UBK_UCMD_IOCTL) == -ENOTTY) ==
			!ubk_ucmd_op_known(op));
		if (got == 0) {
			accepted++;
			REQUIRE(ubk_ucmd_resp_size(c.hdr.opcode) > 0);
			REQUIRE(c.len >= ubk_ucmd_resp_size(c.hdr.opcode));
		}
	}
	CHECK(accepted > 1000);		// the generator also reaches success
}
