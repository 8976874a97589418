/* Unit tests for the host inventory file (user/core/config_inventory.c):
 * table-driven rows of inventory text on top of a small config file, each
 * either loading (and passing the cross-checks) or failing with a
 * "hosts.txt:LINE" error, and --inventory winning over the file's
 * inventory setting. Separate from test_config.c as the inventory is its
 * own file format and loader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"

#include "config_fixture.h"

/* ------------------------------------------------------------------ */
/* Inventory rows                                                      */

static int vi_full(const struct rb_config *c)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 2};

	EXPECT(c->nhosts == 1);
	EXPECT(!memcmp(c->hosts[0].mac, mac, 6));
	EXPECT(c->hosts[0].ip == ip("10.0.0.12"));
	EXPECT(!strcmp(c->hosts[0].name, "node02"));
	EXPECT(c->hosts[0].profile == 1);
	EXPECT(c->hosts[0].params.set == 0);
	EXPECT(ends_with(c->hosts[0].where, "/hosts.txt:1"));
	return 0;
}

static int vi_mac_only(const struct rb_config *c)
{
	EXPECT(c->nhosts == 1);
	EXPECT(c->hosts[0].ip == 0 && c->hosts[0].name[0] == '\0' && c->hosts[0].profile == -1);
	return 0;
}

static int vi_dashes(const struct rb_config *c)
{
	static const uint8_t mac[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

	EXPECT(c->nhosts == 3);
	EXPECT(!memcmp(c->hosts[0].mac, mac, 6));
	EXPECT(c->hosts[0].ip == 0 && c->hosts[0].name[0] == '\0' && c->hosts[0].profile == 0);
	EXPECT(c->hosts[1].ip == ip("10.0.0.20") && !strcmp(c->hosts[1].name, "n-20.rack1"));
	EXPECT(c->hosts[1].profile == -1);
	EXPECT(c->hosts[2].ip == 0 && !strcmp(c->hosts[2].name, "x"));
	EXPECT(ends_with(c->hosts[2].where, "/hosts.txt:6"));
	return 0;
}

struct inv_row {
	const char *why;
	const char *inv;
	int stage;
	const char *err;
	const char *err2;
	int (*verify)(const struct rb_config *c);
};

static const struct inv_row inv_rows[] = {
	{"the documented example line", "52:54:00:00:00:02 10.0.0.12 node02 compute\n", .verify = vi_full},
	{"a MAC alone", "52:54:00:00:00:02\n", .verify = vi_mac_only},
	{"dashes, comments, blank lines, upper case, '-' separators",
	 "# inventory\nAA-BB-CC-DD-EE-FF - - k   # rack 1\n\n  52:54:00:00:00:20\t10.0.0.20 n-20.rack1 -\n"
	 "   \n52:54:00:00:00:21 - x\n",
	 .verify = vi_dashes},
	{"an empty inventory", "", .verify = NULL},
	{"bad MAC (letters)", "52:54:00:00:00:01\n\nzz:54:00:00:00:03 10.0.0.3\n",
	 ERRL("hosts.txt:3: bad MAC address 'zz:54:00:00:00:03'")},
	{"bad MAC (short)", "52:54:00:00:01\n", ERRL("hosts.txt:1: bad MAC address '52:54:00:00:01'")},
	{"bad MAC (one-digit octet)", "52:54:0:00:00:01\n", ERRL("hosts.txt:1: bad MAC address")},
	{"bad MAC (mixed separators)", "52:54-00:00:00:01\n", ERRL("hosts.txt:1: bad MAC address")},
	{"bad MAC (seven octets)", "52:54:00:00:00:01:02\n", ERRL("hosts.txt:1: bad MAC address")},
	{"an address first", "10.0.0.1 52:54:00:00:00:01\n",
	 ERRL("hosts.txt:1: bad MAC address '10.0.0.1'")},
	{"bad address", "52:54:00:00:00:01 10.0.0.256\n", ERRL("hosts.txt:1: bad address '10.0.0.256'")},
	{"address 0.0.0.0", "52:54:00:00:00:01 0.0.0.0\n",
	 ERRL("hosts.txt:1: '0.0.0.0' is not a usable unicast address")},
	{"bad hostname", "52:54:00:00:00:01 - node_2\n",
	 ERRL("hosts.txt:1: bad hostname 'node_2' (letters, digits, '-' and '.', at most 63)")},
	{"hostname too long",
	 "52:54:00:00:00:01 - aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	 ERRL("hosts.txt:1: bad hostname")},
	{"a hostname of 63 characters",
	 "52:54:00:00:00:01 - aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", .verify = NULL},
	{"unknown profile", "52:54:00:00:00:01 - n1 nope\n", ERRL("hosts.txt:1: unknown profile 'nope'")},
	{"too many fields", "52:54:00:00:00:01 10.0.0.5 n1 k extra\n",
	 ERRL("hosts.txt:1: too many fields (want MAC [ADDRESS|-] [HOSTNAME|-] [PROFILE|-])")},
	{"duplicate MAC", "52:54:00:00:00:01\n52:54:00:00:00:02\n52:54:00:00:00:01 10.0.0.9\n",
	 ERRL("hosts.txt:3: duplicate host mac 52:54:00:00:00:01 (first at "), "hosts.txt:1)"},
	{"duplicate address", "52:54:00:00:00:01 10.0.0.9\n52:54:00:00:00:02 10.0.0.9\n",
	 ERRC("hosts.txt:2: duplicate host address 10.0.0.9 (first at "), "hosts.txt:1)"},
	{"unterminated quote", "52:54:00:00:00:01 \"x\n", ERRL("hosts.txt:1: unterminated quote")},
};

static int check_inv_row(const struct inv_row *t)
{
	static const char base[] = PROFILE_K "profile compute {\nkernel k\n}\n";
	char path[PATH_MAX + 64], err[PATH_MAX + 512] = "";
	struct rb_config c;
	int rc, bad = 0;

	write_text("base.conf", base);
	write_text("hosts.txt", t->inv);
	rb_config_init(&c);
	snprintf(path, sizeof(path), "%s/base.conf", dir);
	if (rb_config_load(&c, path, err, sizeof(err))) {
		print_error("row \"%s\": base config: %s\n", t->why, err);
		rb_config_free(&c);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/hosts.txt", dir);
	rc = rb_inventory_load(&c, path, err, sizeof(err));
	if (rc == 0) {
		if (strcmp(c.inventory, path)) {
			print_error("row \"%s\": inventory is \"%s\"\n", t->why, c.inventory);
			bad = 1;
		}
		fill_required(&c);
		rc = rb_config_check(&c, err, sizeof(err));
		if (t->stage == LOAD) {
			print_error("row \"%s\": loaded, want \"%s\"\n", t->why, t->err);
			bad = 1;
		} else if (t->stage == CHECK && rc == 0) {
			print_error("row \"%s\": check passed, want \"%s\"\n", t->why, t->err);
			bad = 1;
		} else if (t->stage == OK_ROW && rc != 0) {
			print_error("row \"%s\": check failed: %s\n", t->why, err);
			bad = 1;
		} else if (t->stage == OK_ROW && t->verify && t->verify(&c)) {
			print_error("row \"%s\": verify failed\n", t->why);
			bad = 1;
		}
	} else if (t->stage != LOAD) {
		print_error("row \"%s\": load failed: %s\n", t->why, err);
		bad = 1;
	}
	if (!bad && t->stage != OK_ROW &&
	    (!strstr(err, t->err) || (t->err2 && !strstr(err, t->err2)))) {
		print_error("row \"%s\": error \"%s\", want \"%s\"\n", t->why, err, t->err);
		bad = 1;
	}
	rb_config_free(&c);
	return bad;
}

static void test_inventory_rows(void **state)
{
	(void)state;
	RUN_TABLE(inv_rows, check_inv_row, "inventory rows");
}

/* --inventory wins over the file's inventory setting when the daemon puts
 * it into c->inventory before loading. */
static void test_inventory_flag_wins(void **state)
{
	char path[PATH_MAX + 64], flag[PATH_MAX + 64], err[PATH_MAX + 512];
	struct rb_config c;

	(void)state;
	write_text("t.conf", "inventory hosts.txt\n");
	write_text("hosts.txt", "52:54:00:00:00:01\n");
	write_text("flag.txt", "52:54:00:00:00:07\n52:54:00:00:00:08\n");
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	snprintf(flag, sizeof(flag), "%s/flag.txt", dir);

	rb_config_init(&c);
	strcpy(c.inventory, flag);
	if (rb_config_load(&c, path, err, sizeof(err)))
		fail_msg("load: %s", err);
	assert_string_equal(c.inventory, flag);
	assert_int_equal(c.nhosts, 2);
	rb_config_free(&c);

	rb_config_init(&c);
	if (rb_config_load(&c, path, err, sizeof(err)))
		fail_msg("load: %s", err);
	assert_int_equal(c.nhosts, 1);
	rb_config_free(&c);
	remove_file("hosts.txt");
	remove_file("flag.txt");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_rows),
		cmocka_unit_test(test_inventory_flag_wins),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
