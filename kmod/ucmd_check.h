/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Validation of uringblk admin commands (struct uringblk_cmd + cmd_op).
 *
 * Pure C with no kernel dependencies beyond types and errno values, so the
 * very same code is compiled into the module and into the userspace unit
 * tests (tests/unit/test_ucmd_check.cpp). The order of the checks is the
 * contract documented in docs/admin-abi.md ("Order of the checks"); the
 * kernel (admin.c) only adds the steps that need it: the SQE128 test, the
 * CAP_SYS_ADMIN test, reading the command area, the device lookup, and the
 * copy_to_user of the response.
 */
#ifndef URINGBLK_UCMD_CHECK_H
#define URINGBLK_UCMD_CHECK_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/ioctl.h>
#else
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <linux/ioctl.h>
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

#include <linux/uringblk.h>

/* Largest accepted hdr.payload_len: fixed by the ABI, not PAGE_SIZE. */
#define UBK_UCMD_MAX_PAYLOAD	4096U

/* The largest response of any command (GET_STATS / IDENTIFY). */
#define UBK_UCMD_MAX_RESP	128U

/* How the command arrived: selects the answer to an unknown cmd_op. */
enum ubk_ucmd_transport {
	UBK_UCMD_URING_CMD = 0,	/* IORING_OP_URING_CMD on the control node */
	UBK_UCMD_IOCTL = 1,	/* ioctl on the control node or the block device */
};

/*
 * Size in bytes of the response of @opcode, or 0 if the driver does not
 * implement @opcode.
 */
static inline u32 ubk_ucmd_resp_size(u32 opcode)
{
	switch (opcode) {
	case URINGBLK_UCMD_IDENTIFY:
		return sizeof(struct uringblk_identify);
	case URINGBLK_UCMD_GET_LIMITS:
		return sizeof(struct uringblk_limits);
	case URINGBLK_UCMD_GET_FEATURES:
		return sizeof(__u64);
	case URINGBLK_UCMD_GET_GEOMETRY:
		return sizeof(struct uringblk_geometry);
	case URINGBLK_UCMD_GET_STATS:
		return sizeof(struct uringblk_stats);
	default:
		return 0;
	}
}

/*
 * Is @cmd_op one of the driver's commands? Only the exact values
 * URINGBLK_IOC_* are: magic 0xB5, direction _IOC_READ|_IOC_WRITE, size 48,
 * and a number the driver implements.
 */
static inline bool ubk_ucmd_op_known(u32 cmd_op)
{
	switch (cmd_op) {
	case URINGBLK_IOC_IDENTIFY:
	case URINGBLK_IOC_GET_LIMITS:
	case URINGBLK_IOC_GET_FEATURES:
	case URINGBLK_IOC_GET_GEOMETRY:
	case URINGBLK_IOC_GET_STATS:
		return true;
	default:
		return false;
	}
}

/*
 * Step 1: the command number. Needs nothing but @cmd_op. An unknown
 * command (wrong magic, size or direction, or a number the driver does not
 * implement) is -EOPNOTSUPP over URING_CMD and -ENOTTY over an ioctl, the
 * usual answer of each transport to "not mine".
 */
static inline int ubk_ucmd_check_op(u32 cmd_op,
				    enum ubk_ucmd_transport transport)
{
	if (ubk_ucmd_op_known(cmd_op))
		return 0;
	return transport == UBK_UCMD_IOCTL ? -ENOTTY : -EOPNOTSUPP;
}

/*
 * Steps 5-10: the command area, once it is in private memory. The caller
 * has already passed ubk_ucmd_check_op(). Returns 0 or -errno.
 */
static inline int ubk_ucmd_check_cmd(const struct uringblk_cmd *c, u32 cmd_op)
{
	u32 resp;

	if (!ubk_ucmd_op_known(cmd_op))		/* defensive; see step 1 */
		return -EOPNOTSUPP;
	if (c->hdr.abi_major != URINGBLK_ABI_MAJOR)		/* 5 */
		return -EINVAL;
	if (c->hdr.flags != 0)					/* 6 */
		return -EINVAL;
	if (c->reserved0 != 0 || c->reserved[0] != 0 ||	/* 7 */
	    c->reserved[1] != 0)
		return -EINVAL;
	if (c->hdr.opcode != _IOC_NR(cmd_op))			/* 8 */
		return -EINVAL;
	if (c->hdr.payload_len > UBK_UCMD_MAX_PAYLOAD)		/* 9 */
		return -EOVERFLOW;
	resp = ubk_ucmd_resp_size(c->hdr.opcode);
	if (c->len < resp)					/* 10 */
		return -EOVERFLOW;
	return 0;
}

/*
 * Step 11 on the block device ioctl: @dev_id must name the device the
 * ioctl was issued on (@own_id) or be URINGBLK_DEV_ID_SELF.
 */
static inline int ubk_ucmd_check_blk_dev_id(u32 dev_id, u32 own_id)
{
	if (dev_id == URINGBLK_DEV_ID_SELF || dev_id == own_id)
		return 0;
	return -EINVAL;
}

#endif /* URINGBLK_UCMD_CHECK_H */
