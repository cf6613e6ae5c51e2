// SPDX-License-Identifier: GPL-2.0
/*
 * uringblk: power-loss emulation (docs/power-loss.md).
 *
 * With tracking on, every write, discard and write-zeroes first appends an
 * undo record to the device's log: the range and a copy of each store page
 * it touches (NULL for a page that was not allocated and so read zeroes).
 * A completed FLUSH makes everything before it durable: the log is
 * dropped. A write with FUA, or any write while the live cache mode is
 * write-through, is durable at once; it is logged without data, as a
 * "pin", only when there are non-durable records it must not be undone by.
 *
 * A power cut quiesces the queue and walks the log from the newest record
 * to the oldest. A kept record pins its logical blocks; a lost one writes
 * its copy of the old data back to its blocks that no newer kept record
 * pinned. Per block the result is the newest kept write, or the content
 * before the oldest lost one: the state after a crash in which exactly the
 * kept writes reached the medium. Decisions come from a hash of the seed
 * and the operation number, so the same writes and seed give the same
 * result.
 *
 * The fast path with tracking off costs one load of dev->pl.on per write.
 */
#include "compat.h"

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "admin.h"
#include "uringblk.h"

/* A record covers at most this much of one operation (bounded kmalloc). */
#define UBK_PL_CHUNK		(1U << 20)

struct ubk_pl_rec {
	struct list_head node;
	u64 seq;			/* operation number: one decision each */
	u64 pos;			/* bytes */
	u32 len;			/* bytes, <= UBK_PL_CHUNK */
	u32 nr_pages;			/* 0 for a pin */
	bool multi;			/* the operation spans several blocks */
	struct page *old[];		/* page (pos >> PAGE_SHIFT) + i */
};

static void ubk_pl_free_list(struct list_head *list);

static void ubk_pl_free_fn(struct work_struct *work)
{
	struct ubk_pl *pl = container_of(work, struct ubk_pl, free_work);
	LIST_HEAD(dead);

	spin_lock_irq(&pl->lock);
	list_splice_init(&pl->dead, &dead);
	spin_unlock_irq(&pl->lock);
	ubk_pl_free_list(&dead);
}

void ubk_pl_init(struct uringblk_dev *dev, bool on)
{
	struct ubk_pl *pl = &dev->pl;

	spin_lock_init(&pl->lock);
	INIT_LIST_HEAD(&pl->log);
	INIT_LIST_HEAD(&pl->dead);
	INIT_WORK(&pl->free_work, ubk_pl_free_fn);
	atomic64_set(&pl->seq, 0);
	/* A real cache is small; this one holds at most 1/8 of RAM. */
	pl->max_bytes = ((u64)totalram_pages() << PAGE_SHIFT) / 8;
	pl->on = on;
}

static void ubk_pl_rec_free(struct ubk_pl_rec *rec)
{
	u32 i;

	for (i = 0; i < rec->nr_pages; i++)
		if (rec->old[i])
			__free_page(rec->old[i]);
	kfree(rec);
}

static void ubk_pl_free_list(struct list_head *list)
{
	struct ubk_pl_rec *rec, *tmp;

	list_for_each_entry_safe(rec, tmp, list, node) {
		list_del(&rec->node);
		ubk_pl_rec_free(rec);
	}
}

static u64 ubk_pl_rec_bytes(const struct ubk_pl_rec *rec)
{
	u64 n = 0;
	u32 i;

	for (i = 0; i < rec->nr_pages; i++)
		if (rec->old[i])
			n += PAGE_SIZE;
	return n;
}

/* One record for [@pos, @pos + @len); NULL when memory is short. */
static struct ubk_pl_rec *ubk_pl_rec_make(struct uringblk_dev *dev, u64 seq,
					  u64 pos, u32 len, bool pin,
					  bool multi)
{
	u64 first = pos >> PAGE_SHIFT;
	u32 nr = pin ? 0 : (u32)(((pos + len - 1) >> PAGE_SHIFT) - first + 1);
	struct ubk_pl_rec *rec;
	u32 i;

	rec = kmalloc(struct_size(rec, old, nr), GFP_NOWAIT | __GFP_NOWARN);
	if (!rec)
		return NULL;
	rec->seq = seq;
	rec->pos = pos;
	rec->len = len;
	rec->nr_pages = 0;
	rec->multi = multi;
	for (i = 0; i < nr; i++) {
		struct page *p = ubk_store_snapshot(&dev->store, first + i);

		if (IS_ERR(p)) {
			ubk_pl_rec_free(rec);
			return NULL;
		}
		rec->old[i] = p;
		rec->nr_pages = i + 1;
	}
	return rec;
}

/*
 * Before @rq changes [@pos, @pos + @len): log the old content. Called from
 * the dispatcher only while tracking is on, inside its RCU read-side
 * section. Never fails the request: a change that cannot be logged marks
 * the log broken, and the next power cut refuses until a FLUSH.
 */
void ubk_pl_record(struct uringblk_dev *dev, struct request *rq, u64 pos,
		   u64 len)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct ubk_pl *pl = &dev->pl;
	bool pin = (req_op(rq) == REQ_OP_WRITE && (rq->cmd_flags & REQ_FUA)) ||
		   !ubk_queue_wc_on(rq->q);
	bool multi = len > (1U << dev->lbs_shift);
	struct ubk_pl_rec *rec;
	LIST_HEAD(recs);
	unsigned long flags;
	u64 seq, bytes = 0, nr = 0, end = pos + len;

	/*
	 * A write given back for memory (BLK_STS_RESOURCE) after its record
	 * was made, and perhaps after part of it was copied, is logged once:
	 * a second record would take the half-written blocks for old data.
	 */
	if (cmd->pl_logged)
		return;
	cmd->pl_logged = true;
	/* A durable change matters only to older non-durable ones. */
	if (pin && !READ_ONCE(pl->nr_recs))
		return;
	seq = atomic64_inc_return(&pl->seq);
	rcu_read_lock();	/* for the store's pages (store.c) */
	while (pos < end) {
		u32 n = min_t(u64, end - pos,
			      UBK_PL_CHUNK - (pos & (UBK_PL_CHUNK - 1)));

		rec = ubk_pl_rec_make(dev, seq, pos, n, pin, multi);
		if (!rec) {
			rcu_read_unlock();
			ubk_pl_free_list(&recs);
			spin_lock_irqsave(&pl->lock, flags);
			pl->broken = true;
			pl->untracked++;
			spin_unlock_irqrestore(&pl->lock, flags);
			return;
		}
		bytes += ubk_pl_rec_bytes(rec);
		nr++;
		list_add_tail(&rec->node, &recs);
		pos += n;
	}
	rcu_read_unlock();

	spin_lock_irqsave(&pl->lock, flags);
	list_splice_tail(&recs, &pl->log);
	pl->bytes += bytes;
	pl->nr_recs += nr;
	/* Over the cap the cache "writes back": the oldest become durable. */
	while (pl->bytes > pl->max_bytes) {
		rec = list_first_entry(&pl->log, struct ubk_pl_rec, node);
		list_move_tail(&rec->node, &pl->dead);
		pl->bytes -= ubk_pl_rec_bytes(rec);
		pl->nr_recs--;
		pl->written_back++;
	}
	spin_unlock_irqrestore(&pl->lock, flags);
	if (!list_empty_careful(&pl->dead))
		schedule_work(&pl->free_work);
}

/*
 * A FLUSH completed: every change before it is durable. The records are
 * freed by a worker: a flush after a long run of unflushed writes would
 * otherwise free thousands of pages inside ->queue_rq().
 */
void ubk_pl_flush(struct uringblk_dev *dev)
{
	struct ubk_pl *pl = &dev->pl;
	unsigned long flags;

	spin_lock_irqsave(&pl->lock, flags);
	list_splice_tail_init(&pl->log, &pl->dead);
	pl->bytes = 0;
	pl->nr_recs = 0;
	pl->broken = false;
	/* Operations are numbered from each durable point: reproducible cuts. */
	atomic64_set(&pl->seq, 0);
	spin_unlock_irqrestore(&pl->lock, flags);
	if (!list_empty_careful(&pl->dead))
		schedule_work(&pl->free_work);
}

/* Turn tracking on or off; off makes every logged change durable. */
void ubk_pl_set(struct uringblk_dev *dev, bool on)
{
	struct request_queue *q = dev->disk->queue;

	blk_mq_quiesce_queue(q);
	WRITE_ONCE(dev->pl.on, on);
	blk_mq_unquiesce_queue(q);
	if (!on)
		ubk_pl_flush(dev);
}

/* Device teardown: no I/O any more. */
void ubk_pl_free(struct uringblk_dev *dev)
{
	ubk_pl_flush(dev);
	flush_work(&dev->pl.free_work);
	ubk_pl_free_fn(&dev->pl.free_work);
}

/* splitmix64: a well-mixed hash of one 64-bit value. */
static u64 ubk_pl_mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static bool ubk_pl_keep_op(u32 mode, u64 seed, u64 seq)
{
	if (mode == UBK_PL_ALL)
		return false;
	return ubk_pl_mix(seed ^ ubk_pl_mix(seq)) & 1;
}

static bool ubk_pl_keep_block(u64 seed, u64 seq, u64 blk)
{
	return ubk_pl_mix(ubk_pl_mix(seed + seq) ^ ubk_pl_mix(~blk)) & 1;
}

/* Pinned blocks: 32 per xarray value, keyed by block / 32. */
static bool ubk_pl_pinned(struct xarray *pins, u64 blk)
{
	void *e = xa_load(pins, blk >> 5);

	return e && (xa_to_value(e) & (1UL << (blk & 31)));
}

static int ubk_pl_pin(struct xarray *pins, u64 blk)
{
	void *e = xa_load(pins, blk >> 5);
	unsigned long v = e ? xa_to_value(e) : 0;

	v |= 1UL << (blk & 31);
	return xa_err(xa_store(pins, blk >> 5, xa_mk_value(v), GFP_KERNEL));
}

/* Write the old content of block @blk of @rec back (process context). */
static int ubk_pl_restore(struct uringblk_dev *dev, struct ubk_pl_rec *rec,
			  u64 blk)
{
	unsigned int lbs = 1U << dev->lbs_shift;
	u64 pos = blk << dev->lbs_shift;
	u32 i = (pos >> PAGE_SHIFT) - (rec->pos >> PAGE_SHIFT);
	struct page *src = rec->old[i];
	blk_status_t st;

	for (;;) {
		rcu_read_lock();
		if (src)
			st = ubk_store_write(&dev->store, pos, src,
					     offset_in_page(pos), lbs, 0);
		else
			st = ubk_store_zero(&dev->store, pos, lbs, false);
		rcu_read_unlock();
		if (st != BLK_STS_RESOURCE)
			break;
		/* The pool refill worker is running; give it time. */
		msleep(20);
	}
	return st ? -ENOSPC : 0;
}

/*
 * Power cut: undo what a crash would lose, then resume. Returns 0 and the
 * counts in @res, -ENODATA with tracking off, -EIO if a change since the
 * last FLUSH could not be tracked (nothing is undone then), or -ENOMEM /
 * -ENOSPC if undoing failed half way (logged).
 */
int ubk_pl_cut(struct uringblk_dev *dev, u32 mode, u64 seed,
	       struct uringblk_power_cut_result *res)
{
	struct request_queue *q = dev->disk->queue;
	struct ubk_pl *pl = &dev->pl;
	struct xarray pins;
	struct ubk_pl_rec *rec;
	u64 last_seq = 0, blk, first, last;
	bool broken, counted = false, any_kept = false;
	LIST_HEAD(log);
	int ret = 0;

	memset(res, 0, sizeof(*res));
	if (mode > UBK_PL_TORN)
		return -EINVAL;
	if (!READ_ONCE(pl->on))
		return -ENODATA;

	xa_init(&pins);
	blk_mq_quiesce_queue(q);
	spin_lock_irq(&pl->lock);
	list_splice_init(&pl->log, &log);
	broken = pl->broken;
	pl->broken = false;
	pl->bytes = 0;
	pl->nr_recs = 0;
	pl->cuts++;
	atomic64_set(&pl->seq, 0);
	spin_unlock_irq(&pl->lock);
	if (broken) {
		pr_warn_ratelimited("%s: power cut refused: a change since the last flush could not be tracked (memory)\n",
				    dev->disk->disk_name);
		ret = -EIO;
		goto out;
	}

	list_for_each_entry_reverse(rec, &log, node) {
		bool pin = !rec->nr_pages;
		bool keep = pin || ubk_pl_keep_op(mode, seed, rec->seq);
		bool tear = !keep && mode == UBK_PL_TORN && rec->multi;

		if (rec->seq != last_seq) {
			/* Records of one operation are adjacent in the log. */
			if (counted && any_kept)
				res->torn++;
			last_seq = rec->seq;
			counted = false;
			any_kept = false;
			if (!pin)
				res->pending++;
		}
		first = rec->pos >> dev->lbs_shift;
		last = (rec->pos + rec->len - 1) >> dev->lbs_shift;
		for (blk = first; blk <= last && !ret; blk++) {
			bool k = keep || (tear && ubk_pl_keep_block(seed,
								   rec->seq,
								   blk));

			if (k) {
				any_kept = true;
				ret = ubk_pl_pin(&pins, blk);
			} else if (!ubk_pl_pinned(&pins, blk)) {
				ret = ubk_pl_restore(dev, rec, blk);
				if (!counted) {
					res->reverted++;
					counted = true;
				}
			}
		}
		if (ret)
			break;
		cond_resched();
	}
	if (counted && any_kept)
		res->torn++;
	if (ret)
		pr_err("%s: power cut failed half way: %d\n",
		       dev->disk->disk_name, ret);
out:
	spin_lock_irq(&pl->lock);
	pl->reverted += res->reverted;
	pl->torn += res->torn;
	spin_unlock_irq(&pl->lock);
	blk_mq_unquiesce_queue(q);
	xa_destroy(&pins);
	ubk_pl_free_list(&log);
	/* Cached pages of the block device may hold undone data. */
	invalidate_bdev(dev->disk->part0);
	return ret;
}

/* POWER_CUT from the admin plane. */
int ubk_dev_power_cut(struct uringblk_dev *dev,
		      const struct uringblk_power_cut *c,
		      struct uringblk_power_cut_result *res)
{
	if (c->reserved0 || c->mode > URINGBLK_PL_TORN)
		return -EINVAL;
	return ubk_pl_cut(dev, c->mode, c->seed, res);
}
