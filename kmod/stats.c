// SPDX-License-Identifier: GPL-2.0
/*
 * uringblk: statistics.
 *
 * The I/O path only does this_cpu_inc()/this_cpu_add() on per-CPU counters
 * and per-CPU latency histograms (uringblk.h). Readers sum over all
 * possible CPUs. stats_reset does not zero anything: it records the
 * current sums as a baseline, and readers report sum - baseline. The
 * baseline, and the scratch array used to sum a histogram, are protected
 * by a mutex that the I/O path never takes: summing 1024 buckets over
 * every CPU is too long for a spinlock, and the readers (sysfs, the admin
 * plane) may sleep.
 *
 * Reset race: an I/O that completes while stats_reset is summing may be
 * counted either before or after the reset, never twice and never lost
 * from both. Counters only grow, so sum - baseline never goes negative.
 * 64-bit counters are read without tearing on 64-bit kernels only (the
 * module targets x86-64).
 */
#include "compat.h"

#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/sched.h>

#include "admin.h"
#include "uringblk.h"

int ubk_stats_init(struct ubk_stats *st)
{
	mutex_init(&st->lock);
	memset(st->base, 0, sizeof(st->base));
	st->pcpu = alloc_percpu(struct ubk_pcpu_stats);
	st->base_hist = kvcalloc(UBK_H_NR * UBK_HIST_NR_BUCKETS, sizeof(u64),
				 GFP_KERNEL);
	st->scratch = kvcalloc(UBK_HIST_NR_BUCKETS, sizeof(u64), GFP_KERNEL);
	if (!st->pcpu || !st->base_hist || !st->scratch) {
		ubk_stats_free(st);
		return -ENOMEM;
	}
	return 0;
}

void ubk_stats_free(struct ubk_stats *st)
{
	free_percpu(st->pcpu);
	st->pcpu = NULL;
	kvfree(st->base_hist);
	st->base_hist = NULL;
	kvfree(st->scratch);
	st->scratch = NULL;
}

static u64 ubk_sum_ctr(struct ubk_stats *st, enum ubk_ctr c)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(st->pcpu, cpu)->c[c]);
	return sum;
}

static u64 ubk_sum_bucket(struct ubk_stats *st, enum ubk_hist_op op,
			  unsigned int b)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(st->pcpu, cpu)->hist[op][b]);
	return sum;
}

u64 ubk_stats_get(struct ubk_stats *st, enum ubk_ctr c)
{
	u64 v;

	mutex_lock(&st->lock);
	v = ubk_sum_ctr(st, c) - st->base[c];
	mutex_unlock(&st->lock);
	return v;
}

void ubk_stats_reset(struct ubk_stats *st)
{
	unsigned int op, b;
	int c;

	mutex_lock(&st->lock);
	for (c = 0; c < UBK_C_NR; c++)
		st->base[c] = ubk_sum_ctr(st, c);
	for (op = 0; op < UBK_H_NR; op++) {
		for (b = 0; b < UBK_HIST_NR_BUCKETS; b++)
			st->base_hist[op * UBK_HIST_NR_BUCKETS + b] =
				ubk_sum_bucket(st, op, b);
		cond_resched();
	}
	mutex_unlock(&st->lock);
}

/* Nanoseconds to microseconds, to nearest; at least 1 for a sample. */
static u32 ubk_ns_to_us(u64 ns, bool any)
{
	u64 us = div_u64(ns + 500, 1000);

	if (!us && any)
		us = 1;
	return us > U32_MAX ? U32_MAX : (u32)us;
}

/*
 * p50 and p99 latency of @op since the last reset, in microseconds (the
 * midpoint of the percentile's bucket, rounded to the nearest microsecond,
 * at least 1 when there is any sample; 0 without samples).
 */
void ubk_stats_latency_us(struct ubk_stats *st, enum ubk_hist_op op,
			  u32 *p50, u32 *p99)
{
	const u64 *base = &st->base_hist[op * UBK_HIST_NR_BUCKETS];
	unsigned int b;
	bool any;

	mutex_lock(&st->lock);
	for (b = 0; b < UBK_HIST_NR_BUCKETS; b++)
		st->scratch[b] = ubk_sum_bucket(st, op, b) - base[b];
	any = ubk_hist_total(st->scratch, UBK_HIST_NR_BUCKETS) != 0;
	*p50 = ubk_ns_to_us(ubk_hist_percentile(st->scratch,
						UBK_HIST_NR_BUCKETS,
						UBK_HIST_P50), any);
	*p99 = ubk_ns_to_us(ubk_hist_percentile(st->scratch,
						UBK_HIST_NR_BUCKETS,
						UBK_HIST_P99), any);
	mutex_unlock(&st->lock);
}

/* GET_STATS (admin.h). */
void ubk_dev_stats(struct uringblk_dev *dev, struct uringblk_stats *out)
{
	struct ubk_stats *st = &dev->stats;
	u64 rb = ubk_stats_get(st, UBK_C_READ_BYTES);
	u64 wb = ubk_stats_get(st, UBK_C_WRITE_BYTES);
	u32 p50, p99;

	memset(out, 0, sizeof(*out));
	out->read_ops = ubk_stats_get(st, UBK_C_READ_OPS);
	out->write_ops = ubk_stats_get(st, UBK_C_WRITE_OPS);
	out->flush_ops = ubk_stats_get(st, UBK_C_FLUSH_OPS);
	out->discard_ops = ubk_stats_get(st, UBK_C_DISCARD_OPS);
	out->read_sectors = rb >> SECTOR_SHIFT;
	out->write_sectors = wb >> SECTOR_SHIFT;
	out->read_bytes = rb;
	out->write_bytes = wb;
	out->queue_full_events = ubk_stats_get(st, UBK_C_QUEUE_FULL);
	out->media_errors = ubk_stats_get(st, UBK_C_MEDIA_ERRORS);
	out->retries = ubk_stats_get(st, UBK_C_RETRIES);
	ubk_stats_latency_us(st, UBK_H_READ, &p50, &p99);
	out->p50_read_latency_us = p50;
	out->p99_read_latency_us = p99;
	ubk_stats_latency_us(st, UBK_H_WRITE, &p50, &p99);
	out->p50_write_latency_us = p50;
	out->p99_write_latency_us = p99;
}
