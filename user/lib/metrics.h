/* Counters and latency histograms shared by the loops, and their Prometheus
 * text exposition (version 0.0.4). Loops update with relaxed atomics; the
 * HTTP /metrics handler reads a consistent-enough snapshot. */
#ifndef RACKBOOT_METRICS_H
#define RACKBOOT_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_BUCKETS 13     /* upper bounds in metrics.c, the last is +Inf */

struct hist {
	_Atomic uint64_t bucket[HIST_BUCKETS];   /* not cumulative; summed when rendered */
	_Atomic uint64_t sum_us, count;
};

void hist_observe(struct hist *h, uint64_t us);

/* A growing text buffer for the exposition. */
struct mbuf { char *p; size_t len, cap; int oom; };
void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mbuf_free(struct mbuf *b);

/* One metric family: "# HELP", "# TYPE" then the sample(s). */
void metric_counter(struct mbuf *b, const char *name, const char *help, uint64_t v);
void metric_gauge(struct mbuf *b, const char *name, const char *help, int64_t v);
/* A labelled sample of a family whose HELP/TYPE was written already. */
void metric_sample(struct mbuf *b, const char *name, const char *labels, uint64_t v);
void metric_family(struct mbuf *b, const char *name, const char *type, const char *help);
void metric_hist(struct mbuf *b, const char *name, const char *help, const struct hist *h);

#endif
