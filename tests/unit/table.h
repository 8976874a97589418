/* Table-driven tests: run `check` (returns 0 ok, 1 failed, having printed
 * why) over every row of a static array and fail the cmocka test once,
 * naming how many rows failed. Every row runs, so one run shows them all.
 * Include after <cmocka.h>. */
#ifndef RACKBOOT_TEST_TABLE_H
#define RACKBOOT_TEST_TABLE_H

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define RUN_TABLE(rows, check, what)                                              \
	do {                                                                      \
		int failed_ = 0;                                                  \
		for (size_t i_ = 0; i_ < ARRAY_LEN(rows); i_++)                   \
			failed_ += (check)(&(rows)[i_]);                          \
		if (failed_)                                                      \
			fail_msg("%d of %zu %s failed", failed_, ARRAY_LEN(rows), what); \
	} while (0)

#endif
