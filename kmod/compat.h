/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uringblk: the one compatibility header.
 *
 * Every .c file of the module includes this header first. All code that
 * depends on the kernel version lives here as small static inline wrappers,
 * selected by LINUX_VERSION_CODE or, where distributions backport, by a
 * Kbuild feature probe (UBK_HAVE_*: kmod/probe_*.c compiled against the
 * target's headers, see /Kbuild). Each entry names the kernel that changed
 * the API. Built and tested: Debian 6.1.y and 6.12.y; every other branch
 * was read against that kernel's headers only (docs/kernels.md).
 */
#ifndef URINGBLK_COMPAT_H
#define URINGBLK_COMPAT_H

/* Every message of the module starts with "uringblk: ". */
#ifndef pr_fmt
#define pr_fmt(fmt) "uringblk: " fmt
#endif

#include <linux/version.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/backing-dev.h>

#define UBK_KV(a, b, c) KERNEL_VERSION(a, b, c)
/* True when building against Linux a.b.c or later. */
#define UBK_KV_GE(a, b, c) (LINUX_VERSION_CODE >= UBK_KV(a, b, c))

#if !UBK_KV_GE(6, 1, 0)
#error "uringblk needs Linux 6.1 or later"
#endif

/* ---- block_device_operations ---- */

/* 6.5 "block: pass a gendisk to ->open": fmode_t became blk_mode_t. */
#if UBK_KV_GE(6, 5, 0)
typedef blk_mode_t ubk_blk_mode_t;
#else
typedef fmode_t ubk_blk_mode_t;
#endif

/*
 * 6.18 "block: switch ->getgeo() to struct gendisk": the block_device
 * argument became the gendisk. Probe: UBK_HAVE_GETGEO_GENDISK.
 */
#ifdef UBK_HAVE_GETGEO_GENDISK
typedef struct gendisk *ubk_getgeo_arg_t;

static inline struct gendisk *ubk_getgeo_disk(struct gendisk *disk)
{
	return disk;
}
#else
typedef struct block_device *ubk_getgeo_arg_t;

static inline struct gendisk *ubk_getgeo_disk(struct block_device *bdev)
{
	return bdev->bd_disk;
}
#endif

/* ---- tag set ---- */

/*
 * BLK_MQ_F_SHOULD_MERGE is gone in 6.14 (merging is always on). It is an
 * enum constant, hence the version check. NO_SCHED_BY_DEFAULT keeps blk-mq
 * from attaching mq-deadline when there is a single hardware queue.
 */
#if !UBK_KV_GE(6, 14, 0)
#define UBK_TAG_SET_FLAGS (BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_NO_SCHED_BY_DEFAULT)
#else
#define UBK_TAG_SET_FLAGS BLK_MQ_F_NO_SCHED_BY_DEFAULT
#endif

/*
 * ->queue_rqs() takes a struct rq_list * since 6.13 ("block: add a
 * rq_list type"), backported to 6.12.25 (Debian 6.12.117 has it), and a
 * struct request ** before. Probe: UBK_HAVE_RQ_LIST. A driver pops each request and may
 * leave the ones it could not queue in the list; blk-mq then issues those
 * one by one through ->queue_rq().
 */
#ifdef UBK_HAVE_RQ_LIST
typedef struct rq_list *ubk_rqs_arg_t;

struct ubk_rqs_requeue {
	struct rq_list list;
};

static inline void ubk_rqs_requeue_init(struct ubk_rqs_requeue *r)
{
	rq_list_init(&r->list);
}

static inline struct request *ubk_rqs_pop(ubk_rqs_arg_t rqlist)
{
	return rq_list_pop(rqlist);
}

static inline void ubk_rqs_requeue_add(struct ubk_rqs_requeue *r,
				       struct request *rq)
{
	rq_list_add_tail(&r->list, rq);
}

static inline void ubk_rqs_finish(ubk_rqs_arg_t rqlist,
				  struct ubk_rqs_requeue *r)
{
	*rqlist = r->list;
}
#else
typedef struct request **ubk_rqs_arg_t;

struct ubk_rqs_requeue {
	struct request *head;
	struct request **tail;
};

static inline void ubk_rqs_requeue_init(struct ubk_rqs_requeue *r)
{
	r->head = NULL;
	r->tail = &r->head;
}

static inline struct request *ubk_rqs_pop(ubk_rqs_arg_t rqlist)
{
	return rq_list_pop(rqlist);
}

static inline void ubk_rqs_requeue_add(struct ubk_rqs_requeue *r,
				       struct request *rq)
{
	rq_list_add_tail(&r->tail, rq);
}

static inline void ubk_rqs_finish(ubk_rqs_arg_t rqlist,
				  struct ubk_rqs_requeue *r)
{
	*rqlist = r->head;
}
#endif

/*
 * tags->rqs[tag] is how blk-mq finds started requests by tag: the request
 * timeout scan, /sys/block/X/inflight and blk_mq_tagset_busy_iter() all
 * use it. Requests issued through ->queue_rqs() skip
 * blk_mq_get_driver_tag(), which is what records them on 6.1, so drivers
 * with ->queue_rqs() record them themselves (6.1's nvme and virtio_blk
 * do). 6.12's blk_mq_start_request() records every request itself; the
 * store is kept on every older kernel, where it is at worst redundant.
 */
static inline void ubk_rqs_record_tag(struct request *rq)
{
#if !UBK_KV_GE(6, 12, 0)
	rq->mq_hctx->tags->rqs[rq->tag] = rq;
#endif
}

/* ---- queue limits and disk allocation ---- */

/* What the driver wants; applied by ubk_alloc_disk() in the kernel's way. */
struct ubk_limits {
	unsigned int logical_block_size;
	unsigned int physical_block_size;
	unsigned int max_hw_sectors;
	unsigned short max_segments;
	unsigned int max_segment_size;
	unsigned int max_discard_sectors;	/* 0: no discard */
	unsigned int discard_granularity;
	unsigned int max_write_zeroes_sectors;	/* 0: no write zeroes */
	bool write_cache;
	bool fua;
};

#if UBK_KV_GE(6, 9, 0)
static inline void ubk_fill_queue_limits(struct queue_limits *lim,
					 const struct ubk_limits *ul)
{
	lim->logical_block_size = ul->logical_block_size;
	lim->physical_block_size = ul->physical_block_size;
	lim->max_hw_sectors = ul->max_hw_sectors;
	lim->max_segments = ul->max_segments;
	lim->max_segment_size = ul->max_segment_size;
	lim->max_hw_discard_sectors = ul->max_discard_sectors;
	lim->discard_granularity = ul->max_discard_sectors ?
				   ul->discard_granularity : 0;
	lim->max_write_zeroes_sectors = ul->max_write_zeroes_sectors;
}
#endif

/*
 * Allocate the gendisk and its request queue with the limits of @ul.
 * Returns an ERR_PTR on failure.
 */
static inline struct gendisk *ubk_alloc_disk(struct blk_mq_tag_set *set,
					     const struct ubk_limits *ul,
					     void *queuedata)
{
#if UBK_KV_GE(6, 11, 0)
	/* Non-rotational and no entropy contribution are the defaults. */
	struct queue_limits lim = { };

	ubk_fill_queue_limits(&lim, ul);
	if (ul->write_cache)
		lim.features |= BLK_FEAT_WRITE_CACHE;
	if (ul->fua)
		lim.features |= BLK_FEAT_FUA;
	return blk_mq_alloc_disk(set, &lim, queuedata);
#elif UBK_KV_GE(6, 9, 0)
	struct queue_limits lim = { };
	struct gendisk *disk;

	ubk_fill_queue_limits(&lim, ul);
	disk = blk_mq_alloc_disk(set, &lim, queuedata);
	if (IS_ERR(disk))
		return disk;
	blk_queue_write_cache(disk->queue, ul->write_cache, ul->fua);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, disk->queue);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, disk->queue);
	return disk;
#else
	struct request_queue *q;
	struct gendisk *disk;

	disk = blk_mq_alloc_disk(set, queuedata);
	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
	/* Logical first: it rounds max_hw_sectors and clamps physical. */
	blk_queue_logical_block_size(q, ul->logical_block_size);
	blk_queue_physical_block_size(q, ul->physical_block_size);
	blk_queue_max_hw_sectors(q, ul->max_hw_sectors);
	blk_queue_max_segments(q, ul->max_segments);
	blk_queue_max_segment_size(q, ul->max_segment_size);
	blk_queue_max_discard_sectors(q, ul->max_discard_sectors);
	/* Same rule as 6.11+: at least the physical block size, 0 if off. */
	q->limits.discard_granularity = ul->max_discard_sectors ?
		max(ul->discard_granularity, ul->physical_block_size) : 0;
	blk_queue_max_write_zeroes_sectors(q, ul->max_write_zeroes_sectors);
	blk_queue_write_cache(q, ul->write_cache, ul->fua);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	return disk;
#endif
}

/*
 * Live write-back state: false after "write through" was written to
 * /sys/block/X/queue/write_cache, true again after "write back".
 */
static inline bool ubk_queue_wc_on(struct request_queue *q)
{
#if UBK_KV_GE(6, 11, 0)
	return blk_queue_write_cache(q);
#else
	return test_bit(QUEUE_FLAG_WC, &q->queue_flags);
#endif
}

/* FUA as advertised (what /sys/block/X/queue/fua shows). */
static inline bool ubk_queue_fua_on(struct request_queue *q)
{
#if UBK_KV_GE(6, 11, 0)
	return q->limits.features & BLK_FEAT_FUA;
#else
	return test_bit(QUEUE_FLAG_FUA, &q->queue_flags);
#endif
}

/*
 * SET_PARAMS: what "echo ... > /sys/block/X/queue/{write_cache,max_sectors_kb}"
 * does, from the driver. 6.9 "block: add an API for atomic queue limits
 * updates" (max_user_sectors), 6.11 "block: move the write cache flags to
 * queue_limits" (BLK_FEAT_WRITE_CACHE, BLK_FLAG_WRITE_CACHE_DISABLED),
 * 6.14 "block: add a queue_limits_commit_update_frozen helper" (before it
 * the caller froze the queue itself; 6.15 changed the freeze functions'
 * signatures, so newer kernels use only the helper).
 */
#if UBK_KV_GE(6, 9, 0)
static inline int ubk_commit_limits(struct request_queue *q,
				    struct queue_limits *lim)
{
#if UBK_KV_GE(6, 14, 0)
	return queue_limits_commit_update_frozen(q, lim);
#else
	int ret;

	blk_mq_freeze_queue(q);
	ret = queue_limits_commit_update(q, lim);
	blk_mq_unfreeze_queue(q);
	return ret;
#endif
}
#endif

static inline int ubk_set_write_cache(struct request_queue *q, bool on)
{
#if UBK_KV_GE(6, 11, 0)
	struct queue_limits lim = queue_limits_start_update(q);

	if (on) {
		lim.features |= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA;
		lim.flags &= ~BLK_FLAG_WRITE_CACHE_DISABLED;
	} else {
		lim.flags |= BLK_FLAG_WRITE_CACHE_DISABLED;
	}
	return ubk_commit_limits(q, &lim);
#else
	blk_queue_write_cache(q, on, on);
	return 0;
#endif
}

static inline int ubk_set_max_sectors(struct request_queue *q,
				      unsigned int sectors)
{
#if UBK_KV_GE(6, 9, 0)
	struct queue_limits lim = queue_limits_start_update(q);

	lim.max_user_sectors = sectors;
	return ubk_commit_limits(q, &lim);
#else
	/* As queue_max_sectors_store() of these kernels. */
	spin_lock_irq(&q->queue_lock);
	q->limits.max_sectors = sectors;
	if (q->disk)
		q->disk->bdi->io_pages = sectors >> (PAGE_SHIFT - SECTOR_SHIFT);
	spin_unlock_irq(&q->queue_lock);
	return 0;
#endif
}

/* 6.5 "block: pass a gendisk to ->open". */
#if UBK_KV_GE(6, 5, 0)
#define UBK_OPEN_ARGS(disk_var) struct gendisk *disk_var, blk_mode_t mode
#define UBK_OPEN_DISK(disk_var) (disk_var)
#else
#define UBK_OPEN_ARGS(bdev_var) struct block_device *bdev_var, fmode_t mode
#define UBK_OPEN_DISK(bdev_var) ((bdev_var)->bd_disk)
#endif

/* ---- timers ---- */

#include <linux/hrtimer.h>

/*
 * 6.13 "hrtimers: Introduce hrtimer_setup()" sets the callback together
 * with the clock and mode; hrtimer_init() is gone in 6.15.
 */
static inline void ubk_hrtimer_setup(struct hrtimer *timer,
				     enum hrtimer_restart (*fn)(struct hrtimer *),
				     clockid_t clock_id, enum hrtimer_mode mode)
{
#if UBK_KV_GE(6, 13, 0)
	hrtimer_setup(timer, fn, clock_id, mode);
#else
	hrtimer_init(timer, clock_id, mode);
	timer->function = fn;
#endif
}

/* ---- io_uring (admin plane) ---- */

/*
 * IORING_OP_URING_CMD on the control node (kmod/admin.c); compiled only
 * with CONFIG_IO_URING (UBK_HAVE_URING_CMD), otherwise the control node
 * offers the ioctls only.
 *   6.1-6.3: payload at ioucmd->cmd, <linux/io_uring.h>
 *   6.4+:    payload at io_uring_sqe_cmd(ioucmd->sqe)
 *   6.8+:    <linux/io_uring/cmd.h>
 *   6.12:    io_uring_cmd_done(cmd, ret, u64 res2, issue_flags)
 *   6.18+:   io_uring_cmd_done(cmd, ret, issue_flags), res2 dropped
 * The IO_URING_F_* values differ between versions: use the names only.
 */
/*
 * Drop the clean cached pages of the whole disk and of every partition:
 * each block_device has a page cache of its own. The partition table
 * (gendisk.part_tbl, an xarray of block devices since 5.14, part0 at
 * index 0; still so in 6.18) changes only under disk->open_mutex, which
 * this takes. Process context.
 */
static inline void ubk_disk_invalidate_all(struct gendisk *disk)
{
	struct block_device *part;
	unsigned long idx;

	mutex_lock(&disk->open_mutex);
	xa_for_each(&disk->part_tbl, idx, part)
		invalidate_bdev(part);
	mutex_unlock(&disk->open_mutex);
}

#if IS_ENABLED(CONFIG_IO_URING)
#define UBK_HAVE_URING_CMD 1
#if UBK_KV_GE(6, 8, 0)
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif
#include <linux/string.h>

/* Bytes of command area in a 128-byte SQE (it starts at byte 48). */
#define UBK_URING_CMD_AREA_SQE128	80

/*
 * Copy the first @len bytes of the command area, which may still be the
 * SQ ring shared with userspace, into private memory. The barrier keeps
 * the compiler from reading the source again instead of the copy.
 */
static inline void ubk_uring_cmd_copy(const struct io_uring_cmd *ioucmd,
				      void *dst, size_t len)
{
#if UBK_KV_GE(6, 4, 0)
	memcpy(dst, io_uring_sqe_cmd(ioucmd->sqe), len);
#else
	memcpy(dst, ioucmd->cmd, len);
#endif
	barrier();
}

/*
 * Does the command come in a 128-byte SQE (80 bytes of command area)?
 * Rings set up with IORING_SETUP_SQE128 pass IO_URING_F_SQE128. 6.19
 * ("io_uring: add support for IORING_SETUP_SQE_MIXED") added rings that mix
 * 64- and 128-byte SQEs, where a 128-byte command is the opcode
 * IORING_OP_URING_CMD128; the first kernels with it did not pass
 * IO_URING_F_SQE128 for those, so the opcode decides there. Probe:
 * UBK_HAVE_URING_CMD128.
 */
static inline bool ubk_uring_cmd_sqe128(const struct io_uring_cmd *ioucmd,
					unsigned int issue_flags)
{
	if (issue_flags & IO_URING_F_SQE128)
		return true;
#ifdef UBK_HAVE_URING_CMD128
	return READ_ONCE(ioucmd->sqe->opcode) == IORING_OP_URING_CMD128;
#else
	return false;
#endif
}

/* Post the CQE: cqe->res = @ret (res2/big_cqe[0] = 0 on CQE32 rings). */
static inline void ubk_uring_cmd_done(struct io_uring_cmd *ioucmd, long ret,
				      unsigned int issue_flags)
{
#if UBK_KV_GE(6, 18, 0)
	io_uring_cmd_done(ioucmd, ret, issue_flags);
#else
	io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
#endif
}
#endif /* CONFIG_IO_URING */

#endif /* URINGBLK_COMPAT_H */
