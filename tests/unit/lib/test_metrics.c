/* Unit tests for the Prometheus exposition (user/metrics.c): histogram
 * buckets are cumulative in the output, sums in seconds, and the text
 * follows the 0.0.4 format line by line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/metrics.h"

static void test_histogram(void **state)
{
	(void)state;
	static struct hist h;
	struct mbuf b = { 0 };
	hist_observe(&h, 50);          /* <= 100 us */
	hist_observe(&h, 100);         /* the bound itself is in its bucket */
	hist_observe(&h, 700);         /* <= 1 ms */
	hist_observe(&h, 90000000);    /* over 60 s: +Inf */
	metric_hist(&b, "x_seconds", "Help text.", &h);
	assert_false(b.oom);
	const char *want =
		"# HELP x_seconds Help text.\n# TYPE x_seconds histogram\n"
		"x_seconds_bucket{le=\"0.0001\"} 2\n"
		"x_seconds_bucket{le=\"0.0005\"} 2\n"
		"x_seconds_bucket{le=\"0.001\"} 3\n"
		"x_seconds_bucket{le=\"0.005\"} 3\n"
		"x_seconds_bucket{le=\"0.01\"} 3\n"
		"x_seconds_bucket{le=\"0.05\"} 3\n"
		"x_seconds_bucket{le=\"0.1\"} 3\n"
		"x_seconds_bucket{le=\"0.5\"} 3\n"
		"x_seconds_bucket{le=\"1\"} 3\n"
		"x_seconds_bucket{le=\"5\"} 3\n"
		"x_seconds_bucket{le=\"10\"} 3\n"
		"x_seconds_bucket{le=\"60\"} 3\n"
		"x_seconds_bucket{le=\"+Inf\"} 4\n"
		"x_seconds_sum 90.000850\n"
		"x_seconds_count 4\n";
	assert_string_equal(b.p, want);
	mbuf_free(&b);
}

static void test_counters_and_growth(void **state)
{
	(void)state;
	struct mbuf b = { 0 };
	metric_counter(&b, "a_total", "A.", 7);
	metric_gauge(&b, "g", "G.", -3);
	metric_family(&b, "l_total", "counter", "L.");
	metric_sample(&b, "l_total", "code=\"2xx\"", 5);
	assert_string_equal(b.p, "# HELP a_total A.\n# TYPE a_total counter\na_total 7\n"
				 "# HELP g G.\n# TYPE g gauge\ng -3\n"
				 "# HELP l_total L.\n# TYPE l_total counter\nl_total{code=\"2xx\"} 5\n");
	/* far past the first allocation */
	for (int i = 0; i < 5000; i++)
		metric_sample(&b, "n", NULL, (uint64_t)i);
	assert_false(b.oom);
	assert_non_null(strstr(b.p, "\nn 4999\n"));
	mbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_counters_and_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
