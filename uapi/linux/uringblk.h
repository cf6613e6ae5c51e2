/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * uringblk user ABI, version 1.2 (1.1 adds device management: ADD_DEVICE,
 * DEL_DEVICE, LIST_DEVICES, GET_PARAMS, SET_PARAMS, and POWER_CUT; 1.2 adds
 * the power state: a cut leaves the device off until POWER_ON).
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
#define URINGBLK_ABI_MINOR	2

/* Name of the control node (misc device), i.e. /dev/uringblk-ctl. */
#define URINGBLK_CTL_NAME	"uringblk-ctl"

/* Admin opcodes (struct uringblk_ucmd_hdr.opcode). 0x04 is reserved. */
#define URINGBLK_UCMD_IDENTIFY		0x01
#define URINGBLK_UCMD_GET_LIMITS	0x02
#define URINGBLK_UCMD_GET_FEATURES	0x03
#define URINGBLK_UCMD_GET_GEOMETRY	0x05
#define URINGBLK_UCMD_GET_STATS		0x06
/* 1.1: device management. ADD, DEL and LIST_DEVICES only on the control node. */
#define URINGBLK_UCMD_ADD_DEVICE	0x07
#define URINGBLK_UCMD_DEL_DEVICE	0x08
#define URINGBLK_UCMD_LIST_DEVICES	0x09
#define URINGBLK_UCMD_GET_PARAMS	0x0a
#define URINGBLK_UCMD_SET_PARAMS	0x0b
/* 1.1: power-loss emulation (docs/power-loss.md). */
#define URINGBLK_UCMD_POWER_CUT		0x0c
/* 1.2: power the device on again after a cut (no payload, no answer). */
#define URINGBLK_UCMD_POWER_ON		0x0d
/* 1.2: list the non-durable changes; set a mark; arm a cut. */
#define URINGBLK_UCMD_POWER_LOG		0x0e
#define URINGBLK_UCMD_POWER_MARK	0x0f
#define URINGBLK_UCMD_POWER_ARM		0x10

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
	__u16 flags;		/* 0, or URINGBLK_DEL_* for DEL_DEVICE */
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
/* dev_id of ADD_DEVICE (lowest free index) and of LIST_DEVICES. */
#define URINGBLK_DEV_ID_ANY	0xffffffffU

/* hdr.flags of DEL_DEVICE. */
#define URINGBLK_DEL_FORCE	(1U << 0)	/* delete even if open: I/O fails */

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
#define URINGBLK_IOC_ADD_DEVICE \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_ADD_DEVICE, struct uringblk_cmd)
#define URINGBLK_IOC_DEL_DEVICE \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_DEL_DEVICE, struct uringblk_cmd)
#define URINGBLK_IOC_LIST_DEVICES \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_LIST_DEVICES, struct uringblk_cmd)
#define URINGBLK_IOC_GET_PARAMS \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_GET_PARAMS, struct uringblk_cmd)
#define URINGBLK_IOC_SET_PARAMS \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_SET_PARAMS, struct uringblk_cmd)
#define URINGBLK_IOC_POWER_CUT \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_POWER_CUT, struct uringblk_cmd)
#define URINGBLK_IOC_POWER_ON \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_POWER_ON, struct uringblk_cmd)
#define URINGBLK_IOC_POWER_LOG \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_POWER_LOG, struct uringblk_cmd)
#define URINGBLK_IOC_POWER_MARK \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_POWER_MARK, struct uringblk_cmd)
#define URINGBLK_IOC_POWER_ARM \
	_IOWR(URINGBLK_IOC_MAGIC, URINGBLK_UCMD_POWER_ARM, struct uringblk_cmd)

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

/*
 * Device parameters (1.1): the ADD_DEVICE payload, and the response of
 * ADD_DEVICE and GET_PARAMS. The ranges are those of the module parameters
 * of the same names (docs/admin-abi.md).
 *
 * In ADD_DEVICE a numeric field of 0 and a switch of URINGBLK_DEV_DEFAULT
 * take the value the module was loaded with; poll_queues 0 means "the
 * default" with poll ON/DEFAULT and is the only accepted value with poll
 * OFF. The response carries every value resolved (switches ON or OFF).
 */
#define URINGBLK_DEV_DEFAULT	0
#define URINGBLK_DEV_ON		1
#define URINGBLK_DEV_OFF	2

/* uringblk_dev_params.state (response only). */
#define URINGBLK_DEV_S_RUNTIME	(1U << 0)	/* created by ADD_DEVICE */

#define URINGBLK_SERIAL_SUFFIX_LEN	8

struct uringblk_dev_params {
	__u32 dev_id;			/* out: the index N of /dev/uringblkN */
	__u32 state;			/* out: URINGBLK_DEV_S_* */
	__u32 capacity_mb;		/* 1-4194304 */
	__u32 logical_block_size;	/* 512, 1024, 2048, 4096 */
	__u32 nr_hw_queues;		/* 1-64 (at most the CPUs are used) */
	__u32 poll_queues;		/* 1-16 with poll on, 0 with poll off */
	__u32 queue_depth;		/* 32-4096 */
	__u32 max_io_size_kb;		/* 4-32768, multiple of the lbs in KiB */
	__u32 io_timeout_ms;		/* 10-3600000 */
	__u8  write_cache;		/* URINGBLK_DEV_DEFAULT / _ON / _OFF */
	__u8  discard;
	__u8  write_zeroes;
	__u8  poll;
	/*
	 * Appended to the serial "UBK%08X" after a '-': [A-Za-z0-9_.-],
	 * NUL-padded; all zero for none.
	 */
	__u8  serial_suffix[URINGBLK_SERIAL_SUFFIX_LEN];
	__u64 reserved[4];		/* must be zero */
} __attribute__((packed));		/* 80 */

/* LIST_DEVICES response: this header, then nr_ids ids in ascending order. */
struct uringblk_dev_list {
	__u16 abi_major;		/* the module's ABI version */
	__u16 abi_minor;
	__u32 nr_devices;		/* devices that exist */
	__u32 max_devices;		/* highest possible index + 1 */
	__u32 nr_ids;			/* ids that fit in the buffer */
	__u32 ids[];
} __attribute__((packed));		/* 16 + 4 * nr_ids */

/* SET_PARAMS payload: what changes is selected by mask. */
#define URINGBLK_SET_WRITE_CACHE	(1U << 0)	/* write_cache: 0 or 1 */
#define URINGBLK_SET_MAX_SECTORS_KB	(1U << 1)	/* max_sectors_kb */
#define URINGBLK_SET_INJECT_RESET	(1U << 2)	/* drop every injection rule */

struct uringblk_set_params {
	__u32 mask;			/* URINGBLK_SET_* */
	__u32 write_cache;		/* 1: write back, 0: write through */
	__u32 max_sectors_kb;		/* 4 .. max_hw_sectors_kb, lbs multiple */
	__u32 reserved0;		/* must be zero */
	__u64 reserved[2];		/* must be zero */
} __attribute__((packed));		/* 32 */

/*
 * POWER_CUT payload. Every write, discard and write-zeroes that is not yet
 * durable (completed in write-back mode without FUA, and no FLUSH completed
 * after it) is undone: all of them (ALL), or each independently with
 * probability 1/2 decided from the seed (RANDOM), or as RANDOM where a
 * lost operation of several logical blocks may keep some of its blocks
 * (TORN). Needs tracking on (sysfs uringblk/power_loss, module parameter
 * power_loss), else -ENODATA. See docs/power-loss.md.
 *
 * Since 1.2 the device is then off: every request, the ones in flight
 * included, fails with an I/O error until POWER_ON. With
 * URINGBLK_PL_CUT_RESUME it powers on at once (in-flight requests still
 * fail). A command whose hdr.abi_minor is below 2 gets the 1.1 behaviour:
 * the power comes back at once.
 */
#define URINGBLK_PL_ALL		0
#define URINGBLK_PL_RANDOM	1
#define URINGBLK_PL_TORN	2
/*
 * 1.2, deterministic crash states. PREFIX: the first K non-durable changes
 * in log order (numbers 1..K, seed = K) survive, the others are lost.
 * DROP: exactly the listed changes are lost: seed = n (1..64), and n
 * change numbers (__u64 each) follow the struct in the payload
 * (payload_len = 16 + 8 * n; 16 for every other mode).
 */
#define URINGBLK_PL_PREFIX	3
#define URINGBLK_PL_DROP	4
#define URINGBLK_PL_MAX_DROP	64

/* uringblk_power_cut.flags */
#define URINGBLK_PL_CUT_RESUME	(1U << 0)	/* power on again at once */
#define URINGBLK_PL_CUT_TEAR_PHYSICAL (1U << 1)	/* TORN: tear at the physical block */

struct uringblk_power_cut {
	__u32 mode;			/* URINGBLK_PL_* */
	__u32 flags;			/* URINGBLK_PL_CUT_* (1.1: reserved, 0) */
	__u64 seed;			/* RANDOM and TORN; PREFIX: K; DROP: n */
} __attribute__((packed));		/* 16 */

/* POWER_CUT response. */
struct uringblk_power_cut_result {
	__u64 pending;			/* non-durable operations at the cut */
	__u64 reverted;			/* of them undone, wholly or partly */
	__u64 torn;			/* of the reverted: some blocks kept */
	__u64 changes;			/* 1.2: changes in the log, FUA ones too:
					 * the numbers 1..changes of PREFIX and DROP */
} __attribute__((packed));		/* 32 */

/*
 * POWER_LOG response (1.2): the changes a power cut could undo now, oldest
 * first, as many entries as fit in len after the 16-byte header (len must
 * hold the header). A change is a write, discard or write-zeroes; a change
 * of several MiB is one entry.
 */
#define URINGBLK_PL_OP_WRITE		1
#define URINGBLK_PL_OP_DISCARD		2
#define URINGBLK_PL_OP_WRITE_ZEROES	3

#define URINGBLK_PL_LOG_FUA	(1U << 0)	/* durable (FUA): kept by every cut */
#define URINGBLK_PL_LOG_MARK	(1U << 1)	/* mark is the tag of the last mark before it */

struct uringblk_power_log_entry {
	__u64 seq;			/* change number: PREFIX K, DROP, seeds */
	__u64 sector;			/* first 512-byte sector */
	__u32 nr_sectors;
	__u8  op;			/* URINGBLK_PL_OP_* */
	__u8  flags;			/* URINGBLK_PL_LOG_* */
	__u16 reserved;
	__u64 mark;			/* with URINGBLK_PL_LOG_MARK */
} __attribute__((packed));		/* 32 */

struct uringblk_power_log {
	__u64 nr_changes;		/* changes in the log now */
	__u32 nr_entries;		/* entries that follow (<= nr_changes) */
	__u32 reserved;
	struct uringblk_power_log_entry entries[];
} __attribute__((packed));		/* 16 + 32 * nr_entries */

/* POWER_MARK payload (1.2): a point the application cares about. */
struct uringblk_power_mark {
	__u64 tag;
} __attribute__((packed));		/* 8 */

/*
 * POWER_ARM payload (1.2): cut the power when the trigger fires, in the
 * data path: the triggering request (the count-th change or FLUSH since
 * arming, a change touching the sector range) fails with an I/O error and
 * so does everything after it; a mark with the tag cuts when it is set.
 * Needs tracking on. NONE disarms. One trigger per device; arming again
 * replaces it. The cut's mode, seed and flags are those of POWER_CUT
 * (DROP and RESUME excepted).
 */
#define URINGBLK_PL_ARM_NONE	0
#define URINGBLK_PL_ARM_CHANGE	1	/* the count-th write, discard or write-zeroes */
#define URINGBLK_PL_ARM_FLUSH	2	/* the count-th FLUSH */
#define URINGBLK_PL_ARM_LBA	3	/* a change touching [sector, sector + nr_sectors) */
#define URINGBLK_PL_ARM_MARK	4	/* POWER_MARK with tag == sector */

struct uringblk_power_arm {
	__u32 trigger;			/* URINGBLK_PL_ARM_* */
	__u32 mode;			/* URINGBLK_PL_ALL, RANDOM, TORN, PREFIX */
	__u32 flags;			/* URINGBLK_PL_CUT_TEAR_PHYSICAL */
	__u32 reserved0;		/* must be zero */
	__u64 seed;			/* as in struct uringblk_power_cut */
	__u64 count;			/* CHANGE, FLUSH: >= 1 */
	__u64 sector;			/* LBA: first sector; MARK: the tag */
	__u64 nr_sectors;		/* LBA: >= 1 */
} __attribute__((packed));		/* 48 */

#endif /* _UAPI_LINUX_URINGBLK_H */
