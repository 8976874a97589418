/* Percentiles for the report (see storm_stats.h). */
#include "storm/storm_stats.h"

#include <stdlib.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

uint64_t storm_percentile(const uint64_t *sorted, size_t n, double q)
{
	if (n == 0)
		return 0;
	/* ceil(q * n) without libm (the programs do not link it); the small
	 * epsilon keeps 0.9 * 10 at rank 9, not 10 (0.9 is not exact) */
	double x = q * (double)n - 1e-9;
	size_t rank = x <= 0 ? 1 : (size_t)x;
	if (x > 0 && (double)rank < x)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

void storm_dist_of(uint64_t *v, size_t n, struct storm_dist *d)
{
	double sum = 0;

	*d = (struct storm_dist){ .n = n };
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	d->min = v[0];
	d->max = v[n - 1];
	d->p50 = storm_percentile(v, n, 0.50);
	d->p90 = storm_percentile(v, n, 0.90);
	d->p99 = storm_percentile(v, n, 0.99);
	d->mean = sum / (double)n;
}
