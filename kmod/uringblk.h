/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uringblk: internal definitions shared by the core files (main.c,
 * blkmq.c, store.c, sysfs.c, stats.c). The admin plane sees only admin.h.
 *
 * docs/data-plane.md describes the design.
 */
#ifndef URINGBLK_H
#define URINGBLK_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/hrtimer.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/ratelimit_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/uringblk.h>

#include "dev_params.h"
#include "hist.h"
#include "inject_rule.h"

#define UBK_NAME		"uringblk"
#define UBK_MODEL		"uringblk virtual RAM disk"	/* <= 40 bytes */
#define UBK_FIRMWARE_REV	"1.0"				/* <= 16 bytes */

#define UBK_MINORS		16	/* whole disk + 15 partitions */

/*
 * Queue limits that are not module parameters (spec 4.3). 256 segments, the
 * top of the spec's range, is BIO_MAX_VECS: a one-bio direct I/O never has to
 * be split for its segment count. Before 6.5 a polled bio is REQ_NOWAIT, and
 * one that needs a split fails with EAGAIN at every retry (docs/kernels.md).
 */
#define UBK_MAX_SEGMENTS	256
#define UBK_MAX_SEGMENT_SIZE	(1U << 20)

/* Emulated CHS geometry: 64 heads, 32 sectors per track. */
#define UBK_GEO_HEADS		64
#define UBK_GEO_SECTORS		32

/* ---- backing store (store.c) ---- */

/*
 * Sparse page store: dir[] (allocated at load) points to leaves, each leaf is
 * one page holding PAGE_SIZE / sizeof(void *) page pointers. Leaves and data
 * pages are allocated on first write and installed with cmpxchg(); pages
 * and whole leaves are unpublished with xchg() and freed after an RCU grace
 * period. When the non-reclaiming allocation of the I/O path fails, pages
 * come from a small pool that a worker refills with reclaim (store.c).
 */
struct ubk_store {
	struct page ***dir;
	unsigned long nr_leaves;
	u64 nr_pages;
	u64 capacity;			/* bytes */
	unsigned long reserve_pages;	/* leave this much MemAvailable */
	long __percpu *pages;		/* data pages + leaves, per-CPU deltas */

	/* Reclaiming allocation: slow path only, never on a page hit. */
	spinlock_t pool_lock;
	struct list_head pool;		/* zeroed pages, linked by page->lru */
	unsigned int pool_nr;
	struct work_struct refill_work;
	unsigned long nomem_at;		/* jiffies | 1 of a failed refill, or 0 */
	bool stopped;			/* ubk_store_stop(): no refill any more */
};

/* ubk_store_write() flags. */
#define UBK_STORE_NO_ATOMIC	(1U << 0) /* skip GFP_NOWAIT (nomem injection) */

int ubk_store_init(struct ubk_store *s, u64 capacity);
void ubk_store_free(struct ubk_store *s);
void ubk_store_stop(struct ubk_store *s);
int ubk_store_wq_init(void);
void ubk_store_wq_exit(void);
blk_status_t ubk_store_read(struct ubk_store *s, u64 pos, struct page *page,
			    unsigned int off, unsigned int len);
blk_status_t ubk_store_write(struct ubk_store *s, u64 pos, struct page *page,
			     unsigned int off, unsigned int len,
			     unsigned int flags);
blk_status_t ubk_store_zero(struct ubk_store *s, u64 pos, u64 len,
			    bool unmap);
u64 ubk_store_mem_used(struct ubk_store *s);
struct page *ubk_store_snapshot(struct ubk_store *s, u64 idx,
				unsigned int flags);
struct page *ubk_store_take(struct ubk_store *s, u64 idx);
void ubk_store_untake(struct ubk_store *s, u64 idx, struct page *page);
void ubk_store_put_page_rcu(struct page *page);

/*
 * Does @rq (a discard or a write-zeroes) free the store pages it covers
 * whole? The store applies it so (ubk_store_zero()), and the power-loss log
 * takes those pages instead of copying them.
 */
static inline bool ubk_rq_unmaps(const struct request *rq)
{
	return req_op(rq) == REQ_OP_DISCARD ||
	       (req_op(rq) == REQ_OP_WRITE_ZEROES &&
		!(rq->cmd_flags & REQ_NOUNMAP));
}

/* ---- power-loss emulation (powerloss.c, docs/power-loss.md) ---- */

enum ubk_pl_mode {
	UBK_PL_ALL = URINGBLK_PL_ALL,		/* lose every non-durable write */
	UBK_PL_RANDOM = URINGBLK_PL_RANDOM,	/* each kept or lost, by seed */
	UBK_PL_TORN = URINGBLK_PL_TORN,		/* random, and lost ones may tear */
	UBK_PL_PREFIX = URINGBLK_PL_PREFIX,	/* changes 1..seed kept */
	UBK_PL_DROP = URINGBLK_PL_DROP,		/* exactly drop[] lost */
};

/* What a cut does: mode, URINGBLK_PL_CUT_* flags, seed, DROP's list. */
struct ubk_pl_spec {
	u32 mode;
	u32 flags;
	u64 seed;
	u32 nr_drop;
	u64 drop[URINGBLK_PL_MAX_DROP];
};

/*
 * The undo log: one record per (chunk of a) write, discard or write-zeroes
 * made since the last completed FLUSH while tracking is on, oldest first,
 * with a copy of the pages the range touched before it was changed.
 * Nothing here is touched on the fast path while tracking is off but the
 * "on" flag; "off" and "epoch" are read by every dispatch and late
 * completion (docs/power-loss.md, "The power state").
 */
struct ubk_pl {
	bool on;			/* READ_ONCE on the I/O path */
	bool off;			/* the power is off: every request fails */
	u16 epoch;			/* advanced by every cut */
	spinlock_t lock;		/* log and everything below */
	struct list_head log;		/* struct ubk_pl_rec, oldest first */
	u64 nr_recs;
	u64 nr_data;			/* records that are not pins */
	u64 bytes;			/* memory held by the records */
	u64 seq;			/* operation numbers, from the last durable point */
	bool broken;			/* a change could not be tracked */
	bool wc;			/* write-back cache when last looked at */
	bool said_cap;			/* kernel log line of the cap given */
	bool marked;			/* a mark was set: mark is its tag */
	u64 mark;
	/* An armed cut (POWER_ARM); trigger read while tracking is on. */
	u32 arm_trigger;		/* URINGBLK_PL_ARM_* */
	u64 arm_count;			/* CHANGE, FLUSH: to go */
	u64 arm_pos, arm_end;		/* LBA: bytes; MARK: arm_pos is the tag */
	struct ubk_pl_spec arm_cut;
	struct ubk_pl_spec fired;	/* the cut cut_work runs */
	struct work_struct cut_work;	/* a cut fired in the data path */
	struct list_head dead;		/* records to free, by free_work */
	struct work_struct free_work;	/* keeps frees out of ->queue_rq() */
	struct mutex mutex;		/* cut, power on, tracking on/off */
	/* reported in sysfs */
	u64 cuts;
	u64 reverted;			/* operations (partly) undone by cuts */
	u64 torn;			/* operations partly kept by cuts */
	u64 written_back;		/* records made durable by the budget */
	u64 untracked;			/* changes made while memory was short */
	struct uringblk_power_cut_result last;	/* of the last cut */
};

/* ---- statistics (stats.c) ---- */

enum ubk_ctr {
	UBK_C_READ_OPS,
	UBK_C_WRITE_OPS,
	UBK_C_FLUSH_OPS,
	UBK_C_DISCARD_OPS,
	UBK_C_WRITE_ZEROES_OPS,
	UBK_C_READ_BYTES,
	UBK_C_WRITE_BYTES,
	UBK_C_QUEUE_FULL,
	UBK_C_MEDIA_ERRORS,
	UBK_C_RETRIES,
	UBK_C_POLLED,
	UBK_C_CACHED_WRITES,	/* writes left in the volatile write cache */
	UBK_C_TIMEOUTS,		/* requests completed with BLK_STS_TIMEOUT */
	UBK_C_REFILLS,		/* reclaiming pool refills that got pages */
	UBK_C_NOMEM,		/* writes failed: no memory even after reclaim */
	UBK_C_NR
};

enum ubk_hist_op {
	UBK_H_READ,
	UBK_H_WRITE,
	UBK_H_NR
};

struct ubk_pcpu_stats {
	u64 c[UBK_C_NR];
	u64 hist[UBK_H_NR][UBK_HIST_NR_BUCKETS];
};

struct ubk_stats {
	struct ubk_pcpu_stats __percpu *pcpu;
	struct mutex lock;		/* baseline and scratch; never on I/O */
	u64 base[UBK_C_NR];		/* sums at the last stats_reset */
	u64 *base_hist;			/* [UBK_H_NR * UBK_HIST_NR_BUCKETS] */
	u64 *scratch;			/* [UBK_HIST_NR_BUCKETS] */
};

int ubk_stats_init(struct ubk_stats *st);
void ubk_stats_free(struct ubk_stats *st);
u64 ubk_stats_get(struct ubk_stats *st, enum ubk_ctr c);
void ubk_stats_reset(struct ubk_stats *st);
void ubk_stats_latency_us(struct ubk_stats *st, enum ubk_hist_op op,
			  u32 *p50, u32 *p99);

static inline void ubk_stat_inc(struct ubk_stats *st, enum ubk_ctr c)
{
	this_cpu_inc(st->pcpu->c[c]);
}

static inline void ubk_stat_add(struct ubk_stats *st, enum ubk_ctr c, u64 v)
{
	this_cpu_add(st->pcpu->c[c], v);
}

static inline void ubk_stat_latency(struct ubk_stats *st, enum ubk_hist_op op,
				    u64 ns)
{
	this_cpu_inc(st->pcpu->hist[op][ubk_hist_index(ns)]);
}

/* ---- device ---- */

/* Per hardware context; indexed by hctx number. */
struct ubk_queue {
	struct uringblk_dev *dev;
	struct llist_head poll_list;	/* requests waiting for ->poll() */
	bool no_poll;			/* removal: complete polled ones at once */
} ____cacheline_aligned_in_smp;

/* ubk_cmd.inj_state: what error injection is doing with a started request. */
enum ubk_inj_state {
	UBK_RQ_NORMAL = 0,	/* completed by the data path as usual */
	UBK_RQ_HELD,		/* timeout rule: only .timeout or removal completes it */
	UBK_RQ_DELAYED,		/* delay rule: on dev->delay_list until due */
};

/*
 * Request PDU (tag_set.cmd_size): 40 bytes, in every request of every
 * queue, so nothing that only error injection needs costs more than a list
 * node here (the delay timer is per device, docs/data-plane.md 2.4).
 *
 * A request the driver gave back with BLK_STS_RESOURCE carries
 * RQF_DONTPREP in rq->rq_flags: blk-mq clears the flags of every newly
 * allocated request, so no retry state outlives the request.
 */
struct ubk_cmd {
	u64 start_ns;			/* local_clock() at first dispatch */
	union {
		struct llist_node node;		/* on ubk_queue.poll_list */
		struct list_head delay_node;	/* on dev->delay_list */
	};
	u64 due_ns;			/* delay rule: ktime_get_ns() when due */
	blk_status_t status;		/* result, for the poll and .complete paths */
	bool pl_logged;			/* power-loss record made (a retry makes none) */
	u16 pl_epoch;			/* dev->pl.epoch at dispatch */
	/*
	 * inj_state moves away from UBK_RQ_NORMAL only with cmpxchg, so a
	 * held or delayed request is completed exactly once.
	 */
	atomic_t inj_state;		/* enum ubk_inj_state */
};

struct uringblk_dev {
	u32 id;
	u64 gen;			/* ADD_DEVICE's number: not a later device's */
	struct uringblk_dev_params params;	/* resolved; dev_id = id */
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	struct ubk_queue *queues;
	unsigned int nr_default_queues;
	unsigned int nr_poll_queues;

	u64 capacity;			/* bytes */
	bool write_cache;		/* volatile cache + FUA advertised */
	bool discard;
	bool write_zeroes;
	unsigned int lbs_shift;		/* log2(logical_block_size) */

	/*
	 * Error injection (docs/error-injection.md). The rule table is
	 * immutable and RCU-published; NULL when no rule is active, which is
	 * all the I/O path checks (one load, next to the store it reads).
	 */
	struct ubk_inj_table __rcu *inj;
	struct ubk_store store;
	struct ubk_stats stats;

	/*
	 * Completed REQ_OP_FLUSH count. A write completed in write-back mode
	 * without FUA is volatile until the flush epoch advances past it;
	 * the hook for power-loss emulation (docs/data-plane.md).
	 */
	atomic64_t flush_epoch;

	/* Power-loss emulation (powerloss.c); off: only pl.on is read. */
	struct ubk_pl pl;

	/* Error injection, writer side and reporting; never on the fast path. */
	struct mutex inj_lock;		/* serializes updates of inj */
	bool inj_dead;			/* device going away: no more rules */
	struct ubk_inj_counters inj_ctr; /* remaining COUNTs, indexed by rules */
	struct ratelimit_state inj_rs;	/* kernel log lines of injected failures */
	atomic64_t inj_failed;		/* injected failures delivered, for the log */

	/* Delay rule: delayed requests and the one timer that completes them. */
	spinlock_t delay_lock;
	struct list_head delay_list;	/* ubk_cmd.delay_node, unsorted */
	u64 delay_next;			/* the timer's expiry, U64_MAX: idle */
	struct hrtimer delay_timer;

	struct kref ref;		/* ubk_dev_get() holders + the table */
	struct completion released;	/* last reference dropped */
	/* DEL_DEVICE: ->open refuses; set under disk->open_mutex. */
	bool deleting;
	char serial[32];		/* "UBK%08X" or "UBK%08X-<suffix>" */
};

/* blkmq.c */
int ubk_init_tag_set(struct uringblk_dev *dev);
void ubk_delay_init(struct uringblk_dev *dev);
void ubk_release_held(struct uringblk_dev *dev);
void ubk_store_refilled(struct ubk_store *s, bool got_pages);

/* inject.c */
void ubk_inj_init(struct uringblk_dev *dev);
void ubk_inj_shutdown(struct uringblk_dev *dev);
ssize_t ubk_inj_show(struct uringblk_dev *dev, char *buf);
ssize_t ubk_inj_store(struct uringblk_dev *dev, const char *buf, size_t count);
int ubk_inj_decide(struct uringblk_dev *dev, struct request *rq, u32 *usec);
void ubk_inj_report(struct uringblk_dev *dev, struct request *rq,
		    blk_status_t st);

/* powerloss.c */
int ubk_pl_budget_init(unsigned int max_mb);
void ubk_pl_init(struct uringblk_dev *dev, bool on);
bool ubk_pl_record(struct uringblk_dev *dev, struct request *rq, u64 pos,
		   u64 len, unsigned int sflags);
void ubk_pl_flush(struct uringblk_dev *dev);
bool ubk_pl_flush_rq(struct uringblk_dev *dev);
void ubk_pl_set(struct uringblk_dev *dev, bool on);
void ubk_pl_free(struct uringblk_dev *dev);
int ubk_pl_cut(struct uringblk_dev *dev, const struct ubk_pl_spec *sp,
	       bool resume, struct uringblk_power_cut_result *res);
void ubk_pl_power_on(struct uringblk_dev *dev);
void ubk_pl_stop(struct uringblk_dev *dev);
bool ubk_pl_broken(struct uringblk_dev *dev);
int ubk_pl_spec_check(const struct ubk_pl_spec *sp, bool armed);
const char *ubk_pl_state(struct uringblk_dev *dev);
const char *ubk_pl_mode_name(u32 mode);
ssize_t ubk_pl_arm_show(struct uringblk_dev *dev, char *buf);

/* sysfs.c */
extern const struct attribute_group *ubk_attr_groups[];

/* main.c */
u64 ubk_dev_capacity_sectors(struct uringblk_dev *dev);

#endif /* URINGBLK_H */
