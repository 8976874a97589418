/* Prometheus text format, and the shared histogram type (see metrics.h). */
#include "lib/metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Seconds: from a cached DHCP answer (sub-millisecond) to a slow HTTP
 * stream of a large initrd (a minute). */
static const uint64_t bound_us[HIST_BUCKETS - 1] = {
	100, 500, 1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000, 10000000, 60000000,
};
static const char *const bound_s[HIST_BUCKETS - 1] = {
	"0.0001", "0.0005", "0.001", "0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "10", "60",
};

void hist_observe(struct hist *h, uint64_t us)
{
	unsigned i = 0;
	while (i < HIST_BUCKETS - 1 && us > bound_us[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

void mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = b->p ? vsnprintf(b->p + b->len, room, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (n >= 0 && cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p, b->cap = cap;
	}
}

void mbuf_free(struct mbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void metric_family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metric_sample(struct mbuf *b, const char *name, const char *labels, uint64_t v)
{
	if (labels && *labels)
		mbuf_printf(b, "%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		mbuf_printf(b, "%s %" PRIu64 "\n", name, v);
}

void metric_counter(struct mbuf *b, const char *name, const char *help, uint64_t v)
{
	metric_family(b, name, "counter", help);
	metric_sample(b, name, NULL, v);
}

void metric_gauge(struct mbuf *b, const char *name, const char *help, int64_t v)
{
	metric_family(b, name, "gauge", help);
	mbuf_printf(b, "%s %" PRId64 "\n", name, v);
}

void metric_hist(struct mbuf *b, const char *name, const char *help, const struct hist *h)
{
	uint64_t cum = 0;
	metric_family(b, name, "histogram", help);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		mbuf_printf(b, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name,
			    i < HIST_BUCKETS - 1 ? bound_s[i] : "+Inf", cum);
	}
	uint64_t sum = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
	mbuf_printf(b, "%s_sum %" PRIu64 ".%06" PRIu64 "\n", name, sum / 1000000, sum % 1000000);
	mbuf_printf(b, "%s_count %" PRIu64 "\n", name,
		    atomic_load_explicit(&h->count, memory_order_relaxed));
}
