/* Unit tests for the per-packet lookups of user/core/config.c: hosts by MAC
 * through the hash index (20,000 of them, and a config filled or extended
 * by hand), the subnet of an address, the effective DHCP options (global <
 * subnet < host) and the profile of a host. Separate from test_config.c
 * because it tests what the servers ask of a loaded config, not how the
 * config is read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"

#include "config_fixture.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 20,000 hosts from an inventory: every one found by MAC, no false hits. */
static void test_lookup_20000_hosts(void **state)
{
	enum { N = 20000, ROUNDS = 10 };
	char path[PATH_MAX + 64], err[PATH_MAX + 512];
	size_t len = 0, cap = (size_t)N * 64;
	char *text = malloc(cap);
	struct rb_config c;
	double t0, t_load, t_look;
	size_t found = 0;

	(void)state;
	assert_non_null(text);
	for (unsigned i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"02:00:%02x:%02x:%02x:%02x 10.%u.%u.%u n%u\n",
					(i * 2654435761u) >> 24 & 0xff, i >> 16 & 0xff, i >> 8 & 0xff,
					i & 0xff, 1 + i / 65536, i / 256 % 256, i % 256, i);
	write_file("big.txt", text, len);
	free(text);

	rb_config_init(&c);
	snprintf(path, sizeof(path), "%s/big.txt", dir);
	t0 = now();
	if (rb_inventory_load(&c, path, err, sizeof(err)))
		fail_msg("inventory: %s", err);
	fill_required(&c);
	if (rb_config_check(&c, err, sizeof(err)))
		fail_msg("check: %s", err);
	t_load = now() - t0;
	assert_int_equal(c.nhosts, N);

	t0 = now();
	for (int r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < N; i++) {
			uint8_t mac[6] = {2, 0, (uint8_t)((i * 2654435761u) >> 24), (uint8_t)(i >> 16),
					  (uint8_t)(i >> 8), (uint8_t)i};
			const struct rb_host *h = rb_host_by_mac(&c, mac);

			if (h && h == &c.hosts[i])
				found++;
			mac[0] = 4; /* never present */
			if (rb_host_by_mac(&c, mac))
				fail_msg("found a MAC that is not there");
		}
	}
	t_look = now() - t0;
	assert_int_equal(found, (size_t)N * ROUNDS);
	print_message("20000 hosts: load+check %.3f s, %d lookups %.3f s\n", t_load, 2 * N * ROUNDS,
		      t_look);
	/* Timings are printed, not asserted: this machine is shared and noisy
	 * (performance belongs in bench/). */

	rb_config_free(&c);
	remove_file("big.txt");
}

/* The index stays right when the daemon appends to hosts[] itself, and
 * lookups work on a config filled by hand (no index at all). */
static void test_lookup_without_index(void **state)
{
	static const uint8_t m1[6] = {2, 0, 0, 0, 0, 1}, m2[6] = {2, 0, 0, 0, 0, 2}, m3[6] = {2, 0, 0, 0, 0, 3};
	char path[PATH_MAX + 64], err[PATH_MAX + 512];
	struct rb_host *hs;
	struct rb_config c;

	(void)state;
	rb_config_init(&c);
	assert_null(rb_host_by_mac(&c, m1));
	hs = calloc(1, sizeof(*hs));
	assert_non_null(hs);
	memcpy(hs[0].mac, m1, 6);
	c.hosts = hs;
	c.nhosts = 1;
	assert_ptr_equal(rb_host_by_mac(&c, m1), &c.hosts[0]);
	assert_null(rb_host_by_mac(&c, m2));

	/* An inventory on top: the hand-made host gets indexed too. */
	write_text("hosts.txt", "02:00:00:00:00:02\n");
	snprintf(path, sizeof(path), "%s/hosts.txt", dir);
	if (rb_inventory_load(&c, path, err, sizeof(err)))
		fail_msg("inventory: %s", err);
	assert_ptr_equal(rb_host_by_mac(&c, m1), &c.hosts[0]);
	assert_ptr_equal(rb_host_by_mac(&c, m2), &c.hosts[1]);

	/* ... and one appended by hand afterwards is still found. */
	hs = realloc(c.hosts, 3 * sizeof(*hs));
	assert_non_null(hs);
	c.hosts = hs;
	memset(&c.hosts[2], 0, sizeof(c.hosts[2]));
	memcpy(c.hosts[2].mac, m3, 6);
	c.nhosts = 3;
	assert_ptr_equal(rb_host_by_mac(&c, m3), &c.hosts[2]);
	assert_ptr_equal(rb_host_by_mac(&c, m2), &c.hosts[1]);

	/* A failed inventory leaves a freeable config. */
	write_text("hosts.txt", "02:00:00:00:00:09\n02:00:00:00:00:01\n");
	assert_int_equal(rb_inventory_load(&c, path, err, sizeof(err)), -1);
	assert_true(ends_with(err, "hosts.txt:2: duplicate host mac 02:00:00:00:00:01 (first at command line)"));
	rb_config_free(&c);
	remove_file("hosts.txt");
}

struct subnet_row {
	const char *ip;
	int subnet;   /* index, or -1 */
};

static const struct subnet_row subnet_rows[] = {
	{"10.0.0.0", 0},   {"10.0.0.1", 0},   {"10.0.0.255", 0}, {"10.0.1.0", -1},
	{"10.0.1.64", 1},  {"10.0.1.127", 1}, {"10.0.1.128", -1}, {"10.0.1.63", -1},
	{"192.168.5.5", 2}, {"192.168.5.4", -1}, {"9.255.255.255", -1}, {"0.0.0.0", -1},
	{"255.255.255.255", -1},
};

static const struct rb_config *subnet_cfg;

static int check_subnet_row(const struct subnet_row *t)
{
	const struct rb_subnet *s = rb_subnet_for(subnet_cfg, ip(t->ip));
	const struct rb_subnet *want = t->subnet < 0 ? NULL : &subnet_cfg->subnets[t->subnet];

	if (s != want) {
		print_error("rb_subnet_for(%s): subnet %ld, want %d\n", t->ip,
			    s ? (long)(s - subnet_cfg->subnets) : -1L, t->subnet);
		return 1;
	}
	return 0;
}

static void test_subnet_for(void **state)
{
	char path[PATH_MAX + 64], err[PATH_MAX + 512];
	struct rb_config c;

	(void)state;
	write_text("t.conf", "subnet 10.0.0.0/24 {\n}\nsubnet 10.0.1.64/26 {\n}\n"
			     "subnet 192.168.5.5/32 {\n}\n");
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	rb_config_init(&c);
	assert_null(rb_subnet_for(&c, ip("10.0.0.1")));
	if (rb_config_load(&c, path, err, sizeof(err)))
		fail_msg("load: %s", err);
	fill_required(&c);
	if (rb_config_check(&c, err, sizeof(err)))
		fail_msg("check: %s", err);
	subnet_cfg = &c;
	RUN_TABLE(subnet_rows, check_subnet_row, "rb_subnet_for rows");
	rb_config_free(&c);
}

/* global < subnet < host, field by field; lease time defaults to 3600. */
static void test_params_effective(void **state)
{
	static const char conf[] =
		"router 1.1.1.1\ndns 1.1.1.53\ndomain global.example\nmtu 1500\n"
		"subnet 10.0.0.0/24 {\nrouter 10.0.0.254 10.0.0.253\nmtu 9000\nlease-time 2h\n}\n"
		"subnet 10.0.1.0/24 {\n}\n"
		"host a {\nmac 52:54:00:00:00:01\ndns 10.0.0.53\nmtu 1400\n}\n"
		"host b {\nmac 52:54:00:00:00:02\nlease-time 10m\ndomain b.example\n}\n";
	char path[PATH_MAX + 64], err[PATH_MAX + 512];
	const struct rb_subnet *s0, *s1;
	const struct rb_host *a, *b;
	struct rb_dhcp_params e;
	struct rb_config c, bare;

	(void)state;
	write_text("t.conf", conf);
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	rb_config_init(&c);
	if (rb_config_load(&c, path, err, sizeof(err)))
		fail_msg("load: %s", err);
	s0 = &c.subnets[0];
	s1 = &c.subnets[1];
	a = &c.hosts[0];
	b = &c.hosts[1];

	/* Nothing but the globals. */
	rb_params_effective(&c, NULL, NULL, &e);
	assert_int_equal(e.set, RBP_ROUTERS | RBP_DNS | RBP_DOMAIN | RBP_MTU | RBP_LEASE);
	assert_int_equal(e.nrouters, 1);
	assert_int_equal(e.routers[0], nip("1.1.1.1"));
	assert_int_equal(e.dns[0], nip("1.1.1.53"));
	assert_string_equal(e.domain, "global.example");
	assert_int_equal(e.mtu, 1500);
	assert_int_equal(e.lease_time, 3600);

	/* A subnet that sets nothing inherits everything. */
	rb_params_effective(&c, s1, NULL, &e);
	assert_int_equal(e.routers[0], nip("1.1.1.1"));
	assert_int_equal(e.mtu, 1500);
	assert_int_equal(e.lease_time, 3600);

	/* Subnet overrides router, mtu and lease; dns and domain from globals. */
	rb_params_effective(&c, s0, NULL, &e);
	assert_int_equal(e.nrouters, 2);
	assert_int_equal(e.routers[1], nip("10.0.0.253"));
	assert_int_equal(e.ndns, 1);
	assert_int_equal(e.dns[0], nip("1.1.1.53"));
	assert_string_equal(e.domain, "global.example");
	assert_int_equal(e.mtu, 9000);
	assert_int_equal(e.lease_time, 7200);

	/* Host a: its dns and mtu, the subnet's router and lease, the global domain. */
	rb_params_effective(&c, s0, a, &e);
	assert_int_equal(e.nrouters, 2);
	assert_int_equal(e.routers[0], nip("10.0.0.254"));
	assert_int_equal(e.dns[0], nip("10.0.0.53"));
	assert_string_equal(e.domain, "global.example");
	assert_int_equal(e.mtu, 1400);
	assert_int_equal(e.lease_time, 7200);

	/* Host b: its lease beats the subnet's; its domain beats the global one. */
	rb_params_effective(&c, s0, b, &e);
	assert_int_equal(e.lease_time, 600);
	assert_string_equal(e.domain, "b.example");
	assert_int_equal(e.mtu, 9000);

	/* Host without a subnet: globals then host. */
	rb_params_effective(&c, NULL, a, &e);
	assert_int_equal(e.routers[0], nip("1.1.1.1"));
	assert_int_equal(e.mtu, 1400);
	rb_config_free(&c);

	/* Nobody sets anything: only the lease time, 3600. */
	rb_config_init(&bare);
	rb_params_effective(&bare, NULL, NULL, &e);
	assert_int_equal(e.set, RBP_LEASE);
	assert_int_equal(e.lease_time, 3600);
	assert_int_equal(e.nrouters, 0);
	rb_config_free(&bare);
}

static void test_profile_for(void **state)
{
	char path[PATH_MAX + 64], err[PATH_MAX + 512];
	struct rb_config c;

	(void)state;
	write_text("t.conf", "profile a {\nkernel k\n}\nprofile b {\nkernel k\n}\n"
			     "host h1 {\nmac 52:54:00:00:00:01\nprofile b\n}\n"
			     "host h2 {\nmac 52:54:00:00:00:02\n}\n");
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	rb_config_init(&c);
	if (rb_config_load(&c, path, err, sizeof(err)))
		fail_msg("load: %s", err);
	/* No default: unknown nodes and hosts without a profile get none. */
	assert_null(rb_profile_for(&c, NULL));
	assert_null(rb_profile_for(&c, &c.hosts[1]));
	assert_ptr_equal(rb_profile_for(&c, &c.hosts[0]), &c.profiles[1]);
	c.default_profile = 0;
	assert_ptr_equal(rb_profile_for(&c, NULL), &c.profiles[0]);
	assert_ptr_equal(rb_profile_for(&c, &c.hosts[1]), &c.profiles[0]);
	assert_ptr_equal(rb_profile_for(&c, &c.hosts[0]), &c.profiles[1]);
	rb_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_20000_hosts),
		cmocka_unit_test(test_lookup_without_index),
		cmocka_unit_test(test_subnet_for),
		cmocka_unit_test(test_params_effective),
		cmocka_unit_test(test_profile_for),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
