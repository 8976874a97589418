/* The event loop and node lifecycle of rackboot-storm (see storm_engine.h). */
#include "storm/storm_engine.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "storm/storm_dhcp_node.h"
#include "storm/storm_step_http.h"
#include "storm/storm_step_proxy.h"
#include "storm/storm_step_tftp.h"

/* Which step runs a node (n->step), set here only: the dispatch of its
 * completions and timers. A phase is one step, except a DHCP phase: the
 * DORA, then port 4011 when the boot information calls for it. */
enum storm_step { STEP_NONE, STEP_DORA, STEP_PROXY, STEP_TFTP, STEP_HTTP };

static const uint8_t first_step[PH__N] = {
	[PH_DHCP] = STEP_DORA, [PH_TFTP] = STEP_TFTP,
	[PH_IPXE_DHCP] = STEP_DORA, [PH_HTTP] = STEP_HTTP,
};

static struct storm *of_io(struct storm_io *io)
{
	return (struct storm *)((char *)io - offsetof(struct storm, io));
}

/* ------------------------------------------------------- node lifecycle */

static void step_begin(struct storm *s, struct storm_node *n, int step)
{
	n->step = (uint8_t)step;
	switch (step) {
	case STEP_DORA: sdh_begin(&s->dhcp, n); break;
	case STEP_PROXY: spx_begin(&s->io, n); break;
	case STEP_TFTP: stt_begin(&s->io, n); break;
	case STEP_HTTP: sth_begin(&s->io, n); break;
	}
}

static void phase_begin(struct storm *s, struct storm_node *n, int ph)
{
	n->phase = (uint8_t)ph;
	n->span[ph].start = s->io.now;
	n->span[ph].started = true;
	s->running[ph]++;
	step_begin(s, n, first_step[ph]);
}

void storm_phase_end(struct storm_io *io, struct storm_node *n)
{
	struct storm *s = of_io(io);
	n->span[n->phase].end = io->now;
	n->span[n->phase].ended = true;
	s->running[n->phase]--;
}

static void node_done(struct storm *s, struct storm_node *n)
{
	n->state = NS_DONE;
	n->finished = s->io.now;
	s->done++;
	storm_timer(&s->io, n, 0);
}

void storm_step_done(struct storm_io *io, struct storm_node *n)
{
	struct storm *s = of_io(io);
	/* a DORA whose boot information came from a proxy offer that sends
	 * this firmware to port 4011: the phase goes on there */
	if (n->step == STEP_DORA && sdn_asks_proxy(n)) {
		step_begin(s, n, STEP_PROXY);
		return;
	}
	/* an iPXE node's DHCP is PH_IPXE_DHCP: with --phases dhcp it stops
	 * there too, since next (http) is past the last phase */
	int last = io->cfg->last_phase, next = n->phase + 1;
	if (next > last || next >= PH__N) {
		node_done(s, n);
		return;
	}
	phase_begin(s, n, next);
}

void storm_node_fail(struct storm_io *io, struct storm_node *n, int reason, unsigned code)
{
	struct storm *s = of_io(io);
	if (n->state == NS_DONE || n->state == NS_FAILED)
		return;
	if (n->state == NS_ACTIVE) {
		switch (n->step) {
		case STEP_DORA: sdh_abort(&s->dhcp, n); break;
		case STEP_PROXY: spx_abort(io, n); break;
		case STEP_TFTP: stt_abort(io, n); break;
		case STEP_HTTP: sth_abort(io, n); break;
		}
		if (!n->span[n->phase].ended)
			s->running[n->phase]--;
	} else {
		n->phase = n->kind == SK_IPXE ? PH_IPXE_DHCP : PH_DHCP;   /* never started */
	}
	n->state = NS_FAILED;
	n->finished = io->now;
	n->reason = (uint8_t)reason;
	n->fail_code = (uint16_t)code;
	s->failed++;
	storm_timer(io, n, 0);
}

static uint64_t start_time(const struct storm *s, unsigned i)
{
	return s->io.cfg->ramp_rate > 0 ? (uint64_t)((double)i / s->io.cfg->ramp_rate * 1e9) : 0;
}

static void start_due(struct storm *s)
{
	while (s->next_start < s->io.n && start_time(s, s->next_start) <= s->io.now) {
		struct storm_node *n = &s->io.nodes[s->next_start++];
		n->state = NS_ACTIVE;
		phase_begin(s, n, n->kind == SK_IPXE ? PH_IPXE_DHCP : PH_DHCP);
	}
}

/* ------------------------------------------------------------- dispatch */

static void fire_timers(struct storm *s)
{
	struct storm_node *n;
	while ((n = storm_timer_due(&s->io))) {
		switch (n->step) {
		case STEP_DORA: sdh_on_timer(&s->dhcp, n); break;
		case STEP_PROXY: spx_on_timer(&s->io, n); break;
		case STEP_TFTP: stt_on_timer(&s->io, n); break;
		case STEP_HTTP: sth_on_timer(&s->io, n); break;
		}
	}
}

static void on_cqe(struct storm *s, const struct io_uring_cqe *c)
{
	struct storm_io *io = &s->io;
	uint64_t ud = io_uring_cqe_get_data64(c);
	unsigned op = UD_OP(ud);
	uint32_t idx = UD_IDX(ud);
	struct storm_bufring *br = NULL;
	uint8_t *buf = NULL;
	unsigned bid = 0;
	bool more = c->flags & IORING_CQE_F_MORE;

	if (c->flags & IORING_CQE_F_BUFFER) {
		br = op == OP_TCP_RECV ? &io->big : &io->small;
		bid = c->flags >> IORING_CQE_BUFFER_SHIFT;
		buf = br->base + (size_t)bid * br->size;
	}
	if (c->res == -ENOBUFS)
		io->st.enobufs++;

	if (idx == UD_PKT) {                   /* the packet socket is readable */
		sdh_on_ready(&s->dhcp, c->res, more);
		return;
	}
	if (idx >= io->n || op == OP_CANCEL) {
		if (buf)
			storm_buf_return(br, bid);
		return;
	}
	struct storm_node *n = &io->nodes[idx];
	bool live = UD_GEN(ud) == (n->gen & 0xfffu) && n->state == NS_ACTIVE && n->fd >= 0;

	switch (op) {
	case OP_UDP_RECV:
		/* the node's UDP socket: TFTP, or port 4011 in a DHCP phase */
		if (live && (n->step == STEP_TFTP || n->step == STEP_PROXY)) {
			if (buf && c->res > 0) {
				struct io_uring_recvmsg_out *o =
					io_uring_recvmsg_validate(buf, c->res, &io->rmsg_udp);
				if (o && !(o->flags & MSG_TRUNC) && o->namelen >= sizeof(struct sockaddr_in)) {
					struct sockaddr_in src;
					const uint8_t *p = io_uring_recvmsg_payload(o, &io->rmsg_udp);
					size_t len = io_uring_recvmsg_payload_length(o, c->res, &io->rmsg_udp);
					memcpy(&src, io_uring_recvmsg_name(o), sizeof(src));
					if (n->step == STEP_TFTP)
						stt_on_recv(io, n, &src, p, len);
					else
						spx_on_recv(io, n, &src, p, len);
				}
			} else if (c->res < 0 && c->res != -ENOBUFS) {
				io->st.last_errno = -c->res;
				storm_node_fail(io, n, R_SOCKET, (unsigned)-c->res);
			}
			/* the multishot ended (buffers ran out): arm it again, if
			 * the socket it was on is still the node's */
			if (!more && n->state == NS_ACTIVE && n->fd >= 0 &&
			    UD_GEN(ud) == (n->gen & 0xfffu)) {
				io->st.rearms++;
				storm_arm_recv(io, n->fd, n->idx, n->gen, OP_UDP_RECV);
			}
		}
		break;
	case OP_UDP_SEND:                      /* only failures complete (CQE_SKIP_SUCCESS) */
		if (c->res < 0) {
			io->st.send_errors++;
			io->st.last_errno = -c->res;
		}
		break;
	case OP_TCP_CONNECT:
	case OP_TCP_SEND:
	case OP_TCP_RECV:
		if (live && n->step == STEP_HTTP)
			sth_on_cqe(io, n, op, c->res, buf, buf && c->res > 0 ? (size_t)c->res : 0, more);
		break;
	}
	if (buf)
		storm_buf_return(br, bid);
}

/* ----------------------------------------------------------------- setup */

int storm_init(struct storm *s, const struct storm_cfg *cfg, volatile sig_atomic_t *stop,
	       char *err, size_t errlen)
{
	struct rlimit rl;

	memset(s, 0, sizeof(*s));
	s->stop = stop;
	s->io.n = cfg->nodes;
	s->io.nodes = calloc(s->io.n, sizeof(*s->io.nodes));
	uint8_t *kinds = malloc(s->io.n);
	if (sdh_init(&s->dhcp, &s->io) < 0 || storm_io_init(&s->io, cfg) < 0 || !s->io.nodes ||
	    !kinds) {
		free(kinds);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	storm_mix_assign(cfg->mix, s->io.n, kinds);
	for (unsigned i = 0; i < s->io.n; i++) {
		struct storm_node *n = &s->io.nodes[i];
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

	/* A node holds one socket while in TFTP or HTTP, none in DHCP: ask
	 * for one per node (raising the hard limit needs CAP_SYS_RESOURCE;
	 * otherwise take the hard limit). A node that finds no descriptor
	 * fails with "socket" and errno 24 (EMFILE) in the report. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < s->io.n + 256u) {
		struct rlimit want = { .rlim_cur = s->io.n + 256u, .rlim_max = rl.rlim_max };
		if (want.rlim_max < want.rlim_cur)
			want.rlim_max = want.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			if (cfg->last_phase > PH_DHCP)
				fprintf(stderr, "rackboot-storm: open file limit %llu (< %u nodes): nodes beyond "
					"it wait for nothing and fail with 'socket'\n",
					(unsigned long long)rl.rlim_cur, s->io.n);
		}
	}

	if (storm_io_open(&s->io, err, errlen) < 0 || sdh_open(&s->dhcp, err, errlen) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ loop */

static void progress(struct storm *s)
{
	unsigned waiting = s->io.n - s->next_start;
	fprintf(stderr, "[%7.1fs] waiting %u | dhcp %u | tftp %u | ipxe_dhcp %u | http %u | done %u | failed %u\n",
		(double)s->io.now / 1e9, waiting, s->running[PH_DHCP], s->running[PH_TFTP],
		s->running[PH_IPXE_DHCP], s->running[PH_HTTP], s->done, s->failed);
}

/* End every node still running (or not started) with `reason`. */
static void stop_all(struct storm *s, int reason)
{
	for (unsigned i = 0; i < s->io.n; i++)
		if (s->io.nodes[i].state == NS_ACTIVE || s->io.nodes[i].state == NS_WAITING)
			storm_node_fail(&s->io, &s->io.nodes[i], reason, 0);
	s->next_start = s->io.n;
}

void storm_run(struct storm *s)
{
	struct storm_io *io = &s->io;
	struct io_uring_cqe *cqes[256];

	s->t0_abs = storm_mono_ns();
	io->now = 0;
	s->end_at = (uint64_t)(io->cfg->max_time * 1e9);
	s->last_progress = 0;
	for (;;) {
		io->now = storm_mono_ns() - s->t0_abs;
		if (*s->stop || io->now >= s->end_at) {
			stop_all(s, *s->stop ? R_INTERRUPTED : R_DEADLINE);
			break;
		}
		start_due(s);
		io->now = storm_mono_ns() - s->t0_abs;
		sdh_drain(&s->dhcp);           /* replies that came meanwhile, before timers */
		fire_timers(s);
		sdh_flush_addrs(&s->dhcp);     /* may start TFTP or HTTP */
		sdh_flush_frames(&s->dhcp);
		if (s->done + s->failed == io->n)
			break;

		uint64_t wake = s->end_at;
		struct heap_node *h = heap_min(&io->timers);
		if (h && h->deadline < wake)
			wake = h->deadline;
		if (s->next_start < io->n && start_time(s, s->next_start) < wake)
			wake = start_time(s, s->next_start);
		if (io->cfg->progress && s->last_progress + 1000000000ull < wake)
			wake = s->last_progress + 1000000000ull;
		uint64_t now = storm_mono_ns() - s->t0_abs;
		uint64_t wait = wake > now ? wake - now : 0;
		struct __kernel_timespec ts = { .tv_sec = (long long)(wait / 1000000000ull),
						.tv_nsec = (long long)(wait % 1000000000ull) };
		struct io_uring_cqe *cqe;
		int r = io_uring_submit_and_wait_timeout(&io->ring, &cqe, 1, &ts, NULL);
		io->st.submits++;
		io->batch++;
		storm_io_run_deferred(io);
		if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN) {
			fprintf(stderr, "rackboot-storm: io_uring_submit_and_wait: %s\n", strerror(-r));
			stop_all(s, R_SOCKET);
			break;
		}
		io->now = storm_mono_ns() - s->t0_abs;
		unsigned got;
		while ((got = io_uring_peek_batch_cqe(&io->ring, cqes, 256)) > 0) {
			for (unsigned i = 0; i < got; i++)
				on_cqe(s, cqes[i]);
			io_uring_cq_advance(&io->ring, got);
		}
		if (io->cfg->progress && io->now >= s->last_progress + 1000000000ull) {
			s->last_progress = io->now;
			progress(s);
		}
	}
	/* the last ACKs and cancels, then the deferred closes */
	io_uring_submit(&io->ring);
	io->st.submits++;
	storm_io_run_deferred(io);
	if (io->cfg->progress)
		progress(s);
}

void storm_fini(struct storm *s)
{
	for (unsigned i = 0; s->io.nodes && i < s->io.n; i++) {
		struct storm_node *n = &s->io.nodes[i];
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
	storm_io_close(&s->io);            /* in-flight operations cancelled, fds closed */
	sdh_close(&s->dhcp);               /* the interface as we found it */
	free(s->io.nodes);
	s->io.nodes = NULL;
}
