/* The fast path's counters in /metrics: what the kernel answered, passed
 * up or dropped, per packet kind, and how it is attached. */
#ifndef RACKBOOT_FASTPATH_METRICS_H
#define RACKBOOT_FASTPATH_METRICS_H

#include <stdint.h>
#include <linux/types.h>

#include "fastpath_abi.h"

struct mbuf;
struct fastpath;

/* Prometheus label set of each counter ("kind=\"tftp_data\",verdict=\"sent\""). */
const char *fastpath_counter_labels(enum rb_counter c);
/* The families rackboot_fastpath_packets_total and rackboot_fastpath_info. */
void fastpath_metrics(struct mbuf *b, const struct fastpath *fp);

#endif
