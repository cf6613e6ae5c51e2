/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between the device core (main.c, blkmq.c, stats.c, sysfs.c)
 * and the admin plane (admin.c: control node, URING_CMD, ioctls).
 *
 * The core owns struct uringblk_dev and its data; the admin plane only
 * validates commands, moves bytes to and from userspace, and calls the
 * fill functions below.
 */
#ifndef URINGBLK_ADMIN_H
#define URINGBLK_ADMIN_H

#include <linux/types.h>
#include <linux/blkdev.h>
#include <linux/uringblk.h>

struct uringblk_dev;

/* ---- provided by the core ---------------------------------------- */

/*
 * Look up a live device by its index N (/dev/uringblkN) and take a
 * reference that keeps it (and its gendisk) valid until ubk_dev_put().
 * Returns NULL if there is no such device or it is being torn down.
 * May sleep.
 */
struct uringblk_dev *ubk_dev_get(u32 id);
void ubk_dev_put(struct uringblk_dev *dev);

/* The index N of the device. */
u32 ubk_dev_id(const struct uringblk_dev *dev);

/* Fill the response of each command. Never fail; may sleep (GET_STATS). */
void ubk_dev_identify(struct uringblk_dev *dev, struct uringblk_identify *id);
void ubk_dev_limits(struct uringblk_dev *dev, struct uringblk_limits *lim);
u64 ubk_dev_features(struct uringblk_dev *dev);
void ubk_dev_geometry(struct uringblk_dev *dev, struct uringblk_geometry *geo);
void ubk_dev_stats(struct uringblk_dev *dev, struct uringblk_stats *st);

/* Device management (1.1); may sleep. See main.c. */
int ubk_dev_create(struct uringblk_dev_params *p, u32 wanted, u64 *gen);
int ubk_dev_delete(u32 id, bool force);
int ubk_dev_uncreate(u32 id, u64 gen);
u32 ubk_dev_list(u32 *ids, u32 max, u32 *nr_ids);
void ubk_dev_get_params(struct uringblk_dev *dev, struct uringblk_dev_params *p);
int ubk_dev_set_params(struct uringblk_dev *dev,
		       const struct uringblk_set_params *s);
int ubk_dev_power_cut(struct uringblk_dev *dev,
		      const struct uringblk_power_cut *c, const __u64 *drop,
		      u32 nr_drop, u16 abi_minor,
		      struct uringblk_power_cut_result *res);
int ubk_dev_power_on(struct uringblk_dev *dev);
/* powerloss.c; also behind sysfs power_arm, power_mark, power_log. */
int ubk_pl_arm(struct uringblk_dev *dev, const struct uringblk_power_arm *a);
int ubk_pl_mark(struct uringblk_dev *dev, u64 tag);
u32 ubk_pl_log(struct uringblk_dev *dev, struct uringblk_power_log_entry *e,
	       u32 max, u64 *nr_changes);

/* ---- provided by admin.c ----------------------------------------- */

/* Register / unregister the control node /dev/uringblk-ctl. */
int ubk_admin_init(void);
void ubk_admin_exit(void);

/*
 * ioctl on the block device: called from the block_device_operations
 * .ioctl of the core for URINGBLK_IOC_* numbers. Returns the response
 * length or -errno, exactly as the URING_CMD path does.
 */
int ubk_admin_blk_ioctl(struct uringblk_dev *dev, unsigned int cmd,
			unsigned long arg);

#endif /* URINGBLK_ADMIN_H */
