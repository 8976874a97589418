/* What the test_config*.c programs share: a mkdtemp directory made by
 * setup() and removed by teardown(), with the iPXE scripts the config rows
 * name; writing files into it; the stages a row may fail at; and the
 * settings the daemon's flags would supply (fill_required). Separate so
 * that the tests of each part of user/core/config*.c can be their own
 * program without copying these. Include after <cmocka.h>. */
#ifndef RACKBOOT_TEST_CONFIG_FIXTURE_H
#define RACKBOOT_TEST_CONFIG_FIXTURE_H

#include <arpa/inet.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"

static char dir[PATH_MAX];   /* the test's temporary directory */

#define EXPECT(cond)                                                                     \
	do {                                                                             \
		if (!(cond)) {                                                           \
			print_error("    %s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                        \
		}                                                                        \
	} while (0)

static inline void write_file(const char *name, const char *text, size_t len)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline void write_text(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

static inline void remove_file(const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static inline bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

static inline uint32_t ip(const char *s)
{
	uint32_t v = 0;

	assert_int_equal(rb_parse_ipv4(s, &v), 0);
	return v;
}

static inline uint32_t nip(const char *s) /* network order, as routers/dns are kept */
{
	return htonl(ip(s));
}

/* What the daemon's flags would supply, so that rows need not repeat it. */
static inline void fill_required(struct rb_config *c)
{
	if (!c->interface[0])
		strcpy(c->interface, "eth0");
	if (!c->address) {
		c->address = ip("10.0.0.1");
		c->prefix = 24;
	}
	if (!c->root[0])
		strcpy(c->root, "/srv/rackboot");
}

/* The stage a row must fail at (rows of test_config.c and
 * test_config_inventory.c). */
enum { OK_ROW = 0, LOAD = 'L', CHECK = 'C' };

#define PROFILE_K "profile k {\nkernel vmlinuz\n}\n" /* 3 lines */
#define ERRL(s) .stage = LOAD, .err = (s)
#define ERRC(s) .stage = CHECK, .err = (s)

static inline int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_config_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	write_text("rescue.ipxe", "#!ipxe\necho rescue\n");
	write_text("tmpl.ipxe", "#!ipxe\necho {{mac}}\nchain {{bogus}}\n");
	write_text("plain.txt", "echo rescue\n");
	return 0;
}

static inline int teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
