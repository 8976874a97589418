/* Unit tests for the timer heap (user/timer_heap.c).
 *
 * Random inserts, moves (earlier and later) and removes, checked after
 * every operation against a brute-force reference: the element count, the
 * heap property, each node's idx, and that heap_min() has the smallest
 * deadline. Then the heap is drained through heap_min()/heap_remove() and
 * must come out in deadline order. A small table covers the edge cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/timer_heap.h"

#define NODES 300

struct timer {
	int id;
	struct heap_node hn;
};

static struct timer timers[NODES];
static bool in_ref[NODES];
static uint64_t ref_deadline[NODES];

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Full consistency check; returns a description of the first problem. */
static const char *check_heap(const struct timer_heap *t)
{
	size_t count = 0;
	uint64_t min = UINT64_MAX;

	for (int i = 0; i < NODES; i++) {
		const struct heap_node *h = &timers[i].hn;
		if (!in_ref[i]) {
			if (h->idx != SIZE_MAX)
				return "absent node has an index";
			continue;
		}
		count++;
		if (h->idx >= t->n || t->v[h->idx] != h)
			return "present node's idx does not point back at it";
		if (h->deadline != ref_deadline[i])
			return "deadline differs from the reference";
		if (ref_deadline[i] < min)
			min = ref_deadline[i];
	}
	if (count != t->n)
		return "element count differs from the reference";
	if (t->n > t->cap)
		return "n > cap";
	for (size_t i = 1; i < t->n; i++)
		if (t->v[(i - 1) / 2]->deadline > t->v[i]->deadline)
			return "heap property violated";
	if (count == 0)
		return heap_min(t) == NULL ? NULL : "heap_min on empty heap is not NULL";
	if (!heap_min(t) || heap_min(t)->deadline != min)
		return "heap_min is not the earliest deadline";
	return NULL;
}

static void reset(struct timer_heap *t)
{
	heap_free(t);
	for (int i = 0; i < NODES; i++) {
		timers[i].id = i;
		heap_node_init(&timers[i].hn);
		in_ref[i] = false;
	}
}

/* One random run: `ops` operations with deadlines drawn from [0, range)
 * (a small range forces many equal deadlines). */
static void random_run(uint64_t seed, int ops, uint64_t range)
{
	struct timer_heap t = {0};
	const char *why;

	rng = seed;
	reset(&t);
	for (int k = 0; k < ops; k++) {
		int i = (int)(next_rand() % NODES);
		unsigned op = (unsigned)(next_rand() % 10);
		uint64_t d = next_rand() % range;

		if (op < 6) {                 /* insert or move */
			assert_int_equal(heap_set(&t, &timers[i].hn, d), 0);
			in_ref[i] = true;
			ref_deadline[i] = d;
		} else if (op < 9) {          /* remove (maybe absent: no-op) */
			heap_remove(&t, &timers[i].hn);
			in_ref[i] = false;
		} else if (heap_min(&t)) {    /* pop the earliest */
			struct timer *m = (struct timer *)((char *)heap_min(&t) -
							   offsetof(struct timer, hn));
			heap_remove(&t, &m->hn);
			in_ref[m->id] = false;
		}
		why = check_heap(&t);
		if (why)
			fail_msg("seed %" PRIu64 " op %d (%u on node %d, deadline %" PRIu64 "): %s",
				 seed, k, op, i, d, why);
	}
	/* Drain: deadlines come out in non-decreasing order. */
	uint64_t prev = 0;
	size_t left = t.n;
	while (heap_min(&t)) {
		struct heap_node *h = heap_min(&t);
		struct timer *m = (struct timer *)((char *)h - offsetof(struct timer, hn));
		if (h->deadline < prev)
			fail_msg("seed %" PRIu64 ": drain out of order", seed);
		if (h->deadline != ref_deadline[m->id] || !in_ref[m->id])
			fail_msg("seed %" PRIu64 ": drained a node the reference does not have", seed);
		prev = h->deadline;
		heap_remove(&t, h);
		in_ref[m->id] = false;
		left--;
		why = check_heap(&t);
		if (why)
			fail_msg("seed %" PRIu64 " drain: %s", seed, why);
	}
	assert_int_equal(left, 0);
	heap_free(&t);
	assert_null(t.v);
	assert_int_equal(t.n, 0);
}

static void test_random_against_reference(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++)
		random_run(seed * 0x9e3779b97f4a7c15ull, 5000, UINT64_MAX);
	for (uint64_t seed = 1; seed <= 20; seed++)
		random_run(seed * 0x2545f4914f6cdd1dull, 5000, 8);     /* many ties */
	random_run(12345, 200000, 1000000);
}

/* Edge cases, as a table of scripted operations. */
enum hop { H_END, H_SET, H_REMOVE, H_MIN };

struct hstep {
	enum hop op;
	int node;
	uint64_t deadline;           /* H_SET: new deadline; H_MIN: expected min deadline */
	int want_node;               /* H_MIN: expected node (-1 = empty heap) */
};

struct hrow {
	const char *why;
	struct hstep steps[12];
};

static const struct hrow hrows[] = {
	{"empty heap has no min", {{H_MIN, 0, 0, -1}}},
	{"single insert", {{H_SET, 0, 5, 0}, {H_MIN, 0, 5, 0}}},
	{"remove the only node", {{H_SET, 0, 5, 0}, {H_REMOVE, 0, 0, 0}, {H_MIN, 0, 0, -1}}},
	{"remove an absent node is a no-op", {{H_SET, 1, 5, 0}, {H_REMOVE, 0, 0, 0},
					     {H_MIN, 0, 5, 1}}},
	{"remove twice", {{H_SET, 0, 5, 0}, {H_SET, 1, 6, 0}, {H_REMOVE, 0, 0, 0},
			  {H_REMOVE, 0, 0, 0}, {H_MIN, 0, 6, 1}}},
	{"earlier insert becomes min", {{H_SET, 0, 50, 0}, {H_SET, 1, 40, 0}, {H_SET, 2, 60, 0},
					{H_MIN, 0, 40, 1}}},
	{"move the min later: next one is min", {{H_SET, 0, 10, 0}, {H_SET, 1, 20, 0},
						 {H_SET, 2, 30, 0}, {H_SET, 0, 25, 0},
						 {H_MIN, 0, 20, 1}}},
	{"move a node earlier than the min", {{H_SET, 0, 10, 0}, {H_SET, 1, 20, 0},
					      {H_SET, 2, 30, 0}, {H_SET, 2, 5, 0}, {H_MIN, 0, 5, 2}}},
	{"set to the same deadline", {{H_SET, 0, 10, 0}, {H_SET, 0, 10, 0}, {H_MIN, 0, 10, 0}}},
	{"remove the min", {{H_SET, 0, 10, 0}, {H_SET, 1, 20, 0}, {H_SET, 2, 15, 0},
			    {H_REMOVE, 0, 0, 0}, {H_MIN, 0, 15, 2}}},
	{"remove the last slot", {{H_SET, 0, 10, 0}, {H_SET, 1, 20, 0}, {H_REMOVE, 1, 0, 0},
				  {H_MIN, 0, 10, 0}}},
	{"deadline 0 and UINT64_MAX", {{H_SET, 0, UINT64_MAX, 0}, {H_SET, 1, 0, 0},
				       {H_MIN, 0, 0, 1}, {H_REMOVE, 1, 0, 0},
				       {H_MIN, 0, UINT64_MAX, 0}}},
	{"re-insert after remove", {{H_SET, 0, 10, 0}, {H_REMOVE, 0, 0, 0}, {H_SET, 0, 3, 0},
				    {H_SET, 1, 4, 0}, {H_MIN, 0, 3, 0}}},
};

static void test_edge_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t r = 0; r < sizeof(hrows) / sizeof(hrows[0]); r++) {
		struct timer_heap t = {0};
		const char *why = NULL;

		reset(&t);
		for (int k = 0; k < 12 && hrows[r].steps[k].op != H_END && !why; k++) {
			const struct hstep *s = &hrows[r].steps[k];
			switch (s->op) {
			case H_SET:
				if (heap_set(&t, &timers[s->node].hn, s->deadline))
					why = "heap_set failed";
				in_ref[s->node] = true;
				ref_deadline[s->node] = s->deadline;
				break;
			case H_REMOVE:
				heap_remove(&t, &timers[s->node].hn);
				in_ref[s->node] = false;
				break;
			case H_MIN: {
				struct heap_node *m = heap_min(&t);
				if (s->want_node < 0 ? m != NULL
						     : (m != &timers[s->want_node].hn ||
							m->deadline != s->deadline))
					why = "wrong heap_min";
				break;
			}
			default:
				break;
			}
			if (!why)
				why = check_heap(&t);
		}
		if (why) {
			print_error("row \"%s\": %s\n", hrows[r].why, why);
			failed++;
		}
		heap_free(&t);
	}
	assert_int_equal(failed, 0);
}

/* heap_node_init leaves a node absent; heap_free on an empty heap is fine. */
static void test_init_and_free(void **state)
{
	struct heap_node h;
	struct timer_heap t = {0};

	(void)state;
	memset(&h, 0x5a, sizeof(h));
	heap_node_init(&h);
	assert_int_equal(h.idx, SIZE_MAX);
	heap_remove(&t, &h);
	assert_null(heap_min(&t));
	heap_free(&t);
	heap_free(&t);
	/* Growth past the first allocation keeps every index right. */
	static struct heap_node many[1000];
	for (int i = 0; i < 1000; i++) {
		heap_node_init(&many[i]);
		assert_int_equal(heap_set(&t, &many[i], (uint64_t)(1000 - i)), 0);
	}
	assert_int_equal(t.n, 1000);
	for (int i = 0; i < 1000; i++)
		assert_ptr_equal(t.v[many[i].idx], &many[i]);
	assert_ptr_equal(heap_min(&t), &many[999]);
	heap_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_table),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_init_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
