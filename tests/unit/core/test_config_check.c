/* Unit tests for rb_config_check (user/core/config_check.c) on configs
 * changed after loading: subnets and ranges the daemon adds from its flags
 * ("command line" where a file:line would be) and profiles edited in
 * memory. Separate from test_config.c, whose rows reach the cross-checks
 * only through files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#include "config_fixture.h"

/* What the daemon builds from flags (--dhcp-range) goes through the same
 * checks; "command line" stands where a file:line would. */
static void test_check_flag_built(void **state)
{
	char path[PATH_MAX + 64], err[PATH_MAX + 512];
	struct rb_subnet *s;
	struct rb_config c;

	(void)state;
	write_text("t.conf", "subnet 10.0.1.0/24 {\nrange 10.0.1.10 10.0.1.20\n}\n");
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	rb_config_init(&c);
	if (rb_config_load(&c, path, err, sizeof(err)))
		fail_msg("load: %s", err);
	fill_required(&c);

	/* --dhcp-range 10.0.0.100,10.0.0.200 with --address 10.0.0.1: a plain realloc. */
	s = realloc(c.subnets, (c.nsubnets + 1) * sizeof(*s));
	assert_non_null(s);
	c.subnets = s;
	s = &c.subnets[c.nsubnets++];
	memset(s, 0, sizeof(*s));
	s->net = ip("10.0.0.0");
	s->mask = ip("255.255.255.0");
	s->ranges[0] = (struct rb_range){ip("10.0.0.100"), ip("10.0.0.200")};
	s->nranges = 1;
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), 0);
	assert_ptr_equal(rb_subnet_for(&c, ip("10.0.0.150")), s);

	s->ranges[1] = (struct rb_range){ip("10.0.0.150"), ip("10.0.0.160")};
	s->nranges = 2;
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "command line: range 10.0.0.150-10.0.0.160 overlaps range "
				 "10.0.0.100-10.0.0.200 (subnet at command line)");

	s->ranges[1] = (struct rb_range){ip("10.0.1.150"), ip("10.0.1.160")};
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "command line: range 10.0.1.150-10.0.1.160 is outside subnet 10.0.0.0/24");

	s->nranges = 1;
	s->ranges[0] = (struct rb_range){ip("10.0.0.1"), ip("10.0.0.200")};
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "command line: range 10.0.0.1-10.0.0.200 contains the server "
				 "address 10.0.0.1");

	s->ranges[0] = (struct rb_range){ip("10.0.0.200"), ip("10.0.0.100")};
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "command line: range 10.0.0.200-10.0.0.100: start is after end");

	s->ranges[0] = (struct rb_range){ip("10.0.0.100"), ip("10.0.0.200")};
	s->net = ip("10.0.0.1");
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "command line: subnet 10.0.0.1/24 has host bits set");

	s->net = ip("10.0.1.0");
	s->ranges[0] = (struct rb_range){ip("10.0.1.100"), ip("10.0.1.200")};
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	assert_true(ends_with(err, "t.conf:1)"));
	assert_non_null(strstr(err, "command line: subnet 10.0.1.0/24 overlaps subnet 10.0.1.0/24 (at "));

	c.nsubnets--;
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), 0);
	c.default_profile = 3;
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "default profile 3 does not exist (0 defined)");
	c.default_profile = -1;
	c.tftp_port = 0;
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "tftp port 0 out of range (1..65535)");
	c.tftp_port = 69;
	c.nsubnets++;
	rb_config_free(&c);
}

/* A profile changed after loading (or built by the daemon) is checked
 * again by rb_config_check, at the profile's file:line. */
static void test_check_profile_templates(void **state)
{
	char path[PATH_MAX + 64], want[PATH_MAX + 128], err[PATH_MAX + 512];
	struct rb_config c;

	(void)state;
	write_text("t.conf", "mtu 1500\n\nprofile k {\nkernel vmlinuz\ncmdline \"h={{hostname}}\"\n}\n");
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	rb_config_init(&c);
	if (rb_config_load(&c, path, err, sizeof(err)))
		fail_msg("load: %s", err);
	fill_required(&c);
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), 0);
	strcpy(c.profiles[0].cmdline, "h={{x}}");
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s/t.conf:3: profile 'k': unknown template variable '{{x}}' in cmdline", dir);
	assert_string_equal(err, want);
	strcpy(c.profiles[0].cmdline, "");
	strcpy(c.profiles[0].kernel, "{{ mac ");
	assert_int_equal(rb_config_check(&c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/t.conf:3: profile 'k': unclosed '{{' in kernel", dir);
	assert_string_equal(err, want);
	rb_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_flag_built),
		cmocka_unit_test(test_check_profile_templates),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
