/* A binary min-heap of deadlines for the event loop's retransmission
 * timers: O(log n) insert/update/remove, O(1) earliest. Elements embed a
 * struct heap_node; the heap stores pointers to them. */
#ifndef RACKBOOT_TIMER_HEAP_H
#define RACKBOOT_TIMER_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct heap_node {
	uint64_t deadline;
	size_t idx;                  /* position in the heap; SIZE_MAX if absent */
};

struct timer_heap {
	struct heap_node **v;
	size_t n, cap;
};

void heap_node_init(struct heap_node *h);
/* Insert or move `h` to `deadline`. Returns 0 or -ENOMEM. */
int heap_set(struct timer_heap *t, struct heap_node *h, uint64_t deadline);
void heap_remove(struct timer_heap *t, struct heap_node *h);
static inline struct heap_node *heap_min(const struct timer_heap *t)
{
	return t->n ? t->v[0] : NULL;
}
void heap_free(struct timer_heap *t);

#endif
