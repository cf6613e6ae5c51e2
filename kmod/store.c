// SPDX-License-Identifier: GPL-2.0
/*
 * uringblk: sparse, page-granular RAM backing store.
 *
 * Two levels: dir[] is allocated at load (one pointer per 2 MiB of capacity
 * with 4 KiB pages) and points to leaves; a leaf is one zeroed page of page
 * pointers. Leaves and data pages are allocated on the first write that
 * needs them and installed with cmpxchg(): the loser of a race frees its
 * page and uses the winner's. There is no lock on the I/O path while pages
 * exist.
 *
 * Allocation (docs/data-plane.md 3.3). The I/O path cannot sleep, so it
 * first tries GFP_NOWAIT (no reclaim). When that fails it takes a page from
 * a small per-device pool of zeroed pages; when the pool is empty too, it
 * queues the refill worker and the request is given back to blk-mq
 * (BLK_STS_RESOURCE). The worker refills the pool with GFP_NOIO and
 * __GFP_RETRY_MAYFAIL (direct reclaim, no OOM killer) and reruns the
 * queues. A write fails with BLK_STS_NOSPC only when the memory is really
 * not there: the reserve rule (ubk_mem_low()) says so, or the reclaiming
 * refill itself failed within the last UBK_NOMEM_WINDOW.
 *
 * Lifetime: a data page is freed by discard / write-zeroes: the pointer is
 * unpublished with xchg() and the page is freed by call_rcu() after a grace
 * period. A range that covers a whole leaf unpublishes the leaf itself: one
 * call_rcu() frees the leaf and all its pages. Every reader and writer that
 * copies to or from a page does so inside rcu_read_lock(), so a page cannot
 * be freed under a concurrent copy: ubk_store_read() and ubk_store_write()
 * require the caller to hold it (blkmq.c takes it once per request).
 * ubk_store_free() waits for the callbacks with rcu_barrier().
 */
#include "compat.h"

#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "uringblk.h"

#define UBK_LEAF_ENTRIES	(PAGE_SIZE / sizeof(struct page *))
#define UBK_LEAF_SHIFT		ilog2(UBK_LEAF_ENTRIES)
#define UBK_LEAF_MASK		(UBK_LEAF_ENTRIES - 1)

/* I/O context: never sleep, never warn, never invoke the OOM killer. */
#define UBK_STORE_GFP		(GFP_NOWAIT | __GFP_NOWARN | __GFP_ZERO)
/*
 * The refill worker: direct reclaim, but no I/O from reclaim (it may wait
 * for writeback to this very device), no OOM killer, no endless retry.
 */
#define UBK_REFILL_GFP		(GFP_NOIO | __GFP_RETRY_MAYFAIL | \
				 __GFP_NOWARN | __GFP_ZERO)
/* Pool target: 1 MiB with 4 KiB pages; a larger write refills again. */
#define UBK_POOL_PAGES		256
/* After a failed refill, writes that find no page fail for this long. */
#define UBK_NOMEM_WINDOW	HZ

/* Bytes covered by one leaf. */
#define UBK_LEAF_BYTES		((u64)UBK_LEAF_ENTRIES << PAGE_SHIFT)

static struct workqueue_struct *ubk_refill_wq;

/*
 * Memory left to the rest of the system: the store stops allocating when
 * MemAvailable would drop below 1/32 of RAM (at least 32 MiB). Without it
 * the store fills RAM down to the watermarks and the next page fault of
 * any process invokes the OOM killer.
 */
#define UBK_RESERVE_MIN_PAGES	((32UL << 20) >> PAGE_SHIFT)

static bool ubk_mem_low(struct ubk_store *s)
{
	/* Cheap test first: plenty of free pages means no need to look. */
	if (likely(global_zone_page_state(NR_FREE_PAGES) > 2 * s->reserve_pages))
		return false;
	return si_mem_available() < (long)s->reserve_pages;
}

static void ubk_refill_fn(struct work_struct *work);

/*
 * The refill workqueue, shared by all devices: WQ_MEM_RECLAIM gives it a
 * rescuer thread, so a refill makes progress even when no new worker can
 * be created under memory pressure.
 */
int ubk_store_wq_init(void)
{
	ubk_refill_wq = alloc_workqueue("uringblk_refill",
					WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return ubk_refill_wq ? 0 : -ENOMEM;
}

void ubk_store_wq_exit(void)
{
	destroy_workqueue(ubk_refill_wq);
}

int ubk_store_init(struct ubk_store *s, u64 capacity)
{
	s->capacity = capacity;
	s->reserve_pages = max(totalram_pages() / 32, UBK_RESERVE_MIN_PAGES);
	s->nr_pages = DIV_ROUND_UP_ULL(capacity, PAGE_SIZE);
	s->nr_leaves = DIV_ROUND_UP_ULL(s->nr_pages, UBK_LEAF_ENTRIES);
	spin_lock_init(&s->pool_lock);
	INIT_LIST_HEAD(&s->pool);
	s->pool_nr = 0;
	s->nomem_at = 0;
	s->stopped = false;
	INIT_WORK(&s->refill_work, ubk_refill_fn);
	/*
	 * Sized by a parameter (8 bytes per 2 MiB, 16 MiB for 4 TiB): fail
	 * cleanly instead of invoking the OOM killer or warning.
	 */
	s->dir = kvcalloc(s->nr_leaves, sizeof(*s->dir),
			  GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
	if (!s->dir)
		return -ENOMEM;
	s->pages = alloc_percpu(long);
	if (!s->pages) {
		kvfree(s->dir);
		s->dir = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * No refill runs or starts after this; the disk is gone (del_gendisk) and
 * allocations that would need one fail with -ENOSPC.
 */
void ubk_store_stop(struct ubk_store *s)
{
	spin_lock_irq(&s->pool_lock);
	s->stopped = true;
	spin_unlock_irq(&s->pool_lock);
	cancel_work_sync(&s->refill_work);
}

/* Teardown: no I/O can run any more, ubk_store_stop() was called. */
void ubk_store_free(struct ubk_store *s)
{
	struct page *page, *tmp;
	unsigned long i, j;

	if (!s->dir)
		return;
	/* Leaf callbacks account in s->pages: let them finish first. */
	rcu_barrier();
	for (i = 0; i < s->nr_leaves; i++) {
		struct page **leaf = s->dir[i];

		if (!leaf)
			continue;
		for (j = 0; j < UBK_LEAF_ENTRIES; j++)
			if (leaf[j])
				__free_page(leaf[j]);
		free_page((unsigned long)leaf);
		/* A full 4 TiB device frees 2^30 pages here (brd yields too). */
		cond_resched();
	}
	list_for_each_entry_safe(page, tmp, &s->pool, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	s->pool_nr = 0;
	kvfree(s->dir);
	s->dir = NULL;
	free_percpu(s->pages);
	s->pages = NULL;
}

u64 ubk_store_mem_used(struct ubk_store *s)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(s->pages, cpu));
	return sum > 0 ? (u64)sum << PAGE_SHIFT : 0;
}

static inline bool ubk_store_in_range(struct ubk_store *s, u64 pos, u64 len)
{
	return pos <= s->capacity && len <= s->capacity - pos;
}

/* Leaf covering page @idx, or NULL. */
static inline struct page **ubk_leaf(struct ubk_store *s, u64 idx)
{
	return READ_ONCE(s->dir[idx >> UBK_LEAF_SHIFT]);
}

/* Caller holds rcu_read_lock() for as long as it uses the page. */
static inline struct page *ubk_lookup(struct ubk_store *s, u64 idx)
{
	struct page **leaf = ubk_leaf(s, idx);

	if (!leaf)
		return NULL;
	return READ_ONCE(leaf[idx & UBK_LEAF_MASK]);
}

/* True while a refill failed less than UBK_NOMEM_WINDOW ago. */
static bool ubk_nomem_recent(struct ubk_store *s)
{
	unsigned long at = READ_ONCE(s->nomem_at);

	return at && time_before(jiffies, at + UBK_NOMEM_WINDOW);
}

/*
 * Slow path of ubk_new_page(): a page from the pool, or an ERR_PTR:
 * -ENOSPC when the memory is not there (@reserve_hit: the reserve rule;
 * or a recent refill failed), -EAGAIN after queueing a refill.
 */
static noinline struct page *ubk_pool_take(struct ubk_store *s,
					   bool reserve_hit)
{
	struct page *page;
	unsigned long flags;

	spin_lock_irqsave(&s->pool_lock, flags);
	page = list_first_entry_or_null(&s->pool, struct page, lru);
	if (page) {
		list_del(&page->lru);
		s->pool_nr--;
	}
	spin_unlock_irqrestore(&s->pool_lock, flags);
	if (page)
		return page;
	if (reserve_hit || ubk_nomem_recent(s))
		return ERR_PTR(-ENOSPC);
	/*
	 * Queued under pool_lock, which ubk_store_stop() takes to set
	 * stopped: no refill is queued after the stop (a power cut still
	 * undoing writes while its device is deleted gets -ENOSPC instead).
	 */
	spin_lock_irqsave(&s->pool_lock, flags);
	if (!s->stopped)
		queue_work(ubk_refill_wq, &s->refill_work);
	spin_unlock_irqrestore(&s->pool_lock, flags);
	return s->stopped ? ERR_PTR(-ENOSPC) : ERR_PTR(-EAGAIN);
}

/* A zeroed page for the store, or an ERR_PTR (see ubk_pool_take()). */
static struct page *ubk_new_page(struct ubk_store *s, unsigned int flags)
{
	struct page *page;
	bool low = ubk_mem_low(s);

	if (likely(!low && !(flags & UBK_STORE_NO_ATOMIC))) {
		page = alloc_page(UBK_STORE_GFP);
		if (likely(page))
			return page;
	}
	return ubk_pool_take(s, low);
}

/* Give back a page that lost an installation race. */
static void ubk_put_new_page(struct page *page)
{
	__free_page(page);
}

/*
 * Find or allocate the data page @idx. Caller holds rcu_read_lock().
 * Returns an ERR_PTR (-EAGAIN or -ENOSPC) when no page could be had.
 */
static struct page *ubk_lookup_alloc(struct ubk_store *s, u64 idx,
				     unsigned int flags)
{
	struct page ***slot = &s->dir[idx >> UBK_LEAF_SHIFT];
	struct page **leaf = READ_ONCE(*slot);
	struct page *page, *old;

	if (unlikely(!leaf)) {
		struct page *lp = ubk_new_page(s, flags);
		struct page **new;

		if (IS_ERR(lp))
			return lp;
		new = page_address(lp);
		leaf = cmpxchg(slot, NULL, new);
		if (leaf) {
			ubk_put_new_page(lp);		/* lost the race */
		} else {
			leaf = new;
			this_cpu_inc(*s->pages);
		}
	}

	page = READ_ONCE(leaf[idx & UBK_LEAF_MASK]);
	if (likely(page))
		return page;

	page = ubk_new_page(s, flags);
	if (IS_ERR(page))
		return page;
	old = cmpxchg(&leaf[idx & UBK_LEAF_MASK], NULL, page);
	if (old) {
		ubk_put_new_page(page);			/* lost the race */
		return old;
	}
	this_cpu_inc(*s->pages);
	return page;
}

/*
 * The refill worker: fill the pool with reclaim allowed, then run the
 * queues so that the requests given back find their pages.
 */
static void ubk_refill_fn(struct work_struct *work)
{
	struct ubk_store *s = container_of(work, struct ubk_store,
					   refill_work);
	unsigned int got = 0;
	bool failed = false;

	while (READ_ONCE(s->pool_nr) < UBK_POOL_PAGES) {
		struct page *page;

		if (ubk_mem_low(s)) {
			failed = true;
			break;
		}
		page = alloc_page(UBK_REFILL_GFP);
		if (!page) {
			failed = true;
			break;
		}
		spin_lock_irq(&s->pool_lock);
		list_add(&page->lru, &s->pool);
		s->pool_nr++;
		spin_unlock_irq(&s->pool_lock);
		got++;
		cond_resched();
	}
	WRITE_ONCE(s->nomem_at, failed && !READ_ONCE(s->pool_nr) ?
		   jiffies | 1 : 0);
	ubk_store_refilled(s, got);
}

/*
 * Copy @len bytes at store offset @pos into @page at @off (one bvec).
 * Caller holds rcu_read_lock().
 */
blk_status_t ubk_store_read(struct ubk_store *s, u64 pos, struct page *page,
			    unsigned int off, unsigned int len)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "store read outside an RCU read-side section");
	if (unlikely(!ubk_store_in_range(s, pos, len)))
		return BLK_STS_IOERR;

	while (len) {
		unsigned int poff = offset_in_page(pos);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - poff);
		struct page *sp;

		sp = ubk_lookup(s, pos >> PAGE_SHIFT);
		if (sp)
			memcpy_to_page(page, off, page_address(sp) + poff, n);
		else
			memzero_page(page, off, n);

		pos += n;
		off += n;
		len -= n;
	}
	return BLK_STS_OK;
}

/*
 * Copy @len bytes from @page at @off to store offset @pos (one bvec).
 * BLK_STS_RESOURCE when no page could be had now (a refill is queued; the
 * request should be retried), BLK_STS_NOSPC when the memory is not there;
 * the bytes before that point have been written. Caller holds
 * rcu_read_lock().
 */
blk_status_t ubk_store_write(struct ubk_store *s, u64 pos, struct page *page,
			     unsigned int off, unsigned int len,
			     unsigned int flags)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "store write outside an RCU read-side section");
	if (unlikely(!ubk_store_in_range(s, pos, len)))
		return BLK_STS_IOERR;

	while (len) {
		unsigned int poff = offset_in_page(pos);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - poff);
		struct page *sp;

		sp = ubk_lookup_alloc(s, pos >> PAGE_SHIFT, flags);
		if (IS_ERR(sp))
			return PTR_ERR(sp) == -ENOSPC ? BLK_STS_NOSPC :
							BLK_STS_RESOURCE;
		memcpy_from_page(page_address(sp) + poff, page, off, n);

		pos += n;
		off += n;
		len -= n;
	}
	return BLK_STS_OK;
}

/*
 * A private copy of data page @idx for the power-loss undo log, NULL if
 * the page is not allocated (it reads zeroes), or ERR_PTR(-ENOMEM). The
 * copies obey the reserve of the data pages: tracking must not push the
 * machine into the OOM killer either. With UBK_STORE_NO_ATOMIC (a nomem
 * injection rule) the non-sleeping allocation "fails": there is no pool
 * for copies. Never sleeps. Caller holds rcu_read_lock().
 */
struct page *ubk_store_snapshot(struct ubk_store *s, u64 idx,
				unsigned int flags)
{
	struct page *sp = ubk_lookup(s, idx), *copy;

	if (!sp)
		return NULL;
	if (ubk_mem_low(s) || (flags & UBK_STORE_NO_ATOMIC))
		return ERR_PTR(-ENOMEM);
	copy = alloc_page(GFP_NOWAIT | __GFP_NOWARN);
	if (!copy)
		return ERR_PTR(-ENOMEM);
	copy_highpage(copy, sp);
	return copy;
}

static void ubk_free_page_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

/* Free a page that a reader may still copy from, after a grace period. */
void ubk_store_put_page_rcu(struct page *page)
{
	call_rcu(&page->rcu_head, ubk_free_page_rcu);
}

/*
 * Take data page @idx out of the store for the power-loss log, instead of
 * copying it: a discard or an unmapping write-zeroes that covers the page
 * whole frees it anyway. The slot reads zeroes from now on and the caller
 * owns the page, NULL if there was none. A reader that found the page
 * before may still copy from it: the owner frees it with
 * ubk_store_put_page_rcu(). Never sleeps, never allocates. Caller holds
 * rcu_read_lock().
 */
struct page *ubk_store_take(struct ubk_store *s, u64 idx)
{
	struct page **leaf = ubk_leaf(s, idx);
	struct page *page;

	if (!leaf)
		return NULL;
	page = xchg(&leaf[idx & UBK_LEAF_MASK], NULL);
	if (page)
		this_cpu_dec(*s->pages);
	return page;
}

/*
 * Give back a page ubk_store_take() took: the request failed before it
 * changed anything. A write or discard of the same range that raced with it
 * may have filled or unpublished the slot meanwhile; it wins (either order
 * was legal) and the page is freed. A leaf unpublished after the lookup
 * frees the page with itself: its callback runs after this RCU read-side
 * section. Caller holds rcu_read_lock().
 */
void ubk_store_untake(struct ubk_store *s, u64 idx, struct page *page)
{
	struct page **leaf = ubk_leaf(s, idx);

	if (leaf && !cmpxchg(&leaf[idx & UBK_LEAF_MASK], NULL, page)) {
		this_cpu_inc(*s->pages);
		return;
	}
	ubk_store_put_page_rcu(page);
}

/* A whole unpublished leaf: free its pages and itself (softirq). */
static void ubk_free_leaf_rcu(struct rcu_head *head)
{
	struct page *lp = container_of(head, struct page, rcu_head);
	struct ubk_store *s = (struct ubk_store *)page_private(lp);
	struct page **leaf = page_address(lp);
	long n = 1;
	unsigned long j;

	for (j = 0; j < UBK_LEAF_ENTRIES; j++) {
		if (leaf[j]) {
			__free_page(leaf[j]);
			n++;
		}
	}
	this_cpu_sub(*s->pages, n);
	set_page_private(lp, 0);
	__free_page(lp);
}

/*
 * Unpublish the leaf in @slot with every page in it. A writer that looked
 * the leaf up before the xchg() may still install a page in it; it does so
 * inside its RCU read-side section, so the callback, which runs after a
 * grace period, sees and frees that page too (the write raced with a
 * discard of the same range: either order is legal).
 */
static void ubk_unmap_leaf(struct ubk_store *s, struct page ***slot)
{
	struct page **leaf = xchg(slot, NULL);
	struct page *lp;

	if (!leaf)
		return;
	lp = virt_to_page(leaf);
	set_page_private(lp, (unsigned long)s);
	call_rcu(&lp->rcu_head, ubk_free_leaf_rcu);
}

/*
 * Make [@pos, @pos + @len) read back zeroes (discard and write-zeroes).
 * With @unmap, whole leaves are unpublished at once and whole pages freed;
 * without it, pages are zeroed in place; partial pages are always zeroed
 * in place. Unallocated ranges already read zeroes and are skipped a leaf
 * at a time. Never allocates. The work per call is bounded by the queue
 * limits (max_discard_sectors, max_write_zeroes_sectors, main.c).
 */
blk_status_t ubk_store_zero(struct ubk_store *s, u64 pos, u64 len, bool unmap)
{
	if (unlikely(!ubk_store_in_range(s, pos, len)))
		return BLK_STS_IOERR;

	while (len) {
		u64 idx = pos >> PAGE_SHIFT;
		unsigned int poff = offset_in_page(pos);
		u64 n = min_t(u64, len, PAGE_SIZE - poff);
		struct page ***slot = &s->dir[idx >> UBK_LEAF_SHIFT];
		struct page **leaf = READ_ONCE(*slot);
		u64 leaf_off = pos & (UBK_LEAF_BYTES - 1);
		u64 leaf_left = UBK_LEAF_BYTES - leaf_off;

		if (!leaf) {
			/* Skip to the end of the range this leaf covers. */
			n = min_t(u64, len, leaf_left);
		} else if (unmap && !leaf_off &&
			   (len >= UBK_LEAF_BYTES || pos + len == s->capacity)) {
			/* The whole leaf, or all of the last one in use. */
			ubk_unmap_leaf(s, slot);
			n = min_t(u64, len, UBK_LEAF_BYTES);
		} else if (unmap && n == PAGE_SIZE) {
			struct page *old;

			old = xchg(&leaf[idx & UBK_LEAF_MASK], NULL);
			if (old) {
				this_cpu_dec(*s->pages);
				call_rcu(&old->rcu_head, ubk_free_page_rcu);
			}
		} else {
			struct page *sp;

			rcu_read_lock();
			sp = READ_ONCE(leaf[idx & UBK_LEAF_MASK]);
			if (sp)
				memset(page_address(sp) + poff, 0, n);
			rcu_read_unlock();
		}
		pos += n;
		len -= n;
	}
	return BLK_STS_OK;
}
