// SPDX-License-Identifier: GPL-2.0
/*
 * uringblk: blk-mq data path.
 *
 * One dispatcher (ubk_execute()) serves ->queue_rq() and ->queue_rqs() and
 * every hardware queue type, so every operation (FLUSH included) behaves
 * the same on default and poll queues. The data is copied at dispatch;
 * only the completion differs:
 *   - default queues complete inline with blk_mq_end_request() (no softirq,
 *     no IPI: the cheapest completion for a memcpy device);
 *   - REQ_POLLED requests on a poll queue are put on the queue's lockless
 *     llist and completed by ->poll() through the io_comp_batch.
 * Requests without REQ_POLLED that land on a poll queue (the flush machinery
 * copies the hctx of the first waiting request into its flush request)
 * complete inline: nobody is guaranteed to poll for them.
 *
 * Error injection (docs/error-injection.md) costs the dispatcher one load
 * of dev->inj when no rule is active. With rules, ubk_handle_rq_inj() fails
 * requests, refuses them (BLK_STS_RESOURCE), makes their allocations take
 * the reclaiming path, holds them for ->timeout() or completes them late
 * from the device's delay timer through ->complete() (or ->poll() for
 * polled ones).
 *
 * A write that cannot get a page now is given back with BLK_STS_RESOURCE,
 * not started; the store's refill worker reruns the queues once it has
 * reclaimed pages, and blk-mq reruns them after BLK_MQ_RESOURCE_DELAY
 * anyway. There is no retry count: the request fails (BLK_STS_NOSPC) only
 * when the store says the memory is not there (store.c).
 */
#include "compat.h"

#include <linux/blk-mq.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/sched/clock.h>

#include "uringblk.h"

/*
 * Copy a READ or WRITE. One RCU read-side section covers the whole request
 * (the store's pages cannot be freed under it, see store.c). blk-mq already
 * runs ->queue_rq() of a non-blocking queue inside one, so this holds off
 * no grace period longer than before; it saves a lock/unlock pair per page
 * of a large request.
 */
static blk_status_t ubk_do_rw(struct uringblk_dev *dev, struct request *rq,
			      bool write, unsigned int sflags)
{
	u64 pos = (u64)blk_rq_pos(rq) << SECTOR_SHIFT;
	blk_status_t st = BLK_STS_OK;
	struct req_iterator iter;
	struct bio_vec bv;

	rcu_read_lock();
	rq_for_each_segment(bv, rq, iter) {
		if (write)
			st = ubk_store_write(&dev->store, pos, bv.bv_page,
					     bv.bv_offset, bv.bv_len, sflags);
		else
			st = ubk_store_read(&dev->store, pos, bv.bv_page,
					    bv.bv_offset, bv.bv_len);
		if (unlikely(st))
			break;
		pos += bv.bv_len;
	}
	rcu_read_unlock();
	return st;
}

/*
 * Execute @rq against the store. Never sleeps. Inline in both dispatchers.
 * @sflags: UBK_STORE_* for writes (0 on the fast path).
 */
static __always_inline blk_status_t ubk_execute(struct uringblk_dev *dev,
						struct request *rq,
						unsigned int sflags)
{
	u64 pos = (u64)blk_rq_pos(rq) << SECTOR_SHIFT;

	switch (req_op(rq)) {
	case REQ_OP_READ:
		return ubk_do_rw(dev, rq, false, 0);
	case REQ_OP_WRITE:
		if (unlikely(READ_ONCE(dev->pl.on)) &&
		    ubk_pl_record(dev, rq, pos, blk_rq_bytes(rq), sflags))
			return BLK_STS_IOERR;	/* an armed power cut fired */
		return ubk_do_rw(dev, rq, true, sflags);
	case REQ_OP_FLUSH:
		if (unlikely(READ_ONCE(dev->pl.on)) && ubk_pl_flush_rq(dev))
			return BLK_STS_IOERR;
		/* Everything completed so far is now durable. */
		atomic64_inc(&dev->flush_epoch);
		return BLK_STS_OK;
	case REQ_OP_DISCARD:
		if (!dev->discard)
			return BLK_STS_NOTSUPP;
		if (unlikely(READ_ONCE(dev->pl.on)) &&
		    ubk_pl_record(dev, rq, pos, blk_rq_bytes(rq), sflags))
			return BLK_STS_IOERR;
		return ubk_store_zero(&dev->store, pos, blk_rq_bytes(rq),
				      ubk_rq_unmaps(rq));
	case REQ_OP_WRITE_ZEROES:
		if (!dev->write_zeroes)
			return BLK_STS_NOTSUPP;
		if (unlikely(READ_ONCE(dev->pl.on)) &&
		    ubk_pl_record(dev, rq, pos, blk_rq_bytes(rq), sflags))
			return BLK_STS_IOERR;
		return ubk_store_zero(&dev->store, pos, blk_rq_bytes(rq),
				      ubk_rq_unmaps(rq));
	default:
		return BLK_STS_NOTSUPP;
	}
}

/*
 * Latency clock: local_clock() (sched_clock, the TSC on x86) rather than
 * ktime_get_ns(). The statistics need nanosecond deltas, not wall time,
 * and local_clock() needs neither the timekeeping seqcount nor a
 * clocksource read, which is an emulated MMIO access when the clocksource
 * is the HPET. Start and end can be on different CPUs for a polled
 * request; the clock is synchronised across CPUs to well under a bucket,
 * and a negative delta counts as 0.
 *
 * The clock is read once per batch, not once per request: a ->queue_rqs()
 * batch starts every request at the same time (the driver received them
 * together), the requests it completes inline are ended together after
 * the batch (none reaches its submitter earlier), and one ->poll() call
 * reaps all it finds at the same time. Each read costs about 60
 * instructions, a tenth of the driver's share of a 4 KiB I/O
 * (docs/performance.md 5b).
 */
static inline u64 ubk_elapsed_ns(const struct ubk_cmd *cmd, u64 now)
{
	s64 d = (s64)(now - cmd->start_ns);

	return d > 0 ? d : 0;
}

/* Failed requests: media errors and timeouts are counted. */
static void ubk_account_error(struct uringblk_dev *dev, blk_status_t st)
{
	if (st == BLK_STS_IOERR)
		ubk_stat_inc(&dev->stats, UBK_C_MEDIA_ERRORS);
	else if (st == BLK_STS_TIMEOUT)
		ubk_stat_inc(&dev->stats, UBK_C_TIMEOUTS);
}

/*
 * Give @rq back to blk-mq, not started (BLK_STS_RESOURCE). RQF_DONTPREP
 * marks it as one that was dispatched before: blk-mq clears rq_flags for
 * every new request, so the mark cannot leak to the next user of the tag.
 */
static blk_status_t ubk_refuse(struct uringblk_dev *dev, struct request *rq)
{
	rq->rq_flags |= RQF_DONTPREP;
	ubk_stat_inc(&dev->stats, UBK_C_QUEUE_FULL);
	return BLK_STS_RESOURCE;
}

/*
 * The store refilled its pool (@got_pages) or gave up: either way the
 * requests it refused must be dispatched again now (process context).
 */
void ubk_store_refilled(struct ubk_store *s, bool got_pages)
{
	struct uringblk_dev *dev = container_of(s, struct uringblk_dev, store);

	if (got_pages)
		ubk_stat_inc(&dev->stats, UBK_C_REFILLS);
	blk_mq_run_hw_queues(dev->disk->queue, true);
}

/*
 * Statistics of a finished request; runs on every completion path, so a
 * delayed request's latency includes its delay.
 */
static void ubk_account(struct uringblk_dev *dev, struct request *rq,
			blk_status_t st, u64 now)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct ubk_stats *s = &dev->stats;

	if (unlikely(st != BLK_STS_OK)) {
		ubk_account_error(dev, st);
		return;
	}

	switch (req_op(rq)) {
	case REQ_OP_READ:
		ubk_stat_inc(s, UBK_C_READ_OPS);
		ubk_stat_add(s, UBK_C_READ_BYTES, blk_rq_bytes(rq));
		ubk_stat_latency(s, UBK_H_READ, ubk_elapsed_ns(cmd, now));
		break;
	case REQ_OP_WRITE:
		ubk_stat_inc(s, UBK_C_WRITE_OPS);
		ubk_stat_add(s, UBK_C_WRITE_BYTES, blk_rq_bytes(rq));
		/* The live cache mode decides whether the data is volatile. */
		if (!(rq->cmd_flags & REQ_FUA) && ubk_queue_wc_on(rq->q))
			ubk_stat_inc(s, UBK_C_CACHED_WRITES);
		ubk_stat_latency(s, UBK_H_WRITE, ubk_elapsed_ns(cmd, now));
		break;
	case REQ_OP_FLUSH:
		ubk_stat_inc(s, UBK_C_FLUSH_OPS);
		break;
	case REQ_OP_DISCARD:
		ubk_stat_inc(s, UBK_C_DISCARD_OPS);
		break;
	case REQ_OP_WRITE_ZEROES:
		ubk_stat_inc(s, UBK_C_WRITE_ZEROES_OPS);
		break;
	default:
		break;
	}
}

/*
 * Execute @rq; BLK_STS_RESOURCE means "give it back, not started" (the
 * store queued a refill). A write that failed for lack of memory counts.
 */
static __always_inline blk_status_t ubk_execute_alloc(struct uringblk_dev *dev,
						      struct request *rq,
						      unsigned int sflags)
{
	blk_status_t st = ubk_execute(dev, rq, sflags);

	if (unlikely(st == BLK_STS_RESOURCE))
		return ubk_refuse(dev, rq);
	if (unlikely(st == BLK_STS_NOSPC))
		ubk_stat_inc(&dev->stats, UBK_C_NOMEM);
	return st;
}

/*
 * Is @rq completed through ->poll()? Not once removal began: its poller may
 * never come (a stopped process), and del_gendisk() waits for every
 * request (ubk_release_held()).
 */
static bool ubk_rq_polled(const struct ubk_queue *uq, struct request *rq)
{
	return rq->mq_hctx->type == HCTX_TYPE_POLL &&
	       (rq->cmd_flags & REQ_POLLED) && !READ_ONCE(uq->no_poll);
}

/*
 * Complete a started request with @st: for ->poll(), or inline. Inline
 * completions join @iob when the caller has one (->queue_rqs()), which
 * accounts and ends them all at once after the batch: one clock read for
 * the driver's statistics, one for the block layer's accounting and one
 * tag-free call per batch, as on the poll path.
 */
static __always_inline void ubk_finish(struct ubk_queue *uq,
				       struct request *rq, blk_status_t st,
				       struct io_comp_batch *iob)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (ubk_rq_polled(uq, rq)) {
		cmd->status = st;
		llist_add(&cmd->node, &uq->poll_list);
		return;
	}
	if (blk_mq_add_to_batch(rq, iob, st != BLK_STS_OK,
				blk_mq_end_request_batch))
		return;		/* accounted by ubk_end_batch() */
	ubk_account(uq->dev, rq, st, local_clock());
	blk_mq_end_request(rq, st);
}

/*
 * End the requests ubk_finish() put on @iob: all succeeded (a failed one
 * is never batched) and all complete now.
 */
static void ubk_end_batch(struct io_comp_batch *iob)
{
	u64 now = local_clock();
	struct request *rq;

	rq_list_for_each(&iob->req_list, rq) {
		struct ubk_queue *uq = rq->mq_hctx->driver_data;

		ubk_account(uq->dev, rq, BLK_STS_OK, now);
	}
	iob->complete(iob);
}

/*
 * A delayed or held request is due: complete it with cmd->status. Polled
 * requests go to the poll list, where ->poll() finds them as usual; the
 * others through blk_mq_complete_request() and ->complete(). Any context.
 */
static void ubk_complete_late(struct request *rq)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct ubk_queue *uq = rq->mq_hctx->driver_data;

	if (ubk_rq_polled(uq, rq))
		llist_add(&cmd->node, &uq->poll_list);
	else
		blk_mq_complete_request(rq);
}

/*
 * Status of a request that completes after its dispatch (delayed, held or
 * polled): a power cut since its dispatch fails it, whatever it did, as a
 * disk whose power went off fails what was in flight. Its data may have
 * been undone by the cut, and a success would promise it.
 */
static inline blk_status_t ubk_late_status(const struct ubk_cmd *cmd,
					   u16 epoch)
{
	if (unlikely(cmd->pl_epoch != epoch) && cmd->status == BLK_STS_OK)
		return BLK_STS_IOERR;
	return cmd->status;
}

/* ->complete(): the end of every ubk_complete_late() that was not polled. */
static void ubk_complete_rq(struct request *rq)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct ubk_queue *uq = rq->mq_hctx->driver_data;
	blk_status_t st = ubk_late_status(cmd, READ_ONCE(uq->dev->pl.epoch));

	ubk_account(uq->dev, rq, st, local_clock());
	blk_mq_end_request(rq, st);
}

/*
 * Delay rule. Delayed requests wait on dev->delay_list (unsorted) and one
 * per-device hrtimer, armed for the earliest due time, completes every
 * request that is due and re-arms itself for the next. A request costs a
 * list node and a due time in its PDU instead of a timer of its own.
 */
static void ubk_delay_rq(struct uringblk_dev *dev, struct request *rq,
			 u32 usec)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	unsigned long flags;

	cmd->due_ns = ktime_get_ns() + (u64)usec * NSEC_PER_USEC;
	atomic_set(&cmd->inj_state, UBK_RQ_DELAYED);
	spin_lock_irqsave(&dev->delay_lock, flags);
	list_add_tail(&cmd->delay_node, &dev->delay_list);
	if (cmd->due_ns < dev->delay_next) {
		dev->delay_next = cmd->due_ns;
		hrtimer_start(&dev->delay_timer, ns_to_ktime(cmd->due_ns),
			      HRTIMER_MODE_ABS);
	}
	spin_unlock_irqrestore(&dev->delay_lock, flags);
}

/* Complete the delayed requests on @list (taken off dev->delay_list). */
static void ubk_delay_complete(struct list_head *list)
{
	struct ubk_cmd *cmd, *next;

	list_for_each_entry_safe(cmd, next, list, delay_node) {
		list_del(&cmd->delay_node);
		if (atomic_cmpxchg(&cmd->inj_state, UBK_RQ_DELAYED,
				   UBK_RQ_NORMAL) == UBK_RQ_DELAYED)
			ubk_complete_late(blk_mq_rq_from_pdu(cmd));
	}
}

/* The earliest delay is over (hard interrupt context). */
static enum hrtimer_restart ubk_delay_timer_fn(struct hrtimer *timer)
{
	struct uringblk_dev *dev = container_of(timer, struct uringblk_dev,
						delay_timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	u64 now = ktime_get_ns(), next = U64_MAX;
	struct ubk_cmd *cmd, *tmp;
	unsigned long flags;
	LIST_HEAD(due);

	spin_lock_irqsave(&dev->delay_lock, flags);
	list_for_each_entry_safe(cmd, tmp, &dev->delay_list, delay_node) {
		if (cmd->due_ns <= now)
			list_move_tail(&cmd->delay_node, &due);
		else
			next = min(next, cmd->due_ns);
	}
	dev->delay_next = next;
	if (next != U64_MAX) {
		hrtimer_set_expires(timer, ns_to_ktime(next));
		ret = HRTIMER_RESTART;
	}
	spin_unlock_irqrestore(&dev->delay_lock, flags);
	ubk_delay_complete(&due);
	return ret;
}

void ubk_delay_init(struct uringblk_dev *dev)
{
	spin_lock_init(&dev->delay_lock);
	INIT_LIST_HEAD(&dev->delay_list);
	dev->delay_next = U64_MAX;
	ubk_hrtimer_setup(&dev->delay_timer, ubk_delay_timer_fn,
			  CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
}

/*
 * Dispatch with error-injection rules published or the power off (the
 * slow path; see ubk_handle_rq()). A failed request never touches the
 * store, so a failed write leaves the old data in place.
 */
static noinline blk_status_t ubk_handle_rq_inj(struct ubk_queue *uq,
					       struct request *rq)
{
	struct uringblk_dev *dev = uq->dev;
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	unsigned int sflags = 0;
	int act = UBK_INJ_ACT_NONE;
	blk_status_t st;
	u32 usec = 0;

	if (READ_ONCE(dev->pl.off)) {
		/* The power is off (docs/power-loss.md): every request fails. */
		rq->rq_flags |= RQF_QUIET;
		blk_mq_start_request(rq);
		ubk_finish(uq, rq, BLK_STS_IOERR, NULL);
		return BLK_STS_OK;
	}
	if (!rcu_access_pointer(dev->inj))
		goto execute;
	act = ubk_inj_decide(dev, rq, &usec);
	switch (act) {
	case UBK_INJ_ACT_TIMEOUT:
		/* Started and held: ubk_timeout() completes it. */
		return BLK_STS_OK;
	case UBK_INJ_ACT_EIO:
	case UBK_INJ_ACT_ENOSPC:
		st = act == UBK_INJ_ACT_EIO ? BLK_STS_IOERR : BLK_STS_NOSPC;
		/* One rate-limited line of ours instead of one per request. */
		rq->rq_flags |= RQF_QUIET;
		ubk_inj_report(dev, rq, st);
		blk_mq_start_request(rq);
		ubk_finish(uq, rq, st, NULL);
		return BLK_STS_OK;
	case UBK_INJ_ACT_BUSY:
		return ubk_refuse(dev, rq);
	case UBK_INJ_ACT_NOMEM:
		sflags = UBK_STORE_NO_ATOMIC;
		break;
	default:
		break;
	}

execute:
	st = ubk_execute_alloc(dev, rq, sflags);
	if (unlikely(st == BLK_STS_RESOURCE))
		return BLK_STS_RESOURCE;
	blk_mq_start_request(rq);
	if (act == UBK_INJ_ACT_DELAY) {
		cmd->status = st;
		ubk_delay_rq(dev, rq, usec);
		return BLK_STS_OK;
	}
	ubk_finish(uq, rq, st, NULL);
	return BLK_STS_OK;
}

/*
 * Dispatch one request. Returns BLK_STS_RESOURCE when the caller must give
 * the request back to blk-mq (not started); BLK_STS_OK otherwise (the
 * request was completed, queued for ->poll(), or taken over by error
 * injection, possibly with an error).
 */
static blk_status_t ubk_handle_rq(struct request *rq,
				  struct io_comp_batch *iob, u64 start)
{
	struct ubk_queue *uq = rq->mq_hctx->driver_data;
	struct uringblk_dev *dev = uq->dev;
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	blk_status_t st;

	if (likely(!(rq->rq_flags & RQF_DONTPREP))) {
		cmd->start_ns = start;
		cmd->pl_logged = false;
		cmd->pl_epoch = READ_ONCE(dev->pl.epoch);
	} else {
		ubk_stat_inc(&dev->stats, UBK_C_RETRIES);
		/*
		 * Given back before a power cut, dispatched after it: a new
		 * request for the power-loss log (the cut undid or kept what
		 * it had copied).
		 */
		if (unlikely(cmd->pl_epoch != READ_ONCE(dev->pl.epoch))) {
			cmd->pl_logged = false;
			cmd->pl_epoch = READ_ONCE(dev->pl.epoch);
		}
	}

	/*
	 * No rules and the power on: two loads and a predicted branch, no
	 * atomics, no locks.
	 */
	if (unlikely(rcu_access_pointer(dev->inj) || READ_ONCE(dev->pl.off)))
		return ubk_handle_rq_inj(uq, rq);

	st = ubk_execute_alloc(dev, rq, 0);
	if (unlikely(st == BLK_STS_RESOURCE))
		return BLK_STS_RESOURCE;

	/*
	 * Started only now: a request given back must not have been started
	 * (a ->queue_rqs() leftover is issued again without being reset).
	 * blk-mq's disk statistics (iostat) count from the request's
	 * allocation, not from here, so they include the copy anyway.
	 */
	blk_mq_start_request(rq);
	ubk_finish(uq, rq, st, iob);
	return BLK_STS_OK;
}

static blk_status_t ubk_queue_rq(struct blk_mq_hw_ctx *hctx,
				 const struct blk_mq_queue_data *bd)
{
	return ubk_handle_rq(bd->rq, NULL, local_clock());
}

/* Batched dispatch from a plug; what is left in @rqlist blk-mq re-issues. */
static void ubk_queue_rqs(ubk_rqs_arg_t rqlist)
{
	DEFINE_IO_COMP_BATCH(iob);
	struct ubk_rqs_requeue requeue;
	u64 start = local_clock();
	struct request *rq;

	ubk_rqs_requeue_init(&requeue);
	while ((rq = ubk_rqs_pop(rqlist))) {
		ubk_rqs_record_tag(rq);
		if (ubk_handle_rq(rq, &iob, start) != BLK_STS_OK)
			ubk_rqs_requeue_add(&requeue, rq);
	}
	if (iob.complete)
		ubk_end_batch(&iob);
	ubk_rqs_finish(rqlist, &requeue);
}

static int ubk_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
{
	struct ubk_queue *uq = hctx->driver_data;
	struct llist_node *list;
	struct ubk_cmd *cmd, *next;
	int n = 0;
	u16 epoch;
	u64 now;

	list = llist_del_all(&uq->poll_list);
	if (!list)
		return 0;
	now = local_clock();
	epoch = READ_ONCE(uq->dev->pl.epoch);
	list = llist_reverse_order(list);	/* complete in dispatch order */

	llist_for_each_entry_safe(cmd, next, list, node) {
		struct request *rq = blk_mq_rq_from_pdu(cmd);
		blk_status_t st = ubk_late_status(cmd, epoch);

		ubk_account(uq->dev, rq, st, now);
		if (!blk_mq_add_to_batch(rq, iob, st != BLK_STS_OK,
					 blk_mq_end_request_batch))
			blk_mq_end_request(rq, st);
		n++;
	}
	ubk_stat_add(&uq->dev->stats, UBK_C_POLLED, n);
	return n;
}

/*
 * ->timeout(): the request timer (tag_set.timeout, queue/io_timeout) ran
 * out. A request held by a timeout rule completes with BLK_STS_TIMEOUT
 * (-ETIMEDOUT); any other request is one the driver completes itself (a
 * delayed one, or a polled one nobody has reaped yet), so its timer is
 * restarted.
 */
static enum blk_eh_timer_return ubk_timeout(struct request *rq)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct ubk_queue *uq = rq->mq_hctx->driver_data;

	if (atomic_cmpxchg(&cmd->inj_state, UBK_RQ_HELD,
			   UBK_RQ_NORMAL) != UBK_RQ_HELD)
		return BLK_EH_RESET_TIMER;
	cmd->status = BLK_STS_TIMEOUT;
	ubk_inj_report(uq->dev, rq, BLK_STS_TIMEOUT);
	ubk_complete_late(rq);
	return BLK_EH_DONE;
}

/*
 * Removal: complete what error injection holds. Held requests get
 * BLK_STS_TIMEOUT; delayed ones lose the rest of their delay. The cmpxchg
 * on inj_state decides a race with ->timeout() or the delay timer: exactly
 * one side completes the request. A held polled request is completed here
 * too (blk_mq_complete_request() completes it locally).
 */
static bool ubk_release_rq(struct request *rq, void *data)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (atomic_cmpxchg(&cmd->inj_state, UBK_RQ_HELD,
			   UBK_RQ_NORMAL) == UBK_RQ_HELD) {
		cmd->status = BLK_STS_TIMEOUT;
		blk_mq_complete_request(rq);
	}
	return true;
}

/*
 * Complete every request held or delayed by error injection, and every
 * polled one nobody reaped: a forced delete must not wait for a poller
 * that may never come (a stopped process), since del_gendisk() waits for
 * every request. The caller has unpublished the rules for good
 * (ubk_inj_shutdown()), so nothing new is held or delayed once the queue
 * is quiesced (a ->queue_rq() may still be between its decision and the
 * delay list until then), and no_poll, seen by every ->queue_rq() after
 * the quiesce, completes later polled requests at once. A poller may
 * still reap concurrently: llist_del_all() gives each side its own.
 */
void ubk_release_held(struct uringblk_dev *dev)
{
	struct request_queue *q = dev->disk->queue;
	struct blk_mq_hw_ctx *hctx;
	unsigned long flags, i;
	LIST_HEAD(delayed);

	queue_for_each_hw_ctx(q, hctx, i)
		WRITE_ONCE(((struct ubk_queue *)hctx->driver_data)->no_poll,
			   true);
	blk_mq_quiesce_queue(q);
	hrtimer_cancel(&dev->delay_timer);
	spin_lock_irqsave(&dev->delay_lock, flags);
	list_splice_init(&dev->delay_list, &delayed);
	dev->delay_next = U64_MAX;
	spin_unlock_irqrestore(&dev->delay_lock, flags);
	ubk_delay_complete(&delayed);
	blk_mq_tagset_busy_iter(&dev->tag_set, ubk_release_rq, NULL);
	queue_for_each_hw_ctx(q, hctx, i)
		ubk_poll(hctx, NULL);
	blk_mq_unquiesce_queue(q);
}

static int ubk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			 unsigned int hctx_idx)
{
	struct uringblk_dev *dev = data;
	struct ubk_queue *uq = &dev->queues[hctx_idx];

	uq->dev = dev;
	init_llist_head(&uq->poll_list);
	hctx->driver_data = uq;
	return 0;
}

static int ubk_init_request(struct blk_mq_tag_set *set, struct request *rq,
			    unsigned int hctx_idx, unsigned int numa_node)
{
	struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);

	memset(cmd, 0, sizeof(*cmd));
	atomic_set(&cmd->inj_state, UBK_RQ_NORMAL);
	return 0;
}

/*
 * Default queues first, then the poll queues; no dedicated read queues
 * (blk-mq maps HCTX_TYPE_READ onto the default queues).
 */
static void ubk_map_queues(struct blk_mq_tag_set *set)
{
	struct uringblk_dev *dev = set->driver_data;
	unsigned int offset = 0;
	int i;

	for (i = 0; i < set->nr_maps; i++) {
		struct blk_mq_queue_map *map = &set->map[i];

		switch (i) {
		case HCTX_TYPE_DEFAULT:
			map->nr_queues = set->nr_maps == 1 ?
					 set->nr_hw_queues :
					 dev->nr_default_queues;
			break;
		case HCTX_TYPE_POLL:
			map->nr_queues = dev->nr_poll_queues;
			break;
		default:
			map->nr_queues = 0;
			break;
		}
		map->queue_offset = offset;
		if (!map->nr_queues)
			continue;
		offset += map->nr_queues;
		blk_mq_map_queues(map);
	}
}

static const struct blk_mq_ops ubk_mq_ops = {
	.queue_rq	= ubk_queue_rq,
	.queue_rqs	= ubk_queue_rqs,
	.complete	= ubk_complete_rq,
	.timeout	= ubk_timeout,
	.poll		= ubk_poll,
	.init_hctx	= ubk_init_hctx,
	.init_request	= ubk_init_request,
	.map_queues	= ubk_map_queues,
};

/*
 * Set up dev->tag_set; dev->queues must hold nr_default_queues +
 * nr_poll_queues entries.
 */
int ubk_init_tag_set(struct uringblk_dev *dev)
{
	struct blk_mq_tag_set *set = &dev->tag_set;

	memset(set, 0, sizeof(*set));
	set->ops = &ubk_mq_ops;
	set->nr_hw_queues = dev->nr_default_queues + dev->nr_poll_queues;
	set->nr_maps = dev->nr_poll_queues ? HCTX_MAX_TYPES : 1;
	set->queue_depth = dev->params.queue_depth;
	set->numa_node = NUMA_NO_NODE;
	set->cmd_size = sizeof(struct ubk_cmd);
	/* queue/io_timeout starts here; blk-mq uses 30 s for 0. */
	set->timeout = msecs_to_jiffies(dev->params.io_timeout_ms);
	set->flags = UBK_TAG_SET_FLAGS;
	set->driver_data = dev;
	return blk_mq_alloc_tag_set(set);
}
