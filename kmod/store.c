// SPDX-License-Identifier: GPL-2.0
/*
 * uringblk: sparse, page-granular RAM backing store.
 *
 * Two levels: dir[] is allocated at load (one pointer per 2 MiB of capacity
 * with 4 KiB pages) and points to leaves; a leaf is one zeroed page of page
 * pointers. Leaves and data pages are allocated on the first write that
 * needs them, in I/O context, without sleeping (GFP_NOWAIT), and installed
 * with cmpxchg(): the loser of a race frees its page and uses the winner's.
 * There is no lock anywhere on the I/O path. A failed allocation (or a
 * system low on memory, see ubk_mem_low()) makes the write return
 * BLK_STS_RESOURCE; blkmq.c requeues it a bounded number of times.
 *
 * Lifetime: leaves are never freed before teardown. A data page is only
 * freed by discard / write-zeroes: the pointer is unpublished with xchg()
 * and the page is freed by call_rcu() after a grace period. Every reader
 * and writer that copies to or from a page does so inside rcu_read_lock(),
 * so a page cannot be freed under a concurrent copy (the use-after-free of
 * older brd discard code): ubk_store_read() and ubk_store_write() require
 * the caller to hold it (blkmq.c takes it once per request, not once per
 * page). Module exit waits with rcu_barrier().
 */
#include "compat.h"

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmstat.h>

#include "uringblk.h"

#define UBK_LEAF_ENTRIES	(PAGE_SIZE / sizeof(struct page *))
#define UBK_LEAF_SHIFT		ilog2(UBK_LEAF_ENTRIES)
#define UBK_LEAF_MASK		(UBK_LEAF_ENTRIES - 1)

/* I/O context: never sleep, never warn, never invoke the OOM killer. */
#define UBK_STORE_GFP		(GFP_NOWAIT | __GFP_NOWARN | __GFP_ZERO)

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

int ubk_store_init(struct ubk_store *s, u64 capacity)
{
	s->capacity = capacity;
	s->reserve_pages = max(totalram_pages() / 32, UBK_RESERVE_MIN_PAGES);
	s->nr_pages = DIV_ROUND_UP_ULL(capacity, PAGE_SIZE);
	s->nr_leaves = DIV_ROUND_UP_ULL(s->nr_pages, UBK_LEAF_ENTRIES);
	s->dir = kvcalloc(s->nr_leaves, sizeof(*s->dir), GFP_KERNEL);
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

/* Teardown: no I/O can run any more. */
void ubk_store_free(struct ubk_store *s)
{
	unsigned long i, j;

	if (!s->dir)
		return;
	for (i = 0; i < s->nr_leaves; i++) {
		struct page **leaf = s->dir[i];

		if (!leaf)
			continue;
		for (j = 0; j < UBK_LEAF_ENTRIES; j++)
			if (leaf[j])
				__free_page(leaf[j]);
		free_page((unsigned long)leaf);
	}
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

/*
 * Find or allocate the data page @idx. Caller holds rcu_read_lock().
 * Returns NULL only when the allocation failed.
 */
static struct page *ubk_lookup_alloc(struct ubk_store *s, u64 idx)
{
	struct page ***slot = &s->dir[idx >> UBK_LEAF_SHIFT];
	struct page **leaf = READ_ONCE(*slot);
	struct page *page, *old;

	if (unlikely(!leaf)) {
		struct page **new = (struct page **)__get_free_page(UBK_STORE_GFP);

		if (!new)
			return NULL;
		leaf = cmpxchg(slot, NULL, new);
		if (leaf)
			free_page((unsigned long)new);	/* lost the race */
		else
			leaf = new;
	}

	page = READ_ONCE(leaf[idx & UBK_LEAF_MASK]);
	if (likely(page))
		return page;

	if (unlikely(ubk_mem_low(s)))
		return NULL;
	page = alloc_page(UBK_STORE_GFP);
	if (!page)
		return NULL;
	old = cmpxchg(&leaf[idx & UBK_LEAF_MASK], NULL, page);
	if (old) {
		__free_page(page);			/* lost the race */
		return old;
	}
	this_cpu_inc(*s->pages);
	return page;
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
 * BLK_STS_RESOURCE when a page could not be allocated; the bytes before it
 * have been written. Caller holds rcu_read_lock().
 */
blk_status_t ubk_store_write(struct ubk_store *s, u64 pos, struct page *page,
			     unsigned int off, unsigned int len)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "store write outside an RCU read-side section");
	if (unlikely(!ubk_store_in_range(s, pos, len)))
		return BLK_STS_IOERR;

	while (len) {
		unsigned int poff = offset_in_page(pos);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - poff);
		struct page *sp;

		sp = ubk_lookup_alloc(s, pos >> PAGE_SHIFT);
		if (unlikely(!sp))
			return BLK_STS_RESOURCE;
		memcpy_from_page(page_address(sp) + poff, page, off, n);

		pos += n;
		off += n;
		len -= n;
	}
	return BLK_STS_OK;
}

static void ubk_free_page_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

/*
 * Make [@pos, @pos + @len) read back zeroes (discard and write-zeroes).
 * Whole pages are freed when @unmap is set, otherwise zeroed in place;
 * partial pages are zeroed in place. Unallocated ranges already read
 * zeroes and are skipped a leaf at a time. Never allocates.
 */
blk_status_t ubk_store_zero(struct ubk_store *s, u64 pos, u64 len, bool unmap)
{
	if (unlikely(!ubk_store_in_range(s, pos, len)))
		return BLK_STS_IOERR;

	while (len) {
		u64 idx = pos >> PAGE_SHIFT;
		unsigned int poff = offset_in_page(pos);
		u64 n = min_t(u64, len, PAGE_SIZE - poff);
		struct page **leaf = ubk_leaf(s, idx);

		if (!leaf) {
			/* Skip to the end of the range this leaf covers. */
			u64 end = ((idx | UBK_LEAF_MASK) + 1) << PAGE_SHIFT;

			n = min_t(u64, len, end - pos);
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
