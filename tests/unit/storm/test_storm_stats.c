/* Unit tests for rackboot-storm's percentiles (user/storm_stats.c):
 * nearest rank, always one of the samples, on small and edge samples,
 * checked against a brute-force definition on random data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storm/storm_stats.h"

struct row {
	const char *why;
	size_t n;               /* samples 1..n, sorted */
	double q;
	uint64_t want;
};

static const struct row rows[] = {
	{ "empty", 0, 0.5, 0 },
	{ "one sample: every percentile is it", 1, 0.5, 1 },
	{ "one sample, p99", 1, 0.99, 1 },
	{ "p50 of 10 is the 5th", 10, 0.50, 5 },
	{ "p90 of 10 is the 9th (0.9 * 10 is not exactly 9 in binary)", 10, 0.90, 9 },
	{ "p99 of 10 is the max", 10, 0.99, 10 },
	{ "p50 of 11 is the 6th", 11, 0.50, 6 },
	{ "p99 of 100 is the 99th", 100, 0.99, 99 },
	{ "p99 of 1000 is the 990th", 1000, 0.99, 990 },
	{ "p99 of 1001 rounds up", 1001, 0.99, 991 },
	{ "p0 is the min", 50, 0.0, 1 },
	{ "p100 is the max", 50, 1.0, 50 },
	{ "p50 of 2 is the lower", 2, 0.5, 1 },
};

static int check(const struct row *t)
{
	static uint64_t v[2000];
	for (size_t i = 0; i < t->n; i++)
		v[i] = i + 1;
	uint64_t got = storm_percentile(v, t->n, t->q);
	if (got != t->want) {
		print_error("row \"%s\": %llu, want %llu\n", t->why, (unsigned long long)got,
			    (unsigned long long)t->want);
		return 1;
	}
	return 0;
}

static void test_table(void **state)
{
	RUN_TABLE(rows, check, "percentile rows");
}

static void test_random_against_definition(void **state)
{
	static uint64_t v[777], sorted[777];
	uint64_t x = 12345;
	for (int round = 0; round < 20; round++) {
		size_t n = 1 + (size_t)(x % 777);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			v[i] = x % 1000;       /* duplicates on purpose */
		}
		memcpy(sorted, v, n * sizeof(*v));
		struct storm_dist d;
		storm_dist_of(sorted, n, &d);
		static const double qs[] = { 0.5, 0.9, 0.99 };
		uint64_t got[] = { d.p50, d.p90, d.p99 };
		for (int k = 0; k < 3; k++) {
			/* the smallest sample with at least q*n samples <= it */
			uint64_t best = UINT64_MAX;
			for (size_t i = 0; i < n; i++) {
				size_t le = 0;
				for (size_t j = 0; j < n; j++)
					le += v[j] <= v[i];
				if ((double)le >= qs[k] * (double)n - 1e-9 && v[i] < best)
					best = v[i];
			}
			assert_int_equal(got[k], best);
		}
		assert_true(d.min <= d.p50 && d.p50 <= d.p90 && d.p90 <= d.p99 && d.p99 <= d.max);
		assert_int_equal(d.n, n);
	}
}

static void test_dist_sorts_and_means(void **state)
{
	uint64_t v[] = { 30, 10, 20, 40 };
	struct storm_dist d;
	storm_dist_of(v, 4, &d);
	assert_int_equal(v[0], 10);
	assert_int_equal(v[3], 40);
	assert_int_equal(d.min, 10);
	assert_int_equal(d.max, 40);
	assert_int_equal(d.p50, 20);
	assert_true(d.mean > 24.99 && d.mean < 25.01);
	storm_dist_of(v, 0, &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.max, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_random_against_definition),
		cmocka_unit_test(test_dist_sorts_and_means),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
