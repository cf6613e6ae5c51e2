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

/* The largest fixed response of any command (GET_STATS / IDENTIFY). */
#define UBK_UCMD_MAX_RESP	128U

/* How the command arrived: selects the answer to an unknown cmd_op. */
enum ubk_ucmd_transport {
	UBK_UCMD_URING_CMD = 0,	/* IORING_OP_URING_CMD on the control node */
	UBK_UCMD_IOCTL = 1,	/* ioctl on the control node or the block device */
};

/*
 * Size in bytes of the (smallest) response of @opcode, i.e. the least
 * uringblk_cmd.len accepted; 0 for a command without a response or that
 * the driver does not implement. LIST_DEVICES answers its header and as
 * many ids as fit in len.
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
	case URINGBLK_UCMD_ADD_DEVICE:
	case URINGBLK_UCMD_GET_PARAMS:
		return sizeof(struct uringblk_dev_params);
	case URINGBLK_UCMD_LIST_DEVICES:
		return sizeof(struct uringblk_dev_list);
	case URINGBLK_UCMD_POWER_CUT:
		return sizeof(struct uringblk_power_cut_result);
	case URINGBLK_UCMD_POWER_LOG:
		return sizeof(struct uringblk_power_log);
	default:
		return 0;
	}
}

/*
 * Size of the payload @opcode reads at addr; payload_len must be exactly
 * this for a command that has one, except that POWER_CUT may carry up to
 * URINGBLK_PL_MAX_DROP change numbers after it (ubk_ucmd_payload_ok()).
 * Commands without a payload ignore payload_len (as in ABI 1.0).
 */
static inline u32 ubk_ucmd_payload_size(u32 opcode)
{
	switch (opcode) {
	case URINGBLK_UCMD_ADD_DEVICE:
		return sizeof(struct uringblk_dev_params);
	case URINGBLK_UCMD_SET_PARAMS:
		return sizeof(struct uringblk_set_params);
	case URINGBLK_UCMD_POWER_CUT:
		return sizeof(struct uringblk_power_cut);
	case URINGBLK_UCMD_POWER_MARK:
		return sizeof(struct uringblk_power_mark);
	case URINGBLK_UCMD_POWER_ARM:
		return sizeof(struct uringblk_power_arm);
	default:
		return 0;
	}
}

/* Is @len an acceptable payload_len of @opcode (which has a payload)? */
static inline bool ubk_ucmd_payload_ok(u32 opcode, u32 len)
{
	u32 min = ubk_ucmd_payload_size(opcode);

	if (opcode == URINGBLK_UCMD_POWER_CUT)
		return len >= min && (len - min) % sizeof(__u64) == 0 &&
		       (len - min) / sizeof(__u64) <= URINGBLK_PL_MAX_DROP;
	return len == min;
}

/* The hdr.flags bits @opcode accepts. */
static inline u32 ubk_ucmd_flags_allowed(u32 opcode)
{
	return opcode == URINGBLK_UCMD_DEL_DEVICE ? URINGBLK_DEL_FORCE : 0;
}

/*
 * Device management: only on the control node. dev_id is the index
 * wanted or URINGBLK_DEV_ID_ANY for the lowest free one (ADD_DEVICE),
 * URINGBLK_DEV_ID_ANY (LIST_DEVICES), the device (DEL_DEVICE: a device
 * cannot delete itself through its own open file, which makes it busy).
 */
static inline bool ubk_ucmd_ctl_only(u32 opcode)
{
	return opcode == URINGBLK_UCMD_ADD_DEVICE ||
	       opcode == URINGBLK_UCMD_DEL_DEVICE ||
	       opcode == URINGBLK_UCMD_LIST_DEVICES;
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
	case URINGBLK_IOC_ADD_DEVICE:
	case URINGBLK_IOC_DEL_DEVICE:
	case URINGBLK_IOC_LIST_DEVICES:
	case URINGBLK_IOC_GET_PARAMS:
	case URINGBLK_IOC_SET_PARAMS:
	case URINGBLK_IOC_POWER_CUT:
	case URINGBLK_IOC_POWER_ON:
	case URINGBLK_IOC_POWER_LOG:
	case URINGBLK_IOC_POWER_MARK:
	case URINGBLK_IOC_POWER_ARM:
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
	if (c->hdr.flags & ~ubk_ucmd_flags_allowed(_IOC_NR(cmd_op)))	/* 6 */
		return -EINVAL;
	if (c->reserved0 != 0 || c->reserved[0] != 0 ||	/* 7 */
	    c->reserved[1] != 0)
		return -EINVAL;
	if (c->hdr.opcode != _IOC_NR(cmd_op))			/* 8 */
		return -EINVAL;
	if (c->hdr.payload_len > UBK_UCMD_MAX_PAYLOAD)		/* 9 */
		return -EOVERFLOW;
	if (ubk_ucmd_payload_size(c->hdr.opcode) &&		/* 9a */
	    !ubk_ucmd_payload_ok(c->hdr.opcode, c->hdr.payload_len))
		return -EINVAL;
	resp = ubk_ucmd_resp_size(c->hdr.opcode);
	if (c->len < resp)					/* 10 */
		return -EOVERFLOW;
	return 0;
}

/*
 * Step 11 on the block device ioctl: module-wide commands are not the
 * block device's (-ENOTTY), and @dev_id must name the device the ioctl was
 * issued on (@own_id) or be URINGBLK_DEV_ID_SELF.
 */
static inline int ubk_ucmd_check_blk_dev_id(const struct uringblk_cmd *c,
					    u32 own_id)
{
	if (ubk_ucmd_ctl_only(c->hdr.opcode))
		return -ENOTTY;
	if (c->dev_id == URINGBLK_DEV_ID_SELF || c->dev_id == own_id)
		return 0;
	return -EINVAL;
}

#endif /* URINGBLK_UCMD_CHECK_H */
