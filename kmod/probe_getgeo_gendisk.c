// SPDX-License-Identifier: GPL-2.0
/* Kbuild feature probe (not built into the module): ->getgeo() takes the
 * gendisk (6.18). Defines UBK_HAVE_GETGEO_GENDISK.
 */
#include <linux/blkdev.h>
#include <linux/hdreg.h>

static int ubk_probe_getgeo(struct gendisk *disk, struct hd_geometry *geo)
{
	return 0;
}

const struct block_device_operations ubk_probe_fops;
const struct block_device_operations ubk_probe_fops = {
	.getgeo = ubk_probe_getgeo,
};
