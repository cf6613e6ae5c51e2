// SPDX-License-Identifier: GPL-2.0
/* Kbuild feature probe (not built into the module): ->queue_rqs() takes a
 * struct rq_list * (6.13, backported to 6.12.25). Defines UBK_HAVE_RQ_LIST.
 */
#include <linux/blk-mq.h>

void ubk_probe(struct rq_list *l);
void ubk_probe(struct rq_list *l)
{
	rq_list_init(l);
}
