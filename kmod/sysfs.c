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

/* "all", "random SEED" or "torn SEED". */
static ssize_t power_cut_store(struct device *d, struct device_attribute *a,
			       const char *buf, size_t count)
{
	struct uringblk_power_cut_result res;
	char mode[8];
	u64 seed = 0;
	u32 m;
	int n, ret;

	n = sscanf(buf, "%7s %llu", mode, &seed);
	if (n < 1)
		return -EINVAL;
	if (!strcmp(mode, "all") && n == 1)
		m = URINGBLK_PL_ALL;
	else if (!strcmp(mode, "random") && n == 2)
		m = URINGBLK_PL_RANDOM;
	else if (!strcmp(mode, "torn") && n == 2)
		m = URINGBLK_PL_TORN;
	else
		return -EINVAL;
	ret = ubk_pl_cut(ubk_from_dev(d), m, seed, &res);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(power_cut);

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
