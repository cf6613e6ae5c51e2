// SPDX-License-Identifier: GPL-2.0
/*
 * uringblk: module parameters, device lifetime, block_device_operations and
 * the device-information answers of the admin plane.
 *
 * Load: validate every parameter (one pr_err line naming the first bad one,
 * -EINVAL, nothing registered), then allocate everything that can fail for
 * all nr_devices devices (store, statistics, tag set, gendisk) and register
 * the control node, and only then add the disks. A disk is visible (and
 * opened by udev) from device_add_disk() on, and an open disk pins the
 * module text, which a failed init would free under it; so nothing after
 * the first device_add_disk() fails the load. If a later device_add_disk()
 * fails, the module stays loaded with the devices added so far and says
 * so (docs/data-plane.md 1.2).
 *
 * Unload: unregister the control node first, then for each device remove it
 * from the table (ubk_dev_get() fails from then on), drop its error
 * injection rules and complete the requests they hold, del_gendisk()
 * (drains I/O), wait until every ubk_dev_get() reference is dropped, and
 * free everything. rcu_barrier() at the end waits for the deferred page
 * frees.
 */
#include "compat.h"

#include <linux/hdreg.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "admin.h"
#include "dev_params.h"
#include "uringblk.h"

/* ---- parameters ---- */

/*
 * All parameters are 0444: none of them can change once the devices exist
 * (docs/data-plane.md explains the departure from the spec's 0644).
 */

/* A uint parameter whose default is computed at load unless it was given. */
struct ubk_uint_param {
	unsigned int val;
	bool given;
};

static int ubk_param_set_uint(const char *val, const struct kernel_param *kp)
{
	struct ubk_uint_param *p = kp->arg;
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	p->val = v;
	p->given = true;
	return 0;
}

static int ubk_param_get_uint(char *buf, const struct kernel_param *kp)
{
	const struct ubk_uint_param *p = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%u\n", p->val);
}

static const struct kernel_param_ops ubk_uint_param_ops = {
	.set = ubk_param_set_uint,
	.get = ubk_param_get_uint,
};

static struct ubk_uint_param nr_hw_queues;
module_param_cb(nr_hw_queues, &ubk_uint_param_ops, &nr_hw_queues, 0444);
MODULE_PARM_DESC(nr_hw_queues,
		 "Default (interrupt-style) hardware queues, 1-64 (default: online CPUs, at most 64)");

static struct ubk_uint_param poll_queues;
module_param_cb(poll_queues, &ubk_uint_param_ops, &poll_queues, 0444);
MODULE_PARM_DESC(poll_queues,
		 "Poll hardware queues, 1-16 with enable_poll=1 (default 1), 0 with enable_poll=0");

static unsigned int queue_depth = 1024;
module_param(queue_depth, uint, 0444);
MODULE_PARM_DESC(queue_depth, "Requests per hardware queue, 32-4096 (default 1024)");

static bool enable_poll = true;
module_param(enable_poll, bool, 0444);
MODULE_PARM_DESC(enable_poll, "Create poll queues for IORING_SETUP_IOPOLL (default 1)");

static bool enable_discard = true;
module_param(enable_discard, bool, 0444);
MODULE_PARM_DESC(enable_discard, "Support discard (default 1)");

static bool write_cache = true;
module_param(write_cache, bool, 0444);
MODULE_PARM_DESC(write_cache,
		 "1: volatile write-back cache with FLUSH/FUA, 0: write-through (default 1)");

static bool enable_write_zeroes = true;
module_param(enable_write_zeroes, bool, 0444);
MODULE_PARM_DESC(enable_write_zeroes, "Support write zeroes (default 1)");

static unsigned int capacity_mb = 1024;
module_param(capacity_mb, uint, 0444);
MODULE_PARM_DESC(capacity_mb, "Capacity of each device in MiB, 1-4194304 (default 1024)");

static unsigned int logical_block_size = 512;
module_param(logical_block_size, uint, 0444);
MODULE_PARM_DESC(logical_block_size, "Logical block size: 512, 1024, 2048 or 4096 (default 512)");

static unsigned int max_io_size_kb = 4096;
module_param(max_io_size_kb, uint, 0444);
MODULE_PARM_DESC(max_io_size_kb,
		 "Largest request in KiB (max_hw_sectors_kb), 4-32768, a multiple of the logical block size (default 4096)");

static unsigned int nr_devices = 1;
module_param(nr_devices, uint, 0444);
MODULE_PARM_DESC(nr_devices,
		 "Number of devices /dev/uringblkN created at load, 0-64 (default 1); more with uringblk-admin create");

static bool power_loss;
module_param(power_loss, bool, 0444);
MODULE_PARM_DESC(power_loss,
		 "Track non-durable writes for power-cut emulation on new devices (default 0); per device: uringblk/power_loss");

static unsigned int power_loss_max_mb;
module_param(power_loss_max_mb, uint, 0444);
MODULE_PARM_DESC(power_loss_max_mb,
		 "Memory all devices' power-loss logs may hold, in MiB; beyond it the oldest changes become durable (default 0: 1/8 of RAM)");

static unsigned int io_timeout_ms = 30000;
module_param(io_timeout_ms, uint, 0444);
MODULE_PARM_DESC(io_timeout_ms,
		 "Request timeout in ms, 10-3600000 (default 30000); per device at run time: /sys/block/uringblkN/queue/io_timeout");

/*
 * The module parameters, resolved and checked at load: the parameters of
 * the devices created at load, and the defaults of ADD_DEVICE.
 */
static struct uringblk_dev_params ubk_load_params;

/* One line naming the first broken rule, as the module parameters read. */
static void ubk_param_err_print(const char *who, const struct ubk_param_err *e)
{
	if (e->what)
		pr_err("%s%s=%u out of range (%s)\n", who, e->name, e->val,
		       e->what);
	else if (e->mult > 1)
		pr_err("%s%s=%u out of range (%u-%u, multiple of %u)\n", who,
		       e->name, e->val, e->lo, e->hi, e->mult);
	else
		pr_err("%s%s=%u out of range (%u-%u)\n", who, e->name, e->val,
		       e->lo, e->hi);
}

/*
 * The memory a device takes from its creation on, whatever is written to
 * it: the page directory (8 bytes per 2 MiB of capacity, store.c) and
 * blk-mq's requests (a struct request and the driver's PDU per tag per
 * hardware context).
 */
static u64 ubk_footprint(const struct uringblk_dev_params *p)
{
	u64 pages = DIV_ROUND_UP_ULL((u64)p->capacity_mb << 20, PAGE_SIZE);
	u64 dir = DIV_ROUND_UP_ULL(pages, PAGE_SIZE / sizeof(void *)) *
		  sizeof(void *);
	u64 rqs = (u64)(p->nr_hw_queues + p->poll_queues) * p->queue_depth *
		  (sizeof(struct request) + sizeof(struct ubk_cmd));

	return dir + rqs;
}

/*
 * Devices whose fixed footprint adds up to more than half of RAM are
 * refused before anything is allocated: their allocations would drive the
 * machine into reclaim, and other processes into the OOM killer, before
 * they failed (docs/data-plane.md 1). @have is what existing devices take;
 * @load: the module's load (nr_devices devices), not an ADD_DEVICE.
 */
static int ubk_check_footprint(const struct uringblk_dev_params *p,
			       unsigned int n, u64 have, bool load)
{
	u64 need = ubk_footprint(p) * n + have;
	u64 limit = ((u64)totalram_pages() << PAGE_SHIFT) / 2;

	if (need <= limit)
		return 0;
	if (load)
		pr_err("nr_devices=%u capacity_mb=%u queue_depth=%u need %llu MiB of page directories and requests, more than half of RAM (%llu MiB)\n",
		       n, p->capacity_mb, p->queue_depth, need >> 20,
		       limit >> 20);
	else
		pr_err("ADD_DEVICE capacity_mb=%u queue_depth=%u: with the existing devices %llu MiB of page directories and requests, more than half of RAM (%llu MiB)\n",
		       p->capacity_mb, p->queue_depth, need >> 20,
		       limit >> 20);
	return -ENOMEM;
}

/*
 * blk-mq cannot spread more queues of one type than there are CPUs
 * (6.12's group_cpus_evenly() warns): use at most that many.
 */
static void ubk_cap_queues(struct uringblk_dev_params *p)
{
	unsigned int hw = min(p->nr_hw_queues, num_possible_cpus());
	unsigned int poll = min(p->poll_queues, num_possible_cpus());

	if (hw != p->nr_hw_queues || poll != p->poll_queues)
		pr_info("%u CPUs: using %u default and %u poll queues\n",
			num_possible_cpus(), hw, poll);
	p->nr_hw_queues = hw;
	p->poll_queues = poll;
}

/* Validate and resolve the module parameters. One message at most. */
static int ubk_check_params(void)
{
	struct uringblk_dev_params *p = &ubk_load_params;
	struct ubk_param_err e;
	int ret;

	memset(p, 0, sizeof(*p));
	p->capacity_mb = capacity_mb;
	p->logical_block_size = logical_block_size;
	/* Resolved defaults show in /sys/module/uringblk_driver/parameters. */
	if (!nr_hw_queues.given)
		nr_hw_queues.val = min_t(unsigned int, num_online_cpus(),
					 UBK_NR_HW_QUEUES_MAX);
	if (!poll_queues.given)
		poll_queues.val = enable_poll ? 1 : 0;
	p->nr_hw_queues = nr_hw_queues.val;
	p->poll = enable_poll ? URINGBLK_DEV_ON : URINGBLK_DEV_OFF;
	p->poll_queues = poll_queues.val;
	p->queue_depth = queue_depth;
	p->max_io_size_kb = max_io_size_kb;
	p->io_timeout_ms = io_timeout_ms;
	p->write_cache = write_cache ? URINGBLK_DEV_ON : URINGBLK_DEV_OFF;
	p->discard = enable_discard ? URINGBLK_DEV_ON : URINGBLK_DEV_OFF;
	p->write_zeroes = enable_write_zeroes ? URINGBLK_DEV_ON :
			  URINGBLK_DEV_OFF;
	if (ubk_dev_params_check(p, &e)) {
		ubk_param_err_print("", &e);
		return -EINVAL;
	}
	if (nr_devices > UBK_MAX_DEVICES) {
		pr_err("nr_devices=%u out of range (0-%u)\n", nr_devices,
		       UBK_MAX_DEVICES);
		return -EINVAL;
	}
	ubk_cap_queues(p);
	ret = ubk_check_footprint(p, nr_devices, 0, true);
	if (ret)
		return ret;
	return 0;
}

/* ---- device table and references ---- */

static int ubk_major;
static DEFINE_MUTEX(ubk_devs_mutex);	/* protects ubk_devs[] */
static struct uringblk_dev *ubk_devs[UBK_MAX_DEVICES];

struct uringblk_dev *ubk_dev_get(u32 id)
{
	struct uringblk_dev *dev;

	if (id >= UBK_MAX_DEVICES)
		return NULL;
	id = array_index_nospec(id, UBK_MAX_DEVICES);
	mutex_lock(&ubk_devs_mutex);
	dev = ubk_devs[id];
	if (dev)
		kref_get(&dev->ref);
	mutex_unlock(&ubk_devs_mutex);
	return dev;
}

static void ubk_dev_last_put(struct kref *ref)
{
	complete(&container_of(ref, struct uringblk_dev, ref)->released);
}

/* Never frees: the teardown waits for the last reference and frees. */
void ubk_dev_put(struct uringblk_dev *dev)
{
	kref_put(&dev->ref, ubk_dev_last_put);
}

u32 ubk_dev_id(const struct uringblk_dev *dev)
{
	return dev->id;
}

/* ---- device information (admin plane answers) ---- */

u64 ubk_dev_capacity_sectors(struct uringblk_dev *dev)
{
	return get_capacity(dev->disk);
}

/*
 * WRITE_CACHE, FLUSH and FUA follow the live write-cache mode
 * (/sys/block/X/queue/write_cache): in write-through mode the block layer
 * sends no flush and strips FUA, so neither is a feature then.
 */
u64 ubk_dev_features(struct uringblk_dev *dev)
{
	struct request_queue *q = dev->disk->queue;
	u64 f = 0;

	if (ubk_queue_wc_on(q)) {
		f |= URINGBLK_FEAT_WRITE_CACHE | URINGBLK_FEAT_FLUSH;
		if (ubk_queue_fua_on(q))
			f |= URINGBLK_FEAT_FUA;
	}
	if (dev->discard)
		f |= URINGBLK_FEAT_DISCARD;
	if (dev->write_zeroes)
		f |= URINGBLK_FEAT_WRITE_ZEROES;
	if (dev->nr_poll_queues)
		f |= URINGBLK_FEAT_POLLING;
	return f;
}

/* Every value below is what /sys/block/uringblkN/queue/ shows. */
void ubk_dev_identify(struct uringblk_dev *dev, struct uringblk_identify *id)
{
	struct request_queue *q = dev->disk->queue;

	memset(id, 0, sizeof(*id));
	strscpy_pad((char *)id->model, UBK_MODEL, sizeof(id->model));
	strscpy_pad((char *)id->firmware, UBK_FIRMWARE_REV,
		    sizeof(id->firmware));
	id->logical_block_size = queue_logical_block_size(q);
	id->physical_block_size = queue_physical_block_size(q);
	id->capacity_sectors = ubk_dev_capacity_sectors(dev);
	id->features_bitmap = ubk_dev_features(dev);
	id->queue_count = dev->tag_set.nr_hw_queues;
	id->queue_depth = dev->tag_set.queue_depth;
	id->max_segments = queue_max_segments(q);
	id->max_segment_size = queue_max_segment_size(q);
	id->dma_alignment = queue_dma_alignment(q);
	id->io_min = queue_io_min(q);
	id->io_opt = queue_io_opt(q);
	id->discard_granularity = q->limits.discard_granularity;
	id->discard_max_bytes = (u64)q->limits.max_discard_sectors <<
				SECTOR_SHIFT;
}

void ubk_dev_limits(struct uringblk_dev *dev, struct uringblk_limits *lim)
{
	struct request_queue *q = dev->disk->queue;

	memset(lim, 0, sizeof(*lim));
	lim->max_hw_sectors_kb = queue_max_hw_sectors(q) >> 1;
	lim->max_sectors_kb = queue_max_sectors(q) >> 1;
	lim->nr_hw_queues = dev->tag_set.nr_hw_queues;
	lim->queue_depth = dev->tag_set.queue_depth;
	lim->max_segments = queue_max_segments(q);
	lim->max_segment_size = queue_max_segment_size(q);
	lim->dma_alignment = queue_dma_alignment(q);
	lim->io_min = queue_io_min(q);
	lim->io_opt = queue_io_opt(q);
	lim->discard_granularity = q->limits.discard_granularity;
	lim->discard_max_bytes = (u64)q->limits.max_discard_sectors <<
				 SECTOR_SHIFT;
}

/* The same numbers as HDIO_GETGEO (ubk_getgeo). */
void ubk_dev_geometry(struct uringblk_dev *dev, struct uringblk_geometry *geo)
{
	struct request_queue *q = dev->disk->queue;
	u64 cyl = div_u64(ubk_dev_capacity_sectors(dev),
			  UBK_GEO_HEADS * UBK_GEO_SECTORS);

	memset(geo, 0, sizeof(*geo));
	geo->capacity_sectors = ubk_dev_capacity_sectors(dev);
	geo->logical_block_size = queue_logical_block_size(q);
	geo->physical_block_size = queue_physical_block_size(q);
	geo->cylinders = min_t(u64, cyl, 0xffff);
	geo->heads = UBK_GEO_HEADS;
	geo->sectors_per_track = UBK_GEO_SECTORS;
}

/* ---- block_device_operations ---- */

static int ubk_getgeo(ubk_getgeo_arg_t arg, struct hd_geometry *hg)
{
	struct uringblk_geometry geo;

	ubk_dev_geometry(ubk_getgeo_disk(arg)->private_data, &geo);
	hg->heads = geo.heads;
	hg->sectors = geo.sectors_per_track;
	hg->cylinders = geo.cylinders;
	return 0;
}

/* The admin ioctls (URINGBLK_IOC_*) on /dev/uringblkN and its partitions. */
static int ubk_ioctl(struct block_device *bdev, ubk_blk_mode_t mode,
		     unsigned int cmd, unsigned long arg)
{
	if (_IOC_TYPE(cmd) != URINGBLK_IOC_MAGIC)
		return -ENOTTY;
	return ubk_admin_blk_ioctl(bdev->bd_disk->private_data, cmd, arg);
}

/*
 * Called under disk->open_mutex for every open of the disk or a partition;
 * DEL_DEVICE sets dev->deleting under the same mutex after it saw no
 * opener, so no new opener slips in between the check and del_gendisk().
 */
static int ubk_open(UBK_OPEN_ARGS(arg))
{
	struct uringblk_dev *dev = UBK_OPEN_DISK(arg)->private_data;

	return READ_ONCE(dev->deleting) ? -ENXIO : 0;
}

/*
 * The last reference to an added disk is gone. A device deleted with
 * force while it was open lives on, without its data, until here: the
 * ioctl and getgeo of a still-open file reach it through private_data
 * (docs/data-plane.md 1.3).
 */
static void ubk_free_disk(struct gendisk *disk)
{
	kfree(disk->private_data);
}

/* .owner pins the module while a device is open: rmmod fails (in use). */
static const struct block_device_operations ubk_fops = {
	.owner		= THIS_MODULE,
	.open		= ubk_open,
	.ioctl		= ubk_ioctl,
	.compat_ioctl	= blkdev_compat_ptr_ioctl,
	.getgeo		= ubk_getgeo,
	.free_disk	= ubk_free_disk,
};

/* ---- device creation and teardown ---- */

/*
 * Work per request is bounded (docs/data-plane.md 2.3): a discard unmaps
 * at most 128 whole 2 MiB leaves (one call_rcu() each) plus the pages of
 * two partial leaves; a write-zeroes with REQ_NOUNMAP zeroes at most 2 MiB
 * in place. Larger requests are split by the block layer.
 */
#define UBK_DISCARD_MAX_BYTES		(256U << 20)
#define UBK_WRITE_ZEROES_MAX_BYTES	(2U << 20)

/*
 * Creation and deletion (load, ADD_DEVICE, DEL_DEVICE, unload) are
 * serialized by ubk_ctl_mutex; ubk_devs[] changes only under both mutexes,
 * and lookups (ubk_dev_get()) take only ubk_devs_mutex. A deletion holds
 * ubk_ctl_mutex until the device is gone, so its index and name are free
 * when the next ADD_DEVICE can pick them.
 */
static DEFINE_MUTEX(ubk_ctl_mutex);
static u64 ubk_footprint_total;		/* of the devices in ubk_devs[] */

/* Everything but the struct itself, which ubk_free_disk() frees. */
static void ubk_dev_free_data(struct uringblk_dev *dev)
{
	ubk_store_free(&dev->store);
	ubk_stats_free(&dev->stats);
	kfree(dev->queues);
	dev->queues = NULL;
}

/*
 * Allocate device @id with the resolved parameters @p and everything that
 * can fail, up to its gendisk, but do not add the disk: nothing of it is
 * visible yet.
 */
static struct uringblk_dev *ubk_dev_alloc(u32 id,
					  const struct uringblk_dev_params *p)
{
	struct ubk_limits ul = { };
	struct uringblk_dev *dev;
	struct gendisk *disk;
	unsigned int lbs = p->logical_block_size;
	unsigned int lbs_sectors = lbs >> SECTOR_SHIFT;
	bool wc = p->write_cache == URINGBLK_DEV_ON;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev->id = id;
	dev->params = *p;
	dev->params.dev_id = id;
	kref_init(&dev->ref);
	init_completion(&dev->released);
	atomic64_set(&dev->flush_epoch, 0);
	/* Unique per device and stable across loads: "UBK" + 8 hex digits. */
	if (p->serial_suffix[0])
		snprintf(dev->serial, sizeof(dev->serial), "UBK%08X-%.*s", id,
			 URINGBLK_SERIAL_SUFFIX_LEN, p->serial_suffix);
	else
		snprintf(dev->serial, sizeof(dev->serial), "UBK%08X", id);
	dev->capacity = (u64)p->capacity_mb << 20;
	dev->discard = p->discard == URINGBLK_DEV_ON;
	dev->write_zeroes = p->write_zeroes == URINGBLK_DEV_ON;
	dev->lbs_shift = ilog2(lbs);
	ubk_inj_init(dev);
	ubk_delay_init(dev);
	ubk_pl_init(dev, power_loss);
	dev->nr_default_queues = p->nr_hw_queues;
	dev->nr_poll_queues = p->poll_queues;

	dev->queues = kcalloc(dev->nr_default_queues + dev->nr_poll_queues,
			      sizeof(*dev->queues), GFP_KERNEL);
	if (!dev->queues) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = ubk_store_init(&dev->store, dev->capacity);
	if (ret) {
		pr_err("uringblk%u: cannot allocate the page directory for %u MiB: %d\n",
		       id, p->capacity_mb, ret);
		goto err_free;
	}
	ret = ubk_stats_init(&dev->stats);
	if (ret)
		goto err_free;

	ret = ubk_init_tag_set(dev);
	if (ret) {
		pr_err("uringblk%u: blk_mq_alloc_tag_set failed: %d\n", id, ret);
		goto err_free;
	}

	ul.logical_block_size = lbs;
	ul.physical_block_size = max_t(unsigned int, lbs, PAGE_SIZE);
	ul.max_hw_sectors = p->max_io_size_kb << 1;
	ul.max_segments = UBK_MAX_SEGMENTS;
	ul.max_segment_size = UBK_MAX_SEGMENT_SIZE;
	if (dev->discard) {
		ul.max_discard_sectors =
			round_down(UBK_DISCARD_MAX_BYTES >> SECTOR_SHIFT,
				   lbs_sectors);
		ul.discard_granularity = ul.physical_block_size;
	}
	if (dev->write_zeroes)
		ul.max_write_zeroes_sectors =
			round_down(UBK_WRITE_ZEROES_MAX_BYTES >> SECTOR_SHIFT,
				   lbs_sectors);
	ul.write_cache = wc;
	ul.fua = wc;

	disk = ubk_alloc_disk(&dev->tag_set, &ul, dev);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		pr_err("uringblk%u: cannot allocate the disk: %d\n", id, ret);
		goto err_tag_set;
	}
	dev->disk = disk;
	disk->major = ubk_major;
	disk->first_minor = id * UBK_MINORS;
	disk->minors = UBK_MINORS;
	disk->fops = &ubk_fops;
	disk->private_data = dev;
	snprintf(disk->disk_name, DISK_NAME_LEN, UBK_NAME "%u", id);
	set_capacity(disk, dev->capacity >> SECTOR_SHIFT);
	return dev;

err_tag_set:
	blk_mq_free_tag_set(&dev->tag_set);
err_free:
	ubk_dev_free_data(dev);
	kfree(dev);
	return ERR_PTR(ret);
}

/*
 * Undo ubk_dev_alloc() of a device whose disk was never added (the block
 * layer calls ->free_disk only for added disks).
 */
static void ubk_dev_free_unadded(struct uringblk_dev *dev)
{
	put_disk(dev->disk);
	blk_mq_free_tag_set(&dev->tag_set);
	ubk_dev_free_data(dev);
	kfree(dev);
}

/*
 * Make @dev visible: add its disk and publish it in the device table.
 * Called with ubk_ctl_mutex held.
 */
static int ubk_dev_add(struct uringblk_dev *dev)
{
	int ret;

	lockdep_assert_held(&ubk_ctl_mutex);
	ret = device_add_disk(NULL, dev->disk, ubk_attr_groups);
	if (ret) {
		pr_err("uringblk%u: device_add_disk failed: %d\n", dev->id, ret);
		return ret;
	}
	mutex_lock(&ubk_devs_mutex);
	ubk_devs[dev->id] = dev;
	mutex_unlock(&ubk_devs_mutex);
	ubk_footprint_total += ubk_footprint(&dev->params);
	return 0;
}

/*
 * Remove @dev from the table and tear it down: fails its held requests,
 * drains I/O (del_gendisk()), waits for admin holders and frees its data.
 * The struct itself goes in ubk_free_disk() when the disk's last reference
 * does (at once unless a force-deleted device is still open).
 * Called with ubk_ctl_mutex held.
 */
static void ubk_dev_destroy(struct uringblk_dev *dev)
{
	struct gendisk *disk = dev->disk;

	lockdep_assert_held(&ubk_ctl_mutex);
	mutex_lock(&ubk_devs_mutex);
	ubk_devs[dev->id] = NULL;	/* no new ubk_dev_get() from now on */
	mutex_unlock(&ubk_devs_mutex);
	ubk_footprint_total -= ubk_footprint(&dev->params);

	/* Held requests would make del_gendisk() wait for their timeout. */
	ubk_inj_shutdown(dev);
	del_gendisk(disk);
	/* A power cut armed in the data path finishes its undo. */
	ubk_pl_stop(dev);
	/* No request left to give back: no refill may run the queues. */
	ubk_store_stop(&dev->store);
	/* Drop the table's reference and wait for admin holders. */
	ubk_dev_put(dev);
	wait_for_completion(&dev->released);
	/* del_gendisk() exited the queue: the tag set may go before the disk. */
	blk_mq_free_tag_set(&dev->tag_set);
	ubk_pl_free(dev);
	ubk_dev_free_data(dev);		/* waits for the RCU page frees */
	put_disk(disk);
}

/* Creation numbers of ADD_DEVICE (under ubk_ctl_mutex); 0 is none. */
static u64 ubk_dev_gen;

/*
 * ADD_DEVICE. @p: the payload; defaults are filled and the result checked.
 * @gen: the new device's creation number (for ubk_dev_uncreate()).
 */
int ubk_dev_create(struct uringblk_dev_params *p, u32 wanted, u64 *gen)
{
	struct ubk_param_err e;
	struct uringblk_dev *dev;
	u32 id;
	int ret;

	if (wanted != URINGBLK_DEV_ID_ANY && wanted >= UBK_MAX_DEVICES)
		return -EINVAL;
	ubk_dev_params_fill(p, &ubk_load_params);
	/* uringblk-admin create checks the same and says which rule. */
	if (ubk_dev_params_check(p, &e))
		return -EINVAL;
	ubk_cap_queues(p);

	mutex_lock(&ubk_ctl_mutex);
	if (wanted == URINGBLK_DEV_ID_ANY) {
		for (id = 0; id < UBK_MAX_DEVICES && ubk_devs[id]; id++)
			;
		ret = -ENOSPC;
		if (id == UBK_MAX_DEVICES)
			goto out;
	} else {
		id = array_index_nospec(wanted, UBK_MAX_DEVICES);
		ret = -EEXIST;
		if (ubk_devs[id])
			goto out;
	}
	ret = ubk_check_footprint(p, 1, ubk_footprint_total, false);
	if (ret)
		goto out;
	p->dev_id = id;
	p->state = URINGBLK_DEV_S_RUNTIME;
	dev = ubk_dev_alloc(id, p);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out;
	}
	dev->gen = ++ubk_dev_gen;
	ret = ubk_dev_add(dev);
	if (ret) {
		ubk_dev_free_unadded(dev);
		goto out;
	}
	*gen = dev->gen;
	ret = id;
	pr_info("uringblk%u: created, %u MiB, lbs %u\n", id, p->capacity_mb,
		p->logical_block_size);
out:
	mutex_unlock(&ubk_ctl_mutex);
	return ret;
}

/*
 * DEL_DEVICE. Without @force an open disk (a mount, an open file, udev's
 * probe) is -EBUSY; with it new and queued I/O fails with an error and the
 * device goes at once.
 */
static int __ubk_dev_delete(u32 id, bool force, u64 gen)
{
	struct uringblk_dev *dev;
	int ret = 0;

	if (id >= UBK_MAX_DEVICES)
		return -ENODEV;
	id = array_index_nospec(id, UBK_MAX_DEVICES);
	mutex_lock(&ubk_ctl_mutex);
	dev = ubk_devs[id];
	if (!dev || (gen && dev->gen != gen)) {
		ret = -ENODEV;
		goto out;
	}
	mutex_lock(&dev->disk->open_mutex);
	if (!force && disk_openers(dev->disk))
		ret = -EBUSY;
	else
		WRITE_ONCE(dev->deleting, true);
	mutex_unlock(&dev->disk->open_mutex);
	if (ret)
		goto out;
	if (force)
		blk_mark_disk_dead(dev->disk);
	ubk_dev_destroy(dev);
	pr_info("uringblk%u: deleted%s\n", id, force ? " (force)" : "");
out:
	mutex_unlock(&ubk_ctl_mutex);
	return ret;
}

int ubk_dev_delete(u32 id, bool force)
{
	return __ubk_dev_delete(id, force, 0);
}

/*
 * Undo the ADD_DEVICE that created device @id as number @gen, if that
 * device is still there (not a later one that got its index).
 */
int ubk_dev_uncreate(u32 id, u64 gen)
{
	return __ubk_dev_delete(id, true, gen);
}

/* LIST_DEVICES: up to @max ids in ascending order; returns how many exist. */
u32 ubk_dev_list(u32 *ids, u32 max, u32 *nr_ids)
{
	u32 id, n = 0;

	*nr_ids = 0;
	mutex_lock(&ubk_devs_mutex);
	for (id = 0; id < UBK_MAX_DEVICES; id++) {
		if (!ubk_devs[id])
			continue;
		if (*nr_ids < max)
			ids[(*nr_ids)++] = id;
		n++;
	}
	mutex_unlock(&ubk_devs_mutex);
	return n;
}

/* GET_PARAMS: the parameters it was created with, and the live cache mode. */
void ubk_dev_get_params(struct uringblk_dev *dev, struct uringblk_dev_params *p)
{
	*p = dev->params;
	p->write_cache = ubk_queue_wc_on(dev->disk->queue) ? URINGBLK_DEV_ON :
							      URINGBLK_DEV_OFF;
}

/* SET_PARAMS, after the pure checks of dev_params.h. */
int ubk_dev_set_params(struct uringblk_dev *dev,
		       const struct uringblk_set_params *s)
{
	struct request_queue *q = dev->disk->queue;
	struct ubk_param_err e;
	ssize_t r;
	int ret;

	if (ubk_set_params_check(s, &dev->params, &e))
		return -EINVAL;
	if (s->mask & URINGBLK_SET_WRITE_CACHE) {
		ret = ubk_set_write_cache(q, s->write_cache);
		if (ret)
			return ret;
		/* A switch to write-through is a FLUSH (docs/power-loss.md). */
		if (!s->write_cache)
			ubk_pl_flush(dev);
	}
	if (s->mask & URINGBLK_SET_MAX_SECTORS_KB) {
		ret = ubk_set_max_sectors(q, s->max_sectors_kb << 1);
		if (ret)
			return ret;
	}
	if (s->mask & URINGBLK_SET_INJECT_RESET) {
		r = ubk_inj_store(dev, "clear", 5);
		if (r < 0)
			return r;
	}
	return 0;
}

static void ubk_destroy_all(void)
{
	u32 id;

	mutex_lock(&ubk_ctl_mutex);
	for (id = 0; id < UBK_MAX_DEVICES; id++)
		if (ubk_devs[id])
			ubk_dev_destroy(ubk_devs[id]);
	mutex_unlock(&ubk_ctl_mutex);
	/* Pages unpublished by discard are freed by RCU callbacks. */
	rcu_barrier();
}

static bool ubk_ctl_registered;

static int __init ubk_init(void)
{
	static struct uringblk_dev *devs[UBK_MAX_DEVICES] __initdata;
	u32 id, n, added;
	int ret;

	ret = ubk_check_params();
	if (!ret)
		ret = ubk_pl_budget_init(power_loss_max_mb);
	if (ret)
		return ret;
	n = nr_devices;

	ret = ubk_store_wq_init();
	if (ret)
		return ret;
	ubk_major = register_blkdev(0, UBK_NAME);
	if (ubk_major < 0) {
		pr_err("register_blkdev failed: %d\n", ubk_major);
		ret = ubk_major;
		goto err_wq;
	}

	/* Everything that can fail, for every device, before any is visible. */
	for (id = 0; id < n; id++) {
		devs[id] = ubk_dev_alloc(id, &ubk_load_params);
		if (IS_ERR(devs[id])) {
			ret = PTR_ERR(devs[id]);
			goto err_unadded;
		}
	}
	/* With no device at load, the control node is the module's only use. */
	if (!n) {
		ret = ubk_admin_init();
		if (ret) {
			pr_err("cannot register /dev/%s: %d\n",
			       URINGBLK_CTL_NAME, ret);
			goto err_unadded;
		}
		ubk_ctl_registered = true;
		pr_info("no device at load; create them with uringblk-admin create\n");
		return 0;
	}

	/* From the first visible disk on, nothing fails the load. */
	mutex_lock(&ubk_ctl_mutex);
	for (added = 0; added < n; added++) {
		ret = ubk_dev_add(devs[added]);
		if (ret)
			break;
	}
	mutex_unlock(&ubk_ctl_mutex);
	if (!added) {
		id = n;
		goto err_unadded;
	}
	for (id = added; id < n; id++)
		ubk_dev_free_unadded(devs[id]);
	if (added < n)
		pr_err("only %u of %u devices could be added: %d\n", added, n,
		       ret);

	ret = ubk_admin_init();
	if (ret)
		pr_err("cannot register /dev/%s: %d; admin commands only through the block devices\n",
		       URINGBLK_CTL_NAME, ret);
	else
		ubk_ctl_registered = true;

	pr_info("%u device(s) of %u MiB, %u+%u queues of depth %u, lbs %u\n",
		added, ubk_load_params.capacity_mb,
		ubk_load_params.nr_hw_queues, ubk_load_params.poll_queues,
		ubk_load_params.queue_depth,
		ubk_load_params.logical_block_size);
	return 0;

err_unadded:
	while (id--)
		ubk_dev_free_unadded(devs[id]);
	unregister_blkdev(ubk_major, UBK_NAME);
err_wq:
	ubk_store_wq_exit();
	return ret;
}

static void __exit ubk_exit(void)
{
	if (ubk_ctl_registered)
		ubk_admin_exit();
	ubk_destroy_all();
	unregister_blkdev(ubk_major, UBK_NAME);
	ubk_store_wq_exit();
}

module_init(ubk_init);
module_exit(ubk_exit);

MODULE_DESCRIPTION("uringblk: io_uring-first blk-mq RAM block device");
MODULE_AUTHOR("uringblk developers");
MODULE_LICENSE("GPL");
