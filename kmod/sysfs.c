// SPDX-License-Identifier: GPL-2.0
/*
 * uringblk: /sys/block/uringblkN/uringblk/ attribute group.
 *
 * The group is passed to device_add_disk(), so the files exist when udev
 * sees the disk, and del_gendisk() removes them (waiting for running
 * show/store calls) before the device is freed.
 */
#include "compat.h"

#include <linux/device.h>
#include <linux/sysfs.h>

#include "admin.h"
#include "uringblk.h"

static struct uringblk_dev *ubk_from_dev(struct device *d)
{
	return dev_to_disk(d)->private_data;
}

static ssize_t model_show(struct device *d, struct device_attribute *a,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", UBK_MODEL);
}
static DEVICE_ATTR_RO(model);

static ssize_t firmware_rev_show(struct device *d, struct device_attribute *a,
				 char *buf)
{
	return sysfs_emit(buf, "%s\n", UBK_FIRMWARE_REV);
}
static DEVICE_ATTR_RO(firmware_rev);

static ssize_t serial_show(struct device *d, struct device_attribute *a,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", ubk_from_dev(d)->serial);
}
static DEVICE_ATTR_RO(serial);

static ssize_t features_show(struct device *d, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "0x%llx\n",
			  (unsigned long long)ubk_dev_features(ubk_from_dev(d)));
}
static DEVICE_ATTR_RO(features);

static ssize_t capacity_show(struct device *d, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)
			  ubk_dev_capacity_sectors(ubk_from_dev(d)) <<
			  SECTOR_SHIFT);
}
static DEVICE_ATTR_RO(capacity);

static ssize_t nr_hw_queues_show(struct device *d, struct device_attribute *a,
				 char *buf)
{
	return sysfs_emit(buf, "%u\n", ubk_from_dev(d)->tag_set.nr_hw_queues);
}
static DEVICE_ATTR_RO(nr_hw_queues);

static ssize_t poll_queues_show(struct device *d, struct device_attribute *a,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", ubk_from_dev(d)->nr_poll_queues);
}
static DEVICE_ATTR_RO(poll_queues);

static ssize_t queue_depth_show(struct device *d, struct device_attribute *a,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", ubk_from_dev(d)->tag_set.queue_depth);
}
static DEVICE_ATTR_RO(queue_depth);

static ssize_t poll_enabled_show(struct device *d, struct device_attribute *a,
				 char *buf)
{
	return sysfs_emit(buf, "%d\n", ubk_from_dev(d)->nr_poll_queues > 0);
}
static DEVICE_ATTR_RO(poll_enabled);

/* Same words and same live state as /sys/block/X/queue/write_cache. */
static ssize_t write_cache_show(struct device *d, struct device_attribute *a,
				char *buf)
{
	bool wb = ubk_queue_wc_on(ubk_from_dev(d)->disk->queue);

	return sysfs_emit(buf, "%s\n", wb ? "write back" : "write through");
}
static DEVICE_ATTR_RO(write_cache);

static ssize_t dev_id_show(struct device *d, struct device_attribute *a,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", ubk_from_dev(d)->id);
}
static DEVICE_ATTR_RO(dev_id);

static ssize_t admin_node_show(struct device *d, struct device_attribute *a,
			       char *buf)
{
	return sysfs_emit(buf, "%s\n", URINGBLK_CTL_NAME);
}
static DEVICE_ATTR_RO(admin_node);

static ssize_t mem_used_bytes_show(struct device *d,
				   struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)
			  ubk_store_mem_used(&ubk_from_dev(d)->store));
}
static DEVICE_ATTR_RO(mem_used_bytes);

/* Counters since load or the last stats_reset. */
#define UBK_COUNTER_ATTR(_name, _ctr)					\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *a, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)		\
			  ubk_stats_get(&ubk_from_dev(d)->stats, _ctr));\
}									\
static DEVICE_ATTR_RO(_name)

UBK_COUNTER_ATTR(read_ops, UBK_C_READ_OPS);
UBK_COUNTER_ATTR(write_ops, UBK_C_WRITE_OPS);
UBK_COUNTER_ATTR(read_bytes, UBK_C_READ_BYTES);
UBK_COUNTER_ATTR(write_bytes, UBK_C_WRITE_BYTES);
UBK_COUNTER_ATTR(flush_ops, UBK_C_FLUSH_OPS);
UBK_COUNTER_ATTR(discard_ops, UBK_C_DISCARD_OPS);
UBK_COUNTER_ATTR(write_zeroes_ops, UBK_C_WRITE_ZEROES_OPS);
UBK_COUNTER_ATTR(queue_full_events, UBK_C_QUEUE_FULL);
UBK_COUNTER_ATTR(media_errors, UBK_C_MEDIA_ERRORS);
UBK_COUNTER_ATTR(retries, UBK_C_RETRIES);
UBK_COUNTER_ATTR(polled_completions, UBK_C_POLLED);
UBK_COUNTER_ATTR(timeouts, UBK_C_TIMEOUTS);
UBK_COUNTER_ATTR(refills, UBK_C_REFILLS);
UBK_COUNTER_ATTR(nomem_errors, UBK_C_NOMEM);

/* Write "1" (a trailing newline is fine) to reset counters and histograms. */
static ssize_t stats_reset_store(struct device *d, struct device_attribute *a,
				 const char *buf, size_t count)
{
	if (!sysfs_streq(buf, "1"))
		return -EINVAL;
	ubk_stats_reset(&ubk_from_dev(d)->stats);
	return count;
}
static DEVICE_ATTR_WO(stats_reset);

/* The rules of docs/error-injection.md: one line per write, one per rule read. */
static ssize_t error_inject_show(struct device *d, struct device_attribute *a,
				 char *buf)
{
	return ubk_inj_show(ubk_from_dev(d), buf);
}

static ssize_t error_inject_store(struct device *d, struct device_attribute *a,
				  const char *buf, size_t count)
{
	return ubk_inj_store(ubk_from_dev(d), buf, count);
}
static DEVICE_ATTR_RW(error_inject);

/* Power-loss emulation (docs/power-loss.md). */
static ssize_t power_loss_show(struct device *d, struct device_attribute *a,
			       char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(ubk_from_dev(d)->pl.on));
}

static ssize_t power_loss_store(struct device *d, struct device_attribute *a,
				const char *buf, size_t count)
{
	bool on;
	int ret = kstrtobool(buf, &on);

	if (ret)
		return ret;
	ubk_pl_set(ubk_from_dev(d), on);
	return count;
}
static DEVICE_ATTR_RW(power_loss);

/* The next blank-separated word of *@p, or NULL at the end. */
static char *ubk_word(char **p)
{
	if (!*p)
		return NULL;
	*p = skip_spaces(*p);
	if (!**p)
		return NULL;
	return strsep(p, " \t\n");
}

/* DROP's list: "N[,N...]", at most URINGBLK_PL_MAX_DROP numbers. */
static int ubk_parse_drop(char *w, struct ubk_pl_spec *sp)
{
	char *n;

	while ((n = strsep(&w, ","))) {
		if (sp->nr_drop == URINGBLK_PL_MAX_DROP ||
		    kstrtou64(n, 0, &sp->drop[sp->nr_drop]))
			return -EINVAL;
		sp->nr_drop++;
	}
	return 0;
}

/*
 * A cut: "all", "random SEED", "torn SEED", "prefix K" or "drop N[,N...]",
 * then the options "resume" (power on at once) and "physical" (tear at
 * the physical block), in any order. Checked by ubk_pl_spec_check().
 */
static int ubk_parse_spec(char **p, struct ubk_pl_spec *sp)
{
	char *w = ubk_word(p);

	memset(sp, 0, sizeof(*sp));
	if (!w)
		return -EINVAL;
	for (sp->mode = 0; sp->mode <= UBK_PL_DROP; sp->mode++)
		if (!strcmp(w, ubk_pl_mode_name(sp->mode)))
			break;
	if (sp->mode > UBK_PL_DROP)
		return -EINVAL;
	if (sp->mode != UBK_PL_ALL) {
		w = ubk_word(p);
		if (!w)
			return -EINVAL;
		if (sp->mode == UBK_PL_DROP) {
			if (ubk_parse_drop(w, sp))
				return -EINVAL;
			sp->seed = sp->nr_drop;
		} else if (kstrtou64(w, 0, &sp->seed)) {
			return -EINVAL;
		}
	}
	while ((w = ubk_word(p))) {
		if (!strcmp(w, "resume"))
			sp->flags |= URINGBLK_PL_CUT_RESUME;
		else if (!strcmp(w, "physical"))
			sp->flags |= URINGBLK_PL_CUT_TEAR_PHYSICAL;
		else
			return -EINVAL;
	}
	return 0;
}

/* Room for a drop list of URINGBLK_PL_MAX_DROP numbers. */
#define UBK_SPEC_TEXT	1400

static ssize_t power_cut_store(struct device *d, struct device_attribute *a,
			       const char *buf, size_t count)
{
	struct uringblk_power_cut_result res;
	struct ubk_pl_spec *sp;
	char *tmp, *p;
	int ret;

	tmp = kstrndup(buf, UBK_SPEC_TEXT, GFP_KERNEL);
	sp = kmalloc(sizeof(*sp), GFP_KERNEL);
	ret = -ENOMEM;
	if (tmp && sp) {
		p = tmp;
		ret = count > UBK_SPEC_TEXT ? -EINVAL : ubk_parse_spec(&p, sp);
	}
	if (!ret)
		ret = ubk_pl_cut(ubk_from_dev(d), sp,
				 sp->flags & URINGBLK_PL_CUT_RESUME, &res);
	kfree(sp);
	kfree(tmp);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(power_cut);

/*
 * "change N CUT", "flush N CUT", "lba SECTOR NR_SECTORS CUT", "mark TAG
 * CUT" or "none"; CUT as in power_cut, without drop and resume.
 */
static int ubk_parse_arm(char *p, struct uringblk_power_arm *a)
{
	static const char * const trig[] = {
		[URINGBLK_PL_ARM_NONE] = "none",
		[URINGBLK_PL_ARM_CHANGE] = "change",
		[URINGBLK_PL_ARM_FLUSH] = "flush",
		[URINGBLK_PL_ARM_LBA] = "lba",
		[URINGBLK_PL_ARM_MARK] = "mark",
	};
	struct ubk_pl_spec sp;
	char *w = ubk_word(&p);
	u64 *arg = &a->count;
	int ret;

	memset(a, 0, sizeof(*a));
	if (!w)
		return -EINVAL;
	ret = match_string(trig, ARRAY_SIZE(trig), w);
	if (ret < 0)
		return -EINVAL;
	a->trigger = ret;
	if (a->trigger == URINGBLK_PL_ARM_NONE)
		return ubk_word(&p) ? -EINVAL : 0;
	if (a->trigger == URINGBLK_PL_ARM_LBA || a->trigger == URINGBLK_PL_ARM_MARK)
		arg = &a->sector;
	w = ubk_word(&p);
	if (!w || kstrtou64(w, 0, arg))
		return -EINVAL;
	if (a->trigger == URINGBLK_PL_ARM_LBA) {
		w = ubk_word(&p);
		if (!w || kstrtou64(w, 0, &a->nr_sectors))
			return -EINVAL;
	}
	ret = ubk_parse_spec(&p, &sp);
	if (ret)
		return ret;
	if (sp.mode == UBK_PL_DROP)
		return -EINVAL;
	a->mode = sp.mode;
	a->flags = sp.flags;
	a->seed = sp.seed;
	return 0;
}

static ssize_t power_arm_show(struct device *d, struct device_attribute *a,
			      char *buf)
{
	return ubk_pl_arm_show(ubk_from_dev(d), buf);
}

static ssize_t power_arm_store(struct device *d, struct device_attribute *a,
			       const char *buf, size_t count)
{
	struct uringblk_power_arm arm;
	char tmp[128];
	int ret;

	if (strscpy(tmp, buf, sizeof(tmp)) < 0)
		return -EINVAL;
	ret = ubk_parse_arm(tmp, &arm);
	if (!ret)
		ret = ubk_pl_arm(ubk_from_dev(d), &arm);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(power_arm);

/* A mark: a 64-bit tag, decimal or 0x hex. */
static ssize_t power_mark_store(struct device *d, struct device_attribute *a,
				const char *buf, size_t count)
{
	u64 tag;
	int ret = kstrtou64(buf, 0, &tag);

	if (!ret)
		ret = ubk_pl_mark(ubk_from_dev(d), tag);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(power_mark);

/* At most this many changes in sysfs power_log (a page); POWER_LOG has more. */
#define UBK_PL_LOG_SYSFS	64

static const char * const ubk_pl_op_names[] = {
	[URINGBLK_PL_OP_WRITE] = "write",
	[URINGBLK_PL_OP_DISCARD] = "discard",
	[URINGBLK_PL_OP_WRITE_ZEROES] = "write_zeroes",
};

/*
 * "changes N", then one line per change, oldest first:
 * "SEQ OP SECTOR NR_SECTORS fua|- mark=TAG|-".
 */
static ssize_t power_log_show(struct device *d, struct device_attribute *a,
			      char *buf)
{
	struct uringblk_power_log_entry *e;
	u64 nr_changes;
	u32 i, n;
	int len;

	e = kcalloc(UBK_PL_LOG_SYSFS, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	n = ubk_pl_log(ubk_from_dev(d), e, UBK_PL_LOG_SYSFS, &nr_changes);
	len = sysfs_emit(buf, "changes %llu\n", nr_changes);
	for (i = 0; i < n; i++) {
		len += sysfs_emit_at(buf, len, "%llu %s %llu %u %s ",
				     e[i].seq, ubk_pl_op_names[e[i].op],
				     e[i].sector, e[i].nr_sectors,
				     e[i].flags & URINGBLK_PL_LOG_FUA ? "fua" : "-");
		if (e[i].flags & URINGBLK_PL_LOG_MARK)
			len += sysfs_emit_at(buf, len, "mark=%llu\n", e[i].mark);
		else
			len += sysfs_emit_at(buf, len, "-\n");
	}
	kfree(e);
	return len;
}
static DEVICE_ATTR_RO(power_log);

/* Any true value (kstrtobool) powers the device on after a cut. */
static ssize_t power_on_store(struct device *d, struct device_attribute *a,
			      const char *buf, size_t count)
{
	bool on;
	int ret = kstrtobool(buf, &on);

	if (ret)
		return ret;
	if (!on)
		return -EINVAL;
	ubk_pl_power_on(ubk_from_dev(d));
	return count;
}
static DEVICE_ATTR_WO(power_on);

static ssize_t power_state_show(struct device *d, struct device_attribute *a,
				char *buf)
{
	return sysfs_emit(buf, "%s\n", ubk_pl_state(ubk_from_dev(d)));
}
static DEVICE_ATTR_RO(power_state);

/*
 * What the last cut did, armed ones too: "changes C pending P reverted R
 * torn T" (C counts FUA changes too; P, R and T as POWER_CUT answers).
 */
static ssize_t power_cut_last_show(struct device *d,
				   struct device_attribute *a, char *buf)
{
	struct ubk_pl *pl = &ubk_from_dev(d)->pl;
	struct uringblk_power_cut_result r;

	spin_lock_irq(&pl->lock);
	r = pl->last;
	spin_unlock_irq(&pl->lock);
	return sysfs_emit(buf, "changes %llu pending %llu reverted %llu torn %llu\n",
			  r.changes, r.pending, r.reverted, r.torn);
}
static DEVICE_ATTR_RO(power_cut_last);

static ssize_t power_loss_broken_show(struct device *d,
				      struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n", ubk_pl_broken(ubk_from_dev(d)));
}
static DEVICE_ATTR_RO(power_loss_broken);

#define UBK_PL_ATTR(_name, _field)					\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *a, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)		\
			  READ_ONCE(ubk_from_dev(d)->pl._field));	\
}									\
static DEVICE_ATTR_RO(_name)

UBK_PL_ATTR(power_loss_pending, nr_recs);
UBK_PL_ATTR(power_loss_bytes, bytes);
UBK_PL_ATTR(power_loss_untracked, untracked);
UBK_PL_ATTR(power_loss_written_back, written_back);
UBK_PL_ATTR(power_cuts, cuts);
UBK_PL_ATTR(power_cut_reverted, reverted);
UBK_PL_ATTR(power_cut_torn, torn);

static struct attribute *ubk_attrs[] = {
	&dev_attr_model.attr,
	&dev_attr_firmware_rev.attr,
	&dev_attr_serial.attr,
	&dev_attr_features.attr,
	&dev_attr_capacity.attr,
	&dev_attr_nr_hw_queues.attr,
	&dev_attr_poll_queues.attr,
	&dev_attr_queue_depth.attr,
	&dev_attr_poll_enabled.attr,
	&dev_attr_write_cache.attr,
	&dev_attr_read_ops.attr,
	&dev_attr_write_ops.attr,
	&dev_attr_read_bytes.attr,
	&dev_attr_write_bytes.attr,
	&dev_attr_flush_ops.attr,
	&dev_attr_discard_ops.attr,
	&dev_attr_write_zeroes_ops.attr,
	&dev_attr_queue_full_events.attr,
	&dev_attr_media_errors.attr,
	&dev_attr_retries.attr,
	&dev_attr_refills.attr,
	&dev_attr_nomem_errors.attr,
	&dev_attr_polled_completions.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_mem_used_bytes.attr,
	&dev_attr_stats_reset.attr,
	&dev_attr_error_inject.attr,
	&dev_attr_dev_id.attr,
	&dev_attr_admin_node.attr,
	&dev_attr_power_loss.attr,
	&dev_attr_power_cut.attr,
	&dev_attr_power_on.attr,
	&dev_attr_power_arm.attr,
	&dev_attr_power_mark.attr,
	&dev_attr_power_log.attr,
	&dev_attr_power_cut_last.attr,
	&dev_attr_power_state.attr,
	&dev_attr_power_loss_broken.attr,
	&dev_attr_power_loss_pending.attr,
	&dev_attr_power_loss_bytes.attr,
	&dev_attr_power_loss_untracked.attr,
	&dev_attr_power_loss_written_back.attr,
	&dev_attr_power_cuts.attr,
	&dev_attr_power_cut_reverted.attr,
	&dev_attr_power_cut_torn.attr,
	NULL,
};

static const struct attribute_group ubk_attr_group = {
	.name	= "uringblk",
	.attrs	= ubk_attrs,
};

const struct attribute_group *ubk_attr_groups[] = {
	&ubk_attr_group,
	NULL,
};
