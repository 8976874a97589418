/* Unit tests for rackboot-storm's command line (user/storm_args.c): the
 * firmware mix and how it is spread over the nodes, --start, --phases,
 * MAC arithmetic, and whole command lines with their errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <stdio.h>
#include <string.h>

#include "storm/storm_args.h"

struct mix_row {
	const char *why, *in;
	int rc;
	unsigned w[SK__N];
	const char *err;        /* a substring of the message */
};

static const struct mix_row mix_rows[] = {
	{ "the brief's example", "bios=50,uefi=40,ipxe=10", 0, { 50, 40, 10 }, NULL },
	{ "any order, kinds left out are 0", "ipxe=1,bios=3", 0, { 3, 0, 1 }, NULL },
	{ "one kind", "uefi=7", 0, { 0, 7, 0 }, NULL },
	{ "zero weights allowed beside others", "bios=0,uefi=1", 0, { 0, 1, 0 }, NULL },
	{ "all zero", "bios=0,uefi=0", -1, { 0 }, "every weight is 0" },
	{ "unknown kind", "bios=1,arm=2", -1, { 0 }, "unknown kind 'arm'" },
	{ "twice", "bios=1,bios=2", -1, { 0 }, "given twice" },
	{ "no weight", "bios=,uefi=1", -1, { 0 }, "bad weight" },
	{ "no '='", "bios", -1, { 0 }, "KIND=WEIGHT" },
	{ "negative", "bios=-1", -1, { 0 }, "bad weight" },
	{ "junk after the number", "bios=5x", -1, { 0 }, "bad weight" },
	{ "trailing comma", "bios=5,", -1, { 0 }, "trailing comma" },
	{ "empty", "", -1, { 0 }, "every weight is 0" },
};

static int check_mix(const struct mix_row *t)
{
	unsigned w[SK__N];
	char err[128] = "";
	int rc = storm_parse_mix(t->in, w, err, sizeof(err));
	if (rc != t->rc || (rc == 0 && memcmp(w, t->w, sizeof(w))) ||
	    (t->err && !strstr(err, t->err))) {
		print_error("row \"%s\": rc %d w %u/%u/%u err '%s'\n", t->why, rc, w[0], w[1], w[2], err);
		return 1;
	}
	return 0;
}

static void test_mix_table(void **state)
{
	RUN_TABLE(mix_rows, check_mix, "mix rows");
}

static void count(const uint8_t *k, unsigned n, unsigned c[SK__N])
{
	memset(c, 0, SK__N * sizeof(*c));
	for (unsigned i = 0; i < n; i++)
		c[k[i]]++;
}

static void test_mix_assign(void **state)
{
	static uint8_t k[1000];
	unsigned c[SK__N];
	unsigned w[SK__N] = { 50, 40, 10 };

	storm_mix_assign(w, 50, k);
	count(k, 50, c);
	assert_int_equal(c[SK_BIOS], 25);
	assert_int_equal(c[SK_UEFI], 20);
	assert_int_equal(c[SK_IPXE], 5);
	/* interleaved: every prefix of 10 holds them in proportion */
	for (unsigned p = 10; p <= 50; p += 10) {
		count(k, p, c);
		assert_int_equal(c[SK_BIOS], p / 2);
		assert_int_equal(c[SK_UEFI], p * 4 / 10);
		assert_int_equal(c[SK_IPXE], p / 10);
	}
	/* exact for multiples of the weights' sum, within one otherwise */
	storm_mix_assign(w, 1000, k);
	count(k, 1000, c);
	assert_int_equal(c[SK_BIOS], 500);
	assert_int_equal(c[SK_IPXE], 100);
	storm_mix_assign(w, 7, k);
	count(k, 7, c);
	assert_true(c[SK_BIOS] >= 3 && c[SK_BIOS] <= 4);
	assert_true(c[SK_UEFI] >= 2 && c[SK_UEFI] <= 3);
	assert_true(c[SK_IPXE] <= 1);
	/* a zero weight is never chosen */
	unsigned only[SK__N] = { 0, 3, 0 };
	storm_mix_assign(only, 20, k);
	count(k, 20, c);
	assert_int_equal(c[SK_UEFI], 20);
	/* uneven weights still interleave: 1:2 gives u,b,u,u,b,u,... never bbb */
	unsigned w12[SK__N] = { 1, 2, 0 };
	storm_mix_assign(w12, 30, k);
	for (unsigned i = 0; i + 2 < 30; i++)
		assert_false(k[i] == SK_BIOS && k[i + 1] == SK_BIOS);
}

static void test_start(void **state)
{
	double r = -1;
	char err[128];
	assert_int_equal(storm_parse_start("all", &r, err, sizeof(err)), 0);
	assert_true(r == 0);
	assert_int_equal(storm_parse_start("ramp:250", &r, err, sizeof(err)), 0);
	assert_true(r == 250);
	assert_int_equal(storm_parse_start("ramp:0.5", &r, err, sizeof(err)), 0);
	assert_true(r == 0.5);
	assert_int_equal(storm_parse_start("ramp:0", &r, err, sizeof(err)), -1);
	assert_int_equal(storm_parse_start("ramp:", &r, err, sizeof(err)), -1);
	assert_int_equal(storm_parse_start("ramp:10/s", &r, err, sizeof(err)), -1);
	assert_int_equal(storm_parse_start("burst", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ramp:RATE"));
}

static void test_phases(void **state)
{
	int last = -1;
	char err[160];
	assert_int_equal(storm_parse_phases("dhcp", &last, err, sizeof(err)), 0);
	assert_int_equal(last, PH_DHCP);
	assert_int_equal(storm_parse_phases("dhcp,tftp", &last, err, sizeof(err)), 0);
	assert_int_equal(last, PH_TFTP);
	assert_int_equal(storm_parse_phases("dhcp,tftp,http", &last, err, sizeof(err)), 0);
	assert_int_equal(last, PH_HTTP);                     /* http brings ipxe_dhcp */
	assert_int_equal(storm_parse_phases("tftp,dhcp", &last, err, sizeof(err)), 0);
	assert_int_equal(last, PH_TFTP);                     /* a set: order does not matter */
	assert_int_equal(storm_parse_phases("dhcp,tftp,ipxe-dhcp", &last, err, sizeof(err)), 0);
	assert_int_equal(last, PH_IPXE_DHCP);
	assert_int_equal(storm_parse_phases("dhcp,http", &last, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'tftp' is missing"));
	assert_int_equal(storm_parse_phases("tftp", &last, err, sizeof(err)), -1);
	assert_int_equal(storm_parse_phases("dhcp,ftp", &last, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown phase 'ftp'"));
	assert_int_equal(storm_parse_phases("dhcp,", &last, err, sizeof(err)), -1);
	assert_int_equal(storm_parse_phases("", &last, err, sizeof(err)), -1);
}

static void test_mac(void **state)
{
	uint8_t m[6], b[6] = { 0x02, 0x53, 0, 0, 0xff, 0xff }, n[6];
	assert_int_equal(storm_parse_mac("02:53:0a:Bb:cc:0D", m), 0);
	assert_memory_equal(m, "\x02\x53\x0a\xbb\xcc\x0d", 6);
	assert_int_equal(storm_parse_mac("02-53-0a-bb-cc-0d", m), 0);
	assert_int_equal(storm_parse_mac("02:53-0a:bb:cc:0d", m), -1);   /* mixed separators */
	assert_int_equal(storm_parse_mac("02:53:0a:bb:cc", m), -1);
	assert_int_equal(storm_parse_mac("02:53:0a:bb:cc:0g", m), -1);
	assert_int_equal(storm_parse_mac("2:53:0a:bb:cc:0d0", m), -1);
	/* MAC + i carries across bytes; the index comes back */
	storm_node_mac(b, 1, n);
	assert_memory_equal(n, "\x02\x53\x00\x01\x00\x00", 6);
	storm_node_mac(b, 70000, n);
	assert_int_equal(storm_mac_index(b, n), 70000);
	assert_int_equal(storm_mac_index(b, b), 0);
	uint8_t below[6] = { 0x02, 0x53, 0, 0, 0xff, 0xfe };
	assert_int_equal(storm_mac_index(b, below), -1);
}

static int parse(struct storm_cfg *c, char *err, const char *line)
{
	static char buf[512];
	char *argv[32];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return storm_args_parse(argc, argv, c, err, 160);
}

static void test_command_line(void **state)
{
	struct storm_cfg c;
	char err[160];
	assert_int_equal(parse(&c, err, "storm --interface veth0"), 0);
	assert_string_equal(c.ifname, "veth0");
	assert_int_equal(c.nodes, 1);
	assert_int_equal(c.last_phase, PH_HTTP);
	assert_int_equal(c.mix[SK_BIOS], 50);
	assert_true(c.timeout_scale == 1 && c.ramp_rate == 0 && c.max_time == 600);
	assert_memory_equal(c.mac_base, "\x02\x53\0\0\0\0", 6);

	assert_int_equal(parse(&c, err, "storm --interface x --nodes 5000 --start ramp:100 --mix uefi=1 "
			       "--mac-base 52:54:00:00:10:00 --phases dhcp,tftp --timeout-scale 0.05 "
			       "--max-time 90 --json /tmp/o.json --progress --proxy-wait 0.5"), 0);
	assert_int_equal(c.nodes, 5000);
	assert_true(c.ramp_rate == 100);
	assert_int_equal(c.mix[SK_UEFI], 1);
	assert_int_equal(c.mix[SK_BIOS], 0);
	assert_int_equal(c.mac_base[4], 0x10);
	assert_int_equal(c.last_phase, PH_TFTP);
	assert_true(c.timeout_scale == 0.05 && c.max_time == 90 && c.proxy_wait == 0.5);
	assert_string_equal(c.json_path, "/tmp/o.json");
	assert_true(c.progress);

	assert_int_equal(parse(&c, err, "storm --help"), 1);
	static const struct { const char *line, *err; } bad[] = {
		{ "storm", "--interface is required" },
		{ "storm --interface x --nodes 0", "--nodes" },
		{ "storm --interface x --nodes 12.5", "--nodes" },
		{ "storm --interface x --nodes 9999999", "--nodes" },
		{ "storm --interface x --timeout-scale 0", "--timeout-scale" },
		{ "storm --interface x --max-time -1", "--max-time" },
		{ "storm --interface x --mac-base 03:00:00:00:00:00", "unicast" },
		{ "storm --interface x --mac-base fe:ff:ff:ff:ff:00 --nodes 300", "wrap" },
		{ "storm --interface x --bogus", "unknown" },
		{ "storm --interface x extra", "unexpected argument" },
		{ "storm --interface averyveryverylongname", "bad name" },
		{ "storm --interface x --mix arm=1", "unknown kind" },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err[0] = 0;
		int rc = parse(&c, err, bad[i].line);
		if (rc != -1 || !strstr(err, bad[i].err))
			fail_msg("'%s': rc %d err '%s', want '%s'", bad[i].line, rc, err, bad[i].err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mix_table),
		cmocka_unit_test(test_mix_assign),
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_command_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
