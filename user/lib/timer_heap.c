/* Binary min-heap of timers; see timer_heap.h. */
#include "lib/timer_heap.h"

#include <errno.h>
#include <stdlib.h>

void heap_node_init(struct heap_node *h)
{
	h->deadline = 0;
	h->idx = SIZE_MAX;
}

static void place(struct timer_heap *t, size_t i, struct heap_node *h)
{
	t->v[i] = h;
	h->idx = i;
}

static void sift_up(struct timer_heap *t, size_t i)
{
	struct heap_node *h = t->v[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (t->v[p]->deadline <= h->deadline)
			break;
		place(t, i, t->v[p]);
		i = p;
	}
	place(t, i, h);
}

static void sift_down(struct timer_heap *t, size_t i)
{
	struct heap_node *h = t->v[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= t->n)
			break;
		if (c + 1 < t->n && t->v[c + 1]->deadline < t->v[c]->deadline)
			c++;
		if (h->deadline <= t->v[c]->deadline)
			break;
		place(t, i, t->v[c]);
		i = c;
	}
	place(t, i, h);
}

int heap_set(struct timer_heap *t, struct heap_node *h, uint64_t deadline)
{
	if (h->idx == SIZE_MAX) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct heap_node **v = realloc(t->v, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			t->v = v;
			t->cap = cap;
		}
		h->deadline = deadline;
		place(t, t->n++, h);
		sift_up(t, h->idx);
		return 0;
	}
	h->deadline = deadline;
	sift_up(t, h->idx);
	sift_down(t, h->idx);
	return 0;
}

void heap_remove(struct timer_heap *t, struct heap_node *h)
{
	size_t i = h->idx;

	if (i == SIZE_MAX)
		return;
	h->idx = SIZE_MAX;
	if (i == --t->n)
		return;
	place(t, i, t->v[t->n]);
	sift_up(t, i);
	sift_down(t, t->v[i] == NULL ? i : t->v[i]->idx);
}

void heap_free(struct timer_heap *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
