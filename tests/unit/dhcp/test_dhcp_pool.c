/* Unit tests for address bookkeeping (user/dhcp_pool.c): no address goes to
 * two clients, clients get their own address back, reservations and
 * declined addresses are skipped, offers expire, restore keeps bindings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/config.h"
#include "dhcp/dhcp_pool.h"

#define NET 0x0a000000u      /* 10.0.0.0/24, range .10 - .19 */
static struct rb_subnet sn = {
	.net = NET, .mask = 0xffffff00u, .ranges = { { NET + 10, NET + 19 } }, .nranges = 1,
};

static void mac(uint8_t *hw, unsigned i)
{
	uint8_t m[6] = { 2, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };
	memcpy(hw, m, 6);
}

static uint32_t offer(struct dhcp_pool *p, unsigned client, uint32_t req, int64_t now)
{
	uint8_t hw[6];
	struct pool_binding *rel;
	mac(hw, client);
	uint32_t ip = pool_choose(p, &sn, hw, 6, req, now);
	if (ip)
		pool_assign(p, ip, hw, 6, POOL_OFFERED, now + 60, &rel);
	return ip;
}

static void test_no_sharing_and_exhaustion(void **state)
{
	(void)state;
	struct dhcp_pool *p = pool_new();
	uint32_t seen[10];
	for (unsigned i = 0; i < 10; i++) {
		seen[i] = offer(p, i, 0, 1000);
		assert_true(seen[i] >= NET + 10 && seen[i] <= NET + 19);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(seen[i], seen[j]);
	}
	assert_int_equal(offer(p, 10, 0, 1000), 0);            /* exhausted */
	assert_int_equal(offer(p, 3, 0, 1000), seen[3]);       /* same client, same address */
	/* once the offers lapse, the eleventh client gets one */
	uint32_t ip = offer(p, 10, 0, 2000);
	assert_true(ip >= NET + 10 && ip <= NET + 19);
	pool_free(p);
}

static void test_requested_and_reserved(void **state)
{
	(void)state;
	struct dhcp_pool *p = pool_new();
	struct rb_host h = { .ip = NET + 10 };
	struct rb_config c = { .hosts = &h, .nhosts = 1 };
	pool_set_reserved(p, &c);
	assert_int_equal(offer(p, 1, 0, 0), NET + 11);            /* .10 is reserved */
	assert_int_equal(offer(p, 2, NET + 15, 0), NET + 15);     /* requested and free */
	assert_int_equal(offer(p, 3, NET + 15, 0), NET + 12);     /* requested but held */
	assert_int_equal(offer(p, 4, NET + 10, 0), NET + 13);     /* requested but reserved */
	assert_int_equal(offer(p, 5, NET + 99, 0), NET + 14);     /* requested, outside ranges */
	pool_free(p);
}

static void test_bound_release_decline(void **state)
{
	(void)state;
	struct dhcp_pool *p = pool_new();
	uint8_t a[6], b[6];
	struct pool_binding *rel;
	mac(a, 1), mac(b, 2);
	uint32_t ip = pool_choose(p, &sn, a, 6, 0, 0);
	pool_assign(p, ip, a, 6, POOL_BOUND, 3600, &rel);
	assert_null(rel);
	/* another client asking for it explicitly does not get it */
	assert_int_not_equal(pool_choose(p, &sn, b, 6, ip, 10), ip);
	/* an offer of another address does not end the lease: the client may
	 * never take it */
	pool_assign(p, NET + 18, a, 6, POOL_OFFERED, 60, &rel);
	assert_null(rel);
	assert_int_equal(pool_by_hw(p, a, 6)->ip, ip);
	assert_int_equal(pool_by_ip(p, ip)->state, POOL_BOUND);
	/* acknowledging the other address frees the first (one per client) */
	pool_assign(p, NET + 18, a, 6, POOL_BOUND, 3600, &rel);
	assert_non_null(rel);
	assert_int_equal(rel->ip, ip);
	assert_int_equal(rel->state, POOL_FREE);
	/* a declined address rests until its quarantine ends */
	struct pool_binding *d = pool_by_ip(p, NET + 18);
	d->state = POOL_DECLINED, d->expires = 500;
	for (unsigned i = 0; i < 9; i++)
		assert_int_not_equal(offer(p, 10 + i, 0, 100), NET + 18);
	pool_free(p);
}

static void test_restore(void **state)
{
	(void)state;
	struct dhcp_pool *p = pool_new();
	struct lease bound = { .ip = __builtin_bswap32(NET + 12), .hw = { 2, 0, 0, 0, 0, 1 },
			       .hwlen = 6, .state = LEASE_BOUND, .expires = 5000 };
	struct lease old = bound;
	old.ip = __builtin_bswap32(NET + 17);
	old.state = LEASE_FREE;
	pool_restore(p, &bound);
	pool_restore(p, &old);      /* an older, freed row of the same client */
	struct pool_binding *b = pool_by_hw(p, bound.hw, 6);
	assert_non_null(b);
	assert_int_equal(b->ip, NET + 12);
	assert_int_equal(offer(p, 1, 0, 100), NET + 12);
	/* nobody else gets the bound address */
	for (unsigned i = 2; i < 11; i++)
		assert_int_not_equal(offer(p, i, 0, 100), NET + 12);
	pool_free(p);
}

/* A big range and many clients: the cursor keeps each choice cheap. */
static void test_large(void **state)
{
	(void)state;
	struct rb_subnet big = { .net = NET, .mask = 0xffff0000u,
				 .ranges = { { NET + 1, NET + 40000 } }, .nranges = 1 };
	struct dhcp_pool *p = pool_new();
	struct pool_binding *rel;
	uint8_t hw[6];
	for (unsigned i = 0; i < 30000; i++) {
		mac(hw, i);
		hw[3] = (uint8_t)(i >> 16);
		uint32_t ip = pool_choose(p, &big, hw, 6, 0, 0);
		assert_int_equal(ip, NET + 1 + i);
		pool_assign(p, ip, hw, 6, POOL_BOUND, 100, &rel);
	}
	struct pool_stats st;
	pool_stats(p, 0, &st);
	assert_int_equal(st.bound, 30000);
	pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_sharing_and_exhaustion),
		cmocka_unit_test(test_requested_and_reserved),
		cmocka_unit_test(test_bound_release_decline),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
