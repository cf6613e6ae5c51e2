/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uringblk: log-linear latency histogram math.
 *
 * Pure C without kernel dependencies beyond the integer types, so the same
 * code runs in the module and in userspace unit tests
 * (tests/unit/test_hist.cpp).
 *
 * Layout (values are latencies in nanoseconds):
 *   - values 0 .. 31 each have their own bucket (indexes 0 .. 31);
 *   - every power-of-two range [2^g, 2^(g+1)) with g = 5 .. 35 is split into
 *     32 equal sub-buckets of width 2^(g-5) (indexes 32 .. 1023);
 *   - values >= 2^36 ns (about 68.7 s) are counted in the last bucket.
 *
 * The value reported for a bucket is its midpoint, lower + width / 2. A
 * bucket of width w > 1 starts at no less than 32 * w, so the midpoint is
 * within w / 2 / (32 * w) = 1/64 (1.5625 %) of any value in the bucket;
 * buckets of width 1 are exact.
 */
#ifndef URINGBLK_HIST_H
#define URINGBLK_HIST_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/math64.h>
#define UBK_HIST_DIV(a, b) div_u64((a), (b))
#else
#include <stdint.h>
typedef uint64_t u64;
typedef uint32_t u32;
#define UBK_HIST_DIV(a, b) ((a) / (b))
#endif

#define UBK_HIST_SUB_BITS	5
#define UBK_HIST_SUB		(1u << UBK_HIST_SUB_BITS)	/* 32 */
#define UBK_HIST_MAX_SHIFT	36	/* values >= 2^36 ns share the last bucket */
#define UBK_HIST_NR_BUCKETS \
	((UBK_HIST_MAX_SHIFT - UBK_HIST_SUB_BITS + 1) * UBK_HIST_SUB)	/* 1024 */
#define UBK_HIST_MAX_VALUE	((1ULL << UBK_HIST_MAX_SHIFT) - 1)

/* Percentiles are given in hundredths of a percent: 5000 = p50, 9990 = p99.9. */
#define UBK_HIST_P50		5000u
#define UBK_HIST_P99		9900u
#define UBK_HIST_P100		10000u

/* Index of the most significant set bit of @v (v != 0). */
static inline unsigned int ubk_hist_msb(u64 v)
{
	return 63u - (unsigned int)__builtin_clzll(v);
}

/* Bucket index of a latency of @ns nanoseconds. */
static inline unsigned int ubk_hist_index(u64 ns)
{
	unsigned int g;

	if (ns < UBK_HIST_SUB)
		return (unsigned int)ns;
	if (ns > UBK_HIST_MAX_VALUE)
		return UBK_HIST_NR_BUCKETS - 1;
	g = ubk_hist_msb(ns);
	return (g - UBK_HIST_SUB_BITS + 1) * UBK_HIST_SUB +
	       (unsigned int)((ns >> (g - UBK_HIST_SUB_BITS)) &
			      (UBK_HIST_SUB - 1));
}

/* Smallest value counted in bucket @idx. */
static inline u64 ubk_hist_lower(unsigned int idx)
{
	unsigned int grp = idx >> UBK_HIST_SUB_BITS;
	u64 sub = idx & (UBK_HIST_SUB - 1);

	if (!grp)
		return sub;
	return (UBK_HIST_SUB + sub) << (grp - 1);
}

/* Number of distinct values in bucket @idx. */
static inline u64 ubk_hist_width(unsigned int idx)
{
	unsigned int grp = idx >> UBK_HIST_SUB_BITS;

	return grp ? 1ULL << (grp - 1) : 1;
}

/* Largest value counted in bucket @idx (inclusive; clamping aside). */
static inline u64 ubk_hist_upper(unsigned int idx)
{
	return ubk_hist_lower(idx) + ubk_hist_width(idx) - 1;
}

/* The value reported for bucket @idx. */
static inline u64 ubk_hist_mid(unsigned int idx)
{
	return ubk_hist_lower(idx) + (ubk_hist_width(idx) >> 1);
}

/* Sum of @n buckets. */
static inline u64 ubk_hist_total(const u64 *b, unsigned int n)
{
	u64 t = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		t += b[i];
	return t;
}

/*
 * The @p-th percentile (@p in hundredths of a percent, 1 .. 10000) of the
 * summed histogram @b of @n buckets, by the nearest-rank method: the
 * midpoint of the bucket holding the sample of rank ceil(total * p / 10000).
 * Returns 0 for an empty histogram.
 */
static inline u64 ubk_hist_percentile(const u64 *b, unsigned int n, u32 p)
{
	u64 total = ubk_hist_total(b, n);
	u64 q, r, rank, cum = 0;
	unsigned int i;

	if (!total || !n)
		return 0;
	if (p > UBK_HIST_P100)
		p = UBK_HIST_P100;
	/* rank = ceil(total * p / 10000) without overflowing total * p. */
	q = UBK_HIST_DIV(total, UBK_HIST_P100);
	r = total - q * UBK_HIST_P100;
	rank = q * p + UBK_HIST_DIV(r * p + UBK_HIST_P100 - 1, UBK_HIST_P100);
	if (!rank)
		rank = 1;
	for (i = 0; i < n; i++) {
		cum += b[i];
		if (cum >= rank)
			return ubk_hist_mid(i);
	}
	return ubk_hist_mid(n - 1);
}

#endif /* URINGBLK_HIST_H */
