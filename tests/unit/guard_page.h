/* A page followed by an unmapped (PROT_NONE) page, so a parser or builder
 * that reads or writes one byte past its buffer faults at once. Use as
 * cmocka group setup/teardown; put inputs with guard_flush(), outputs with
 * guard_out(). Include after <cmocka.h>. */
#ifndef RACKBOOT_TEST_GUARD_PAGE_H
#define RACKBOOT_TEST_GUARD_PAGE_H

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint8_t *guard_mem;
static size_t page_size;

static int guard_setup(void **state)
{
	(void)state;
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	guard_mem = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_mem == MAP_FAILED || mprotect(guard_mem + page_size, page_size, PROT_NONE))
		return -1;
	return 0;
}

static int guard_teardown(void **state)
{
	(void)state;
	munmap(guard_mem, 2 * page_size);
	return 0;
}

/* `len` bytes of `src` placed so that the byte after them is unmapped. The
 * bytes before are filled with 0xA5 (no accidental NULs). */
static inline uint8_t *guard_flush(const void *src, size_t len)
{
	uint8_t *p;

	assert_true(len <= page_size);
	memset(guard_mem, 0xA5, page_size);
	p = guard_mem + page_size - len;
	if (len)
		memcpy(p, src, len);
	return p;
}

/* An output buffer of `cap` bytes ending at the guard page. */
static inline uint8_t *guard_out(size_t cap)
{
	assert_true(cap <= page_size);
	memset(guard_mem, 0xA5, page_size);
	return guard_mem + page_size - cap;
}

#endif
