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
	// 1.1: a command with a payload needs payload_len to be exactly its size.
	if (opcode == URINGBLK_UCMD_ADD_DEVICE)
		c.hdr.payload_len = 80;
	else if (opcode == URINGBLK_UCMD_SET_PARAMS)
		c.hdr.payload_len = 32;
	else if (opcode == URINGBLK_UCMD_POWER_CUT)
		c.hdr.payload_len = 16;
	else if (opcode == URINGBLK_UCMD_POWER_MARK)
		c.hdr.payload_len = 8;
	else if (opcode == URINGBLK_UCMD_POWER_ARM)
		c.hdr.payload_len = 48;
	return c;
}

constexpr uint32_t kOps[] = {
	URINGBLK_IOC_IDENTIFY, URINGBLK_IOC_GET_LIMITS, URINGBLK_IOC_GET_FEATURES,
	URINGBLK_IOC_GET_GEOMETRY, URINGBLK_IOC_GET_STATS,
	URINGBLK_IOC_ADD_DEVICE, URINGBLK_IOC_DEL_DEVICE, URINGBLK_IOC_LIST_DEVICES,
	URINGBLK_IOC_GET_PARAMS, URINGBLK_IOC_SET_PARAMS, URINGBLK_IOC_POWER_CUT,
	URINGBLK_IOC_POWER_ON, URINGBLK_IOC_POWER_LOG, URINGBLK_IOC_POWER_MARK,
	URINGBLK_IOC_POWER_ARM,
};
constexpr size_t kNrOps = sizeof(kOps) / sizeof(kOps[0]);

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
	// Only DEL_DEVICE (0x08) takes a flag: bit 0, URINGBLK_DEL_FORCE.
	if (c.hdr.flags & ~((op & 0xff) == 0x08 ? 1u : 0u))
		return -EINVAL;
	if (c.reserved0 || c.reserved[0] || c.reserved[1])
		return -EINVAL;
	if (c.hdr.opcode != ((op >> 0) & 0xff))
		return -EINVAL;
	if (c.hdr.payload_len > 4096)
		return -EOVERFLOW;
	// Exact payload_len: ADD_DEVICE 80 (dev_params), SET_PARAMS 32 (set_params),
	// POWER_MARK 8 (power_mark, 1.2), POWER_ARM 48 (power_arm, 1.2); POWER_CUT 16
	// (power_cut) and, since 1.2, up to 64 change numbers of 8 bytes after it.
	const uint32_t pl = c.hdr.payload_len;
	if ((c.hdr.opcode == 0x07 && pl != 80) || (c.hdr.opcode == 0x0b && pl != 32) ||
	    (c.hdr.opcode == 0x0f && pl != 8) || (c.hdr.opcode == 0x10 && pl != 48) ||
	    (c.hdr.opcode == 0x0c && (pl < 16 || pl % 8 != 0 || pl > 16 + 8 * 64)))
		return -EINVAL;
	// IDENTIFY 120, GET_LIMITS 48, GET_FEATURES 8, GET_GEOMETRY 20, GET_STATS 104,
	// ADD_DEVICE 80, DEL_DEVICE -, LIST_DEVICES 16, GET_PARAMS 80, SET_PARAMS -,
	// POWER_CUT 32 (power_cut_result); 1.2: POWER_ON -, POWER_LOG 16 (its header),
	// POWER_MARK -, POWER_ARM -.
	static const uint32_t sizes[] = {0, 120, 48, 8, 0, 20, 104, 80, 0,
					 16, 80, 0, 32, 0, 16, 0, 0};
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
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_ADD_DEVICE) == 80);
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_GET_PARAMS) == 80);
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_LIST_DEVICES) == 16);
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_POWER_CUT) == 32);
	// 1.2: POWER_LOG's least answer is its 16-byte header (struct uringblk_power_log).
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_POWER_LOG) == 16);
	// No response: DEL_DEVICE, SET_PARAMS; 1.2 POWER_ON, POWER_MARK, POWER_ARM (len may be 0).
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_POWER_ON) == 0);
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_POWER_MARK) == 0);
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_POWER_ARM) == 0);
	for (uint32_t nr : {0u, 4u, 8u, 0x0bu, 0x0du, 0x0fu, 0x10u, 0x11u, 0xffu, 0x101u,
			    0xffffffffu})
		CHECK(ubk_ucmd_resp_size(nr) == 0);
	for (uint32_t nr = 0; nr < 256; nr++)
		CHECK(ubk_ucmd_resp_size(nr) <= UBK_UCMD_MAX_RESP);
}

TEST_CASE("ucmd_check: 1.1 payloads, flags and control-node-only commands", "[ucmd_check]")
{
	CHECK(ubk_ucmd_payload_size(URINGBLK_UCMD_ADD_DEVICE) == 80);
	CHECK(ubk_ucmd_payload_size(URINGBLK_UCMD_SET_PARAMS) == 32);
	CHECK(ubk_ucmd_payload_size(URINGBLK_UCMD_POWER_CUT) == 16);
	CHECK(ubk_ucmd_payload_size(URINGBLK_UCMD_POWER_ON) == 0);	// 1.2: no payload
	CHECK(ubk_ucmd_payload_size(URINGBLK_UCMD_POWER_LOG) == 0);	// 1.2: no payload
	CHECK(ubk_ucmd_payload_size(URINGBLK_UCMD_POWER_MARK) == 8);	// 1.2
	CHECK(ubk_ucmd_payload_size(URINGBLK_UCMD_POWER_ARM) == 48);	// 1.2
	for (uint32_t nr : {1u, 2u, 3u, 5u, 6u, 8u, 9u, 0x0au, 0x0du, 0x0eu, 0x11u})
		CHECK(ubk_ucmd_payload_size(nr) == 0);
	CHECK(ubk_ucmd_flags_allowed(URINGBLK_UCMD_DEL_DEVICE) == URINGBLK_DEL_FORCE);
	for (uint32_t nr = 0; nr < 0x20; nr++)
		if (nr != URINGBLK_UCMD_DEL_DEVICE)
			CHECK(ubk_ucmd_flags_allowed(nr) == 0);
	CHECK(ubk_ucmd_ctl_only(URINGBLK_UCMD_ADD_DEVICE));
	CHECK(ubk_ucmd_ctl_only(URINGBLK_UCMD_LIST_DEVICES));
	// A device cannot delete itself through its own open file (that makes it busy).
	CHECK(ubk_ucmd_ctl_only(URINGBLK_UCMD_DEL_DEVICE));
	for (uint32_t nr : {1u, 2u, 3u, 5u, 6u, 0x0au, 0x0bu, 0x0cu, 0x0du, 0x0eu, 0x0fu, 0x10u})
		CHECK_FALSE(ubk_ucmd_ctl_only(nr));

	SECTION("payload_len must be exact for ADD_DEVICE, SET_PARAMS, POWER_MARK, POWER_ARM") {
		for (uint32_t op : {URINGBLK_IOC_ADD_DEVICE, URINGBLK_IOC_SET_PARAMS,
				    URINGBLK_IOC_POWER_MARK, URINGBLK_IOC_POWER_ARM}) {
			uringblk_cmd c = good_cmd(_IOC_NR(op));
			const uint32_t want = c.hdr.payload_len;
			CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
			for (uint32_t pl : {0u, want - 1, want + 1, 4096u}) {
				c.hdr.payload_len = pl;
				INFO("opcode " << _IOC_NR(op) << " payload_len " << pl);
				CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
			}
			c.hdr.payload_len = 4097;	// step 9 before 9a
			CHECK(ubk_ucmd_check_cmd(&c, op) == -EOVERFLOW);
		}
	}
	SECTION("payload_len is ignored by commands without a payload") {
		for (uint32_t op : {URINGBLK_IOC_DEL_DEVICE, URINGBLK_IOC_LIST_DEVICES,
				    URINGBLK_IOC_GET_PARAMS, URINGBLK_IOC_POWER_ON,
				    URINGBLK_IOC_POWER_LOG}) {
			uringblk_cmd c = good_cmd(_IOC_NR(op));
			for (uint32_t pl : {0u, 1u, 80u, 4096u}) {
				c.hdr.payload_len = pl;
				CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
			}
		}
	}
	SECTION("DEL_DEVICE takes URINGBLK_DEL_FORCE, nothing else does") {
		uringblk_cmd c = good_cmd(URINGBLK_UCMD_DEL_DEVICE);
		c.hdr.flags = URINGBLK_DEL_FORCE;
		CHECK(ubk_ucmd_check_cmd(&c, URINGBLK_IOC_DEL_DEVICE) == 0);
		for (unsigned v : {2u, 3u, 0x80u, 0x8000u}) {
			c.hdr.flags = static_cast<__u16>(v);
			CHECK(ubk_ucmd_check_cmd(&c, URINGBLK_IOC_DEL_DEVICE) == -EINVAL);
		}
		for (uint32_t op : kOps) {
			if (op == URINGBLK_IOC_DEL_DEVICE)
				continue;
			uringblk_cmd d = good_cmd(_IOC_NR(op));
			d.hdr.flags = URINGBLK_DEL_FORCE;
			INFO("cmd_op " << std::hex << op);
			CHECK(ubk_ucmd_check_cmd(&d, op) == -EINVAL);
		}
	}
	SECTION("DEL_DEVICE, SET_PARAMS, POWER_ON, POWER_MARK and POWER_ARM accept len 0") {
		for (uint32_t op : {URINGBLK_IOC_DEL_DEVICE, URINGBLK_IOC_SET_PARAMS,
				    URINGBLK_IOC_POWER_ON, URINGBLK_IOC_POWER_MARK,
				    URINGBLK_IOC_POWER_ARM}) {
			uringblk_cmd c = good_cmd(_IOC_NR(op));
			c.len = 0;
			CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
		}
	}
}

TEST_CASE("ucmd_check: step 1, the command number", "[ucmd_check]")
{
	for (uint32_t op : kOps) {
		CHECK(ubk_ucmd_op_known(op));
		CHECK(ubk_ucmd_check_op(op, UBK_UCMD_URING_CMD) == 0);
		CHECK(ubk_ucmd_check_op(op, UBK_UCMD_IOCTL) == 0);
	}
	const uint32_t unknown[] = {
		op_for(0x00), op_for(0x04), op_for(0x11), op_for(0xff),
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

TEST_CASE("ucmd_check: 1.2 POWER_ON", "[ucmd_check]")
{
	const uint32_t op = URINGBLK_IOC_POWER_ON;
	STATIC_REQUIRE(URINGBLK_IOC_POWER_ON == 0xc030b50du);
	CHECK(_IOC_NR(op) == URINGBLK_UCMD_POWER_ON);
	// A known command on both transports.
	CHECK(ubk_ucmd_op_known(op));
	CHECK(ubk_ucmd_check_op(op, UBK_UCMD_URING_CMD) == 0);
	CHECK(ubk_ucmd_check_op(op, UBK_UCMD_IOCTL) == 0);
	// No payload, no answer, no flag: len 0 and any payload_len up to 4096 are fine.
	CHECK(ubk_ucmd_resp_size(URINGBLK_UCMD_POWER_ON) == 0);
	CHECK(ubk_ucmd_payload_size(URINGBLK_UCMD_POWER_ON) == 0);
	CHECK(ubk_ucmd_flags_allowed(URINGBLK_UCMD_POWER_ON) == 0);
	uringblk_cmd c = good_cmd(URINGBLK_UCMD_POWER_ON);
	c.len = 0;
	c.addr = 0;
	CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
	c.hdr.payload_len = 4096;
	CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
	c.hdr.payload_len = 4097;
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EOVERFLOW);
	c.hdr.payload_len = 0;
	c.hdr.flags = URINGBLK_DEL_FORCE;
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
	c.hdr.flags = 0;
	c.hdr.opcode = URINGBLK_UCMD_POWER_CUT;	// opcode and cmd_op disagree
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
	c.hdr.opcode = URINGBLK_UCMD_POWER_ON;
	// A 1.1 client (minor 1) passes the pure checks too: minor only selects behaviour.
	c.hdr.abi_minor = 1;
	CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
	// Accepted on the block device's ioctl (not control-node-only), for itself only.
	CHECK_FALSE(ubk_ucmd_ctl_only(URINGBLK_UCMD_POWER_ON));
	c.dev_id = URINGBLK_DEV_ID_SELF;
	CHECK(ubk_ucmd_check_blk_dev_id(&c, 3) == 0);
	c.dev_id = 3;
	CHECK(ubk_ucmd_check_blk_dev_id(&c, 3) == 0);
	c.dev_id = 2;
	CHECK(ubk_ucmd_check_blk_dev_id(&c, 3) == -EINVAL);
}

TEST_CASE("ucmd_check: 1.2 POWER_CUT payloads: the struct and up to 64 change numbers",
	  "[ucmd_check]")
{
	const uint32_t op = URINGBLK_IOC_POWER_CUT;
	const uint32_t nr = URINGBLK_UCMD_POWER_CUT;
	// 16 (every mode), 24 (DROP of one change), 16 + 8 * 64 (the longest list).
	for (uint32_t len : {16u, 24u, 32u, 16u + 8 * 63, 16u + 8 * 64})
		CHECK(ubk_ucmd_payload_ok(nr, len));
	// Shorter than the struct, not a whole number of __u64, or more than 64 of them.
	for (uint32_t len : {0u, 8u, 15u, 17u, 20u, 23u, 25u, 16u + 8 * 65, 16u + 8 * 64 + 4,
			     4096u})
		CHECK_FALSE(ubk_ucmd_payload_ok(nr, len));
	STATIC_REQUIRE(URINGBLK_PL_MAX_DROP == 64);

	uringblk_cmd c = good_cmd(nr);
	for (uint32_t len : {16u, 24u, 16u + 8 * 64}) {
		c.hdr.payload_len = len;
		INFO("payload_len " << len);
		CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
	}
	for (uint32_t len : {0u, 20u, 16u + 8 * 65}) {
		c.hdr.payload_len = len;
		INFO("payload_len " << len);
		CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
	}
	c.hdr.payload_len = 4097;	// step 9 before 9a
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EOVERFLOW);
	// The answer is the 32-byte result whatever the payload's length.
	c.hdr.payload_len = 16 + 8 * 64;
	c.len = 31;
	CHECK(ubk_ucmd_check_cmd(&c, op) == -EOVERFLOW);
	c.len = 32;
	CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
	// Only POWER_CUT has a variable payload.
	for (uint32_t other : {URINGBLK_UCMD_ADD_DEVICE, URINGBLK_UCMD_SET_PARAMS,
			       URINGBLK_UCMD_POWER_MARK, URINGBLK_UCMD_POWER_ARM}) {
		const uint32_t min = ubk_ucmd_payload_size(other);
		CHECK(ubk_ucmd_payload_ok(other, min));
		CHECK_FALSE(ubk_ucmd_payload_ok(other, min + 8));
	}
}

TEST_CASE("ucmd_check: 1.2 POWER_LOG, POWER_MARK and POWER_ARM", "[ucmd_check]")
{
	STATIC_REQUIRE(URINGBLK_IOC_POWER_LOG == 0xc030b50eu);
	STATIC_REQUIRE(URINGBLK_IOC_POWER_MARK == 0xc030b50fu);
	STATIC_REQUIRE(URINGBLK_IOC_POWER_ARM == 0xc030b510u);
	for (uint32_t op : {URINGBLK_IOC_POWER_LOG, URINGBLK_IOC_POWER_MARK,
			    URINGBLK_IOC_POWER_ARM}) {
		INFO("cmd_op " << std::hex << op);
		CHECK(ubk_ucmd_op_known(op));
		CHECK(ubk_ucmd_check_op(op, UBK_UCMD_URING_CMD) == 0);
		CHECK(ubk_ucmd_check_op(op, UBK_UCMD_IOCTL) == 0);
		CHECK(ubk_ucmd_flags_allowed(_IOC_NR(op)) == 0);
		CHECK_FALSE(ubk_ucmd_ctl_only(_IOC_NR(op)));
	}
	SECTION("POWER_LOG: no payload; len must hold the 16-byte header") {
		const uint32_t op = URINGBLK_IOC_POWER_LOG;
		uringblk_cmd c = good_cmd(URINGBLK_UCMD_POWER_LOG);
		for (uint32_t len : {16u, 48u, 16u + 32 * 4096, 0xffffffffu}) {
			c.len = len;
			CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
		}
		for (uint32_t len : {0u, 8u, 15u}) {
			c.len = len;
			CHECK(ubk_ucmd_check_cmd(&c, op) == -EOVERFLOW);
		}
		c.len = 16;
		c.hdr.payload_len = 4096;	// ignored, as by every command without a payload
		CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
	}
	SECTION("POWER_MARK: exactly the 8-byte tag; no answer") {
		const uint32_t op = URINGBLK_IOC_POWER_MARK;
		uringblk_cmd c = good_cmd(URINGBLK_UCMD_POWER_MARK);
		c.len = 0;
		CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
		for (uint32_t pl : {0u, 4u, 7u, 9u, 16u, 48u}) {
			c.hdr.payload_len = pl;
			CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
		}
	}
	SECTION("POWER_ARM: exactly the 48-byte struct; no answer") {
		const uint32_t op = URINGBLK_IOC_POWER_ARM;
		uringblk_cmd c = good_cmd(URINGBLK_UCMD_POWER_ARM);
		c.len = 0;
		CHECK(ubk_ucmd_check_cmd(&c, op) == 0);
		for (uint32_t pl : {0u, 8u, 16u, 40u, 47u, 49u, 56u}) {
			c.hdr.payload_len = pl;
			CHECK(ubk_ucmd_check_cmd(&c, op) == -EINVAL);
		}
	}
	SECTION("opcode and cmd_op must agree") {
		uringblk_cmd c = good_cmd(URINGBLK_UCMD_POWER_MARK);
		CHECK(ubk_ucmd_check_cmd(&c, URINGBLK_IOC_POWER_ARM) == -EINVAL);
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
			if (!ubk_ucmd_resp_size(nr))
				continue;	// DEL_DEVICE, SET_PARAMS: no response
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
	CHECK(ubk_ucmd_check_op(op_for(0x11), UBK_UCMD_URING_CMD) == -EOPNOTSUPP);
}

TEST_CASE("ucmd_check: block device dev_id", "[ucmd_check]")
{
	uringblk_cmd c = good_cmd(URINGBLK_UCMD_IDENTIFY);
	auto check = [&](uint32_t dev_id, uint32_t own) {
		c.dev_id = dev_id;
		return ubk_ucmd_check_blk_dev_id(&c, own);
	};
	CHECK(check(URINGBLK_DEV_ID_SELF, 3) == 0);
	CHECK(check(3, 3) == 0);
	CHECK(check(0, 0) == 0);
	CHECK(check(0, 3) == -EINVAL);
	CHECK(check(4, 3) == -EINVAL);
	CHECK(check(0xfffffffeu, 3) == -EINVAL);
	SECTION("1.1 and 1.2 per-device commands behave the same") {
		for (uint32_t nr : {URINGBLK_UCMD_GET_PARAMS, URINGBLK_UCMD_SET_PARAMS,
				    URINGBLK_UCMD_POWER_CUT, URINGBLK_UCMD_POWER_ON,
				    URINGBLK_UCMD_POWER_LOG, URINGBLK_UCMD_POWER_MARK,
				    URINGBLK_UCMD_POWER_ARM}) {
			c = good_cmd(nr);
			CHECK(check(URINGBLK_DEV_ID_SELF, 3) == 0);
			CHECK(check(3, 3) == 0);
			CHECK(check(2, 3) == -EINVAL);
		}
	}
	SECTION("ADD_DEVICE, DEL_DEVICE and LIST_DEVICES are the control node's: -ENOTTY") {
		for (uint32_t nr : {URINGBLK_UCMD_ADD_DEVICE, URINGBLK_UCMD_DEL_DEVICE,
				    URINGBLK_UCMD_LIST_DEVICES}) {
			c = good_cmd(nr);
			for (uint32_t id : {URINGBLK_DEV_ID_ANY, 3u, 0u})
				CHECK(check(id, 3) == -ENOTTY);
		}
	}
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
			op = kOps[rng() % kNrOps];
			break;
		case 2:
			op = op_for(static_cast<uint32_t>(rng() % 18));
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
			c.hdr.flags = static_cast<__u16>(rng() % 2 ? rng() % 4 : rng());
		if (rng() % 3 == 0)
			c.hdr.payload_len = static_cast<__u32>(rng() % 2 ? rng() % 8192 : rng());
		else if (rng() % 4 == 0)	// POWER_CUT's drop lists, the limit and past it
			c.hdr.payload_len = static_cast<__u32>(16 + 8 * (rng() % 70));
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
			REQUIRE(c.len >= ubk_ucmd_resp_size(c.hdr.opcode));
			REQUIRE((!ubk_ucmd_payload_size(c.hdr.opcode) ||
				 ubk_ucmd_payload_ok(c.hdr.opcode, c.hdr.payload_len)));
		}
	}
	CHECK(accepted > 1000);		// the generator also reaches success
}
