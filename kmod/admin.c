// SPDX-License-Identifier: GPL-2.0
/*
 * uringblk admin plane.
 *
 * Admin commands (struct uringblk_cmd) arrive three ways, all with the same
 * command numbers, the same validation and the same answers:
 *   - IORING_OP_URING_CMD on the control node /dev/uringblk-ctl
 *     (a ring set up with IORING_SETUP_SQE128; the block layer offers no
 *     uring_cmd hook to drivers, hence the misc device);
 *   - ioctl on the control node (tools without io_uring);
 *   - ioctl on the block device /dev/uringblkN (forwarded by the core).
 *
 * The pure checks live in ucmd_check.h; this file adds the transport
 * checks, the device lookup and the copy of the response to userspace.
 * docs/admin-abi.md is the contract (order of the checks, errno table).
 */
#include "compat.h"

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/compiler.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "admin.h"
#include "dev_params.h"
#include "ucmd_check.h"

union ubk_admin_resp {
	struct uringblk_identify id;
	struct uringblk_limits lim;
	__u64 features;
	struct uringblk_geometry geo;
	struct uringblk_stats st;
	struct uringblk_dev_params params;
	struct uringblk_power_cut_result cut;
};

/* What commands read at addr; copied in before any lookup or lock. */
union ubk_admin_payload {
	struct uringblk_dev_params add;
	struct uringblk_set_params set;
	struct {
		struct uringblk_power_cut c;
		__u64 drop[URINGBLK_PL_MAX_DROP];	/* DROP's list */
	} cut;
	struct uringblk_power_mark mark;
	struct uringblk_power_arm arm;
};

static int ubk_admin_read_payload(const struct uringblk_cmd *c,
				  union ubk_admin_payload *pl)
{
	u32 n = ubk_ucmd_payload_size(c->hdr.opcode);

	/* POWER_CUT's list of DROP (checked: ubk_ucmd_payload_ok()). */
	if (n && c->hdr.opcode == URINGBLK_UCMD_POWER_CUT)
		n = c->hdr.payload_len;
	if (WARN_ON_ONCE(n > sizeof(*pl)))
		return -EINVAL;
	if (n && copy_from_user(pl, u64_to_user_ptr(c->addr), n))
		return -EFAULT;
	return 0;
}

static_assert(sizeof(struct uringblk_cmd) == 48);
static_assert(sizeof(union ubk_admin_resp) <= UBK_UCMD_MAX_RESP);

/* At most this many entries per POWER_LOG answer (128 KiB). */
#define UBK_PL_LOG_MAX	4096U

/*
 * POWER_LOG: the header and as many changes as fit in len (at most
 * UBK_PL_LOG_MAX). Drops the reference on @dev before touching user memory.
 */
static long ubk_admin_power_log(struct uringblk_dev *dev,
				const struct uringblk_cmd *c)
{
	struct uringblk_power_log h = { };
	struct uringblk_power_log_entry *e;
	u32 max = min_t(u32, (c->len - sizeof(h)) / sizeof(*e),
			UBK_PL_LOG_MAX);
	long ret;

	e = kvcalloc(max_t(u32, max, 1), sizeof(*e), GFP_KERNEL);
	if (!e) {
		ubk_dev_put(dev);
		return -ENOMEM;
	}
	h.nr_entries = ubk_pl_log(dev, e, max, &h.nr_changes);
	ubk_dev_put(dev);
	ret = sizeof(h) + h.nr_entries * sizeof(*e);
	if (copy_to_user(u64_to_user_ptr(c->addr), &h, sizeof(h)) ||
	    copy_to_user(u64_to_user_ptr(c->addr + sizeof(h)), e,
			 h.nr_entries * sizeof(*e)))
		ret = -EFAULT;
	kvfree(e);
	return ret;
}

/*
 * Fill the response of a validated command for @dev and copy it to the
 * user buffer. Drops the reference on @dev before touching user memory.
 * Returns the response length or -EFAULT.
 */
static long ubk_admin_answer(struct uringblk_dev *dev,
			     const struct uringblk_cmd *c,
			     const union ubk_admin_payload *pl)
{
	union ubk_admin_resp r;
	u32 size = ubk_ucmd_resp_size(c->hdr.opcode);
	long ret;

	memset(&r, 0, sizeof(r));
	switch (c->hdr.opcode) {
	case URINGBLK_UCMD_SET_PARAMS:
		ret = ubk_dev_set_params(dev, &pl->set);
		ubk_dev_put(dev);
		return ret;
	case URINGBLK_UCMD_GET_PARAMS:
		ubk_dev_get_params(dev, &r.params);
		break;
	case URINGBLK_UCMD_POWER_ON:
		ret = ubk_dev_power_on(dev);
		ubk_dev_put(dev);
		return ret;
	case URINGBLK_UCMD_POWER_MARK:
		ret = ubk_pl_mark(dev, pl->mark.tag);
		ubk_dev_put(dev);
		return ret;
	case URINGBLK_UCMD_POWER_ARM:
		ret = ubk_pl_arm(dev, &pl->arm);
		ubk_dev_put(dev);
		return ret;
	case URINGBLK_UCMD_POWER_LOG:
		return ubk_admin_power_log(dev, c);
	case URINGBLK_UCMD_POWER_CUT:
		ret = ubk_dev_power_cut(dev, &pl->cut.c, pl->cut.drop,
					(c->hdr.payload_len -
					 sizeof(pl->cut.c)) / sizeof(__u64),
					c->hdr.abi_minor, &r.cut);
		if (ret) {
			ubk_dev_put(dev);
			return ret;
		}
		break;
	case URINGBLK_UCMD_IDENTIFY:
		ubk_dev_identify(dev, &r.id);
		break;
	case URINGBLK_UCMD_GET_LIMITS:
		ubk_dev_limits(dev, &r.lim);
		break;
	case URINGBLK_UCMD_GET_FEATURES:
		r.features = ubk_dev_features(dev);
		break;
	case URINGBLK_UCMD_GET_GEOMETRY:
		ubk_dev_geometry(dev, &r.geo);
		break;
	case URINGBLK_UCMD_GET_STATS:
		ubk_dev_stats(dev, &r.st);
		break;
	default:
		/* Unreachable: ubk_ucmd_check_cmd() accepted the opcode. */
		ubk_dev_put(dev);
		return -EOPNOTSUPP;
	}
	ubk_dev_put(dev);

	if (WARN_ON_ONCE(size == 0 || size > sizeof(r)))
		return -EINVAL;
	if (copy_to_user(u64_to_user_ptr(c->addr), &r, size))
		return -EFAULT;
	return size;
}

/*
 * ADD_DEVICE. A device whose answer cannot be delivered is deleted again:
 * the caller would not know its index. The answer is copied without the
 * control mutex (the copy may fault), so by then another caller may have
 * deleted the device and created a new one with its index: the undo
 * deletes by creation number, never by index alone.
 */
static long ubk_admin_add(const struct uringblk_cmd *c,
			  union ubk_admin_payload *pl)
{
	u64 gen;
	int id = ubk_dev_create(&pl->add, c->dev_id, &gen);

	if (id < 0)
		return id;
	if (copy_to_user(u64_to_user_ptr(c->addr), &pl->add,
			 sizeof(pl->add))) {
		ubk_dev_uncreate(id, gen);
		return -EFAULT;
	}
	return sizeof(pl->add);
}

/* LIST_DEVICES: the header and as many ids as fit in len. */
static long ubk_admin_list(const struct uringblk_cmd *c)
{
	struct uringblk_dev_list h = { };
	u32 ids[UBK_MAX_DEVICES];
	u32 max = (c->len - sizeof(h)) / sizeof(u32);

	if (c->dev_id != URINGBLK_DEV_ID_ANY)
		return -EINVAL;
	h.abi_major = URINGBLK_ABI_MAJOR;
	h.abi_minor = URINGBLK_ABI_MINOR;
	h.max_devices = UBK_MAX_DEVICES;
	h.nr_devices = ubk_dev_list(ids, min_t(u32, max, UBK_MAX_DEVICES),
				    &h.nr_ids);
	if (copy_to_user(u64_to_user_ptr(c->addr), &h, sizeof(h)) ||
	    copy_to_user(u64_to_user_ptr(c->addr + sizeof(h)), ids,
			 h.nr_ids * sizeof(u32)))
		return -EFAULT;
	return sizeof(h) + h.nr_ids * sizeof(u32);
}

/* Steps 11-12 on the control node: dev_id selects the device. */
static long ubk_admin_ctl_exec(const struct uringblk_cmd *c)
{
	union ubk_admin_payload pl;
	struct uringblk_dev *dev;
	long ret;

	ret = ubk_admin_read_payload(c, &pl);
	if (ret)
		return ret;
	switch (c->hdr.opcode) {
	case URINGBLK_UCMD_ADD_DEVICE:
		return ubk_admin_add(c, &pl);
	case URINGBLK_UCMD_DEL_DEVICE:
		return ubk_dev_delete(c->dev_id,
				      c->hdr.flags & URINGBLK_DEL_FORCE);
	case URINGBLK_UCMD_LIST_DEVICES:
		return ubk_admin_list(c);
	}
	dev = ubk_dev_get(c->dev_id);
	if (!dev)
		return -ENODEV;
	return ubk_admin_answer(dev, c, &pl);
}

/* Steps 3-10 of the ioctl transports: permission, copy-in, checks. */
static long ubk_admin_ioctl_prepare(struct uringblk_cmd *c, unsigned int cmd,
				    unsigned long arg)
{
	long ret;

	ret = ubk_ucmd_check_op(cmd, UBK_UCMD_IOCTL);
	if (ret)
		return ret;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(c, (const void __user *)arg, sizeof(*c)))
		return -EFAULT;
	return ubk_ucmd_check_cmd(c, cmd);
}

static long ubk_ctl_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct uringblk_cmd c;
	long ret;

	ret = ubk_admin_ioctl_prepare(&c, cmd, arg);
	if (ret)
		return ret;
	return ubk_admin_ctl_exec(&c);
}

int ubk_admin_blk_ioctl(struct uringblk_dev *dev, unsigned int cmd,
			unsigned long arg)
{
	union ubk_admin_payload pl;
	struct uringblk_cmd c;
	struct uringblk_dev *ref;
	u32 own_id = ubk_dev_id(dev);
	long ret;

	ret = ubk_admin_ioctl_prepare(&c, cmd, arg);
	if (ret)
		return ret;
	ret = ubk_ucmd_check_blk_dev_id(&c, own_id);
	if (ret)
		return ret;
	ret = ubk_admin_read_payload(&c, &pl);
	if (ret)
		return ret;

	/* Pin the device for the fill, exactly as the control node does. */
	ref = ubk_dev_get(own_id);
	if (!ref)
		return -ENODEV;
	if (ref != dev) {
		/* The index now names another device: ours is going away. */
		ubk_dev_put(ref);
		return -ENODEV;
	}
	return ubk_admin_answer(ref, &c, &pl);
}

#ifdef UBK_HAVE_URING_CMD
/*
 * IORING_OP_URING_CMD on the control node.
 *
 * The result always goes through io_uring_cmd_done() followed by
 * -EIOCBQUEUED: 6.1 treats any non-zero synchronous return (even a positive
 * length) as a failure that breaks IOSQE_IO_LINK chains.
 *
 * The command area is copied once into @c before anything in it is looked
 * at; on 6.4+ it may still live in the SQ ring shared with userspace.
 *
 * Commands that pass validation are punted to io-wq (-EAGAIN) when issued
 * with IO_URING_F_NONBLOCK: the device lookup may sleep and copy_to_user()
 * may fault (even block on userfaultfd), which must not stall the submitter
 * while it holds the ring lock. io_uring then copies the SQE to private
 * memory and issues the command again from a worker, where every check runs
 * again on a fresh copy.
 */
static int ubk_ctl_uring_cmd(struct io_uring_cmd *ioucmd,
			     unsigned int issue_flags)
{
	struct uringblk_cmd c;
	u32 cmd_op = ioucmd->cmd_op;
	long ret;

	BUILD_BUG_ON(sizeof(c) > UBK_URING_CMD_AREA_SQE128);

	ret = ubk_ucmd_check_op(cmd_op, UBK_UCMD_URING_CMD);
	if (ret)
		goto done;
	/* A 64-byte SQE has only 16 bytes of command area. */
	if (!ubk_uring_cmd_sqe128(ioucmd, issue_flags)) {
		ret = -EPROTO;
		goto done;
	}
	if (!capable(CAP_SYS_ADMIN)) {
		ret = -EPERM;
		goto done;
	}
	ubk_uring_cmd_copy(ioucmd, &c, sizeof(c));
	ret = ubk_ucmd_check_cmd(&c, cmd_op);
	if (ret)
		goto done;
	if (issue_flags & IO_URING_F_NONBLOCK)
		return -EAGAIN;
	ret = ubk_admin_ctl_exec(&c);
done:
	ubk_uring_cmd_done(ioucmd, ret, issue_flags);
	return -EIOCBQUEUED;
}
#endif

static const struct file_operations ubk_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.llseek		= noop_llseek,
	.unlocked_ioctl	= ubk_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
#ifdef UBK_HAVE_URING_CMD
	.uring_cmd	= ubk_ctl_uring_cmd,
	/* No .uring_cmd_iopoll: io_uring answers -EOPNOTSUPP on IOPOLL rings. */
#endif
};

static struct miscdevice ubk_ctl_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= URINGBLK_CTL_NAME,
	.fops	= &ubk_ctl_fops,
	.mode	= 0600,
};

int ubk_admin_init(void)
{
	return misc_register(&ubk_ctl_misc);
}

void ubk_admin_exit(void)
{
	misc_deregister(&ubk_ctl_misc);
}
