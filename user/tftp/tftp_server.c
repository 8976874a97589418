/* The io_uring TFTP server loop.
 *
 * One ring serves the listening sockets and every transfer:
 * - each listening socket has one multishot recvmsg (with IP_PKTINFO, so a
 *   transfer answers from the address the request was sent to);
 * - each transfer has its own connected UDP socket (its TID, RFC 1350)
 *   with one multishot recv; all receives draw from a provided-buffer ring
 *   and give the buffer back as soon as the packet is handled;
 * - a window of DATA is sendmsg with UDP_SEGMENT straight from a read-only
 *   mapping of the file shared by all its transfers (file_cache.c), so a
 *   window leaves in one send and no client has a copy of the file;
 * - retransmission timers sit in a min-heap; the loop sleeps in
 *   io_uring_submit_and_wait_timeout until the earliest deadline.
 * The protocol decisions live in tftp_xfer.c; this file does I/O only. */
#include "tftp/tftp_server.h"

#include "lib/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fastpath/tftp_kernel.h"
#include "lib/file_cache.h"
#include "lib/log.h"
#include "proto/netascii.h"
#include "tftp/remap.h"
#include "lib/timer_heap.h"
#include "proto/tftp_proto.h"
#include "tftp/tftp_xfer.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define MAX_LISTEN        16
#define SMALL_BUFS        4096      /* ACKs, requests: power of two */
#define SMALL_BUF_SIZE    2048
#define LARGE_BUFS        256       /* DATA of uploads with big blocks */
#define LARGE_BUF_SIZE    (TFTP_MAX_PACKET + 64)
#define BGID_SMALL        0
#define BGID_LARGE        1
#define GSO_MAX_SEGS      64
#define GSO_MAX_BYTES     65000
#define NA_SNAPS          (2 * TFTP_MAX_WINDOW + 2)
#define DALLY_US          2000000   /* keep a finished upload to re-ACK */
#define BATCH_BUSY        32        /* completions per pass that mean "busy" */
#define BATCH_WANT        16        /* then wait for this many ... */
#define BATCH_MAX_WAIT_US 200       /* ... but no longer than this */

enum op {
	OP_LISTEN = 1, OP_RECV, OP_SEND, OP_CANCEL, OP_WAKE,
};

struct bufgroup {
	struct io_uring_buf_ring *br;
	uint8_t *mem;
	unsigned count, size;
	int bgid;
};

struct session {
	uint32_t idx, gen;
	int fd;
	int refs;                    /* io_uring ops in flight on this session */
	bool closing, recv_armed, is_write, netascii;
	bool io_busy;                /* headers/iovecs owned by SEND ops */
	bool send_wanted;            /* a window is due once io_busy clears */
	bool use_gso;
	unsigned sends;              /* sendmsg ops of the current window */
	int bgid;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	char peer_str[INET6_ADDRSTRLEN];
	char *filename;
	char errmsg[512];            /* a remap rule's refusal message */
	struct tftp_params params;
	struct heap_node timer;      /* filed at or before `deadline` */
	uint64_t deadline;           /* when the session's timer really fires */
	uint64_t started_us;

	/* reading */
	struct tftp_sender snd;
	struct mapped_file *map;     /* octet: DATA is sent from here */
	int file_fd;                 /* netascii: converted into buf */
	uint64_t file_size;
	uint64_t win_from;           /* first block in the buffer being sent */
	unsigned win_count;
	struct { uint64_t raw_off; int pending; } snap[NA_SNAPS];

	/* writing */
	struct tftp_receiver rcv;
	struct tftp_upload up;
	struct netascii_dec dec;
	uint64_t write_off;

	uint8_t *buf;                /* netascii window: blocks back to back */
	unsigned blk_len[TFTP_MAX_WINDOW];
	uint8_t hdr[TFTP_MAX_WINDOW][TFTP_HDR_LEN];
	struct iovec iov[2 * TFTP_MAX_WINDOW];
	struct msghdr msg[TFTP_MAX_WINDOW];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cmsg[TFTP_MAX_WINDOW];
	uint8_t *oack;
	size_t oack_len;
	uint8_t ctl[TFTP_HDR_LEN];   /* ACKs we send */
	struct iovec ctl_iov;
	struct msghdr ctl_msg;

	/* the fast path: while in_kernel, the kernel answers this transfer's
	 * ACKs from `hot` and the timer only watches it (kernel_sweep) */
	struct fp_hot *hot;
	bool in_kernel, kernel_done;
	struct rb_tftp_key kkey;
	uint64_t k_acked;            /* kernel's `acked` at the last sweep */
	bool k_acked_any;
};

struct listener {
	int fd;
	int family;
	struct sockaddr_storage bound;   /* its address, read once at setup */
	struct msghdr msg;           /* template for multishot recvmsg */
};

struct tftp_server {
	struct io_uring ring;
	int wake_fd;                 /* eventfd: another thread wants attention */
	uint64_t wake_buf;
	atomic_bool stop;
	_Atomic(struct remap_rules *) offered;   /* new rules from another thread */
	struct tftp_server_opts o;
	struct remap_rules *rules;
	struct bufgroup small, large;
	struct listener lis[MAX_LISTEN];
	int nlis;
	struct session **sess;       /* slab indexed by session idx */
	uint32_t nsess, cap;
	uint32_t *free_idx;
	uint32_t nfree;
	uint32_t gen;
	struct timer_heap timers;
	struct file_cache files;
	unsigned last_batch;         /* completions handled in the last pass */
	uint64_t now;
	uint64_t last_activity;
	struct tftp_server_stats st;
};

/* ---- helpers ------------------------------------------------------- */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t ud_make(enum op op, uint32_t gen, uint32_t idx)
{
	return (uint64_t)op << 56 | (uint64_t)(gen & 0xffffff) << 32 | idx;
}
static enum op ud_op(uint64_t ud) { return (enum op)(ud >> 56); }
static uint32_t ud_gen(uint64_t ud) { return (uint32_t)(ud >> 32) & 0xffffff; }
static uint32_t ud_idx(uint64_t ud) { return (uint32_t)ud; }

static struct io_uring_sqe *get_sqe(struct tftp_server *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

	if (!sqe) {
		io_uring_submit(&s->ring);       /* SQ full: flush and retry */
		sqe = io_uring_get_sqe(&s->ring);
	}
	return sqe;
}

static void addr_to_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (!inet_ntop(ss->ss_family, a, out, (socklen_t)len))
		snprintf(out, len, "???");
}

/* ---- provided buffers ---------------------------------------------- */

static int bufgroup_init(struct tftp_server *s, struct bufgroup *g, int bgid,
			 unsigned count, unsigned size)
{
	struct io_uring_buf_reg reg = { 0 };
	size_t ring_bytes = count * sizeof(struct io_uring_buf);

	g->bgid = bgid;
	g->count = count;
	g->size = size;
	if (posix_memalign((void **)&g->br, 4096, ring_bytes))
		return -ENOMEM;
	g->mem = malloc((size_t)count * size);
	if (!g->mem)
		return -ENOMEM;
	reg.ring_addr = (unsigned long)g->br;
	reg.ring_entries = count;
	reg.bgid = (uint16_t)bgid;
	int ret = io_uring_register_buf_ring(&s->ring, &reg, 0);
	if (ret)
		return ret;
	io_uring_buf_ring_init(g->br);
	for (unsigned i = 0; i < count; i++)
		io_uring_buf_ring_add(g->br, g->mem + (size_t)i * size, size, (unsigned short)i,
				      io_uring_buf_ring_mask(count), (int)i);
	io_uring_buf_ring_advance(g->br, (int)count);
	return 0;
}

static void bufgroup_recycle(struct bufgroup *g, unsigned bid)
{
	io_uring_buf_ring_add(g->br, g->mem + (size_t)bid * g->size, g->size, (unsigned short)bid,
			      io_uring_buf_ring_mask(g->count), 0);
	io_uring_buf_ring_advance(g->br, 1);
}

static struct bufgroup *bufgroup_of(struct tftp_server *s, int bgid)
{
	return bgid == BGID_LARGE ? &s->large : &s->small;
}

/* ---- sessions ------------------------------------------------------ */

static struct session *session_alloc(struct tftp_server *s)
{
	struct session *x;
	uint32_t idx;

	if (!s->nfree) {
		uint32_t cap = s->cap ? s->cap * 2 : 1024;
		struct session **v = realloc(s->sess, cap * sizeof(*v));
		uint32_t *f = realloc(s->free_idx, cap * sizeof(*f));
		if (!v || !f) {
			if (v)
				s->sess = v;
			if (f)
				s->free_idx = f;
			return NULL;
		}
		s->sess = v;
		s->free_idx = f;
		for (uint32_t i = cap; i-- > s->cap;) {
			s->sess[i] = NULL;
			s->free_idx[s->nfree++] = i;
		}
		s->cap = cap;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	idx = s->free_idx[--s->nfree];
	x->idx = idx;
	x->gen = ++s->gen & 0xffffff;
	x->fd = x->file_fd = -1;
	x->up.fd = x->up.dirfd = -1;
	heap_node_init(&x->timer);
	s->sess[idx] = x;
	s->nsess++;
	return x;
}

static void kernel_release(struct tftp_server *s, struct session *x);

static void session_free(struct tftp_server *s, struct session *x)
{
	kernel_release(s, x);
	heap_remove(&s->timers, &x->timer);
	if (x->fd >= 0)
		close(x->fd);
	if (x->file_fd >= 0)
		close(x->file_fd);
	if (x->map)
		file_cache_put(&s->files, x->map);
	if (x->up.fd >= 0 || x->up.tmp)
		tftp_upload_abort(&x->up);
	s->sess[x->idx] = NULL;
	s->free_idx[s->nfree++] = x->idx;
	s->nsess--;
	s->last_activity = s->now;
	free(x->buf);
	free(x->oack);
	free(x->filename);
	free(x);
}

/* Stop the session: cancel its receive and free it once no op is left. */
static void session_close(struct tftp_server *s, struct session *x, bool ok)
{
	if (x->closing)
		return;
	x->closing = true;
	if (ok)
		s->st.completed++;
	else
		s->st.failed++;
	if (ok && s->o.durations)
		hist_observe(s->o.durations, now_us() - x->started_us);
	if (s->o.on_done && x->filename)
		s->o.on_done(s->o.on_done_arg, &x->peer, x->filename,
			     ok ? (x->is_write ? x->write_off : x->file_size) : 0,
			     now_us() - x->started_us, ok, x->kernel_done);
	heap_remove(&s->timers, &x->timer);
	if (x->recv_armed) {
		struct io_uring_sqe *sqe = get_sqe(s);
		if (sqe) {
			io_uring_prep_cancel64(sqe, ud_make(OP_RECV, x->gen, x->idx), 0);
			io_uring_sqe_set_data64(sqe, ud_make(OP_CANCEL, x->gen, x->idx));
			io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
		}
	}
	if (x->refs == 0)
		session_free(s, x);
}

static void session_put(struct tftp_server *s, struct session *x)
{
	if (--x->refs == 0 && x->closing)
		session_free(s, x);
}

/* Timers move later on nearly every packet. Only an earlier deadline
 * touches the heap; a later one is recorded and the heap entry, now early,
 * re-files itself when it fires (run_timers). O(1) per packet. */
static void set_timer(struct tftp_server *s, struct session *x, uint64_t deadline)
{
	if (x->closing)
		return;
	x->deadline = deadline;
	if (x->timer.idx != SIZE_MAX && x->timer.deadline <= deadline)
		return;
	if (heap_set(&s->timers, &x->timer, deadline))
		log_msg(LOG_ERR, "out of memory for timers");
}

/* Send a short control packet (ACK, ERROR, OACK) synchronously: these are
 * rare next to DATA, and the socket is connected, so one syscall. */
static void send_ctl(struct session *x, const void *buf, size_t len)
{
	if (send(x->fd, buf, len, MSG_DONTWAIT) < 0 && errno != ECONNREFUSED)
		log_msg(LOG_WARNING, "tftpd: send to %s: %s", x->peer_str, strerror(errno));
}

static void send_error(struct tftp_server *s, struct session *x, uint16_t code, const char *msg)
{
	uint8_t pkt[600];
	size_t n = tftp_build_error(pkt, sizeof(pkt), code, msg);

	if (s->o.verbosity >= 2)
		log_msg(LOG_INFO, "sending NAK (%u, %s) to %s", code, (const char *)pkt + 4, x->peer_str);
	send_ctl(x, pkt, n);
}

static void send_ack(struct session *x, uint64_t block)
{
	uint8_t pkt[TFTP_HDR_LEN];

	send_ctl(x, pkt, tftp_build_ack(pkt, sizeof(pkt), tftp_wire_block(block, x->params.rollover)));
}

static void arm_recv(struct tftp_server *s, struct session *x)
{
	struct io_uring_sqe *sqe = get_sqe(s);

	if (!sqe) {
		session_close(s, x, false);
		return;
	}
	io_uring_prep_recv_multishot(sqe, x->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)x->bgid;
	io_uring_sqe_set_data64(sqe, ud_make(OP_RECV, x->gen, x->idx));
	x->recv_armed = true;
	x->refs++;
}

/* ---- sending DATA -------------------------------------------------- */

/* Length of block b of an octet file. */
static unsigned octet_block_len(const struct session *x, uint64_t b)
{
	uint64_t off = (b - 1) * x->params.blksize;

	if (off >= x->file_size)
		return 0;
	return x->file_size - off < x->params.blksize ? (unsigned)(x->file_size - off) : x->params.blksize;
}

/* Queue sendmsg ops for blocks [win_from, win_from + win_count) whose data
 * lies back to back from `data` with lengths blk_len[]. Consecutive full
 * blocks share one sendmsg via UDP GSO. */
static void submit_window_sends(struct tftp_server *s, struct session *x, const uint8_t *data)
{
	unsigned bs = x->params.blksize, seg = bs + TFTP_HDR_LEN;
	unsigned per_msg = x->use_gso ? GSO_MAX_BYTES / seg : 1;
	unsigned i = 0, m = 0;

	if (per_msg > GSO_MAX_SEGS)
		per_msg = GSO_MAX_SEGS;
	if (per_msg < 1)
		per_msg = 1;
	while (i < x->win_count) {
		struct msghdr *msg = &x->msg[m];
		unsigned n = 0;
		struct io_uring_sqe *sqe;

		memset(msg, 0, sizeof(*msg));
		msg->msg_iov = &x->iov[2 * i];
		while (i < x->win_count && n < per_msg) {
			uint64_t b = x->win_from + i;
			tftp_put_data_header(x->hdr[i], tftp_wire_block(b, x->params.rollover));
			x->iov[2 * i] = (struct iovec){ x->hdr[i], TFTP_HDR_LEN };
			x->iov[2 * i + 1] = (struct iovec){ (void *)data, x->blk_len[i] };
			data += x->blk_len[i];
			n++;
			i++;
			if (x->blk_len[i - 1] < bs)
				break;      /* a short block can only end a GSO batch */
		}
		msg->msg_iovlen = 2 * n;
		if (n > 1) {
			struct cmsghdr *c = (struct cmsghdr *)x->cmsg[m].buf;
			msg->msg_control = x->cmsg[m].buf;
			msg->msg_controllen = sizeof(x->cmsg[m].buf);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			*(uint16_t *)CMSG_DATA(c) = (uint16_t)seg;
		}
		sqe = get_sqe(s);
		if (!sqe)
			break;      /* the retransmit timer resends what is missing */
		io_uring_prep_sendmsg(sqe, x->fd, msg, 0);
		io_uring_sqe_set_data64(sqe, ud_make(OP_SEND, x->gen, x->idx));
		x->refs++;
		x->sends++;
		m++;
	}
	sender_sent(&x->snd, x->win_from + x->win_count - 1, s->now);
	set_timer(s, x, x->snd.t.deadline_us);
	if (m == 0)
		x->io_busy = false;
}

/* Netascii: regenerate blocks from per-block encoder snapshots, so a
 * retransmitted block is byte-identical to the first copy. */
static int netascii_fill(struct session *x, uint64_t from, unsigned count)
{
	unsigned bs = x->params.blksize;
	uint8_t *out = x->buf;
	uint8_t *raw = x->buf + (size_t)bs * x->params.windowsize;   /* scratch */

	x->win_count = 0;
	for (unsigned i = 0; i < count; i++) {
		uint64_t b = from + i;
		struct netascii_enc enc = { .pending = x->snap[b % NA_SNAPS].pending };
		uint64_t off = x->snap[b % NA_SNAPS].raw_off;
		size_t len = 0;

		if (x->snd.last && b > x->snd.last)
			break;
		while (len < bs) {
			ssize_t n = pread(x->file_fd, raw, bs, (off_t)off);
			size_t used;
			if (n < 0)
				return -errno;
			len += netascii_encode(&enc, raw, (size_t)n, &used, out + len, bs - len);
			off += used;
			if (n == 0 && enc.pending < 0)
				break;
		}
		x->snap[(b + 1) % NA_SNAPS].raw_off = off;
		x->snap[(b + 1) % NA_SNAPS].pending = enc.pending;
		x->blk_len[i] = (unsigned)len;
		x->win_count++;
		out += len;
		if (len < bs) {
			sender_set_last(&x->snd, b);
			break;
		}
	}
	return 0;
}

/* Start sending the window that begins after the last ACK. */
static void start_window(struct tftp_server *s, struct session *x, uint64_t from, unsigned count)
{
	if (x->io_busy) {
		x->send_wanted = true;
		return;
	}
	x->send_wanted = false;
	x->io_busy = true;
	x->win_from = from;
	if (x->netascii) {
		int err = netascii_fill(x, from, count);
		if (err) {
			send_error(s, x, TFTP_EUNDEF, strerror(-err));
			x->io_busy = false;
			session_close(s, x, false);
			return;
		}
		submit_window_sends(s, x, x->buf);
		return;
	}
	/* Octet: straight from the shared mapping of the file. */
	x->win_count = count;
	for (unsigned i = 0; i < count; i++)
		x->blk_len[i] = octet_block_len(x, from + i);
	submit_window_sends(s, x, x->map->data ? x->map->data + (from - 1) * x->params.blksize : NULL);
}

/* The state machine said the transfer is over (XA_DONE or XA_FAIL). */
static void finish_transfer(struct tftp_server *s, struct session *x, enum xfer_action a)
{
	const char *dir = x->is_write ? "receiving" : "sending";

	if (a == XA_FAIL && s->o.verbosity >= 1)
		log_msg(LOG_WARNING, "tftpd: %s: timeout %s %s", x->peer_str, dir, x->filename);
	else if (a == XA_DONE && s->o.verbosity >= 3)
		log_msg(LOG_INFO, "done %s %s, %s", dir, x->filename, x->peer_str);
	session_close(s, x, a == XA_DONE);
}

static void apply_step_sender(struct tftp_server *s, struct session *x, struct xfer_step st)
{
	switch (st.action) {
	case XA_OACK:
		send_ctl(x, x->oack, x->oack_len);
		sender_sent(&x->snd, 0, s->now);
		set_timer(s, x, x->snd.t.deadline_us);
		break;
	case XA_SEND:
		if (st.count)
			start_window(s, x, st.from, st.count);
		break;
	case XA_DONE:
	case XA_FAIL:
		finish_transfer(s, x, st.action);
		break;
	default:
		break;
	}
}

/* ---- receiving DATA (uploads) -------------------------------------- */

static int write_block(struct session *x, const uint8_t *data, size_t len, uint64_t block)
{
	if (x->netascii) {
		uint8_t tmp[TFTP_MAX_BLKSIZE + 1];
		size_t n = netascii_decode(&x->dec, data, len, tmp);
		if (pwrite(x->up.fd, tmp, n, (off_t)x->write_off) != (ssize_t)n)
			return -errno;
		x->write_off += n;
		return 0;
	}
	if (pwrite(x->up.fd, data, len, (off_t)((block - 1) * x->params.blksize)) != (ssize_t)len)
		return errno ? -errno : -ENOSPC;
	return 0;
}

static int finish_upload(struct session *x)
{
	uint8_t cr;

	if (x->netascii && netascii_decode_finish(&x->dec, &cr)) {
		if (pwrite(x->up.fd, &cr, 1, (off_t)x->write_off) != 1)
			return -errno;
	}
	return tftp_upload_commit(&x->up);
}

/* A WRQ is answered with the OACK, or ACK 0 without options (again on
 * timeout, until the first DATA arrives). */
static void send_upload_go_ahead(struct tftp_server *s, struct session *x)
{
	if (x->oack_len)
		send_ctl(x, x->oack, x->oack_len);
	else
		send_ack(x, 0);
	receiver_sent(&x->rcv, s->now);
	set_timer(s, x, x->rcv.t.deadline_us);
}

static void handle_upload_packet(struct tftp_server *s, struct session *x,
				 const struct tftp_packet *p)
{
	struct xfer_step st;

	/* Checked before the state machine sees the block, which would
	 * otherwise count it as received. */
	if (p->data_len > x->params.blksize) {
		send_error(s, x, TFTP_EBADOP, "Block too large");
		session_close(s, x, false);
		return;
	}
	st = receiver_on_data(&x->rcv, p->block, (unsigned)p->data_len, s->now);
	if (st.action == XA_WRITE_ACK) {
		struct tftp_err e;
		int err = write_block(x, p->data, p->data_len, st.from);
		if (!err && st.final)
			err = finish_upload(x);
		if (err) {
			tftp_err_from_errno(&e, -err);
			send_error(s, x, e.code, e.msg);
			session_close(s, x, false);
			return;
		}
		if (st.ack) {
			send_ack(x, st.from);
			receiver_sent(&x->rcv, s->now);
		}
		/* Stay a while after the last ACK, to answer a retransmission. */
		set_timer(s, x, st.final ? s->now + DALLY_US : x->rcv.t.deadline_us);
	} else if (st.action == XA_SEND) {
		send_ack(x, st.from);
		receiver_sent(&x->rcv, s->now);
	}
}

/* ---- the fast path ------------------------------------------------- */

/* A transfer the kernel can serve exactly as this loop would: an octet
 * download over IPv4 of a hot file, with options the programs model. */
static bool kernel_eligible(const struct tftp_server *s, const struct session *x)
{
	return s->o.kernel && !x->is_write && !x->netascii && !x->closing && x->map &&
	       x->peer.ss_family == AF_INET && x->params.blksize <= RB_TFTP_MAX_BLKSIZE &&
	       x->params.windowsize <= RB_TFTP_MAX_WINDOW;
}

/* From the OACK (or the first window) on, the kernel answers every ACK,
 * and this loop's timer only watches (kernel_sweep). */
static void kernel_handover(struct tftp_server *s, struct session *x)
{
	struct sockaddr_in local;
	socklen_t len = sizeof(local);
	struct stat st = { 0 };

	if (!kernel_eligible(s, x) || getsockname(x->fd, (struct sockaddr *)&local, &len) ||
	    local.sin_family != AF_INET)
		return;
	st.st_dev = x->map->dev;
	st.st_ino = x->map->ino;
	st.st_size = x->map->size;
	st.st_mtim = x->map->mtime;
	x->hot = fp_tftp_hot_get(s->o.kernel, x->filename, x->map->data, x->file_size, &st);
	if (!x->hot)
		return;
	const struct sockaddr_in *peer = (const struct sockaddr_in *)&x->peer;
	x->kkey = (struct rb_tftp_key){
		.client_ip_be = peer->sin_addr.s_addr, .server_ip_be = local.sin_addr.s_addr,
		.client_port_be = peer->sin_port, .server_port_be = local.sin_port,
	};
	struct fp_tftp_handover a = {
		.key = x->kkey, .blksize = x->params.blksize, .windowsize = x->params.windowsize,
		.rollover = x->params.rollover, .acked = x->snd.acked, .sent = x->snd.sent_hi,
		.dup_gap_us = sender_dup_gap_us(&x->snd),
	};
	if (fp_tftp_handover(s->o.kernel, x->hot, &a)) {
		fp_tftp_hot_put(s->o.kernel, x->hot);
		x->hot = NULL;
		return;
	}
	x->in_kernel = true;
	x->k_acked = x->snd.acked;
	x->k_acked_any = false;
	s->st.kernel_handed++;
	if (s->o.verbosity >= 3)
		log_msg(LOG_INFO, "%s to %s: handed to the kernel", x->filename, x->peer_str);
}

enum kernel_end { KT_RESUMED, KT_FINISHED, KT_FAILED };

/* Take the transfer back from the kernel and carry on from where it got
 * (KT_RESUMED), or learn that it had finished or the client gave up. */
static enum kernel_end kernel_take_back(struct tftp_server *s, struct session *x)
{
	struct fp_tftp_status st;
	bool have = fp_tftp_take_back(s->o.kernel, &x->kkey, &st) == 0;

	x->in_kernel = false;
	fp_tftp_hot_put(s->o.kernel, x->hot);
	x->hot = NULL;
	if (have && st.state == RB_TFTP_FINISHED) {
		x->kernel_done = true;
		s->st.kernel_completed++;
		return KT_FINISHED;
	}
	if (have && st.state == RB_TFTP_FAILED)
		return KT_FAILED;
	if (have)
		sender_resume(&x->snd, st.acked, st.sent, st.acked_any, s->now);
	s->st.kernel_taken_back++;
	if (s->o.verbosity >= 2)
		log_msg(LOG_INFO, "%s to %s: taken back from the kernel at block %llu", x->filename,
			x->peer_str, (unsigned long long)x->snd.acked);
	return KT_RESUMED;
}

/* The kernel session's watch, every timeout: finished, failed, moving on,
 * or stalled (then this loop retransmits, with its own retry count). */
static void kernel_sweep(struct tftp_server *s, struct session *x)
{
	struct fp_tftp_status st;

	if (fp_tftp_status(s->o.kernel, &x->kkey, &st) == 0 && st.state == RB_TFTP_ACTIVE &&
	    (st.acked > x->k_acked || st.acked_any != x->k_acked_any)) {
		x->k_acked = st.acked;
		x->k_acked_any = st.acked_any;
		set_timer(s, x, s->now + x->params.timeout_us);
		return;
	}
	switch (kernel_take_back(s, x)) {
	case KT_FINISHED:
		finish_transfer(s, x, XA_DONE);
		break;
	case KT_FAILED:              /* the client's ERROR ended it */
		session_close(s, x, false);
		break;
	case KT_RESUMED:
		apply_step_sender(s, x, sender_on_timeout(&x->snd, s->now));
		break;
	}
}

static void kernel_release(struct tftp_server *s, struct session *x)
{
	if (x->in_kernel)
		fp_tftp_abandon(s->o.kernel, &x->kkey);
	x->in_kernel = false;
	if (x->hot)
		fp_tftp_hot_put(s->o.kernel, x->hot);
	x->hot = NULL;
}

/* ---- packets on a transfer socket ---------------------------------- */

static void handle_session_packet(struct tftp_server *s, struct session *x,
				  const uint8_t *buf, size_t len)
{
	struct tftp_packet p;
	const char *why;

	if (tftp_parse_packet(buf, len, &p, &why) < 0) {
		s->st.bad_packets++;
		return;
	}
	/* The kernel passed up an ACK or ERROR of its session: from now on
	 * this loop serves the transfer. */
	if (x->in_kernel && (p.opcode == TFTP_ACK || p.opcode == TFTP_ERROR) &&
	    kernel_take_back(s, x) == KT_FINISHED) {
		finish_transfer(s, x, XA_DONE);
		return;
	}
	if (p.opcode == TFTP_ERROR) {
		/* EDK2 probes tsize and aborts with error 8: a normal event. */
		if (x->oack_len && (x->is_write ? x->rcv.received == 0 : x->snd.oack_pending))
			log_msg(LOG_WARNING, "tftp: client does not accept options");
		else if (s->o.verbosity >= 2)
			log_msg(LOG_INFO, "client %s aborted %s: error %u %s", x->peer_str,
				x->filename, p.errcode, p.errmsg);
		session_close(s, x, p.errcode == TFTP_EOPTNEG);
		return;
	}
	if (!x->is_write && p.opcode == TFTP_ACK) {
		apply_step_sender(s, x, sender_on_ack(&x->snd, p.block, s->now));
		return;
	}
	if (x->is_write && p.opcode == TFTP_DATA) {
		handle_upload_packet(s, x, &p);
		return;
	}
	s->st.bad_packets++;
}

static void on_session_timeout(struct tftp_server *s, struct session *x)
{
	struct xfer_step st;

	if (x->in_kernel) {
		kernel_sweep(s, x);
		return;
	}
	if (!x->is_write) {
		apply_step_sender(s, x, sender_on_timeout(&x->snd, s->now));
		return;
	}
	st = receiver_on_timeout(&x->rcv, s->now);
	switch (st.action) {
	case XA_DONE:
	case XA_FAIL:
		finish_transfer(s, x, st.action);
		break;
	case XA_OACK:
		send_upload_go_ahead(s, x);
		break;
	case XA_SEND:
		send_ack(x, st.from);
		receiver_sent(&x->rcv, s->now);
		set_timer(s, x, x->rcv.t.deadline_us);
		break;
	default:
		break;
	}
}

/* ---- new requests -------------------------------------------------- */

static int bind_transfer_port(struct tftp_server *s, int fd, struct sockaddr_storage *local,
			      socklen_t len)
{
	if (!s->o.port_range)
		return bind(fd, (struct sockaddr *)local, len);
	unsigned span = s->o.port_hi - s->o.port_lo + 1;
	unsigned start = (unsigned)rand() % span;
	for (unsigned i = 0; i < span; i++) {
		uint16_t port = htons((uint16_t)(s->o.port_lo + (start + i) % span));
		if (local->ss_family == AF_INET6)
			((struct sockaddr_in6 *)local)->sin6_port = port;
		else
			((struct sockaddr_in *)local)->sin_port = port;
		if (bind(fd, (struct sockaddr *)local, len) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	errno = EADDRINUSE;
	return -1;
}

/* The transfer's own socket: bound to the address the request reached,
 * connected to the client. */
static int open_transfer_socket(struct tftp_server *s, struct session *x,
				const struct sockaddr_storage *local_in)
{
	struct sockaddr_storage local = *local_in;
	socklen_t len = local.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						     : sizeof(struct sockaddr_in);
	int fd = socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (local.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&local)->sin6_port = 0;
	else
		((struct sockaddr_in *)&local)->sin_port = 0;
	if (bind_transfer_port(s, fd, &local, len) < 0 ||
	    connect(fd, (struct sockaddr *)&x->peer, x->peerlen) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	x->fd = fd;
	return 0;
}

/* UDP GSO needs each segment to fit the path MTU unfragmented. */
static bool gso_fits(int fd, int family, unsigned blksize)
{
	int mtu = 0;
	socklen_t l = sizeof(mtu);
	unsigned overhead = family == AF_INET6 ? 48 : 28;

	if (family == AF_INET6) {
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &l) < 0)
			return false;
	} else if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &l) < 0) {
		return false;
	}
	return blksize + TFTP_HDR_LEN + overhead <= (unsigned)mtu;
}

struct valid_arg {
	const struct tftp_roots *roots;
	bool permissive;
};

/* Remap's E flag: could this name be transferred? */
static int remap_name_valid(const char *name, void *arg)
{
	struct valid_arg *v = arg;
	struct tftp_err e;
	struct stat st;
	int fd = tftp_open_read(v->roots, name, v->permissive, &st, &e);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int negotiate(struct tftp_server *s, const struct tftp_request *req, bool tsize_known,
		     uint64_t size, struct tftp_params *p, uint8_t oack[TFTP_MAX_PACKET],
		     size_t *oack_len, struct tftp_err *e)
{
	int rc = tftp_negotiate(req, &s->o.limits, tsize_known, size, p, oack, TFTP_MAX_PACKET,
				oack_len);

	if (rc == 0)
		return 0;
	*e = (struct tftp_err){ .code = TFTP_EOPTNEG,
				.msg = rc == -EPROTO ? "Unsupported option(s) requested"
						     : "Insufficient space for options" };
	return -1;
}

static int setup_reader(struct tftp_server *s, struct session *x, const struct tftp_request *req,
			struct tftp_err *e)
{
	struct stat st;
	uint8_t oack[TFTP_MAX_PACKET];
	size_t oack_len;

	x->file_fd = tftp_open_read(s->o.roots, x->filename, s->o.permissive, &st, e);
	if (x->file_fd < 0)
		return -1;
	x->file_size = (uint64_t)st.st_size;
	if (!x->netascii) {
		int err;
		x->map = file_cache_get(&s->files, x->file_fd, &st, &err);
		if (!x->map) {
			tftp_err_from_errno(e, -err);
			return -1;
		}
		close(x->file_fd);
		x->file_fd = -1;
	}
	if (negotiate(s, req, !x->netascii, x->file_size, &x->params, oack, &oack_len, e))
		return -1;
	/* Netascii converts into a window buffer, with scratch room for raw
	 * bytes after it. */
	if (x->netascii)
		x->buf = malloc((size_t)x->params.blksize * (x->params.windowsize + 1));
	x->oack = oack_len ? malloc(oack_len) : NULL;
	if ((x->netascii && !x->buf) || (oack_len && !x->oack)) {
		*e = (struct tftp_err){ .code = TFTP_EUNDEF, .msg = "Out of memory" };
		return -1;
	}
	if (oack_len)
		memcpy(x->oack, oack, oack_len);   /* memcpy(NULL, .., 0) is UB */
	x->oack_len = oack_len;
	x->snap[1 % NA_SNAPS].raw_off = 0;
	x->snap[1 % NA_SNAPS].pending = -1;
	sender_init(&x->snd, x->params.windowsize, x->params.rollover, x->params.timeout_us,
		    x->netascii ? 0 : x->file_size / x->params.blksize + 1, oack_len > 0, s->now);
	x->use_gso = x->params.windowsize > 1 && gso_fits(x->fd, x->peer.ss_family, x->params.blksize);
	x->bgid = BGID_SMALL;
	return 0;
}

static int setup_writer(struct tftp_server *s, struct session *x, const struct tftp_request *req,
			struct tftp_err *e)
{
	uint8_t oack[TFTP_MAX_PACKET];
	size_t oack_len;

	if (tftp_upload_open(s->o.roots, x->filename, s->o.create, s->o.permissive, &x->up, e))
		return -1;
	/* tsize on a WRQ echoes the client's announced size. */
	if (negotiate(s, req, true, 0, &x->params, oack, &oack_len, e))
		return -1;
	x->oack = oack_len ? malloc(oack_len) : NULL;
	if (oack_len && !x->oack) {
		*e = (struct tftp_err){ .code = TFTP_EUNDEF, .msg = "Out of memory" };
		return -1;
	}
	if (oack_len)
		memcpy(x->oack, oack, oack_len);   /* memcpy(NULL, .., 0) is UB */
	x->oack_len = oack_len;
	netascii_dec_init(&x->dec);
	receiver_init(&x->rcv, x->params.windowsize, x->params.rollover, x->params.blksize,
		      x->params.timeout_us, s->now);
	x->bgid = x->params.blksize + TFTP_HDR_LEN > SMALL_BUF_SIZE ? BGID_LARGE : BGID_SMALL;
	return 0;
}

static void log_request(struct tftp_server *s, struct session *x, const char *orig)
{
	const char *what = x->is_write ? "WRQ" : "RRQ";

	if (s->o.verbosity < 1)
		return;
	if (!strcmp(orig, x->filename))
		log_msg(LOG_NOTICE, "%s from %s filename %s", what, x->peer_str, x->filename);
	else
		log_msg(LOG_NOTICE, "%s from %s filename %s remapped to %s", what, x->peer_str,
			orig, x->filename);
}

/* Remap the requested name. Returns 0, or -1 with e filled. */
static int map_filename(struct tftp_server *s, struct session *x, const char *orig,
			struct tftp_err *e)
{
	char out[4096];
	const char *msg = NULL;
	struct valid_arg va = { s->o.roots, s->o.permissive };
	const void *addr = x->peer.ss_family == AF_INET6
		? (const void *)&((struct sockaddr_in6 *)&x->peer)->sin6_addr
		: (const void *)&((struct sockaddr_in *)&x->peer)->sin_addr;
	struct remap_client c = { .is_write = x->is_write, .family = x->peer.ss_family, .addr = addr };
	int rc;

	if (!s->rules) {
		x->filename = strdup(orig);
		return x->filename ? 0 : -1;
	}
	rc = remap_apply(s->rules, orig, &c, remap_name_valid, &va, out, sizeof(out), &msg);
	if (rc == 0) {
		x->filename = strdup(out);
		return x->filename ? 0 : -1;
	}
	/* An `a` rule's message lives in `out`: keep a copy for the reply. */
	snprintf(x->errmsg, sizeof(x->errmsg), "%s", msg ? msg : REMAP_MSG_DENIED);
	*e = (struct tftp_err){ .code = TFTP_EACCESS, .msg = x->errmsg };
	return -1;
}

static bool mode_is(const char *mode, const char *want)
{
	return !strcasecmp(mode, want);
}

static void handle_request(struct tftp_server *s, const uint8_t *buf, size_t len,
			   const struct sockaddr_storage *peer, socklen_t peerlen,
			   const struct sockaddr_storage *local)
{
	struct tftp_request req;
	struct tftp_err e = { 0 };
	const char *why;
	struct session *x;
	int err;

	if (len < 2 || (buf[1] != TFTP_RRQ && buf[1] != TFTP_WRQ) || buf[0] != 0) {
		s->st.bad_packets++;       /* tftpd-hpa ignores these silently */
		return;
	}
	s->st.requests++;
	x = session_alloc(s);
	if (!x) {
		log_msg(LOG_ERR, "out of memory for a new transfer");
		return;
	}
	x->started_us = s->now;
	memcpy(&x->peer, peer, peerlen);
	x->peerlen = peerlen;
	addr_to_str(peer, x->peer_str, sizeof(x->peer_str));
	err = open_transfer_socket(s, x, local);
	if (err) {
		log_msg(LOG_ERR, "tftpd: transfer socket for %s: %s", x->peer_str, strerror(-err));
		session_close(s, x, false);
		return;
	}
	if (tftp_parse_request(buf, len, &req, &why) < 0) {
		s->st.bad_packets++;
		send_error(s, x, TFTP_EBADOP, why);
		session_close(s, x, false);
		return;
	}
	x->is_write = req.opcode == TFTP_WRQ;
	x->netascii = mode_is(req.mode, "netascii");
	if (!x->netascii && !mode_is(req.mode, "octet")) {
		send_error(s, x, TFTP_EBADOP, "Unknown mode");
		session_close(s, x, false);
		return;
	}
	if (map_filename(s, x, req.filename, &e)) {
		send_error(s, x, e.code, e.msg);
		session_close(s, x, false);
		return;
	}
	log_request(s, x, req.filename);
	if ((x->is_write ? setup_writer : setup_reader)(s, x, &req, &e)) {
		send_error(s, x, e.code, e.msg);
		session_close(s, x, false);
		return;
	}
	arm_recv(s, x);
	if (x->closing)
		return;
	if (x->is_write) {
		send_upload_go_ahead(s, x);
	} else {
		/* To the kernel before the OACK leaves (its ACK 0 may be back at
		 * once); without options after the first window is queued (it
		 * leaves at the next submit, after the session is in place). */
		bool oack = x->snd.oack_pending;
		if (oack)
			kernel_handover(s, x);
		apply_step_sender(s, x, sender_start(&x->snd, s->now));
		if (!oack)
			kernel_handover(s, x);
	}
}

/* ---- listening sockets --------------------------------------------- */

static void arm_listener(struct tftp_server *s, int i)
{
	struct io_uring_sqe *sqe = get_sqe(s);

	if (!sqe)
		return;
	io_uring_prep_recvmsg_multishot(sqe, s->lis[i].fd, &s->lis[i].msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID_SMALL;
	io_uring_sqe_set_data64(sqe, ud_make(OP_LISTEN, 0, (uint32_t)i));
}

/* Destination address of the request, from IP_PKTINFO / IPV6_PKTINFO. */
static void local_address(struct tftp_server *s, int i, struct io_uring_recvmsg_out *o,
			  struct sockaddr_storage *local)
{
	struct msghdr *mh = &s->lis[i].msg;

	*local = s->lis[i].bound;
	for (struct cmsghdr *c = io_uring_recvmsg_cmsg_firsthdr(o, mh); c;
	     c = io_uring_recvmsg_cmsg_nexthdr(o, mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (local->ss_family == AF_INET6) {
				/* v4 request on a dual-stack socket: answer from v4 */
				struct sockaddr_in *sin = (struct sockaddr_in *)local;
				memset(local, 0, sizeof(*local));
				sin->sin_family = AF_INET;
			}
			((struct sockaddr_in *)local)->sin_addr = pi.ipi_addr;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in6 *)local)->sin6_addr = pi.ipi6_addr;
		}
	}
}

/* A v4-mapped peer on a dual-stack socket becomes a plain v4 address, so
 * the transfer socket, logs and \i/\x remap macros all see IPv4. */
static void unmap_v4(struct sockaddr_storage *peer, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)peer;

	if (peer->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = s6->sin6_port };
		memcpy(&sin.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		memset(peer, 0, sizeof(*peer));
		memcpy(peer, &sin, sizeof(sin));
		*len = sizeof(sin);
	}
}

static void on_listen_cqe(struct tftp_server *s, struct io_uring_cqe *cqe)
{
	int i = (int)ud_idx(cqe->user_data);

	if (cqe->res >= 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		void *buf = s->small.mem + (size_t)bid * s->small.size;
		struct io_uring_recvmsg_out *o =
			io_uring_recvmsg_validate(buf, cqe->res, &s->lis[i].msg);

		if (o && !(o->flags & MSG_CTRUNC)) {
			struct sockaddr_storage peer = { 0 }, local;
			socklen_t plen = o->namelen < sizeof(peer) ? o->namelen : sizeof(peer);
			memcpy(&peer, io_uring_recvmsg_name(o), plen);
			unmap_v4(&peer, &plen);
			local_address(s, i, o, &local);
			if (local.ss_family == AF_INET6 && peer.ss_family == AF_INET)
				local.ss_family = AF_INET;   /* pktinfo missing: best effort */
			handle_request(s, io_uring_recvmsg_payload(o, &s->lis[i].msg),
				       io_uring_recvmsg_payload_length(o, cqe->res, &s->lis[i].msg),
				       &peer, plen, &local);
		} else {
			s->st.bad_packets++;
		}
		bufgroup_recycle(&s->small, bid);
	} else if (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED) {
		log_msg(LOG_ERR, "recvfrom: %s", strerror(-cqe->res));
	}
	if (!(cqe->flags & IORING_CQE_F_MORE))
		arm_listener(s, i);
}

/* ---- completion dispatch ------------------------------------------- */

static void on_session_cqe(struct tftp_server *s, struct io_uring_cqe *cqe)
{
	uint32_t idx = ud_idx(cqe->user_data);
	struct session *x = idx < s->cap ? s->sess[idx] : NULL;
	enum op op = ud_op(cqe->user_data);

	if (!x || x->gen != ud_gen(cqe->user_data)) {
		/* Cannot happen while refs are counted; recycle defensively. */
		if (cqe->flags & IORING_CQE_F_BUFFER)
			bufgroup_recycle(&s->small, cqe->flags >> IORING_CQE_BUFFER_SHIFT);
		return;
	}
	switch (op) {
	case OP_RECV: {
		bool more = cqe->flags & IORING_CQE_F_MORE;
		if (cqe->flags & IORING_CQE_F_BUFFER) {
			struct bufgroup *g = bufgroup_of(s, x->bgid);
			unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
			if (!x->closing && cqe->res > 0)
				handle_session_packet(s, x, g->mem + (size_t)bid * g->size,
						      (size_t)cqe->res);
			bufgroup_recycle(g, bid);
		} else if (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED &&
			   !x->closing) {
			/* ECONNREFUSED: the client's port is gone. */
			if (s->o.verbosity >= 2)
				log_msg(LOG_INFO, "tftpd: %s: %s", x->peer_str, strerror(-cqe->res));
			if (cqe->res == -ECONNREFUSED)
				session_close(s, x, false);
		}
		if (!more) {
			x->recv_armed = false;
			if (!x->closing)
				arm_recv(s, x);
			session_put(s, x);
		}
		break;
	}
	case OP_SEND:
		if (cqe->res < 0 && !x->closing) {
			if (cqe->res == -EFAULT) {
				/* The mapping ended early: the file was truncated. */
				log_msg(LOG_WARNING, "tftpd: %s changed during transfer to %s",
					x->filename, x->peer_str);
				send_error(s, x, TFTP_EUNDEF, "File changed during transfer");
			} else if (cqe->res != -ECONNREFUSED) {
				log_msg(LOG_WARNING, "tftpd: write: %s", strerror(-cqe->res));
			}
			session_close(s, x, false);
		}
		/* The window buffer is free when the last send of it is done. */
		if (--x->sends == 0) {
			x->io_busy = false;
			if (x->send_wanted && !x->closing)
				apply_step_sender(s, x, sender_window(&x->snd));
		}
		session_put(s, x);
		break;
	default:
		break;
	}
}

static void arm_wake(struct tftp_server *s)
{
	struct io_uring_sqe *sqe = get_sqe(s);

	if (!sqe)
		return;
	io_uring_prep_read(sqe, s->wake_fd, &s->wake_buf, sizeof(s->wake_buf), 0);
	io_uring_sqe_set_data64(sqe, ud_make(OP_WAKE, 0, 0));
}

static void handle_cqe(struct tftp_server *s, struct io_uring_cqe *cqe)
{
	switch (ud_op(cqe->user_data)) {
	case OP_LISTEN:
		on_listen_cqe(s, cqe);
		break;
	case OP_WAKE:
		arm_wake(s);         /* flags are checked at the top of the loop */
		break;
	case OP_CANCEL:
		break;
	default:
		on_session_cqe(s, cqe);
	}
}

static void run_timers(struct tftp_server *s)
{
	struct heap_node *h;

	while ((h = heap_min(&s->timers)) && h->deadline <= s->now) {
		struct session *x = (struct session *)((char *)h - offsetof(struct session, timer));
		if (x->deadline > s->now) {           /* moved later meanwhile */
			heap_set(&s->timers, h, x->deadline);
			continue;
		}
		heap_remove(&s->timers, h);
		if (!x->closing && !x->io_busy)
			on_session_timeout(s, x);
		else if (!x->closing)
			set_timer(s, x, s->now + 1000);   /* retry once the I/O is done */
	}
}

/* ---- public API ---------------------------------------------------- */

static int setup_listener(struct tftp_server *s, int fd)
{
	struct listener *l = &s->lis[s->nlis];
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	int one = 1;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	l->fd = fd;
	l->bound = ss;
	l->family = ss.ss_family;
	if (ss.ss_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));  /* dual-stack */
	} else if (ss.ss_family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	} else {
		return -EAFNOSUPPORT;
	}
	/* A rack powering on sends its RRQs in one burst: give the kernel room
	 * to queue them while the loop sets transfers up (root may exceed
	 * rmem_max with SO_RCVBUFFORCE; otherwise take what is allowed). */
	int rcvbuf = 8 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&l->msg, 0, sizeof(l->msg));
	l->msg.msg_namelen = sizeof(struct sockaddr_storage);
	l->msg.msg_controllen = 256;
	s->nlis++;
	return 0;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct tftp_server *tftp_server_new(const struct tftp_server_opts *o, const int *fds,
				    int nfds, char *err, size_t errlen)
{
	struct tftp_server *s = calloc(1, sizeof(*s));
	struct io_uring_params p = { 0 };
	int ret;

	if (s)
		s->wake_fd = -1;

	if (!s || nfds > MAX_LISTEN) {
		snprintf(err, errlen, nfds > MAX_LISTEN ? "too many sockets" : "out of memory");
		free(s);
		return NULL;
	}
	s->o = *o;
	raise_fd_limit();
	/* SINGLE_ISSUER binds the ring to the thread that enables it: start it
	 * disabled and enable it in tftp_server_run, in the loop's own thread. */
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
		  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED;
	p.cq_entries = 65536;
	ret = io_uring_queue_init_params(4096, &s->ring, &p);
	if (ret == -EINVAL) {            /* older kernels: plain ring */
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE;
		p.cq_entries = 65536;
		ret = io_uring_queue_init_params(4096, &s->ring, &p);
	}
	if (ret) {
		snprintf(err, errlen, "io_uring setup: %s", strerror(-ret));
		free(s);
		return NULL;
	}
	if ((ret = bufgroup_init(s, &s->small, BGID_SMALL, SMALL_BUFS, SMALL_BUF_SIZE)) ||
	    (ret = bufgroup_init(s, &s->large, BGID_LARGE, LARGE_BUFS, LARGE_BUF_SIZE))) {
		snprintf(err, errlen, "io_uring buffer ring: %s", strerror(-ret));
		tftp_server_free(s);
		return NULL;
	}
	for (int i = 0; i < nfds; i++) {
		if ((ret = setup_listener(s, fds[i]))) {
			snprintf(err, errlen, "socket %d: %s", fds[i], strerror(-ret));
			tftp_server_free(s);
			return NULL;
		}
	}
	s->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		tftp_server_free(s);
		return NULL;
	}
	s->now = s->last_activity = now_us();
	return s;
}

/* Remap diagnostics (e.g. "remap: Breaking loop ...") go to our log. */
static void remap_log(void *arg, int priority, int verbosity, const char *msg)
{
	(void)arg;
	(void)verbosity;
	log_msg(priority, "%s", msg);
}

void tftp_server_set_rules(struct tftp_server *s, struct remap_rules *r)
{
	if (s->rules)
		remap_free(s->rules);
	s->rules = r;
	if (r)
		remap_set_log(r, remap_log, NULL, s->o.verbosity);
}

void tftp_server_stop(struct tftp_server *s)
{
	uint64_t one = 1;

	atomic_store(&s->stop, true);
	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: a wakeup is pending anyway */
	}
}

void tftp_server_offer_rules(struct tftp_server *s, struct remap_rules *r)
{
	struct remap_rules *old = atomic_exchange(&s->offered, r);
	uint64_t one = 1;

	if (old)
		remap_free(old);         /* never taken up: nobody else uses it */
	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* as above */
	}
}

int tftp_server_run(struct tftp_server *s)
{
	if (s->ring.flags & IORING_SETUP_R_DISABLED) {
		/* liburing 2.3 declares io_uring_enable_rings but does not export it */
		if (syscall(__NR_io_uring_register, s->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS,
			    NULL, 0) < 0) {
			log_msg(LOG_ERR, "io_uring enable: %s", strerror(errno));
			return -errno;
		}
	}
	for (int i = 0; i < s->nlis; i++)
		arm_listener(s, i);
	arm_wake(s);
	while (!atomic_load(&s->stop)) {
		struct __kernel_timespec ts, *tsp = NULL;
		struct io_uring_cqe *cqe;
		struct heap_node *h = heap_min(&s->timers);
		uint64_t wait_us = UINT64_MAX;
		unsigned head, n = 0;
		int ret;

		struct remap_rules *offered = atomic_exchange(&s->offered, NULL);
		if (offered)
			tftp_server_set_rules(s, offered);
		if (h)
			wait_us = h->deadline > s->now ? h->deadline - s->now : 0;
		if (s->o.idle_exit_ms >= 0 && s->nsess == 0) {
			uint64_t idle_end = s->last_activity + (uint64_t)s->o.idle_exit_ms * 1000;
			if (s->now >= idle_end)
				break;
			if (idle_end - s->now < wait_us)
				wait_us = idle_end - s->now;
		}
		/* Under load, gather several completions per wakeup: a loop
		 * woken for every packet spends more on waking than on work.
		 * A lone client never sees this (its batches stay small). */
		unsigned want = s->last_batch >= BATCH_BUSY ? BATCH_WANT : 1;
		if (want > 1 && wait_us > BATCH_MAX_WAIT_US)
			wait_us = BATCH_MAX_WAIT_US;
		if (wait_us != UINT64_MAX) {
			ts.tv_sec = (long long)(wait_us / 1000000);
			ts.tv_nsec = (long long)(wait_us % 1000000) * 1000;
			tsp = &ts;
		}
		ret = io_uring_submit_and_wait_timeout(&s->ring, &cqe, want, tsp, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			log_msg(LOG_ERR, "listen loop: %s", strerror(-ret));
			return ret;
		}
		s->now = now_us();
		io_uring_for_each_cqe(&s->ring, head, cqe) {
			handle_cqe(s, cqe);
			n++;
		}
		io_uring_cq_advance(&s->ring, n);
		s->last_batch = n;
		if (n)
			s->last_activity = s->now;
		run_timers(s);
	}
	return 0;
}

void tftp_server_stats(const struct tftp_server *s, struct tftp_server_stats *st)
{
	*st = s->st;
	st->active = s->nsess;
}

void tftp_server_set_kernel(struct tftp_server *s, struct fp_tftp *k)
{
	s->o.kernel = k;
}

void tftp_server_free(struct tftp_server *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->cap; i++) {
		if (s->sess[i]) {
			s->sess[i]->refs = 0;
			session_free(s, s->sess[i]);
		}
	}
	file_cache_clear(&s->files);
	for (int i = 0; i < s->nlis; i++)
		close(s->lis[i].fd);
	io_uring_queue_exit(&s->ring);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (atomic_load(&s->offered))
		remap_free(atomic_load(&s->offered));
	free(s->small.br);
	free(s->small.mem);
	free(s->large.br);
	free(s->large.mem);
	free(s->sess);
	free(s->free_idx);
	heap_free(&s->timers);
	if (s->rules)
		remap_free(s->rules);
	free(s);
}
