/* Path resolution beneath the roots, permission rules and uploads,
 * against a real directory tree (symlinks, modes) in a temp dir. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tftp/tftp_files.h"
#include "proto/tftp_proto.h"

static char base[256], root[300], outside[300];

static void put_file(const char *path, const char *content, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	chmod(path, mode);
}

static int setup(void **state)
{
	char p[400];

	(void)state;
	snprintf(base, sizeof(base), "/tmp/rackboot-files-XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	mkdir(root, 0755);
	mkdir(outside, 0755);
	snprintf(p, sizeof(p), "%s/secret", outside);
	put_file(p, "canary", 0644);
	snprintf(p, sizeof(p), "%s/pub", root);
	put_file(p, "public", 0644);
	snprintf(p, sizeof(p), "%s/private", root);
	put_file(p, "private", 0600);
	snprintf(p, sizeof(p), "%s/writable", root);
	put_file(p, "old content", 0666);
	snprintf(p, sizeof(p), "%s/sub", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sub/deep", root);
	put_file(p, "deep", 0644);
	snprintf(p, sizeof(p), "%s/abs-link", root);
	symlink("/etc/passwd", p);                       /* absolute: escapes */
	snprintf(p, sizeof(p), "%s/rel-link", root);
	symlink("../outside/secret", p);                 /* relative: escapes */
	snprintf(p, sizeof(p), "%s/dir-link", root);
	symlink(outside, p);                             /* directory outside */
	snprintf(p, sizeof(p), "%s/ok-link", root);
	symlink("sub/deep", p);                          /* stays inside */
	snprintf(p, sizeof(p), "%s/proc-link", root);
	symlink("/proc/self/root/etc/passwd", p);
	snprintf(p, sizeof(p), "%s/abs-pub", root);
	symlink("/pub", p);                              /* absolute, inside */
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd);
}

struct read_case {
	const char *name;      /* as the client sends it */
	bool secure;
	int expect_code;       /* -1: opens; else the TFTP error code */
	const char *content;   /* when it opens */
	const char *why;
};

static void test_read_table(void **state)
{
	static const struct read_case cases[] = {
		{ "pub", true, -1, "public", "plain file in the root" },
		{ "/pub", true, -1, "public", "leading slash is relative to the root in -s" },
		{ "sub/deep", true, -1, "deep", "subdirectory" },
		{ "ok-link", true, -1, "deep", "symlink that stays inside" },
		{ "missing", true, TFTP_ENOTFOUND, NULL, "missing file" },
		{ "private", true, TFTP_EACCESS, NULL, "not world-readable" },
		{ "sub", true, TFTP_EUNDEF, NULL, "directory: 'Is a directory', as tftpd-hpa" },
		/* -s resolves like a chroot: ".." stops at the root and absolute
		 * symlinks start from it, so nothing outside is ever reached. */
		{ "../pub", true, -1, "public", "dot-dot at the root stays at the root" },
		{ "../outside/secret", true, TFTP_ENOTFOUND, NULL, "dot-dot escape finds nothing" },
		{ "sub/../../outside/secret", true, TFTP_ENOTFOUND, NULL, "dot-dot escape in the middle" },
		{ "abs-link", true, TFTP_ENOTFOUND, NULL, "absolute symlink resolves in the root" },
		{ "abs-pub", true, -1, "public", "absolute symlink to a file in the root" },
		{ "rel-link", true, TFTP_ENOTFOUND, NULL, "relative symlink out stops at the root" },
		{ "dir-link/secret", true, TFTP_ENOTFOUND, NULL, "symlinked directory out" },
		{ "proc-link", true, TFTP_ENOTFOUND, NULL, "magic link through /proc" },
		{ "%2e%2e/outside/secret", true, TFTP_ENOTFOUND, NULL, "percent-encoding is not decoded" },
		{ "..\\outside\\secret", true, TFTP_ENOTFOUND, NULL, "backslashes are plain characters" },
		{ "sub/./deep", true, -1, "deep", "dot component inside" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct read_case *c = &cases[i];
		struct tftp_roots r;
		char *dirs[] = { root };
		char err[256], buf[64] = { 0 };
		struct tftp_err e = { 0 };
		struct stat st;
		int fd;

		assert_int_equal(tftp_roots_open(&r, dirs, 1, c->secure, err, sizeof(err)), 0);
		fd = tftp_open_read(&r, c->name, false, &st, &e);
		if (c->expect_code < 0) {
			if (fd < 0)
				fail_msg("%s (%s): expected to open, got code %u", c->why, c->name, e.code);
			assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
			assert_string_equal(buf, c->content);
			close(fd);
		} else {
			if (fd >= 0)
				fail_msg("%s (%s): opened, expected error %d", c->why, c->name, c->expect_code);
			if (e.code != c->expect_code)
				fail_msg("%s (%s): code %u, expected %d", c->why, c->name, e.code, c->expect_code);
		}
		tftp_roots_close(&r);
	}
}

/* Without -s: absolute names, which must lie under a listed directory. */
static void test_non_secure_dirs(void **state)
{
	struct tftp_roots r;
	char *dirs[] = { root };
	char err[256], name[512];
	struct tftp_err e = { 0 };
	struct stat st;
	int fd;

	assert_int_equal(tftp_roots_open(&r, dirs, 1, false, err, sizeof(err)), 0);
	snprintf(name, sizeof(name), "%s/pub", root);
	fd = tftp_open_read(&r, name, false, &st, &e);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tftp_open_read(&r, "pub", false, &st, &e), -1);
	assert_string_equal(e.msg, "Only absolute filenames allowed");
	snprintf(name, sizeof(name), "%s/secret", outside);
	assert_int_equal(tftp_open_read(&r, name, false, &st, &e), -1);
	assert_string_equal(e.msg, "Forbidden directory");
	snprintf(name, sizeof(name), "%s-evil/pub", root);   /* prefix, not a dir */
	assert_int_equal(tftp_open_read(&r, name, false, &st, &e), -1);
	assert_string_equal(e.msg, "Forbidden directory");
	/* Directory-list mode: any escape from the matched directory is refused. */
	static const char *const escapes[] = { "/../outside/secret", "/abs-link", "/rel-link",
					       "/dir-link/secret", "/proc-link" };
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", root, escapes[i]);
		assert_int_equal(tftp_open_read(&r, name, false, &st, &e), -1);
		if (e.code != TFTP_EACCESS)
			fail_msg("%s: code %u, expected Access violation", escapes[i], e.code);
	}
	tftp_roots_close(&r);
}

static void read_back(const char *name, char *buf, size_t len)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, name);
	f = fopen(p, "r");
	memset(buf, 0, len);
	if (f) {
		size_t n = fread(buf, 1, len - 1, f);
		buf[n] = 0;
		fclose(f);
	}
}

static void test_upload_replaces_atomically(void **state)
{
	struct tftp_roots r;
	char *dirs[] = { root };
	char err[256], buf[64];
	struct tftp_err e = { 0 };
	struct tftp_upload u;
	struct stat st;
	char p[512];

	assert_int_equal(tftp_roots_open(&r, dirs, 1, true, err, sizeof(err)), 0);
	assert_int_equal(tftp_upload_open(&r, "writable", false, false, &u, &e), 0);
	assert_non_null(u.tmp);                  /* written beside, not in place */
	assert_int_equal(write(u.fd, "new", 3), 3);
	read_back("writable", buf, sizeof(buf));
	assert_string_equal(buf, "old content"); /* readers still see the old file */
	tftp_upload_abort(&u);
	read_back("writable", buf, sizeof(buf));
	assert_string_equal(buf, "old content"); /* an aborted upload loses nothing */

	assert_int_equal(tftp_upload_open(&r, "writable", false, false, &u, &e), 0);
	assert_int_equal(write(u.fd, "new", 3), 3);
	assert_int_equal(tftp_upload_commit(&u), 0);
	tftp_upload_abort(&u);                   /* after commit: only closes */
	read_back("writable", buf, sizeof(buf));
	assert_string_equal(buf, "new");
	snprintf(p, sizeof(p), "%s/writable", root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0666); /* mode kept */
	tftp_roots_close(&r);
}

static void test_upload_rules(void **state)
{
	struct tftp_roots r;
	char *dirs[] = { root };
	char err[256], p[512];
	struct tftp_err e = { 0 };
	struct tftp_upload u;
	struct stat st;

	assert_int_equal(tftp_roots_open(&r, dirs, 1, true, err, sizeof(err)), 0);
	/* Existing but not world-writable: refused, like tftpd-hpa. */
	assert_int_equal(tftp_upload_open(&r, "pub", false, false, &u, &e), -1);
	assert_string_equal(e.msg, "File must have global write permissions");
	/* ... unless permissive. */
	assert_int_equal(tftp_upload_open(&r, "pub", false, true, &u, &e), 0);
	tftp_upload_abort(&u);
	/* New file without -c: not found. */
	assert_int_equal(tftp_upload_open(&r, "newfile", false, false, &u, &e), -1);
	assert_int_equal(e.code, TFTP_ENOTFOUND);
	/* With -c; an aborted creation leaves nothing behind. */
	assert_int_equal(tftp_upload_open(&r, "newfile", true, false, &u, &e), 0);
	assert_true(u.created);
	tftp_upload_abort(&u);
	snprintf(p, sizeof(p), "%s/newfile", root);
	assert_int_equal(stat(p, &st), -1);
	/* Escapes create nothing outside: in -s mode they resolve in the root
	 * (where root/outside does not exist). */
	assert_int_equal(tftp_upload_open(&r, "../outside/new", true, false, &u, &e), -1);
	assert_int_equal(tftp_upload_open(&r, "dir-link/new", true, false, &u, &e), -1);
	snprintf(p, sizeof(p), "%s/new", outside);
	assert_int_equal(stat(p, &st), -1);
	/* A committed creation stays. */
	assert_int_equal(tftp_upload_open(&r, "sub/created", true, false, &u, &e), 0);
	assert_int_equal(write(u.fd, "x", 1), 1);
	assert_int_equal(tftp_upload_commit(&u), 0);
	tftp_upload_abort(&u);
	snprintf(p, sizeof(p), "%s/sub/created", root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 1);
	tftp_roots_close(&r);
}

static void test_errno_mapping(void **state)
{
	static const struct { int err; int code; } map[] = {
		{ ENOENT, TFTP_ENOTFOUND }, { ENOTDIR, TFTP_ENOTFOUND },
		{ EACCES, TFTP_EACCESS }, { EPERM, TFTP_EACCESS }, { EXDEV, TFTP_EACCESS },
		{ ENOSPC, TFTP_ENOSPACE }, { EDQUOT, TFTP_ENOSPACE }, { EIO, TFTP_EUNDEF },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		struct tftp_err e;
		tftp_err_from_errno(&e, map[i].err);
		assert_int_equal(e.code, map[i].code);
		assert_int_equal(e.sys, map[i].err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_table),
		cmocka_unit_test(test_non_secure_dirs),
		cmocka_unit_test(test_upload_replaces_atomically),
		cmocka_unit_test(test_upload_rules),
		cmocka_unit_test(test_errno_mapping),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
