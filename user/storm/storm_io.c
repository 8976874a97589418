/* The ring, its buffers, timers and deferred closes of rackboot-storm
 * (see storm_io.h). */
#include "storm/storm_io.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

uint64_t storm_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t storm_scaled_ms(const struct storm_io *s, double ms)
{
	return (uint64_t)(ms * s->cfg->timeout_scale * 1e6);
}

/* ------------------------------------------------------------ submission */

struct io_uring_sqe *storm_sqe(struct storm_io *s)
{
	struct io_uring_sqe *q = io_uring_get_sqe(&s->ring);
	if (!q) {
		/* the SQ is full: hand it to the kernel now (deferred closes
		 * wait for the loop's own submit, which comes after this) */
		io_uring_submit(&s->ring);
		s->st.submits++;
		s->batch++;
		q = io_uring_get_sqe(&s->ring);
		if (!q) {
			fprintf(stderr, "rackboot-storm: io_uring submission queue stuck\n");
			abort();
		}
	}
	return q;
}

void storm_arm_recv(struct storm_io *s, int fd, uint32_t idx, uint16_t gen, unsigned op)
{
	struct io_uring_sqe *q = storm_sqe(s);
	if (op == OP_PKT_RECV) {
		/* readiness only: the socket's owner reads it in batches */
		io_uring_prep_poll_multishot(q, fd, POLLIN);
		io_uring_sqe_set_data64(q, UD_MAKE(idx, gen, op));
		return;
	}
	if (op == OP_TCP_RECV) {
		io_uring_prep_recv_multishot(q, fd, NULL, 0, 0);
		q->buf_group = BG_BIG;
	} else {
		io_uring_prep_recvmsg_multishot(q, fd, &s->rmsg_udp, 0);
		q->buf_group = BG_SMALL;
	}
	q->flags |= IOSQE_BUFFER_SELECT;
	io_uring_sqe_set_data64(q, UD_MAKE(idx, gen, op));
}

void storm_buf_return(struct storm_bufring *r, unsigned bid)
{
	io_uring_buf_ring_add(r->br, r->base + (size_t)bid * r->size, r->size, (unsigned short)bid,
			      io_uring_buf_ring_mask(r->n), 0);
	io_uring_buf_ring_advance(r->br, 1);
}

static int grow_defer(struct storm_io *s)
{
	unsigned cap = s->defer_cap ? s->defer_cap * 2 : 1024;
	int *f = realloc(s->defer_fd, cap * sizeof(*f));
	if (f)
		s->defer_fd = f;
	void **m = realloc(s->defer_mem, cap * sizeof(*m));
	if (m)
		s->defer_mem = m;
	if (!f || !m)
		return -1;
	s->defer_cap = cap;
	return 0;
}

void storm_close_later(struct storm_io *s, struct storm_node *n)
{
	if (n->fd < 0)
		return;
	/* end every operation on the socket (multishot receive, a pending
	 * connect); their completions carry the old generation: ignored */
	struct io_uring_sqe *q = storm_sqe(s);
	io_uring_prep_cancel_fd(q, n->fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(q, UD_MAKE(n->idx, n->gen, OP_CANCEL));
	if (s->defer_fd_n == s->defer_cap && grow_defer(s) < 0) {
		close(n->fd);                  /* out of memory: at worst a send fails */
	} else {
		s->defer_fd[s->defer_fd_n++] = n->fd;
	}
	n->fd = -1;
	n->gen++;
}

void storm_free_later(struct storm_io *s, void *p)
{
	if (!p)
		return;
	if (s->defer_mem_n == s->defer_cap && grow_defer(s) < 0) {
		return;                        /* leak rather than a use after free */
	}
	s->defer_mem[s->defer_mem_n++] = p;
}

void storm_io_run_deferred(struct storm_io *s)
{
	for (unsigned i = 0; i < s->defer_fd_n; i++)
		close(s->defer_fd[i]);
	for (unsigned i = 0; i < s->defer_mem_n; i++)
		free(s->defer_mem[i]);
	s->defer_fd_n = s->defer_mem_n = 0;
}

/* ---------------------------------------------------------------- timers */

static struct storm_node *of_timer(struct heap_node *h)
{
	return (struct storm_node *)((char *)h - offsetof(struct storm_node, timer));
}

void storm_timer(struct storm_io *s, struct storm_node *n, uint64_t at)
{
	n->deadline = at;
	if (!at) {
		heap_remove(&s->timers, &n->timer);
		return;
	}
	/* a later deadline is only recorded: the early heap entry re-files
	 * itself when it fires (most re-arms push the deadline later) */
	if (n->timer.idx == SIZE_MAX || n->timer.deadline > at)
		if (heap_set(&s->timers, &n->timer, at) < 0) {
			fprintf(stderr, "rackboot-storm: out of memory for timers\n");
			abort();
		}
}

struct storm_node *storm_timer_due(struct storm_io *s)
{
	struct heap_node *h;
	while ((h = heap_min(&s->timers)) && h->deadline <= s->now) {
		struct storm_node *n = of_timer(h);
		if (n->deadline > s->now) {
			heap_set(&s->timers, h, n->deadline);
			continue;
		}
		heap_remove(&s->timers, h);
		if (!n->deadline || n->state != NS_ACTIVE)
			continue;
		n->deadline = 0;
		return n;
	}
	return NULL;
}

/* ----------------------------------------------------------------- setup */

int storm_io_init(struct storm_io *s, const struct storm_cfg *cfg)
{
	s->cfg = cfg;
	return grow_defer(s);
}

static int setup_bufring(struct storm_io *s, struct storm_bufring *r, uint16_t bgid,
			 unsigned want, unsigned size)
{
	unsigned n = 1;
	while (n < want)
		n <<= 1;
	r->n = n;
	r->size = size;
	r->bgid = bgid;
	r->base = mmap(NULL, (size_t)n * size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r->br = mmap(NULL, (size_t)n * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->base == MAP_FAILED || r->br == MAP_FAILED)
		return -ENOMEM;
	struct io_uring_buf_reg reg = { .ring_addr = (uint64_t)(uintptr_t)r->br,
					.ring_entries = n, .bgid = bgid };
	int e = io_uring_register_buf_ring(&s->ring, &reg, 0);
	if (e < 0)
		return e;
	io_uring_buf_ring_init(r->br);
	for (unsigned i = 0; i < n; i++)
		io_uring_buf_ring_add(r->br, r->base + (size_t)i * size, size, (unsigned short)i,
				      io_uring_buf_ring_mask(n), (int)i);
	io_uring_buf_ring_advance(r->br, (int)n);
	return 0;
}

static unsigned clampu(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int storm_io_open(struct storm_io *s, char *err, size_t errlen)
{
	struct io_uring_params p;
	int e;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL |
		  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	p.cq_entries = 65536;
	e = io_uring_queue_init_params(4096, &s->ring, &p);
	if (e < 0) {
		snprintf(err, errlen, "io_uring_queue_init: %s (need Linux >= 6.1)", strerror(-e));
		return -1;
	}
	/* datagrams: a few per node in flight (a TFTP window); streams: one
	 * buffer per connection. Running out is harmless (ENOBUFS ends a
	 * multishot receive, which is armed again). */
	if ((e = setup_bufring(s, &s->small, BG_SMALL, clampu(4 * s->n, 1024, 16384), SMALL_BUF)) < 0 ||
	    (e = setup_bufring(s, &s->big, BG_BIG, clampu(s->n, 256, 4096), BIG_BUF)) < 0) {
		snprintf(err, errlen, "provided buffers: %s (need Linux >= 5.19)", strerror(-e));
		return -1;
	}
	s->rmsg_udp.msg_namelen = sizeof(struct sockaddr_in);
	return 0;
}

static void free_bufring(struct storm_bufring *r)
{
	if (r->base && r->base != MAP_FAILED)
		munmap(r->base, (size_t)r->n * r->size);
	if (r->br && (void *)r->br != MAP_FAILED)
		munmap(r->br, (size_t)r->n * sizeof(struct io_uring_buf));
	r->base = NULL;
	r->br = NULL;
}

void storm_io_close(struct storm_io *s)
{
	if (s->ring.ring_fd > 0)
		io_uring_queue_exit(&s->ring);     /* cancels whatever is still in flight */
	s->ring.ring_fd = 0;
	storm_io_run_deferred(s);
	free_bufring(&s->small);
	free_bufring(&s->big);
	heap_free(&s->timers);
	free(s->defer_fd);
	free(s->defer_mem);
	s->defer_fd = NULL;
	s->defer_mem = NULL;
}
