/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ranges and rules of a device's parameters (struct uringblk_dev_params),
 * written once for every place that checks them: the module parameters at
 * load, ADD_DEVICE, SET_PARAMS (main.c), and userspace (uringblk-admin
 * create, unit tests in tests/unit/test_dev_params.cpp).
 *
 * Pure C with no kernel dependencies beyond types and errno values.
 */
#ifndef URINGBLK_DEV_PARAMS_H
#define URINGBLK_DEV_PARAMS_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

#include <linux/uringblk.h>

#define UBK_MAX_DEVICES		64		/* indexes 0-63 */
#define UBK_NR_HW_QUEUES_MAX	64
#define UBK_POLL_QUEUES_MAX	16
#define UBK_QUEUE_DEPTH_MIN	32
#define UBK_QUEUE_DEPTH_MAX	4096
#define UBK_CAPACITY_MB_MAX	(4U << 20)	/* 4 TiB */
#define UBK_MAX_IO_KB_MIN	4U		/* one 4 KiB page */
#define UBK_MAX_IO_KB_MAX	32768U		/* 65536 sectors */
#define UBK_IO_TIMEOUT_MS_MIN	10U
#define UBK_IO_TIMEOUT_MS_MAX	3600000U	/* 1 h */

/*
 * The first rule a parameter set breaks: @name is the module parameter
 * (and the uringblk-admin create option) it concerns, @val its value, and
 * the rule is "@lo-@hi", with @mult > 1 "a multiple of @mult", or @what
 * when it is not a range. Enough for one line like
 * "capacity_mb=0 out of range (1-4194304)".
 */
struct ubk_param_err {
	const char *name;
	u32 val;
	u32 lo;
	u32 hi;
	u32 mult;
	const char *what;	/* NULL: the range lo-hi (multiple of mult) */
};

static inline int ubk_param_bad(struct ubk_param_err *e, const char *name,
				u32 val, u32 lo, u32 hi, u32 mult,
				const char *what)
{
	e->name = name;
	e->val = val;
	e->lo = lo;
	e->hi = hi;
	e->mult = mult;
	e->what = what;
	return -EINVAL;
}

static inline bool ubk_switch_ok(u8 v)
{
	return v == URINGBLK_DEV_DEFAULT || v == URINGBLK_DEV_ON ||
	       v == URINGBLK_DEV_OFF;
}

static inline bool ubk_serial_char_ok(u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/*
 * Replace every "default" of @p (0, URINGBLK_DEV_DEFAULT) by the value in
 * @def, which is fully resolved (the module's load-time parameters).
 */
static inline void ubk_dev_params_fill(struct uringblk_dev_params *p,
				       const struct uringblk_dev_params *def)
{
	if (!p->capacity_mb)
		p->capacity_mb = def->capacity_mb;
	if (!p->logical_block_size)
		p->logical_block_size = def->logical_block_size;
	if (!p->nr_hw_queues)
		p->nr_hw_queues = def->nr_hw_queues;
	if (!p->queue_depth)
		p->queue_depth = def->queue_depth;
	if (!p->max_io_size_kb)
		p->max_io_size_kb = def->max_io_size_kb;
	if (!p->io_timeout_ms)
		p->io_timeout_ms = def->io_timeout_ms;
	if (p->write_cache == URINGBLK_DEV_DEFAULT)
		p->write_cache = def->write_cache;
	if (p->discard == URINGBLK_DEV_DEFAULT)
		p->discard = def->discard;
	if (p->write_zeroes == URINGBLK_DEV_DEFAULT)
		p->write_zeroes = def->write_zeroes;
	if (p->poll == URINGBLK_DEV_DEFAULT)
		p->poll = def->poll;
	/* Poll on: 0 queues is "the default" (the module's, at least 1). */
	if (p->poll == URINGBLK_DEV_ON && !p->poll_queues)
		p->poll_queues = def->poll_queues ? def->poll_queues : 1;
}

/*
 * Check a resolved parameter set (no defaults left). Returns 0, or
 * -EINVAL with the first broken rule in @e, in the order of the fields.
 */
static inline int ubk_dev_params_check(const struct uringblk_dev_params *p,
				       struct ubk_param_err *e)
{
	u32 lbs_kb, i;
	bool end = false;

	if (p->capacity_mb < 1 || p->capacity_mb > UBK_CAPACITY_MB_MAX)
		return ubk_param_bad(e, "capacity_mb", p->capacity_mb, 1,
				     UBK_CAPACITY_MB_MAX, 1, NULL);
	switch (p->logical_block_size) {
	case 512:
	case 1024:
	case 2048:
	case 4096:
		break;
	default:
		return ubk_param_bad(e, "logical_block_size",
				     p->logical_block_size, 512, 4096, 1,
				     "512, 1024, 2048 or 4096");
	}
	if (p->nr_hw_queues < 1 || p->nr_hw_queues > UBK_NR_HW_QUEUES_MAX)
		return ubk_param_bad(e, "nr_hw_queues", p->nr_hw_queues, 1,
				     UBK_NR_HW_QUEUES_MAX, 1, NULL);
	if (!ubk_switch_ok(p->poll) || p->poll == URINGBLK_DEV_DEFAULT)
		return ubk_param_bad(e, "poll", p->poll, URINGBLK_DEV_ON,
				     URINGBLK_DEV_OFF, 1, "on or off");
	if (p->poll == URINGBLK_DEV_ON) {
		if (p->poll_queues < 1 || p->poll_queues > UBK_POLL_QUEUES_MAX)
			return ubk_param_bad(e, "poll_queues", p->poll_queues,
					     1, UBK_POLL_QUEUES_MAX, 1, NULL);
	} else if (p->poll_queues) {
		return ubk_param_bad(e, "poll_queues", p->poll_queues, 0, 0, 1,
				     "0 with polling off");
	}
	if (p->queue_depth < UBK_QUEUE_DEPTH_MIN ||
	    p->queue_depth > UBK_QUEUE_DEPTH_MAX)
		return ubk_param_bad(e, "queue_depth", p->queue_depth,
				     UBK_QUEUE_DEPTH_MIN, UBK_QUEUE_DEPTH_MAX,
				     1, NULL);
	lbs_kb = p->logical_block_size >= 1024 ?
		 p->logical_block_size >> 10 : 1;
	if (p->max_io_size_kb < UBK_MAX_IO_KB_MIN ||
	    p->max_io_size_kb > UBK_MAX_IO_KB_MAX ||
	    p->max_io_size_kb % lbs_kb)
		return ubk_param_bad(e, "max_io_size_kb", p->max_io_size_kb,
				     UBK_MAX_IO_KB_MIN, UBK_MAX_IO_KB_MAX,
				     lbs_kb, NULL);
	if (p->io_timeout_ms < UBK_IO_TIMEOUT_MS_MIN ||
	    p->io_timeout_ms > UBK_IO_TIMEOUT_MS_MAX)
		return ubk_param_bad(e, "io_timeout_ms", p->io_timeout_ms,
				     UBK_IO_TIMEOUT_MS_MIN,
				     UBK_IO_TIMEOUT_MS_MAX, 1, NULL);
	if (!ubk_switch_ok(p->write_cache) ||
	    p->write_cache == URINGBLK_DEV_DEFAULT)
		return ubk_param_bad(e, "write_cache", p->write_cache, 1, 2, 1,
				     "on or off");
	if (!ubk_switch_ok(p->discard) || p->discard == URINGBLK_DEV_DEFAULT)
		return ubk_param_bad(e, "discard", p->discard, 1, 2, 1,
				     "on or off");
	if (!ubk_switch_ok(p->write_zeroes) ||
	    p->write_zeroes == URINGBLK_DEV_DEFAULT)
		return ubk_param_bad(e, "write_zeroes", p->write_zeroes, 1, 2,
				     1, "on or off");
	/* Characters from the set, then only NUL padding. */
	for (i = 0; i < URINGBLK_SERIAL_SUFFIX_LEN; i++) {
		u8 c = p->serial_suffix[i];

		if (!c)
			end = true;
		else if (end || !ubk_serial_char_ok(c))
			return ubk_param_bad(e, "serial_suffix", c, 0, 0, 1,
					     "[A-Za-z0-9_.-], NUL-padded");
	}
	for (i = 0; i < 4; i++)
		if (p->reserved[i])
			return ubk_param_bad(e, "reserved", 0, 0, 0, 1,
					     "zero");
	return 0;
}

/*
 * SET_PARAMS payload against the device's resolved parameters @p and its
 * logical block size. max_sectors_kb may not exceed max_io_size_kb (the
 * device's max_hw_sectors_kb).
 */
static inline int ubk_set_params_check(const struct uringblk_set_params *s,
				       const struct uringblk_dev_params *p,
				       struct ubk_param_err *e)
{
	const u32 known = URINGBLK_SET_WRITE_CACHE |
			  URINGBLK_SET_MAX_SECTORS_KB |
			  URINGBLK_SET_INJECT_RESET;
	u32 lbs_kb = p->logical_block_size >= 1024 ?
		     p->logical_block_size >> 10 : 1;

	if (!s->mask || (s->mask & ~known))
		return ubk_param_bad(e, "mask", s->mask, 1, known, 1,
				     "a non-empty set of URINGBLK_SET_*");
	if (s->reserved0 || s->reserved[0] || s->reserved[1])
		return ubk_param_bad(e, "reserved", 0, 0, 0, 1, "zero");
	if ((s->mask & URINGBLK_SET_WRITE_CACHE) && s->write_cache > 1)
		return ubk_param_bad(e, "write_cache", s->write_cache, 0, 1, 1,
				     NULL);
	if ((s->mask & URINGBLK_SET_MAX_SECTORS_KB) &&
	    (s->max_sectors_kb < UBK_MAX_IO_KB_MIN ||
	     s->max_sectors_kb > p->max_io_size_kb ||
	     s->max_sectors_kb % lbs_kb))
		return ubk_param_bad(e, "max_sectors_kb", s->max_sectors_kb,
				     UBK_MAX_IO_KB_MIN, p->max_io_size_kb,
				     lbs_kb, NULL);
	return 0;
}

#endif /* URINGBLK_DEV_PARAMS_H */
