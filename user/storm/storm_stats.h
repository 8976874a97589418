/* Distribution summaries for rackboot-storm's report: nearest-rank
 * percentiles of per-node durations. Pure functions. */
#ifndef RACKBOOT_STORM_STATS_H
#define RACKBOOT_STORM_STATS_H

#include <stddef.h>
#include <stdint.h>

struct storm_dist {
	size_t n;
	uint64_t min, p50, p90, p99, max;
	double mean;
};

/* Nearest-rank percentile (q in [0, 1]) of n sorted values: the value at
 * rank ceil(q * n), clamped to [1, n]; 0 when n is 0. The smallest value
 * with at least q of the sample at or below it — always one of the
 * samples, never an interpolation. */
uint64_t storm_percentile(const uint64_t *sorted, size_t n, double q);

/* Sort v (in place) and summarise it. */
void storm_dist_of(uint64_t *v, size_t n, struct storm_dist *d);

#endif
