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
 * A power cut quiesces the queue, switches the power off (every request
 * dispatched from then on fails, and every request that was in flight when
 * the cut began fails when it completes: its epoch is an old one), and
 * walks the log from the newest record to the oldest. A kept record pins
 * its logical blocks; a lost one writes its copy of the old data back to
 * its blocks that no newer kept record pinned. Per block the result is the
 * newest kept write, or the content before the oldest lost one: the state
 * after a crash in which exactly the kept writes reached the medium.
 * Decisions come from a hash of the seed and the operation number, which
 * is given where the change enters the log, under its lock, so the same
 * writes and seed give the same result.
 *
 * Memory: every record counts against one module-wide budget
 * (power_loss_max_mb); over it, the oldest records of the device that
 * logs become durable ("written back"). Page copies obey the store's
 * reserve. A change that cannot be logged breaks the log: it is dropped,
 * nothing more is logged, and every cut is refused until tracking is
 * switched off and on again. Each way out of tracking is counted and
 * said once in the kernel log.
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
#include <linux/sched/mm.h>
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
	u32 bytes;			/* memory held, against the budget */
	u8 op;				/* URINGBLK_PL_OP_* */
	bool pin;			/* durable change, logged without data */
	bool multi;			/* the operation spans several blocks */
	bool taken;			/* whole pages taken from the store */
	bool marked;			/* mark: the last mark before it */
	u64 mark;
	struct page *old[];		/* page (pos >> PAGE_SHIFT) + i */
};

/* The module-wide budget of all devices' records, and what they hold. */
static u64 ubk_pl_budget;
static atomic64_t ubk_pl_used = ATOMIC64_INIT(0);

/* power_loss_max_mb: 0 is 1/8 of RAM; more than RAM is refused. */
int ubk_pl_budget_init(unsigned int max_mb)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	if ((u64)max_mb << 20 > ram) {
		pr_err("uringblk: power_loss_max_mb=%u is more than the RAM (%llu MiB)\n",
		       max_mb, ram >> 20);
		return -EINVAL;
	}
	ubk_pl_budget = max_mb ? (u64)max_mb << 20 : ram / 8;
	return 0;
}

static void ubk_pl_free_list(struct list_head *list, bool may_sleep);

static void ubk_pl_free_fn(struct work_struct *work)
{
	struct ubk_pl *pl = container_of(work, struct ubk_pl, free_work);
	LIST_HEAD(dead);

	spin_lock_irq(&pl->lock);
	list_splice_init(&pl->dead, &dead);
	spin_unlock_irq(&pl->lock);
	ubk_pl_free_list(&dead, true);
}

static void ubk_pl_cut_work_fn(struct work_struct *work);

void ubk_pl_init(struct uringblk_dev *dev, bool on)
{
	struct ubk_pl *pl = &dev->pl;

	spin_lock_init(&pl->lock);
	INIT_LIST_HEAD(&pl->log);
	INIT_LIST_HEAD(&pl->dead);
	INIT_WORK(&pl->free_work, ubk_pl_free_fn);
	INIT_WORK(&pl->cut_work, ubk_pl_cut_work_fn);
	mutex_init(&pl->mutex);
	pl->wc = true;
	pl->on = on;
}

/*
 * Is old[@i] a page ubk_store_take() took out of the store (one the change
 * covers whole) rather than a copy? A reader may still copy from such a
 * page: it is freed after a grace period.
 */
static bool ubk_pl_rec_took(const struct ubk_pl_rec *rec, u32 i)
{
	u64 start = ((rec->pos >> PAGE_SHIFT) + i) << PAGE_SHIFT;

	return rec->taken && start >= rec->pos &&
	       start + PAGE_SIZE <= rec->pos + rec->len;
}

static void ubk_pl_rec_free(struct ubk_pl_rec *rec)
{
	u32 i;

	for (i = 0; i < rec->nr_pages; i++) {
		if (!rec->old[i])
			continue;
		if (ubk_pl_rec_took(rec, i))
			ubk_store_put_page_rcu(rec->old[i]);
		else
			__free_page(rec->old[i]);
	}
	kfree(rec);
}

/*
 * Free @rec of a change that will not be applied: the pages it took go
 * back to the store first. Caller holds rcu_read_lock().
 */
static void ubk_pl_rec_unmake(struct uringblk_dev *dev, struct ubk_pl_rec *rec)
{
	u64 first = rec->pos >> PAGE_SHIFT;
	u32 i;

	for (i = 0; i < rec->nr_pages; i++) {
		if (rec->old[i] && ubk_pl_rec_took(rec, i)) {
			ubk_store_untake(&dev->store, first + i, rec->old[i]);
			rec->old[i] = NULL;
		}
	}
	ubk_pl_rec_free(rec);
}

/* @may_sleep: process context, where a long list yields the CPU. */
static void ubk_pl_free_list(struct list_head *list, bool may_sleep)
{
	struct ubk_pl_rec *rec, *tmp;

	list_for_each_entry_safe(rec, tmp, list, node) {
		list_del(&rec->node);
		ubk_pl_rec_free(rec);
		if (may_sleep)
			cond_resched();
	}
}

/*
 * One record for [@pos, @pos + @len); NULL when memory is short. With
 * @take (a discard, or a write-zeroes that unmaps) the pages the change
 * covers whole are taken out of the store instead of copied: the change
 * would free them anyway, so a large discard costs no copies and no memory,
 * as without tracking. Caller holds rcu_read_lock().
 */
static struct ubk_pl_rec *ubk_pl_rec_make(struct uringblk_dev *dev, u64 pos,
					  u32 len, u8 op, bool pin, bool multi,
					  bool take, unsigned int sflags)
{
	u64 first = pos >> PAGE_SHIFT;
	u32 nr = pin ? 0 : (u32)(((pos + len - 1) >> PAGE_SHIFT) - first + 1);
	struct ubk_pl_rec *rec;
	u32 i;

	rec = kmalloc(struct_size(rec, old, nr), GFP_NOWAIT | __GFP_NOWARN);
	if (!rec)
		return NULL;
	rec->seq = 0;
	rec->pos = pos;
	rec->len = len;
	rec->nr_pages = 0;
	rec->bytes = struct_size(rec, old, nr);
	rec->op = op;
	rec->pin = pin;
	rec->multi = multi;
	rec->taken = take;
	for (i = 0; i < nr; i++) {
		struct page *p;

		if (ubk_pl_rec_took(rec, i))
			p = ubk_store_take(&dev->store, first + i);
		else
			p = ubk_store_snapshot(&dev->store, first + i, sflags);
		if (IS_ERR(p)) {
			ubk_pl_rec_unmake(dev, rec);
			return NULL;
		}
		rec->old[i] = p;
		rec->nr_pages = i + 1;
		if (p)
			rec->bytes += PAGE_SIZE;
	}
	return rec;
}

/* Move the oldest record to the dead list. Caller holds pl->lock. */
static void ubk_pl_drop_oldest(struct ubk_pl *pl)
{
	struct ubk_pl_rec *rec = list_first_entry(&pl->log, struct ubk_pl_rec,
						  node);

	list_move_tail(&rec->node, &pl->dead);
	pl->bytes -= rec->bytes;
	atomic64_sub(rec->bytes, &ubk_pl_used);
	pl->nr_recs--;
	if (!rec->pin)
		pl->nr_data--;
}

/*
 * Everything logged is durable now: a FLUSH, a switch to write-through,
 * tracking switched off, or a broken log. Caller holds pl->lock.
 */
static void ubk_pl_drop_all(struct ubk_pl *pl)
{
	atomic64_sub(pl->bytes, &ubk_pl_used);
	list_splice_tail_init(&pl->log, &pl->dead);
	pl->bytes = 0;
	pl->nr_recs = 0;
	pl->nr_data = 0;
	/* Operations are numbered from each durable point: reproducible cuts. */
	pl->seq = 0;
}

/*
 * A switch of queue/write_cache to write-through is a FLUSH (a disk
 * writes its cache back when it is switched off). The block layer does not
 * tell the driver, so the switch is noticed here, at the next change or
 * cut. Caller holds pl->lock.
 */
static void ubk_pl_check_wc(struct uringblk_dev *dev)
{
	struct ubk_pl *pl = &dev->pl;
	bool wc = ubk_queue_wc_on(dev->disk->queue);

	if (pl->wc && !wc)
		ubk_pl_drop_all(pl);
	pl->wc = wc;
}

/*
 * An armed cut fires: the power is off from now on, requests in flight
 * fail when they complete, and the worker undoes what the armed mode
 * loses. Caller holds pl->lock; any context.
 */
static void ubk_pl_fire(struct ubk_pl *pl)
{
	pl->fired = pl->arm_cut;
	WRITE_ONCE(pl->arm_trigger, URINGBLK_PL_ARM_NONE);
	WRITE_ONCE(pl->epoch, pl->epoch + 1);
	WRITE_ONCE(pl->off, true);
	queue_work(system_unbound_wq, &pl->cut_work);
}

/* Does the change [@pos, @end) fire the armed trigger? Caller holds pl->lock. */
static bool ubk_pl_arm_hit(struct ubk_pl *pl, u64 pos, u64 end)
{
	switch (pl->arm_trigger) {
	case URINGBLK_PL_ARM_CHANGE:
		return --pl->arm_count == 0;
	case URINGBLK_PL_ARM_LBA:
		return pos < pl->arm_end && end > pl->arm_pos;
	default:
		return false;
	}
}

static u8 ubk_pl_op(struct request *rq)
{
	switch (req_op(rq)) {
	case REQ_OP_DISCARD:
		return URINGBLK_PL_OP_DISCARD;
	case REQ_OP_WRITE_ZEROES:
		return URINGBLK_PL_OP_WRITE_ZEROES;
	default:
		return URINGBLK_PL_OP_WRITE;
	}
}

/*
 * Before @rq changes [@pos, @pos + @len): log the old content. Called from
 * the dispatcher only while tracking is on, inside its RCU read-side
 * section. Returns true when the power is gone (an armed cut fired at
 * this change, or just before it): the change must not be applied and the
 * request fails. Otherwise never fails the request: a change that cannot
 * be logged breaks the log (see the top of this file). Under a "nomem"
 * injection rule (UBK_STORE_NO_ATOMIC in @sflags) the copy of a page that
 * exists cannot be allocated either: the pool is for data pages only.
 */
bool ubk_pl_record(struct uringblk_dev *dev, struct request *rq, u64 pos,
		   u64 len, unsigned int sflags)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct ubk_pl *pl = &dev->pl;
	bool pin = req_op(rq) == REQ_OP_WRITE && (rq->cmd_flags & REQ_FUA);
	/* The change frees the pages it covers whole: take, do not copy. */
	bool take = ubk_rq_unmaps(rq);
	bool multi = len > (1U << dev->lbs_shift);
	bool said_broken = false, said_cap = false, gone = false;
	u8 op = ubk_pl_op(rq);
	struct ubk_pl_rec *rec, *tmp;
	LIST_HEAD(recs);
	unsigned long flags;
	u64 bytes = 0, nr = 0, seq, end = pos + len;

	/*
	 * A write given back for memory (BLK_STS_RESOURCE) after its record
	 * was made, and perhaps after part of it was copied, is logged once:
	 * a second record would take the half-written blocks for old data.
	 */
	if (cmd->pl_logged)
		return false;
	if (unlikely(READ_ONCE(pl->arm_trigger))) {
		spin_lock_irqsave(&pl->lock, flags);
		if (ubk_pl_arm_hit(pl, pos, end)) {
			ubk_pl_fire(pl);
			gone = true;
		}
		spin_unlock_irqrestore(&pl->lock, flags);
		if (gone)
			return true;
	}
	cmd->pl_logged = true;
	/* Write-through: durable at once, and the switch was a flush. */
	if (unlikely(READ_ONCE(pl->wc) != ubk_queue_wc_on(rq->q))) {
		spin_lock_irqsave(&pl->lock, flags);
		ubk_pl_check_wc(dev);
		spin_unlock_irqrestore(&pl->lock, flags);
		if (!list_empty_careful(&pl->dead))
			schedule_work(&pl->free_work);
	}
	if (!READ_ONCE(pl->wc) || READ_ONCE(pl->broken))
		return false;
	/* A durable change matters only to older non-durable ones. */
	if (pin && !READ_ONCE(pl->nr_data))
		return false;
	rcu_read_lock();	/* for the store's pages (store.c) */
	while (pos < end) {
		u32 n = min_t(u64, end - pos,
			      UBK_PL_CHUNK - (pos & (UBK_PL_CHUNK - 1)));

		rec = ubk_pl_rec_make(dev, pos, n, op, pin, multi, take,
				      sflags);
		if (!rec)
			break;
		bytes += rec->bytes;
		nr++;
		list_add_tail(&rec->node, &recs);
		pos += n;
	}
	rcu_read_unlock();

	spin_lock_irqsave(&pl->lock, flags);
	if (pl->off) {
		/*
		 * An armed cut fired on another queue meanwhile: the change is
		 * not applied, and the pages it took go back (below).
		 */
		gone = true;
		goto out;
	}
	if (pos < end || pl->broken) {
		/* Not logged: the log cannot give a true crash state any more. */
		list_splice_tail_init(&recs, &pl->dead);
		if (!pl->broken) {
			pl->broken = true;
			pl->untracked++;
			ubk_pl_drop_all(pl);
			said_broken = true;
		}
		goto out;
	}
	/* Numbered where it enters the log, so the order is the log's. */
	seq = ++pl->seq;
	list_for_each_entry(rec, &recs, node) {
		rec->seq = seq;
		rec->marked = pl->marked;
		rec->mark = pl->mark;
	}
	list_splice_tail(&recs, &pl->log);
	pl->bytes += bytes;
	atomic64_add(bytes, &ubk_pl_used);
	pl->nr_recs += nr;
	if (!pin)
		pl->nr_data += nr;	/* ubk_pl_drop_oldest() counts records */
	/*
	 * Over the budget the cache "writes back": the oldest records become
	 * durable, and pins older than every data record go with them.
	 */
	while (!list_empty(&pl->log) &&
	       atomic64_read(&ubk_pl_used) > ubk_pl_budget) {
		ubk_pl_drop_oldest(pl);
		pl->written_back++;
		if (!pl->said_cap) {
			pl->said_cap = true;
			said_cap = true;
		}
	}
	while (!list_empty(&pl->log) && !pl->nr_data)
		ubk_pl_drop_oldest(pl);
out:
	spin_unlock_irqrestore(&pl->lock, flags);
	if (gone) {
		rcu_read_lock();
		list_for_each_entry_safe(rec, tmp, &recs, node) {
			list_del(&rec->node);
			ubk_pl_rec_unmake(dev, rec);
		}
		rcu_read_unlock();
	}
	if (said_broken)
		pr_warn("%s: power-loss tracking broken: a change could not be logged (memory); power cuts are refused until power_loss is switched off and on\n",
			dev->disk->disk_name);
	if (said_cap)
		pr_info("%s: power-loss log over the budget (power_loss_max_mb): the oldest changes become durable (power_loss_written_back)\n",
			dev->disk->disk_name);
	if (!list_empty_careful(&pl->dead))
		schedule_work(&pl->free_work);
	return gone;
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
	ubk_pl_drop_all(pl);
	spin_unlock_irqrestore(&pl->lock, flags);
	if (!list_empty_careful(&pl->dead))
		schedule_work(&pl->free_work);
}

/*
 * A FLUSH request while tracking is on: true when an armed cut fires at
 * it (the FLUSH fails and makes nothing durable), else the flush.
 */
bool ubk_pl_flush_rq(struct uringblk_dev *dev)
{
	struct ubk_pl *pl = &dev->pl;
	unsigned long flags;
	bool gone = false;

	if (unlikely(READ_ONCE(pl->arm_trigger) == URINGBLK_PL_ARM_FLUSH)) {
		spin_lock_irqsave(&pl->lock, flags);
		if (pl->arm_trigger == URINGBLK_PL_ARM_FLUSH &&
		    --pl->arm_count == 0) {
			ubk_pl_fire(pl);
			gone = true;
		}
		spin_unlock_irqrestore(&pl->lock, flags);
	}
	if (!gone)
		ubk_pl_flush(dev);
	return gone;
}

/*
 * Turn tracking on or off; off makes every logged change durable. Either
 * way the log starts clean: a broken log is mended only here.
 */
void ubk_pl_set(struct uringblk_dev *dev, bool on)
{
	struct request_queue *q = dev->disk->queue;
	struct ubk_pl *pl = &dev->pl;

	mutex_lock(&pl->mutex);
	blk_mq_quiesce_queue(q);
	spin_lock_irq(&pl->lock);
	if (on != pl->on || !on) {
		ubk_pl_drop_all(pl);
		pl->broken = false;
	}
	if (!on)
		pl->arm_trigger = URINGBLK_PL_ARM_NONE;
	pl->wc = ubk_queue_wc_on(q);
	WRITE_ONCE(pl->on, on);
	spin_unlock_irq(&pl->lock);
	blk_mq_unquiesce_queue(q);
	mutex_unlock(&pl->mutex);
	if (!list_empty_careful(&pl->dead))
		schedule_work(&pl->free_work);
}

bool ubk_pl_broken(struct uringblk_dev *dev)
{
	return READ_ONCE(dev->pl.broken);
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

static bool ubk_pl_keep_op(const struct ubk_pl_spec *sp, u64 seq)
{
	u32 i;

	switch (sp->mode) {
	case UBK_PL_ALL:
		return false;
	case UBK_PL_PREFIX:
		return seq <= sp->seed;
	case UBK_PL_DROP:
		for (i = 0; i < sp->nr_drop; i++)
			if (sp->drop[i] == seq)
				return false;
		return true;
	default:
		return ubk_pl_mix(sp->seed ^ ubk_pl_mix(seq)) & 1;
	}
}

/* TORN: is tear unit @unit (a logical or a physical block) kept? */
static bool ubk_pl_keep_block(u64 seed, u64 seq, u64 unit)
{
	return ubk_pl_mix(ubk_pl_mix(seed + seq) ^ ubk_pl_mix(~unit)) & 1;
}

/*
 * Pinned blocks: a bitmap in xarray values, which hold BITS_PER_LONG - 1
 * bits: 32 blocks per value where long has 64 bits, 16 where it has 32.
 */
#define UBK_PIN_SHIFT	(BITS_PER_LONG == 64 ? 5 : 4)
#define UBK_PIN_MASK	((1U << UBK_PIN_SHIFT) - 1)

static bool ubk_pl_pinned(struct xarray *pins, u64 blk)
{
	void *e = xa_load(pins, blk >> UBK_PIN_SHIFT);

	return e && (xa_to_value(e) & (1UL << (blk & UBK_PIN_MASK)));
}

static int ubk_pl_pin(struct xarray *pins, u64 blk)
{
	void *e = xa_load(pins, blk >> UBK_PIN_SHIFT);
	unsigned long v = e ? xa_to_value(e) : 0;

	v |= 1UL << (blk & UBK_PIN_MASK);
	return xa_err(xa_store(pins, blk >> UBK_PIN_SHIFT, xa_mk_value(v),
			       GFP_KERNEL));
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

/* Undo the records of @log that @sp loses; counts in @res. */
static int ubk_pl_undo(struct uringblk_dev *dev, struct list_head *log,
		       const struct ubk_pl_spec *sp,
		       struct uringblk_power_cut_result *res)
{
	bool counted = false, any_kept = false;
	u64 last_seq = 0, blk, first, last;
	unsigned int tear_shift = 0;
	struct ubk_pl_rec *rec;
	struct xarray pins;
	int ret = 0;

	/* The physical block is a page (main.c): that many logical blocks. */
	if (sp->flags & URINGBLK_PL_CUT_TEAR_PHYSICAL)
		tear_shift = PAGE_SHIFT - dev->lbs_shift;
	xa_init(&pins);
	list_for_each_entry_reverse(rec, log, node) {
		bool keep = rec->pin || ubk_pl_keep_op(sp, rec->seq);
		bool tear = !keep && sp->mode == UBK_PL_TORN && rec->multi;

		if (rec->seq != last_seq) {
			/* Records of one operation are adjacent in the log. */
			if (counted && any_kept)
				res->torn++;
			last_seq = rec->seq;
			counted = false;
			any_kept = false;
			if (!rec->pin)
				res->pending++;
		}
		first = rec->pos >> dev->lbs_shift;
		last = (rec->pos + rec->len - 1) >> dev->lbs_shift;
		for (blk = first; blk <= last && !ret; blk++) {
			bool k = keep ||
				 (tear && ubk_pl_keep_block(sp->seed, rec->seq,
							    blk >> tear_shift));

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
	xa_destroy(&pins);
	return ret;
}

/*
 * Cached pages of the block device and of its partitions (each has its
 * own page cache) may hold undone data, or data written while the power
 * was off.
 */
static void ubk_pl_invalidate(struct uringblk_dev *dev)
{
	ubk_disk_invalidate_all(dev->disk);
}

/* Is @sp a cut the driver can do? @armed: for POWER_ARM (no DROP). */
int ubk_pl_spec_check(const struct ubk_pl_spec *sp, bool armed)
{
	u32 i;

	if (sp->mode > UBK_PL_DROP || (armed && sp->mode == UBK_PL_DROP))
		return -EINVAL;
	if (sp->flags & ~(URINGBLK_PL_CUT_RESUME |
			  URINGBLK_PL_CUT_TEAR_PHYSICAL))
		return -EINVAL;
	if (sp->mode != UBK_PL_DROP)
		return sp->nr_drop ? -EINVAL : 0;
	if (!sp->nr_drop || sp->nr_drop > URINGBLK_PL_MAX_DROP)
		return -EINVAL;
	for (i = 0; i < sp->nr_drop; i++)
		if (!sp->drop[i])
			return -EINVAL;		/* changes are numbered from 1 */
	return 0;
}

/*
 * Power cut: switch the power off and undo what a crash would lose; with
 * @resume switch it on again. Returns 0 and the counts in @res, -ENODATA
 * with tracking off, -EIO if the log is broken (nothing is done, the log
 * stays broken), or -ENOMEM / -ENOSPC if undoing failed half way
 * (logged; the power is off all the same). Any armed cut is disarmed.
 */
int ubk_pl_cut(struct uringblk_dev *dev, const struct ubk_pl_spec *sp,
	       bool resume, struct uringblk_power_cut_result *res)
{
	struct request_queue *q = dev->disk->queue;
	struct ubk_pl *pl = &dev->pl;
	unsigned int noio;
	LIST_HEAD(log);
	int ret;

	memset(res, 0, sizeof(*res));
	ret = ubk_pl_spec_check(sp, false);
	if (ret)
		return ret;
	mutex_lock(&pl->mutex);
	if (!READ_ONCE(pl->on)) {
		ret = -ENODATA;
		goto unlock;
	}
	blk_mq_quiesce_queue(q);
	/*
	 * I/O is quiesced: an allocation that reclaims by writing to this
	 * device (swap or a filesystem on it) would wait for it forever.
	 */
	noio = memalloc_noio_save();
	spin_lock_irq(&pl->lock);
	if (pl->broken) {
		spin_unlock_irq(&pl->lock);
		memalloc_noio_restore(noio);
		blk_mq_unquiesce_queue(q);
		pr_warn_ratelimited("%s: power cut refused: the power-loss log is broken (power_loss_broken); switch power_loss off and on\n",
				    dev->disk->disk_name);
		ret = -EIO;
		goto unlock;
	}
	ubk_pl_check_wc(dev);
	atomic64_sub(pl->bytes, &ubk_pl_used);
	list_splice_init(&pl->log, &log);
	pl->bytes = 0;
	pl->nr_recs = 0;
	pl->nr_data = 0;
	pl->seq = 0;
	pl->cuts++;
	WRITE_ONCE(pl->arm_trigger, URINGBLK_PL_ARM_NONE);
	/* Requests in flight now fail when they complete; new ones at once. */
	WRITE_ONCE(pl->epoch, pl->epoch + 1);
	WRITE_ONCE(pl->off, true);
	spin_unlock_irq(&pl->lock);

	if (!list_empty(&log))
		res->changes = list_last_entry(&log, struct ubk_pl_rec,
					       node)->seq;
	ret = ubk_pl_undo(dev, &log, sp, res);
	if (ret)
		pr_err("%s: power cut failed half way: %d\n",
		       dev->disk->disk_name, ret);
	spin_lock_irq(&pl->lock);
	pl->reverted += res->reverted;
	pl->torn += res->torn;
	pl->last = *res;
	if (resume)
		WRITE_ONCE(pl->off, false);
	spin_unlock_irq(&pl->lock);
	memalloc_noio_restore(noio);
	blk_mq_unquiesce_queue(q);
	ubk_pl_free_list(&log, true);
	ubk_pl_invalidate(dev);
	pr_info_ratelimited("%s: power cut: %llu of %llu non-durable changes undone; power %s\n",
			    dev->disk->disk_name, res->reverted, res->pending,
			    resume ? "on again" : "off until power_on");
unlock:
	mutex_unlock(&pl->mutex);
	return ret;
}

/* An armed cut fired in the data path: undo, the power stays off. */
static void ubk_pl_cut_work_fn(struct work_struct *work)
{
	struct ubk_pl *pl = container_of(work, struct ubk_pl, cut_work);
	struct uringblk_dev *dev = container_of(pl, struct uringblk_dev, pl);
	struct uringblk_power_cut_result res;
	int ret;

	ret = ubk_pl_cut(dev, &pl->fired, false, &res);
	if (ret)
		pr_warn("%s: armed power cut: %d (the power is off)\n",
			dev->disk->disk_name, ret);
}

/* Power on after a cut; nothing to do when the power is on. */
void ubk_pl_power_on(struct uringblk_dev *dev)
{
	struct ubk_pl *pl = &dev->pl;

	/* An armed cut that fired finishes its undo first. */
	flush_work(&pl->cut_work);
	mutex_lock(&pl->mutex);
	if (READ_ONCE(pl->off)) {
		ubk_pl_invalidate(dev);
		WRITE_ONCE(pl->off, false);
		pr_info("%s: power on\n", dev->disk->disk_name);
	}
	mutex_unlock(&pl->mutex);
}

/* Teardown, after del_gendisk(): no trigger fires any more. */
void ubk_pl_stop(struct uringblk_dev *dev)
{
	WRITE_ONCE(dev->pl.arm_trigger, URINGBLK_PL_ARM_NONE);
	flush_work(&dev->pl.cut_work);
}

/* Arm a cut (POWER_ARM, sysfs power_arm); NONE disarms. */
int ubk_pl_arm(struct uringblk_dev *dev, const struct uringblk_power_arm *a)
{
	struct ubk_pl *pl = &dev->pl;
	struct ubk_pl_spec sp = {
		.mode = a->mode, .flags = a->flags, .seed = a->seed,
	};
	u64 pos = 0, end = 0;
	int ret;

	if (a->reserved0 || a->trigger > URINGBLK_PL_ARM_MARK ||
	    (a->flags & URINGBLK_PL_CUT_RESUME))
		return -EINVAL;
	ret = ubk_pl_spec_check(&sp, true);
	if (ret)
		return ret;
	switch (a->trigger) {
	case URINGBLK_PL_ARM_CHANGE:
	case URINGBLK_PL_ARM_FLUSH:
		if (!a->count)
			return -EINVAL;
		break;
	case URINGBLK_PL_ARM_LBA:
		if (!a->nr_sectors ||
		    a->sector >= ubk_dev_capacity_sectors(dev) ||
		    a->nr_sectors > ubk_dev_capacity_sectors(dev) - a->sector)
			return -EINVAL;
		pos = a->sector << SECTOR_SHIFT;
		end = pos + (a->nr_sectors << SECTOR_SHIFT);
		break;
	case URINGBLK_PL_ARM_MARK:
		pos = a->sector;
		break;
	}
	mutex_lock(&pl->mutex);
	if (a->trigger != URINGBLK_PL_ARM_NONE && !READ_ONCE(pl->on)) {
		mutex_unlock(&pl->mutex);
		return -ENODATA;
	}
	spin_lock_irq(&pl->lock);
	pl->arm_cut = sp;
	pl->arm_count = a->count;
	pl->arm_pos = pos;
	pl->arm_end = end;
	WRITE_ONCE(pl->arm_trigger, a->trigger);
	spin_unlock_irq(&pl->lock);
	mutex_unlock(&pl->mutex);
	return 0;
}

/*
 * A mark (POWER_MARK, sysfs power_mark): changes logged from now on list
 * it as the mark before them; a cut armed at this tag fires now.
 */
int ubk_pl_mark(struct uringblk_dev *dev, u64 tag)
{
	struct uringblk_power_cut_result res;
	struct ubk_pl *pl = &dev->pl;
	struct ubk_pl_spec sp;
	bool fire = false;

	spin_lock_irq(&pl->lock);
	pl->mark = tag;
	pl->marked = true;
	if (pl->arm_trigger == URINGBLK_PL_ARM_MARK && pl->arm_pos == tag) {
		sp = pl->arm_cut;
		WRITE_ONCE(pl->arm_trigger, URINGBLK_PL_ARM_NONE);
		fire = true;
	}
	spin_unlock_irq(&pl->lock);
	return fire ? ubk_pl_cut(dev, &sp, false, &res) : 0;
}

/*
 * The changes in the log, oldest first: up to @max entries in @e (one per
 * change: its records are adjacent), the number of changes in *@nr_changes.
 * Numbers since the last durable point are contiguous: the log holds
 * changes first->seq .. pl->seq.
 */
u32 ubk_pl_log(struct uringblk_dev *dev, struct uringblk_power_log_entry *e,
	       u32 max, u64 *nr_changes)
{
	struct ubk_pl *pl = &dev->pl;
	struct uringblk_power_log_entry *cur = NULL;
	struct ubk_pl_rec *rec;
	u32 n = 0;

	spin_lock_irq(&pl->lock);
	*nr_changes = 0;
	if (!list_empty(&pl->log)) {
		rec = list_first_entry(&pl->log, struct ubk_pl_rec, node);
		*nr_changes = pl->seq - rec->seq + 1;
	}
	list_for_each_entry(rec, &pl->log, node) {
		if (cur && cur->seq == rec->seq) {
			cur->nr_sectors += rec->len >> SECTOR_SHIFT;
			continue;
		}
		if (n == max)
			break;
		cur = &e[n++];
		memset(cur, 0, sizeof(*cur));
		cur->seq = rec->seq;
		cur->sector = rec->pos >> SECTOR_SHIFT;
		cur->nr_sectors = rec->len >> SECTOR_SHIFT;
		cur->op = rec->op;
		cur->flags = (rec->pin ? URINGBLK_PL_LOG_FUA : 0) |
			     (rec->marked ? URINGBLK_PL_LOG_MARK : 0);
		cur->mark = rec->mark;
	}
	spin_unlock_irq(&pl->lock);
	return n;
}

/* sysfs power_state: off, armed or on. */
const char *ubk_pl_state(struct uringblk_dev *dev)
{
	if (READ_ONCE(dev->pl.off))
		return "off";
	return READ_ONCE(dev->pl.arm_trigger) ? "armed" : "on";
}

static const char * const ubk_pl_mode_names[] = {
	[UBK_PL_ALL] = "all", [UBK_PL_RANDOM] = "random",
	[UBK_PL_TORN] = "torn", [UBK_PL_PREFIX] = "prefix",
	[UBK_PL_DROP] = "drop",
};

/* The name of cut mode @mode (<= UBK_PL_DROP) in sysfs. */
const char *ubk_pl_mode_name(u32 mode)
{
	return ubk_pl_mode_names[mode];
}

/* sysfs power_arm: the armed trigger and its cut, as written, or "none". */
ssize_t ubk_pl_arm_show(struct uringblk_dev *dev, char *buf)
{
	struct ubk_pl *pl = &dev->pl;
	struct ubk_pl_spec sp;
	u64 count, pos, end;
	u32 trig;
	int n;

	spin_lock_irq(&pl->lock);
	trig = pl->arm_trigger;
	sp = pl->arm_cut;
	count = pl->arm_count;
	pos = pl->arm_pos;
	end = pl->arm_end;
	spin_unlock_irq(&pl->lock);
	switch (trig) {
	case URINGBLK_PL_ARM_CHANGE:
		n = sysfs_emit(buf, "change %llu", count);
		break;
	case URINGBLK_PL_ARM_FLUSH:
		n = sysfs_emit(buf, "flush %llu", count);
		break;
	case URINGBLK_PL_ARM_LBA:
		n = sysfs_emit(buf, "lba %llu %llu", pos >> SECTOR_SHIFT,
			       (end - pos) >> SECTOR_SHIFT);
		break;
	case URINGBLK_PL_ARM_MARK:
		n = sysfs_emit(buf, "mark %llu", pos);
		break;
	default:
		return sysfs_emit(buf, "none\n");
	}
	n += sysfs_emit_at(buf, n, " %s", ubk_pl_mode_name(sp.mode));
	if (sp.mode != UBK_PL_ALL)
		n += sysfs_emit_at(buf, n, " %llu", sp.seed);
	if (sp.flags & URINGBLK_PL_CUT_TEAR_PHYSICAL)
		n += sysfs_emit_at(buf, n, " physical");
	return n + sysfs_emit_at(buf, n, "\n");
}

/*
 * POWER_CUT from the admin plane: @drop holds the change numbers of DROP
 * (payload_len says how many). A client of ABI 1.1 (@abi_minor < 2) knows
 * no power state: its cut resumes at once, as in 1.1.
 */
int ubk_dev_power_cut(struct uringblk_dev *dev,
		      const struct uringblk_power_cut *c, const __u64 *drop,
		      u32 nr_drop, u16 abi_minor,
		      struct uringblk_power_cut_result *res)
{
	struct ubk_pl_spec sp = {
		.mode = c->mode, .flags = c->flags, .seed = c->seed,
		.nr_drop = nr_drop,
	};
	bool resume = abi_minor < 2 || (c->flags & URINGBLK_PL_CUT_RESUME);

	if (nr_drop > URINGBLK_PL_MAX_DROP ||
	    (c->mode == URINGBLK_PL_DROP && c->seed != nr_drop))
		return -EINVAL;
	memcpy(sp.drop, drop, nr_drop * sizeof(*drop));
	return ubk_pl_cut(dev, &sp, resume, res);
}

/* POWER_ON from the admin plane. */
int ubk_dev_power_on(struct uringblk_dev *dev)
{
	ubk_pl_power_on(dev);
	return 0;
}
