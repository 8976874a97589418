/* The event loop and node lifecycle of rackboot-storm (see storm_engine.h). */
#include "storm/storm_engine.h"

#include <errno.h>
#include <poll.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "storm/storm_frame.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t storm_scaled_ms(const struct storm *s, double ms)
{
	return (uint64_t)(ms * s->cfg->timeout_scale * 1e6);
}

/* ------------------------------------------------------------ submission */

struct io_uring_sqe *storm_sqe(struct storm *s)
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

void storm_arm_recv(struct storm *s, int fd, uint32_t idx, uint16_t gen, unsigned op)
{
	struct io_uring_sqe *q = storm_sqe(s);
	if (op == OP_PKT_RECV) {
		/* readiness only: sdh_drain reads the frames (see there) */
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

static int grow_defer(struct storm *s)
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

void storm_close_later(struct storm *s, struct storm_node *n)
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

void storm_free_later(struct storm *s, void *p)
{
	if (!p)
		return;
	if (s->defer_mem_n == s->defer_cap && grow_defer(s) < 0) {
		return;                        /* leak rather than a use after free */
	}
	s->defer_mem[s->defer_mem_n++] = p;
}

static void run_deferred(struct storm *s)
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

void storm_timer(struct storm *s, struct storm_node *n, uint64_t at)
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

static void fire_timers(struct storm *s)
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
		switch (n->phase) {
		case PH_DHCP:
		case PH_IPXE_DHCP:
			if (n->proxy)
				spx_on_timer(s, n);
			else
				sdh_on_timer(s, n);
			break;
		case PH_TFTP: stt_on_timer(s, n); break;
		case PH_HTTP: sth_on_timer(s, n); break;
		}
	}
}

/* ------------------------------------------------------- node lifecycle */

void storm_phase_begin(struct storm *s, struct storm_node *n, int ph)
{
	n->phase = (uint8_t)ph;
	n->span[ph].start = s->now;
	n->span[ph].started = true;
	s->running[ph]++;
}

void storm_phase_end(struct storm *s, struct storm_node *n)
{
	n->span[n->phase].end = s->now;
	n->span[n->phase].ended = true;
	s->running[n->phase]--;
}

static void node_done(struct storm *s, struct storm_node *n)
{
	n->state = NS_DONE;
	n->finished = s->now;
	s->done++;
	storm_timer(s, n, 0);
}

void storm_node_next(struct storm *s, struct storm_node *n)
{
	/* an iPXE node's DHCP is PH_IPXE_DHCP: with --phases dhcp it stops
	 * there too, since next (http) is past the last phase */
	int last = s->cfg->last_phase, next = n->phase + 1;
	if (next > last || next >= PH__N) {
		node_done(s, n);
		return;
	}
	switch (next) {
	case PH_TFTP: stt_begin(s, n); break;
	case PH_IPXE_DHCP: sdh_begin(s, n, PH_IPXE_DHCP); break;
	case PH_HTTP: sth_begin(s, n); break;
	}
}

void storm_node_fail(struct storm *s, struct storm_node *n, int reason, unsigned code)
{
	if (n->state == NS_DONE || n->state == NS_FAILED)
		return;
	if (n->state == NS_ACTIVE) {
		switch (n->phase) {
		case PH_DHCP:
		case PH_IPXE_DHCP: sdh_abort(s, n); spx_abort(s, n); break;
		case PH_TFTP: stt_abort(s, n); break;
		case PH_HTTP: sth_abort(s, n); break;
		}
		if (!n->span[n->phase].ended)
			s->running[n->phase]--;
	} else {
		n->phase = n->kind == SK_IPXE ? PH_IPXE_DHCP : PH_DHCP;   /* never started */
	}
	n->state = NS_FAILED;
	n->finished = s->now;
	n->reason = (uint8_t)reason;
	n->fail_code = (uint16_t)code;
	s->failed++;
	storm_timer(s, n, 0);
}

static uint64_t start_time(const struct storm *s, unsigned i)
{
	return s->cfg->ramp_rate > 0 ? (uint64_t)((double)i / s->cfg->ramp_rate * 1e9) : 0;
}

static void start_due(struct storm *s)
{
	while (s->next_start < s->n && start_time(s, s->next_start) <= s->now) {
		struct storm_node *n = &s->nodes[s->next_start++];
		n->state = NS_ACTIVE;
		sdh_begin(s, n, n->kind == SK_IPXE ? PH_IPXE_DHCP : PH_DHCP);
	}
}

/* ------------------------------------------------------------ completions */

static void on_cqe(struct storm *s, const struct io_uring_cqe *c)
{
	uint64_t ud = io_uring_cqe_get_data64(c);
	unsigned op = UD_OP(ud);
	uint32_t idx = UD_IDX(ud);
	struct storm_bufring *br = NULL;
	uint8_t *buf = NULL;
	unsigned bid = 0;
	bool more = c->flags & IORING_CQE_F_MORE;

	if (c->flags & IORING_CQE_F_BUFFER) {
		br = op == OP_TCP_RECV ? &s->big : &s->small;
		bid = c->flags >> IORING_CQE_BUFFER_SHIFT;
		buf = br->base + (size_t)bid * br->size;
	}
	if (c->res == -ENOBUFS)
		s->st.enobufs++;

	if (idx == UD_PKT) {                   /* the packet socket is readable */
		if (c->res > 0)
			sdh_drain(s);
		if (!more && s->pkt_fd >= 0) {
			s->st.rearms++;
			storm_arm_recv(s, s->pkt_fd, UD_PKT, 0, OP_PKT_RECV);
		}
		return;
	}
	if (idx >= s->n || op == OP_CANCEL) {
		if (buf)
			storm_buf_return(br, bid);
		return;
	}
	struct storm_node *n = &s->nodes[idx];
	bool live = UD_GEN(ud) == (n->gen & 0xfffu) && n->state == NS_ACTIVE && n->fd >= 0;

	switch (op) {
	case OP_UDP_RECV:
		/* the node's UDP socket: TFTP, or port 4011 in a DHCP phase */
		if (live && (n->phase == PH_TFTP || n->proxy)) {
			if (buf && c->res > 0) {
				struct io_uring_recvmsg_out *o =
					io_uring_recvmsg_validate(buf, c->res, &s->rmsg_udp);
				if (o && !(o->flags & MSG_TRUNC) && o->namelen >= sizeof(struct sockaddr_in)) {
					struct sockaddr_in src;
					const uint8_t *p = io_uring_recvmsg_payload(o, &s->rmsg_udp);
					size_t len = io_uring_recvmsg_payload_length(o, c->res, &s->rmsg_udp);
					memcpy(&src, io_uring_recvmsg_name(o), sizeof(src));
					if (n->phase == PH_TFTP)
						stt_on_recv(s, n, &src, p, len);
					else
						spx_on_recv(s, n, &src, p, len);
				}
			} else if (c->res < 0 && c->res != -ENOBUFS) {
				s->st.last_errno = -c->res;
				storm_node_fail(s, n, R_SOCKET, (unsigned)-c->res);
			}
			/* the multishot ended (buffers ran out): arm it again, if
			 * the socket it was on is still the node's */
			if (!more && n->state == NS_ACTIVE && n->fd >= 0 &&
			    UD_GEN(ud) == (n->gen & 0xfffu)) {
				s->st.rearms++;
				storm_arm_recv(s, n->fd, n->idx, n->gen, OP_UDP_RECV);
			}
		}
		break;
	case OP_UDP_SEND:                      /* only failures complete (CQE_SKIP_SUCCESS) */
		if (c->res < 0) {
			s->st.send_errors++;
			s->st.last_errno = -c->res;
		}
		break;
	case OP_TCP_CONNECT:
	case OP_TCP_SEND:
	case OP_TCP_RECV:
		if (live && n->phase == PH_HTTP)
			sth_on_cqe(s, n, op, c->res, buf, buf && c->res > 0 ? (size_t)c->res : 0, more);
		break;
	}
	if (buf)
		storm_buf_return(br, bid);
}

/* ----------------------------------------------------------------- setup */

static int setup_bufring(struct storm *s, struct storm_bufring *r, uint16_t bgid,
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

int storm_init(struct storm *s, const struct storm_cfg *cfg, volatile sig_atomic_t *stop,
	       char *err, size_t errlen)
{
	struct io_uring_params p;
	struct rlimit rl;
	int e;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->n = cfg->nodes;
	s->stop = stop;
	s->pkt_fd = -1;
	s->nl.fd = -1;
	s->nodes = calloc(s->n, sizeof(*s->nodes));
	uint8_t *kinds = malloc(s->n);
	s->tx_msgs = calloc(1024, sizeof(*s->tx_msgs));
	s->tx_iov = calloc(1024, sizeof(*s->tx_iov));
	s->tx_frames = malloc(1024 * (size_t)SF_MAX);
	if (!s->nodes || !kinds || !s->tx_msgs || !s->tx_iov || !s->tx_frames ||
	    grow_defer(s) < 0) {
		free(kinds);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	storm_mix_assign(cfg->mix, s->n, kinds);
	for (unsigned i = 0; i < s->n; i++) {
		struct storm_node *n = &s->nodes[i];
		heap_node_init(&n->timer);
		n->idx = i;
		n->fd = -1;
		n->kind = kinds[i];
		/* iPXE nodes are BIOS or UEFI builds, about half each; the rest
		 * say what they are */
		n->arch = n->kind == SK_UEFI ? 7 : n->kind == SK_IPXE && storm_node_coin(i) ? 7 : 0;
		storm_node_mac(cfg->mac_base, i, n->mac);
	}
	free(kinds);
	s->rng = mono_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;

	/* A node holds one socket while in TFTP or HTTP, none in DHCP: ask
	 * for one per node (raising the hard limit needs CAP_SYS_RESOURCE;
	 * otherwise take the hard limit). A node that finds no descriptor
	 * fails with "socket" and errno 24 (EMFILE) in the report. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < s->n + 256u) {
		struct rlimit want = { .rlim_cur = s->n + 256u, .rlim_max = rl.rlim_max };
		if (want.rlim_max < want.rlim_cur)
			want.rlim_max = want.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			if (cfg->last_phase > PH_DHCP)
				fprintf(stderr, "rackboot-storm: open file limit %llu (< %u nodes): nodes beyond "
					"it wait for nothing and fail with 'socket'\n",
					(unsigned long long)rl.rlim_cur, s->n);
		}
	}

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

	if (sdh_open(s, err, errlen) < 0)
		return -1;
	if ((e = snl_open(&s->nl, s->ifindex)) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(-e));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ loop */

static void progress(struct storm *s)
{
	unsigned waiting = s->n - s->next_start;
	fprintf(stderr, "[%7.1fs] waiting %u | dhcp %u | tftp %u | ipxe_dhcp %u | http %u | done %u | failed %u\n",
		(double)s->now / 1e9, waiting, s->running[PH_DHCP], s->running[PH_TFTP],
		s->running[PH_IPXE_DHCP], s->running[PH_HTTP], s->done, s->failed);
}

/* End every node still running (or not started) with `reason`. */
static void stop_all(struct storm *s, int reason)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->nodes[i].state == NS_ACTIVE || s->nodes[i].state == NS_WAITING)
			storm_node_fail(s, &s->nodes[i], reason, 0);
	s->next_start = s->n;
}

void storm_run(struct storm *s)
{
	struct io_uring_cqe *cqes[256];

	s->t0_abs = mono_ns();
	s->now = 0;
	s->end_at = (uint64_t)(s->cfg->max_time * 1e9);
	s->last_progress = 0;
	for (;;) {
		s->now = mono_ns() - s->t0_abs;
		if (*s->stop || s->now >= s->end_at) {
			stop_all(s, *s->stop ? R_INTERRUPTED : R_DEADLINE);
			break;
		}
		start_due(s);
		s->now = mono_ns() - s->t0_abs;
		sdh_drain(s);                  /* replies that came meanwhile, before timers */
		fire_timers(s);
		sdh_flush_addrs(s);            /* may start TFTP or HTTP */
		sdh_flush_frames(s);
		if (s->done + s->failed == s->n)
			break;

		uint64_t wake = s->end_at;
		struct heap_node *h = heap_min(&s->timers);
		if (h && h->deadline < wake)
			wake = h->deadline;
		if (s->next_start < s->n && start_time(s, s->next_start) < wake)
			wake = start_time(s, s->next_start);
		if (s->cfg->progress && s->last_progress + 1000000000ull < wake)
			wake = s->last_progress + 1000000000ull;
		uint64_t now = mono_ns() - s->t0_abs;
		uint64_t wait = wake > now ? wake - now : 0;
		struct __kernel_timespec ts = { .tv_sec = (long long)(wait / 1000000000ull),
						.tv_nsec = (long long)(wait % 1000000000ull) };
		struct io_uring_cqe *cqe;
		int r = io_uring_submit_and_wait_timeout(&s->ring, &cqe, 1, &ts, NULL);
		s->st.submits++;
		s->batch++;
		run_deferred(s);
		if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN) {
			fprintf(stderr, "rackboot-storm: io_uring_submit_and_wait: %s\n", strerror(-r));
			stop_all(s, R_SOCKET);
			break;
		}
		s->now = mono_ns() - s->t0_abs;
		unsigned got;
		while ((got = io_uring_peek_batch_cqe(&s->ring, cqes, 256)) > 0) {
			for (unsigned i = 0; i < got; i++)
				on_cqe(s, cqes[i]);
			io_uring_cq_advance(&s->ring, got);
		}
		if (s->cfg->progress && s->now >= s->last_progress + 1000000000ull) {
			s->last_progress = s->now;
			progress(s);
		}
	}
	/* the last ACKs and cancels, then the deferred closes */
	io_uring_submit(&s->ring);
	s->st.submits++;
	run_deferred(s);
	if (s->cfg->progress)
		progress(s);
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

void storm_fini(struct storm *s)
{
	for (unsigned i = 0; s->nodes && i < s->n; i++) {
		struct storm_node *n = &s->nodes[i];
		if (n->fd >= 0)
			close(n->fd);
		n->fd = -1;
		sth_free(n);
		free(n->tftp);
		free(n->proxy);
		free(n->bootfile);
		n->tftp = NULL;
		n->proxy = NULL;
		n->bootfile = NULL;
	}
	if (s->ring.ring_fd > 0)
		io_uring_queue_exit(&s->ring);     /* cancels whatever is still in flight */
	s->ring.ring_fd = 0;
	run_deferred(s);
	free_bufring(&s->small);
	free_bufring(&s->big);
	sdh_close(s);
	if (s->nl.fd >= 0) {
		sdh_remove_addrs(s);           /* the interface as we found it */
		snl_close(&s->nl);
	}
	heap_free(&s->timers);
	free(s->added_ip);
	free(s->added_prefix);
	free(s->tx_msgs);
	free(s->tx_iov);
	free(s->tx_frames);
	free(s->defer_fd);
	free(s->defer_mem);
	free(s->nodes);
	s->added_ip = NULL;
	s->added_prefix = NULL;
	s->tx_msgs = NULL;
	s->tx_iov = NULL;
	s->tx_frames = NULL;
	s->defer_fd = NULL;
	s->defer_mem = NULL;
	s->nodes = NULL;
}
