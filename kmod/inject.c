// SPDX-License-Identifier: GPL-2.0
/*
 * uringblk: error injection, /sys/block/uringblkN/uringblk/error_inject.
 *
 * The grammar, the rule table and the matcher are kmod/inject_rule.h
 * (pure C, unit-tested in userspace). This file adds the device state
 * around them:
 *   - the writer side (sysfs store): parse, build a new table, publish it
 *     with rcu_assign_pointer() and wait for a grace period, all under
 *     dev->inj_lock, so that the old table's counters can be reused;
 *   - the listing (sysfs show);
 *   - the decision for one request (ubk_inj_decide(), called by the data
 *     path only when dev->inj is not NULL);
 *   - the rate-limited kernel log line of injected failures;
 *   - shutdown before del_gendisk(): no more rules, held requests released.
 * What happens to a request that a rule acts on is blkmq.c's business.
 * docs/error-injection.md describes the whole design.
 */
#include "compat.h"

#include <linux/blkdev.h>
#include <linux/err.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "uringblk.h"

/*
 * Injected failures logged: at most UBK_INJ_LOG_BURST lines per
 * UBK_INJ_LOG_INTERVAL. Each line carries the running total, so the
 * suppressed ones are accounted for; the counters in sysfs are exact.
 */
#define UBK_INJ_LOG_INTERVAL	(5 * HZ)
#define UBK_INJ_LOG_BURST	3

void ubk_inj_init(struct uringblk_dev *dev)
{
	RCU_INIT_POINTER(dev->inj, NULL);
	mutex_init(&dev->inj_lock);
	dev->inj_dead = false;
	memset(&dev->inj_ctr, 0, sizeof(dev->inj_ctr));
	atomic64_set(&dev->inj_failed, 0);
	ratelimit_state_init(&dev->inj_rs, UBK_INJ_LOG_INTERVAL,
			     UBK_INJ_LOG_BURST);
	/* Our lines carry the totals: no "callbacks suppressed" warning. */
	ratelimit_set_flags(&dev->inj_rs, RATELIMIT_MSG_ON_RELEASE);
}

/*
 * Before del_gendisk(): unpublish the rules for good (later writes get
 * -ENODEV), then complete every request that a timeout rule holds and
 * every delayed one, so that removal does not wait for them.
 */
void ubk_inj_shutdown(struct uringblk_dev *dev)
{
	struct ubk_inj_table *old;

	mutex_lock(&dev->inj_lock);
	dev->inj_dead = true;
	old = rcu_dereference_protected(dev->inj,
					lockdep_is_held(&dev->inj_lock));
	RCU_INIT_POINTER(dev->inj, NULL);
	mutex_unlock(&dev->inj_lock);
	if (old) {
		synchronize_rcu();
		kfree(old);
	}
	ubk_release_held(dev);
}

ssize_t ubk_inj_show(struct uringblk_dev *dev, char *buf)
{
	const struct ubk_inj_table *t;
	size_t len;

	mutex_lock(&dev->inj_lock);
	t = rcu_dereference_protected(dev->inj,
				      lockdep_is_held(&dev->inj_lock));
	len = ubk_inj_format(t, &dev->inj_ctr, buf, PAGE_SIZE);
	mutex_unlock(&dev->inj_lock);
	return len;
}

/* One line: a rule or "clear". The table is unchanged on any error. */
ssize_t ubk_inj_store(struct uringblk_dev *dev, const char *buf, size_t count)
{
	struct ubk_inj_table *nt, *ot;
	struct ubk_inj_rule cmd;
	int err;

	err = ubk_inj_parse(buf, count, &cmd);
	if (err)
		return err;
	nt = kzalloc(sizeof(*nt), GFP_KERNEL);
	if (!nt)
		return -ENOMEM;

	mutex_lock(&dev->inj_lock);
	if (dev->inj_dead) {
		mutex_unlock(&dev->inj_lock);
		kfree(nt);
		return -ENODEV;
	}
	ot = rcu_dereference_protected(dev->inj,
				       lockdep_is_held(&dev->inj_lock));
	err = ubk_inj_apply(nt, ot, &cmd, &dev->inj_ctr);
	if (!err) {
		rcu_assign_pointer(dev->inj, nt->nr ? nt : NULL);
		/*
		 * No reader of @ot is left once this returns: its counters
		 * may be handed to a new rule by the next apply, and a
		 * "clear" acts on every request dispatched after the write.
		 */
		synchronize_rcu();
	}
	mutex_unlock(&dev->inj_lock);

	if (err) {
		kfree(nt);
		return err;
	}
	kfree(ot);
	if (!nt->nr)
		kfree(nt);
	return count;
}

static u32 ubk_inj_rand(void *ctx)
{
	return get_random_u32();
}

static unsigned int ubk_inj_op(struct request *rq)
{
	switch (req_op(rq)) {
	case REQ_OP_READ:
		return UBK_INJ_OP_READ;
	case REQ_OP_WRITE:
	case REQ_OP_WRITE_ZEROES:
		return UBK_INJ_OP_WRITE;
	default:
		return UBK_INJ_OP_OTHER;
	}
}

/*
 * What the rules do to @rq (enum ubk_inj_act; *@usec for a delay). Called
 * from ->queue_rq() when dev->inj was not NULL, before the request is
 * started or executed.
 *
 * For UBK_INJ_ACT_TIMEOUT the request is started and marked held here,
 * inside the RCU read section: once a writer's synchronize_rcu() returns,
 * every request held under the old rules is marked. The caller must not
 * touch it any more (.timeout may complete it at any time).
 */
int ubk_inj_decide(struct uringblk_dev *dev, struct request *rq, u32 *usec)
{
	unsigned int shift = dev->lbs_shift;
	u64 start = blk_rq_pos(rq) >> (shift - SECTOR_SHIFT);
	u64 nr = blk_rq_bytes(rq) >> shift;
	const struct ubk_inj_table *t;
	int act = UBK_INJ_ACT_NONE;

	rcu_read_lock();
	t = rcu_dereference(dev->inj);
	if (t)
		act = ubk_inj_match(t, &dev->inj_ctr, ubk_inj_op(rq), start, nr,
				    ubk_inj_rand, NULL, usec);
	if (act == UBK_INJ_ACT_TIMEOUT) {
		struct ubk_cmd *cmd = blk_mq_rq_to_pdu(rq);

		/* The block layer prints nothing: ubk_inj_report() does. */
		rq->rq_flags |= RQF_QUIET;
		atomic_set(&cmd->inj_state, UBK_RQ_HELD);
		blk_mq_start_request(rq);
	}
	rcu_read_unlock();
	return act;
}

/*
 * Log an injected failure (@st: BLK_STS_IOERR, _NOSPC or _TIMEOUT) of @rq,
 * rate-limited per device. Call before the request is completed.
 */
void ubk_inj_report(struct uringblk_dev *dev, struct request *rq,
		    blk_status_t st)
{
	unsigned int shift = dev->lbs_shift;
	s64 total = atomic64_inc_return(&dev->inj_failed);

	if (!__ratelimit(&dev->inj_rs))
		return;
	/* %pe: "-EIO" (a number without CONFIG_SYMBOLIC_ERRNAME). */
	pr_info("%s: error injection: %pe for %s of %u blocks at LBA %llu (%lld injected failures so far)\n",
		dev->disk->disk_name, ERR_PTR(blk_status_to_errno(st)),
		blk_op_str(req_op(rq)), blk_rq_bytes(rq) >> shift,
		(unsigned long long)(blk_rq_pos(rq) >> (shift - SECTOR_SHIFT)),
		total);
}
