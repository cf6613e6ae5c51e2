/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uringblk error injection: the rule grammar of
 * /sys/block/uringblkN/uringblk/error_inject (spec 8.3, 12.1.2).
 *
 * Pure C with no kernel dependencies beyond types, errno values, string
 * functions and atomic_t, so the very same code is compiled into the module
 * and into the userspace unit tests (tests/unit/test_inject.cpp). The
 * grammar, the semantics and the intended kernel synchronization are
 * documented in docs/error-injection.md.
 *
 * Data layout. A rule table (struct ubk_inj_table) is immutable once it is
 * published; the kernel publishes it with rcu_assign_pointer() and the I/O
 * path reads it under rcu_read_lock(). The only thing that changes on the
 * I/O path is the remaining COUNT of read/write/nospc rules, and that lives
 * outside the table, in a per-device array of counters
 * (struct ubk_inj_counters) that the tables index. A rule carried over from
 * one table to the next keeps its counter, so a request still matching
 * against the old table and one matching against the new one consume the
 * same count: COUNT is exact across updates.
 *
 * Writer side (sysfs store, under the device's injection mutex):
 *	ubk_inj_parse(buf, len, &cmd);		-EINVAL: nothing changed
 *	ubk_inj_apply(new, old, &cmd, ctr);	-ENOSPC/-EINVAL: nothing changed
 *	rcu_assign_pointer(dev->inj, new->nr ? new : NULL);
 *	synchronize_rcu();			before the next apply and kfree(old)
 * I/O path:
 *	if (rcu_access_pointer(dev->inj)) { rcu_read_lock(); ...
 *		act = ubk_inj_match(t, ctr, op, start, nr, rnd, ctx, &usec); }
 * Listing (sysfs show, under the same mutex):
 *	ubk_inj_format(t, ctr, buf, PAGE_SIZE);
 */
#ifndef URINGBLK_INJECT_RULE_H
#define URINGBLK_INJECT_RULE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/atomic.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

/* Most rules active at once; one more distinct rule is -ENOSPC. */
#define UBK_INJ_MAX_RULES	16
/*
 * Counters per device: the live table's and one new rule's always fit.
 * At most 32 (ubk_inj_apply() keeps a u32 bitmap of the used ones).
 */
#define UBK_INJ_NR_COUNTERS	(2 * UBK_INJ_MAX_RULES)
/* Limits of the numeric fields (all inclusive). */
#define UBK_INJ_MAX_COUNT	1000000000U	/* fits atomic_t */
#define UBK_INJ_MAX_USEC	10000000U	/* 10 s */
#define UBK_INJ_MAX_PCT		100U
#define UBK_INJ_MAX_LBA		((u64)~0ULL)
/* Longest listed line, '\n' included; a whole listing with its NUL. */
#define UBK_INJ_LINE_MAX	64
#define UBK_INJ_LIST_MAX	(UBK_INJ_MAX_RULES * UBK_INJ_LINE_MAX + 1)

/* What a rule does (struct ubk_inj_rule.kind). */
enum ubk_inj_kind {
	UBK_INJ_NONE = 0,
	UBK_INJ_READ,		/* read,LBA,COUNT[,PCT]: reads fail -EIO */
	UBK_INJ_WRITE,		/* write,LBA,COUNT[,PCT]: writes fail -EIO */
	UBK_INJ_NOSPC,		/* nospc,LBA,COUNT[,PCT]: writes fail -ENOSPC */
	UBK_INJ_BUSY,		/* busy,LBA,COUNT[,PCT]: dispatch refused, requeued */
	UBK_INJ_NOMEM,		/* nomem,LBA,COUNT[,PCT]: writes allocate with reclaim */
	UBK_INJ_TIMEOUT,	/* timeout,LBA,PCT: any request times out */
	UBK_INJ_DELAY,		/* delay,LBA,USEC[,PCT]: any request delayed */
	UBK_INJ_CLEAR,		/* clear: a command, never in a table */
	UBK_INJ_NR_KINDS
};

/* The request class the matcher is given. */
enum ubk_inj_op {
	UBK_INJ_OP_READ = 0,	/* REQ_OP_READ */
	UBK_INJ_OP_WRITE,	/* REQ_OP_WRITE, REQ_OP_WRITE_ZEROES */
	UBK_INJ_OP_OTHER,	/* flush, discard, anything else */
};

/* The matcher's verdict. */
enum ubk_inj_act {
	UBK_INJ_ACT_NONE = 0,
	UBK_INJ_ACT_EIO,	/* complete with BLK_STS_IOERR */
	UBK_INJ_ACT_ENOSPC,	/* complete with BLK_STS_NOSPC */
	UBK_INJ_ACT_TIMEOUT,	/* hold; .timeout completes BLK_STS_TIMEOUT */
	UBK_INJ_ACT_DELAY,	/* complete *usec microseconds later */
	UBK_INJ_ACT_BUSY,	/* refuse: BLK_STS_RESOURCE, not started */
	UBK_INJ_ACT_NOMEM,	/* execute, but without GFP_NOWAIT allocation */
};

/*
 * One rule, or the "clear" command. Immutable once its table is published.
 * 16 bytes; no padding holes, so tables can be compared with memcmp().
 */
struct ubk_inj_rule {
	u64 lba;	/* logical block; meaningless when @any */
	u32 arg;	/* COUNT as written (count rules), USEC (delay) */
	u8 kind;	/* enum ubk_inj_kind */
	u8 pct;		/* 1..100 */
	u8 any;		/* matches every request of its op class */
	u8 ctr;		/* count rules: index into ubk_inj_counters */
};

struct ubk_inj_table {
	u32 nr;
	struct ubk_inj_rule rule[UBK_INJ_MAX_RULES];
#ifdef __KERNEL__
	struct rcu_head rcu;	/* for the module's kfree_rcu(), if used */
#endif
};

/* A remaining COUNT. The only state the I/O path writes. */
struct ubk_inj_cnt {
#ifdef __KERNEL__
	atomic_t v;
#else
	int v;
#endif
};

/* Per device, lives as long as the device; zero-initialised. */
struct ubk_inj_counters {
	struct ubk_inj_cnt c[UBK_INJ_NR_COUNTERS];
};

/* Random number source of the matcher: get_random_u32() in the kernel. */
typedef u32 (*ubk_inj_rand_fn)(void *ctx);

static inline int ubk_inj_cnt_read(const struct ubk_inj_cnt *c)
{
#ifdef __KERNEL__
	return atomic_read(&c->v);
#else
	return __atomic_load_n(&c->v, __ATOMIC_RELAXED);
#endif
}

static inline void ubk_inj_cnt_set(struct ubk_inj_cnt *c, int v)
{
#ifdef __KERNEL__
	atomic_set(&c->v, v);
#else
	__atomic_store_n(&c->v, v, __ATOMIC_RELAXED);
#endif
}

/* Decrement if positive; returns the old value minus one (< 0: not taken). */
static inline int ubk_inj_cnt_dec_if_positive(struct ubk_inj_cnt *c)
{
#ifdef __KERNEL__
	return atomic_dec_if_positive(&c->v);
#else
	int old = __atomic_load_n(&c->v, __ATOMIC_RELAXED);

	do {
		if (old <= 0)
			return old - 1;
	} while (!__atomic_compare_exchange_n(&c->v, &old, old - 1, true,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	return old - 1;
#endif
}

/* read, write, nospc, busy and nomem rules carry a COUNT (and a counter). */
static inline bool ubk_inj_is_count(unsigned int kind)
{
	return kind == UBK_INJ_READ || kind == UBK_INJ_WRITE ||
	       kind == UBK_INJ_NOSPC || kind == UBK_INJ_BUSY ||
	       kind == UBK_INJ_NOMEM;
}

/* A kind that may sit in a table. */
static inline bool ubk_inj_is_rule(unsigned int kind)
{
	return kind >= UBK_INJ_READ && kind <= UBK_INJ_DELAY;
}

/* Evaluation order: failures, then timeouts, then delays. */
static inline unsigned int ubk_inj_rank(unsigned int kind)
{
	switch (kind) {
	case UBK_INJ_TIMEOUT:
		return 1;
	case UBK_INJ_DELAY:
		return 2;
	default:
		return 0;
	}
}

/* The op field of @kind, or NULL. */
static inline const char *ubk_inj_kind_name(unsigned int kind)
{
	switch (kind) {
	case UBK_INJ_READ:
		return "read";
	case UBK_INJ_WRITE:
		return "write";
	case UBK_INJ_NOSPC:
		return "nospc";
	case UBK_INJ_BUSY:
		return "busy";
	case UBK_INJ_NOMEM:
		return "nomem";
	case UBK_INJ_TIMEOUT:
		return "timeout";
	case UBK_INJ_DELAY:
		return "delay";
	case UBK_INJ_CLEAR:
		return "clear";
	default:
		return NULL;
	}
}

/* Two rules with the same key cannot coexist: the newer replaces. */
static inline bool ubk_inj_same_key(const struct ubk_inj_rule *a,
				    const struct ubk_inj_rule *b)
{
	return a->kind == b->kind && a->any == b->any &&
	       (a->any || a->lba == b->lba);
}

static inline bool ubk_inj_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

/*
 * Decimal digits only (no sign, no prefix, no spaces), at least one, value
 * at most @max. Leading zeros are allowed. Returns 0 or -EINVAL.
 */
static inline int ubk_inj_parse_u64(const char *s, size_t n, u64 max,
				    u64 *out)
{
	u64 v = 0;
	size_t i;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned int)(s[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static inline int ubk_inj_parse_range(const char *s, size_t n, u64 min,
				      u64 max, u64 *out)
{
	if (ubk_inj_parse_u64(s, n, max, out) || *out < min)
		return -EINVAL;
	return 0;
}

/*
 * Parse one write to error_inject: one rule, or "clear". @buf need not be
 * NUL-terminated; leading and trailing whitespace (the "\n" of echo) is
 * ignored. On success *@out holds the rule (kind UBK_INJ_CLEAR for
 * "clear") and 0 is returned; otherwise -EINVAL and *@out is untouched.
 */
static inline int ubk_inj_parse(const char *buf, size_t len,
				struct ubk_inj_rule *out)
{
	const char *f[4];
	size_t fl[4];
	unsigned int nf = 0, kind, k;
	size_t b = 0, e = len, i, start;
	struct ubk_inj_rule r;
	u64 v;

	while (b < e && ubk_inj_isspace(buf[b]))
		b++;
	while (e > b && ubk_inj_isspace(buf[e - 1]))
		e--;
	if (b == e)
		return -EINVAL;
	start = b;
	for (i = b; i <= e; i++) {
		if (i < e && buf[i] != ',')
			continue;
		if (nf == 4)
			return -EINVAL;
		f[nf] = buf + start;
		fl[nf] = i - start;
		nf++;
		start = i + 1;
	}

	kind = UBK_INJ_NONE;
	for (k = UBK_INJ_READ; k < UBK_INJ_NR_KINDS; k++) {
		const char *name = ubk_inj_kind_name(k);

		if (strlen(name) == fl[0] && !memcmp(name, f[0], fl[0])) {
			kind = k;
			break;
		}
	}
	if (kind == UBK_INJ_NONE)
		return -EINVAL;

	memset(&r, 0, sizeof(r));
	r.kind = (u8)kind;
	r.pct = UBK_INJ_MAX_PCT;
	if (kind == UBK_INJ_CLEAR) {
		if (nf != 1)
			return -EINVAL;
		*out = r;
		return 0;
	}
	if (nf < 3 || (kind == UBK_INJ_TIMEOUT && nf != 3))
		return -EINVAL;

	/* LBA: decimal or "*"; 0 is "any" in timeout and delay rules. */
	if (fl[1] == 1 && f[1][0] == '*') {
		r.any = 1;
	} else {
		if (ubk_inj_parse_u64(f[1], fl[1], UBK_INJ_MAX_LBA, &v))
			return -EINVAL;
		if (v == 0 && !ubk_inj_is_count(kind))
			r.any = 1;
		else
			r.lba = v;
	}

	if (kind == UBK_INJ_TIMEOUT) {
		if (ubk_inj_parse_range(f[2], fl[2], 1, UBK_INJ_MAX_PCT, &v))
			return -EINVAL;
		r.pct = (u8)v;
		*out = r;
		return 0;
	}

	if (kind == UBK_INJ_DELAY) {
		if (ubk_inj_parse_range(f[2], fl[2], 1, UBK_INJ_MAX_USEC, &v))
			return -EINVAL;
	} else {
		if (ubk_inj_parse_range(f[2], fl[2], 1, UBK_INJ_MAX_COUNT, &v))
			return -EINVAL;
	}
	r.arg = (u32)v;
	if (nf == 4) {
		if (ubk_inj_parse_range(f[3], fl[3], 1, UBK_INJ_MAX_PCT, &v))
			return -EINVAL;
		r.pct = (u8)v;
	}
	*out = r;
	return 0;
}

/*
 * Build the table that results from applying @cmd (from ubk_inj_parse())
 * to @old (the published table, or NULL when there is none) into @dst, a
 * table no reader can see. @old is not modified.
 *
 * - "clear": @dst is empty.
 * - A rule with the key (kind, LBA or "*") of a rule in @old replaces it in
 *   place, with a fresh COUNT; otherwise it is appended after the rules of
 *   its rank (failures, then timeouts, then delays).
 * - Exhausted count rules of @old are dropped.
 * - More than UBK_INJ_MAX_RULES rules: -ENOSPC. A bad @cmd: -EINVAL.
 *   On error @dst is garbage and no counter has been written.
 *
 * On success the new rule's counter is set to COUNT. It is one no rule of
 * @old references, hence one no reader can touch, provided the caller
 * keeps the kernel rule: every table before @old has been unpublished for
 * a grace period (synchronize_rcu() before the next apply).
 */
static inline int ubk_inj_apply(struct ubk_inj_table *dst,
				const struct ubk_inj_table *old,
				const struct ubk_inj_rule *cmd,
				struct ubk_inj_counters *ctr)
{
	u32 nold = old ? old->nr : 0, n = 0, pos = 0, i, used = 0, idx;
	bool placed = false;

	memset(dst, 0, sizeof(*dst));
	if (cmd->kind == UBK_INJ_CLEAR)
		return 0;
	if (!ubk_inj_is_rule(cmd->kind) || cmd->pct < 1 ||
	    cmd->pct > UBK_INJ_MAX_PCT || nold > UBK_INJ_MAX_RULES)
		return -EINVAL;
	if (ubk_inj_is_count(cmd->kind) &&
	    (cmd->arg < 1 || cmd->arg > UBK_INJ_MAX_COUNT))
		return -EINVAL;
	if (cmd->kind == UBK_INJ_DELAY &&
	    (cmd->arg < 1 || cmd->arg > UBK_INJ_MAX_USEC))
		return -EINVAL;

	for (i = 0; i < nold; i++) {
		const struct ubk_inj_rule *o = &old->rule[i];

		if (ubk_inj_is_count(o->kind))
			used |= 1U << (o->ctr % UBK_INJ_NR_COUNTERS);
	}

	for (i = 0; i < nold; i++) {
		const struct ubk_inj_rule *o = &old->rule[i];

		if (ubk_inj_same_key(o, cmd)) {
			if (placed)	/* keys are unique: cannot happen */
				continue;
			pos = n;
			dst->rule[n++] = *cmd;
			placed = true;
			continue;
		}
		if (ubk_inj_is_count(o->kind) &&
		    ubk_inj_cnt_read(&ctr->c[o->ctr % UBK_INJ_NR_COUNTERS]) <= 0)
			continue;
		if (!placed && ubk_inj_rank(o->kind) > ubk_inj_rank(cmd->kind)) {
			if (n >= UBK_INJ_MAX_RULES)
				return -ENOSPC;
			pos = n;
			dst->rule[n++] = *cmd;
			placed = true;
		}
		if (n >= UBK_INJ_MAX_RULES)
			return -ENOSPC;
		dst->rule[n++] = *o;
	}
	if (!placed) {
		if (n >= UBK_INJ_MAX_RULES)
			return -ENOSPC;
		pos = n;
		dst->rule[n++] = *cmd;
	}
	dst->rule[pos].ctr = 0;
	if (ubk_inj_is_count(cmd->kind)) {
		for (idx = 0; idx < UBK_INJ_NR_COUNTERS; idx++)
			if (!(used & (1U << idx)))
				break;
		/* At most UBK_INJ_MAX_RULES bits are set: idx is free. */
		dst->rule[pos].ctr = (u8)idx;
		ubk_inj_cnt_set(&ctr->c[idx], (int)cmd->arg);
	}
	dst->nr = n;
	return 0;
}

/* Does a request of @nr blocks at @start touch the rule's LBA? */
static inline bool ubk_inj_touches(const struct ubk_inj_rule *r, u64 start,
				   u64 nr)
{
	return r->any || (r->lba >= start && r->lba - start < nr);
}

/* Does the rule apply to requests of class @op? */
static inline bool ubk_inj_op_applies(const struct ubk_inj_rule *r,
				      unsigned int op)
{
	switch (r->kind) {
	case UBK_INJ_READ:
		return op == UBK_INJ_OP_READ;
	case UBK_INJ_WRITE:
	case UBK_INJ_NOSPC:
	case UBK_INJ_NOMEM:
		return op == UBK_INJ_OP_WRITE;
	case UBK_INJ_BUSY:
	case UBK_INJ_TIMEOUT:
	case UBK_INJ_DELAY:
		return true;
	default:
		return false;
	}
}

/* True with probability @pct %; draws only when 0 < @pct < 100. */
static inline bool ubk_inj_roll(unsigned int pct, ubk_inj_rand_fn rnd,
				void *ctx)
{
	if (pct >= UBK_INJ_MAX_PCT)
		return true;
	return (((u64)rnd(ctx) * UBK_INJ_MAX_PCT) >> 32) < pct;
}

/*
 * Decide what happens to a request of class @op covering logical blocks
 * [@start, @start + @nr). The first rule in table order that applies to
 * @op, touches the range, wins its PCT draw and (count rules) still has a
 * COUNT to consume acts; at most one COUNT is consumed per request.
 * Returns an enum ubk_inj_act; for UBK_INJ_ACT_DELAY, *@usec is set.
 * Safe against concurrent callers; @t must stay valid during the call.
 */
static inline int ubk_inj_match(const struct ubk_inj_table *t,
				struct ubk_inj_counters *ctr, unsigned int op,
				u64 start, u64 nr, ubk_inj_rand_fn rnd,
				void *ctx, u32 *usec)
{
	u32 i, n = t->nr < UBK_INJ_MAX_RULES ? t->nr : UBK_INJ_MAX_RULES;

	for (i = 0; i < n; i++) {
		const struct ubk_inj_rule *r = &t->rule[i];
		struct ubk_inj_cnt *c;

		if (!ubk_inj_op_applies(r, op) || !ubk_inj_touches(r, start, nr))
			continue;
		if (!ubk_inj_is_count(r->kind)) {
			if (!ubk_inj_roll(r->pct, rnd, ctx))
				continue;
			if (r->kind == UBK_INJ_TIMEOUT)
				return UBK_INJ_ACT_TIMEOUT;
			*usec = r->arg;
			return UBK_INJ_ACT_DELAY;
		}
		c = &ctr->c[r->ctr % UBK_INJ_NR_COUNTERS];
		if (ubk_inj_cnt_read(c) <= 0 || !ubk_inj_roll(r->pct, rnd, ctx))
			continue;
		if (ubk_inj_cnt_dec_if_positive(c) < 0)
			continue;
		switch (r->kind) {
		case UBK_INJ_NOSPC:
			return UBK_INJ_ACT_ENOSPC;
		case UBK_INJ_BUSY:
			return UBK_INJ_ACT_BUSY;
		case UBK_INJ_NOMEM:
			return UBK_INJ_ACT_NOMEM;
		default:
			return UBK_INJ_ACT_EIO;
		}
	}
	return UBK_INJ_ACT_NONE;
}

/* Decimal digits of @v at @p (at least 21 bytes); returns their number. */
static inline size_t ubk_inj_put_u64(char *p, u64 v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

static inline size_t ubk_inj_put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return n;
}

/*
 * Format @r as the line that creates it, '\n' included, into @line (at
 * least UBK_INJ_LINE_MAX bytes, NUL-terminated). @count is the COUNT to
 * show for count rules (the remaining one). Returns the length, or 0 for
 * a count rule with @count <= 0 or an invalid rule (nothing to list).
 * Canonical form: optional PCT only when not 100; "any" is "*" in count
 * rules and "0" (the spec's spelling) in timeout and delay rules.
 */
static inline size_t ubk_inj_format_rule(const struct ubk_inj_rule *r,
					 int count, char *line)
{
	const char *name = ubk_inj_kind_name(r->kind);
	size_t n;

	if (!name || (ubk_inj_is_count(r->kind) && count <= 0))
		return 0;
	n = ubk_inj_put_str(line, name);
	if (r->kind != UBK_INJ_CLEAR) {
		line[n++] = ',';
		if (r->any && ubk_inj_is_count(r->kind))
			line[n++] = '*';
		else
			n += ubk_inj_put_u64(line + n, r->any ? 0 : r->lba);
		line[n++] = ',';
		if (ubk_inj_is_count(r->kind))
			n += ubk_inj_put_u64(line + n, (u64)count);
		else if (r->kind == UBK_INJ_DELAY)
			n += ubk_inj_put_u64(line + n, r->arg);
		else
			n += ubk_inj_put_u64(line + n, r->pct);
		if (r->kind != UBK_INJ_TIMEOUT && r->pct != UBK_INJ_MAX_PCT) {
			line[n++] = ',';
			n += ubk_inj_put_u64(line + n, r->pct);
		}
	}
	line[n++] = '\n';
	line[n] = '\0';
	return n;
}

/*
 * The listing of error_inject: one line per rule in table order, each the
 * line that recreates it, count rules with their remaining COUNT,
 * exhausted rules omitted. @t may be NULL (empty listing). Writes at most
 * @size bytes including a NUL (whole lines only; UBK_INJ_LIST_MAX always
 * suffices) and returns the length without the NUL.
 */
static inline size_t ubk_inj_format(const struct ubk_inj_table *t,
				    const struct ubk_inj_counters *ctr,
				    char *buf, size_t size)
{
	char line[UBK_INJ_LINE_MAX];
	size_t len = 0, n;
	u32 i, nr;

	if (!size)
		return 0;
	buf[0] = '\0';
	nr = t ? (t->nr < UBK_INJ_MAX_RULES ? t->nr : UBK_INJ_MAX_RULES) : 0;
	for (i = 0; i < nr; i++) {
		const struct ubk_inj_rule *r = &t->rule[i];
		const struct ubk_inj_cnt *c = &ctr->c[r->ctr % UBK_INJ_NR_COUNTERS];

		n = ubk_inj_format_rule(r, ubk_inj_cnt_read(c), line);
		if (!n)
			continue;
		if (len + n + 1 > size)
			break;
		memcpy(buf + len, line, n + 1);
		len += n;
	}
	return len;
}

#endif /* URINGBLK_INJECT_RULE_H */
