// SPDX-License-Identifier: GPL-2.0
/* Kbuild feature probe (not built into the module): IORING_OP_URING_CMD128,
 * the 128-byte command of rings set up with IORING_SETUP_SQE_MIXED (6.19).
 * Defines UBK_HAVE_URING_CMD128.
 */
#include <linux/io_uring.h>

int ubk_probe_op;
int ubk_probe_op = IORING_OP_URING_CMD128;
