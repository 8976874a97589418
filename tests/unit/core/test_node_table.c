/* Unit tests for the shared node registry (user/node_table.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/metrics.h"

#include "core/node_table.h"

static void mac(uint8_t m[6], unsigned i)
{
	uint8_t v[6] = { 2, 0, (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
	memcpy(m, v, 6);
}

static void test_update_and_lookup(void **state)
{
	(void)state;
	struct node_table *t = node_table_new();
	struct node_info ni;
	uint8_t a[6], b[6];
	mac(a, 1), mac(b, 2);
	assert_false(node_table_by_ip(t, 0x0a000001, &ni));
	node_table_update(t, a, 0, NULL, "efi-x64");          /* proxyDHCP: no address yet */
	assert_true(node_table_by_mac(t, a, &ni));
	assert_int_equal(ni.ip, 0);
	assert_string_equal(ni.arch, "efi-x64");
	assert_false(node_table_by_ip(t, 0, &ni));
	node_table_update(t, a, 0x0a000001, "n1", NULL);      /* NULL keeps the arch */
	assert_true(node_table_by_ip(t, 0x0a000001, &ni));
	assert_memory_equal(ni.mac, a, 6);
	assert_string_equal(ni.hostname, "n1");
	assert_string_equal(ni.arch, "efi-x64");
	/* the address passes to another node: lookups follow it */
	node_table_update(t, b, 0x0a000001, NULL, NULL);
	assert_true(node_table_by_ip(t, 0x0a000001, &ni));
	assert_memory_equal(ni.mac, b, 6);
	/* the first node moves on: its old address no longer finds it */
	node_table_update(t, a, 0x0a000002, NULL, NULL);
	assert_true(node_table_by_ip(t, 0x0a000002, &ni));
	assert_memory_equal(ni.mac, a, 6);
	assert_true(node_table_by_ip(t, 0x0a000001, &ni));
	assert_memory_equal(ni.mac, b, 6);
	node_table_free(t);
}

static void test_many_and_long_strings(void **state)
{
	(void)state;
	struct node_table *t = node_table_new();
	struct node_info ni;
	uint8_t m[6];
	char longname[200];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	for (unsigned i = 0; i < 50000; i++) {
		mac(m, i);
		node_table_update(t, m, 0x0a000000 + i + 1, i == 7 ? longname : "h", "bios");
	}
	for (unsigned i = 0; i < 50000; i += 997) {
		mac(m, i);
		assert_true(node_table_by_ip(t, 0x0a000000 + i + 1, &ni));
		assert_memory_equal(ni.mac, m, 6);
	}
	mac(m, 7);
	assert_true(node_table_by_mac(t, m, &ni));
	assert_int_equal(strlen(ni.hostname), sizeof(ni.hostname) - 1);   /* cut, terminated */
	node_table_free(t);
}

/* Writers and readers at once (run under TSan/ASan by the san build). */
static struct node_table *shared;
static void *writer(void *arg)
{
	unsigned base = (unsigned)(uintptr_t)arg;
	uint8_t m[6];
	for (unsigned i = 0; i < 20000; i++) {
		mac(m, base + i);
		node_table_update(shared, m, base + i + 1, "w", "bios");
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	pthread_t w[2];
	struct node_info ni;
	shared = node_table_new();
	pthread_create(&w[0], NULL, writer, (void *)(uintptr_t)0);
	pthread_create(&w[1], NULL, writer, (void *)(uintptr_t)1000000);
	unsigned found = 0;
	for (unsigned i = 0; i < 20000; i++)
		found += node_table_by_ip(shared, i + 1, &ni);
	pthread_join(w[0], NULL);
	pthread_join(w[1], NULL);
	for (unsigned i = 0; i < 20000; i += 101)
		assert_true(node_table_by_ip(shared, 1000000 + i + 1, &ni));
	(void)found;
	node_table_free(shared);
}

static void test_timeline(void **state)
{
	(void)state;
	struct node_table *t = node_table_new();
	uint8_t a[6];
	struct mbuf b = { 0 };
	mac(a, 9);
	struct node_event e = { .kind = NEV_DHCP_OFFER, .ok = true, .ip = 0x0a000009, .t_ms = 1000 };
	snprintf(e.what, sizeof(e.what), "bios pxe: undionly.kpxe");
	node_table_event_mac(t, a, &e);                 /* creates the node */
	node_table_update(t, a, 0x0a000009, NULL, "bios");
	struct node_event f = { .kind = NEV_TFTP, .ok = true, .bytes = 74213, .dur_ms = 310,
				.t_ms = 1500 };
	snprintf(f.what, sizeof(f.what), "undionly.kpxe");
	node_table_event_ip(t, 0x0a000009, &f);
	node_table_event_ip(t, 0x0a0000ff, &f);         /* nobody there: dropped */
	struct node_event h = { .kind = NEV_HTTP, .ok = true, .status = 200, .bytes = 8u << 20,
				.dur_ms = 100, .t_ms = 3000 };
	snprintf(h.what, sizeof(h.what), "/vmlinuz");
	node_table_event_ip(t, 0x0a000009, &h);
	node_table_render(t, &b);
	assert_non_null(strstr(b.p, "node 02:00:00:00:00:09  ip 10.0.0.9  arch bios"));
	assert_non_null(strstr(b.p, "+0.000s  dhcp offer   10.0.0.9 bios pxe: undionly.kpxe"));
	assert_non_null(strstr(b.p, "+0.500s  tftp         undionly.kpxe done, 72 KiB in 0.310s"));
	assert_non_null(strstr(b.p, "+2.000s  http         /vmlinuz 200, 8192 KiB in 0.100s"));
	assert_non_null(strstr(b.p, "total 2.100s, tftp 72 KiB, http 8192 KiB\n"));
	mbuf_free(&b);
	/* a long boot keeps the newest NODE_EVENTS events and says so */
	for (int i = 0; i < NODE_EVENTS + 5; i++) {
		h.t_ms = 4000 + i;
		node_table_event_ip(t, 0x0a000009, &h);
	}
	node_table_render(t, &b);
	assert_non_null(strstr(b.p, "(oldest events dropped)"));
	assert_null(strstr(b.p, "dhcp offer"));
	mbuf_free(&b);
	node_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_and_lookup),
		cmocka_unit_test(test_many_and_long_strings),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_timeline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
