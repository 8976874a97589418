/* Unit tests for iPXE script scanning (user/storm_ipxe.c): which URLs a
 * script makes iPXE download (kernel, initrd, module lines; options
 * skipped), in order; what is not a script. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <stdio.h>
#include <string.h>

#include "storm/storm_ipxe.h"

struct row {
	const char *why, *script;
	int rc, kernel;
	unsigned n;
	const char *url[4];
};

static const struct row rows[] = {
	{ "rackbootd's rendered profile",
	  "#!ipxe\nkernel http://198.18.0.1:8080/vmlinuz console=ttyS0 initrd=initrd.img\n"
	  "initrd http://198.18.0.1:8080/initrd.img\nboot\n",
	  0, 0, 2, { "http://198.18.0.1:8080/vmlinuz", "http://198.18.0.1:8080/initrd.img" } },
	{ "CRLF, indentation, comments and other commands",
	  "#!ipxe\r\n# kernel http://not/this\r\n  echo booting\r\n\tkernel  \thttp://a/k  x=1\r\nset foo bar\r\ninitrd http://a/i\r\n",
	  0, 0, 2, { "http://a/k", "http://a/i" } },
	{ "options before the URL, with and without values",
	  "#!ipxe\nkernel --name vmlinuz -a http://a/k\ninitrd -n initrd.magic --timeout 5000 http://a/i\n"
	  "initrd --name=x http://a/j\n",
	  0, 0, 3, { "http://a/k", "http://a/i", "http://a/j" } },
	{ "initrd before kernel, module alias",
	  "#!ipxe\ninitrd http://a/i\nmodule http://a/m\nkernel http://a/k\n",
	  0, 2, 3, { "http://a/i", "http://a/m", "http://a/k" } },
	{ "|| goto failed after the URL",
	  "#!ipxe\nkernel http://a/k quiet || goto failed\n:failed\nshell\n", 0, 0, 1, { "http://a/k" } },
	{ "relative URLs are returned as written", "#!ipxe\nkernel vmlinuz\ninitrd /i.img\n",
	  0, 0, 2, { "vmlinuz", "/i.img" } },
	{ "a keyword without a URL is skipped", "#!ipxe\nkernel\nkernel --name x\ninitrd http://a/i\n",
	  0, -1, 1, { "http://a/i" } },
	{ "no kernel at all", "#!ipxe\nchain http://a/other.ipxe\n", 0, -1, 0, { NULL } },
	{ "prefixes of keywords are not keywords", "#!ipxe\nkernels http://a/x\ninitrdx http://a/y\n",
	  0, -1, 0, { NULL } },
	{ "no last newline", "#!ipxe\nkernel http://a/k", 0, 0, 1, { "http://a/k" } },
	{ "not a script: HTML error page", "<html>404</html>\n", -1, -1, 0, { NULL } },
	{ "not a script: empty", "", -1, -1, 0, { NULL } },
	{ "a shebang line may be indented", "  #!ipxe\nkernel http://a/k\n", 0, 0, 1, { "http://a/k" } },
};

static int check(const struct row *t)
{
	static struct sipxe_images im;
	int rc = sipxe_parse(t->script, strlen(t->script), &im);
	if (rc != t->rc) {
		print_error("row \"%s\": rc %d, want %d\n", t->why, rc, t->rc);
		return 1;
	}
	if (rc)
		return 0;
	if (im.kernel != t->kernel || im.n != t->n) {
		print_error("row \"%s\": kernel %d n %u\n", t->why, im.kernel, im.n);
		return 1;
	}
	for (unsigned i = 0; i < im.n; i++)
		if (strcmp(im.url[i], t->url[i])) {
			print_error("row \"%s\": url %u '%s', want '%s'\n", t->why, i, im.url[i], t->url[i]);
			return 1;
		}
	return 0;
}

static void test_table(void **state)
{
	RUN_TABLE(rows, check, "script rows");
}

static void test_limits(void **state)
{
	static struct sipxe_images im;
	static char s[SIPXE_MAX_URL * 3];
	int n = snprintf(s, sizeof(s), "#!ipxe\n");
	for (int i = 0; i < SIPXE_MAX_URLS + 3; i++)
		n += snprintf(s + n, sizeof(s) - (size_t)n, "initrd http://a/%d\n", i);
	assert_int_equal(sipxe_parse(s, (size_t)n, &im), 0);
	assert_int_equal(im.n, SIPXE_MAX_URLS);                 /* the rest are dropped */
	/* an over-long URL is skipped, not truncated */
	n = snprintf(s, sizeof(s), "#!ipxe\nkernel http://a/");
	memset(s + n, 'x', SIPXE_MAX_URL);
	n += SIPXE_MAX_URL;
	n += snprintf(s + n, sizeof(s) - (size_t)n, "\nkernel http://a/k\n");
	assert_int_equal(sipxe_parse(s, (size_t)n, &im), 0);
	assert_int_equal(im.n, 1);
	assert_string_equal(im.url[0], "http://a/k");
	/* the length bounds the scan: no NUL needed */
	static const char cut[] = "#!ipxe\nkernel http://a/kernel-and-more";
	assert_int_equal(sipxe_parse(cut, sizeof(cut) - 1 - 9, &im), 0);
	assert_string_equal(im.url[0], "http://a/kernel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
