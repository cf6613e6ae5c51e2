/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * uringblk user ABI, version 1.0.
 *
 * Shared by the kernel module and by userspace (C and C++). The admin
 * commands travel either as IORING_OP_URING_CMD on the control node
 * /dev/uringblk-ctl (ring set up with IORING_SETUP_SQE128) or as an ioctl
 * on the block device /dev/uringblkN. Both carry the same 48-byte
 * struct uringblk_cmd; cmd_op and the ioctl number are the same value.
 *
 * See docs/admin-abi.md for the full contract.
 */
#ifndef _UAPI_LINUX_URINGBLK_H
#define _UAPI_LINUX_URINGBLK_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <linux/ioctl.h>
#endif

#define URINGBLK_ABI_MAJOR	1
#define URINGBLK_ABI_MINOR	0

/* Name of the control node (misc device), i.e. /dev/uringblk-ctl. */
#define URINGBLK_CTL_NAME	"uringblk-ctl"

/* Admin opcodes (struct uringblk_ucmd_hdr.opcode). 0x04 is reserved. */
#define URINGBLK_UCMD_IDENTIFY		0x01
#define URINGBLK_UCMD_GET_LIMITS	0x02
#define URINGBLK_UCMD_GET_FEATURES	0x03
#define URINGBLK_UCMD_GET_GEOMETRY	0x05
#define URINGBLK_UCMD_GET_STATS		0x06

/* Feature bits (GET_FEATURES, IDENTIFY.features_bitmap, sysfs "features"). */
#define URINGBLK_FEAT_WRITE_CACHE	(1ULL << 0)
#define URINGBLK_FEAT_FUA		(1ULL << 1)
#define URINGBLK_FEAT_FLUSH		(1ULL << 2)
#define URINGBLK_FEAT_DISCARD		(1ULL << 3)
#define URINGBLK_FEAT_WRITE_ZEROES	(1ULL << 4)
#define URINGBLK_FEAT_ZONED		(1ULL << 5)
#define URINGBLK_FEAT_POLLING		(1ULL << 6)

/* Command header (spec 6.1.1). */
struct uringblk_ucmd_hdr {
	__u16 abi_major;	/* must equal URINGBLK_ABI_MAJOR */
	__u16 abi_minor;	/* any minor of the same major is accepted */
	__u16 opcode;		/* URINGBLK_UCMD_* */
	__u16 flags;		/* reserved, must be 0 */
	__u32 payload_len;	/* bytes of command payload at addr (<= 4096) */
} __attribute__((packed));

/*
 * The command area: the first 48 bytes of the 80-byte SQE128 cmd field,
 * and the argument of the ioctls.
 *
 * @dev_id:   the device index N of /dev/uringblkN. On the control node it
 *            selects the device; on the block device ioctl it must be N
 *            or URINGBLK_DEV_ID_SELF.
 * @addr:     user address of the response buffer (and of the command
 *            payload, if the command has one).
 * @len:      size of the response buffer in bytes.
 * @reserved: must be zero.
 *
 * On success the response is written at addr and its length is returned
 * (cqe->res for URING_CMD, the ioctl return value). On failure -errno is
 * returned and nothing is written.
 */
struct uringblk_cmd {
	struct uringblk_ucmd_hdr hdr;	/*  0 */
	__u32 dev_id;			/* 12 */
	__u64 addr;			/* 16 */
	__u32 len;			/* 24 */
	__u32 reserved0;		/* 28 */
	__u64 reserved[2];		/* 32 */
} __attribute__((packed));		/* 48 */

#define URINGBLK_DEV_ID_SELF	0xffffffffU

/* cmd_op values for IORING_OP_URING_CMD, and ioctl numbers. */
#define URINGBLK_IOC_MAGIC	0xB5
#define URINGBLK_IOC_IDENTIFY \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_IDENTIFY, struct uringblk_cmd)
#define URINGBLK_IOC_GET_LIMITS \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_GET_LIMITS, struct uringblk_cmd)
#define URINGBLK_IOC_GET_FEATURES \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_GET_FEATURES, struct uringblk_cmd)
#define URINGBLK_IOC_GET_GEOMETRY \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_GET_GEOMETRY, struct uringblk_cmd)
#define URINGBLK_IOC_GET_STATS \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_GET_STATS, struct uringblk_cmd)

/* IDENTIFY response (spec 6.2.1). */
struct uringblk_identify {
	__u8  model[40];
	__u8  firmware[16];
	__u32 logical_block_size;
	__u32 physical_block_size;
	__u64 capacity_sectors;		/* in 512-byte sectors */
	__u64 features_bitmap;
	__u32 queue_count;
	__u32 queue_depth;
	__u32 max_segments;
	__u32 max_segment_size;
	__u32 dma_alignment;
	__u32 io_min;
	__u32 io_opt;
	__u32 discard_granularity;
	__u64 discard_max_bytes;
} __attribute__((packed));

/* GET_LIMITS response (spec 6.2.2). */
struct uringblk_limits {
	__u32 max_hw_sectors_kb;
	__u32 max_sectors_kb;
	__u32 nr_hw_queues;
	__u32 queue_depth;
	__u32 max_segments;
	__u32 max_segment_size;
	__u32 dma_alignment;
	__u32 io_min;
	__u32 io_opt;
	__u32 discard_granularity;
	__u64 discard_max_bytes;
} __attribute__((packed));

/* GET_GEOMETRY response (spec 6.2.4). */
struct uringblk_geometry {
	__u64 capacity_sectors;		/* in 512-byte sectors */
	__u32 logical_block_size;
	__u32 physical_block_size;
	__u16 cylinders;
	__u8  heads;
	__u8  sectors_per_track;
} __attribute__((packed));

/* GET_STATS response (spec 6.2.5). */
struct uringblk_stats {
	__u64 read_ops;
	__u64 write_ops;
	__u64 flush_ops;
	__u64 discard_ops;
	__u64 read_sectors;		/* in 512-byte sectors */
	__u64 write_sectors;		/* in 512-byte sectors */
	__u64 read_bytes;
	__u64 write_bytes;
	__u64 queue_full_events;
	__u64 media_errors;
	__u64 retries;
	__u32 p50_read_latency_us;
	__u32 p99_read_latency_us;
	__u32 p50_write_latency_us;
	__u32 p99_write_latency_us;
} __attribute__((packed));

/* GET_FEATURES response: a single __u64 feature bitmap. */

#endif /* _UAPI_LINUX_URINGBLK_H */
