// SPDX-License-Identifier: MIT
// tftp-load — TFTP read-request (RRQ) load generator for benchmarking TFTP
// servers (rackboot's in.tftpd, tftpd-hpa, dnsmasq).
//
// N concurrent downloads of one file, all started at once, driven by a single
// thread over one io_uring:
//   * each transfer has its own UDP socket (ephemeral port), registered as a
//     fixed file;
//   * one multishot RECVMSG per socket, fed from a shared provided-buffer ring,
//     so a received datagram costs no SQE;
//   * ACKs are SEND SQEs with MSG_DONTWAIT + IOSQE_CQE_SKIP_SUCCESS: they are
//     issued inline by the next io_uring_enter(), cost no CQE, and every ACK
//     produced while processing one batch of completions goes out with one
//     io_uring_enter() (one submit per loop iteration);
//   * retransmit timers live in a deadline-ordered list (a single timeout value
//     means re-arming is an O(1) append at the tail).
//
// Protocol: RFC 1350 (RRQ/DATA/ACK/ERROR, the server answers from a new port:
// the socket is connect()ed to that TID after the first reply and stray
// packets from other TIDs get ERROR 5), RFC 2347/2348/2349 options (blksize,
// tsize), RFC 7440 windowsize (ACK at the end of each window, on the final
// block, or at once for the last in-order block when a gap is seen), 16-bit
// block number rollover (65535 -> 0).
//
// Content check: --expect-file compares every received block with the local
// copy of the file (memcmp at its offset) and the final length; --expect-size
// checks the length only.
//
// Exit status: 0 if every transfer completed (and verified), 1 otherwise,
// 2 on usage or setup error.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <liburing.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { OP_RRQ = 1, OP_DATA = 3, OP_ACK = 4, OP_ERROR = 5, OP_OACK = 6 };
enum { XS_RRQ, XS_DATA, XS_DONE, XS_FAILED };
enum { FR_TIMEOUT, FR_ERRPKT, FR_MISMATCH, FR_SIZE, FR_PROTO, FR_DEADLINE, FR_SOCKET, FR__N };
static const char *const fr_name[FR__N] = {
	"timeout", "error_packet", "content_mismatch", "size_mismatch",
	"protocol", "deadline", "socket",
};
enum { U_RECV = 1, U_SEND = 2, U_ERRSEND = 3, U_RRQ = 4 };
#define U_SHIFT 3
#define BGID 7
#define MAX_XFERS 60000
#define ERRCODES 9 /* RFC 1350 + RFC 2347: 0..8; others counted in [ERRCODES] */

struct xfer {
	struct xfer *tprev, *tnext; /* retransmit timer list */
	uint64_t next;              /* absolute number of the next expected block (1-based) */
	uint64_t bytes;
	uint64_t t_start, t_end, deadline;
	uint64_t gap_acked_for, dup_acked_for;
	uint32_t ack_gen, err_gen;  /* submit batch in which an SQE is already queued */
	uint16_t blksize, window, win_count;
	uint8_t state, retries, connected, recv_armed, got_oack, fail_reason;
	uint16_t rearms_idle;
	int fd;
	struct sockaddr_in peer;
	struct sockaddr_in errdst;
	struct msghdr errmsg;
	struct iovec erriov;
	uint8_t ack[4];
};

static struct {
	struct sockaddr_in server;
	const char *server_str, *file;
	unsigned n, blksize, window, timeout_ms, retries;
	bool tsize, json;
	double deadline_s;
	int64_t expect_size;
	const char *expect_file;
	const uint8_t *exp;
	size_t exp_len;
} cfg = {
	.blksize = 1468, .window = 1, .timeout_ms = 1000, .retries = 5,
	.deadline_s = 120, .expect_size = -1,
};

static struct {
	uint64_t ok, failed, reasons[FR__N], errcodes[ERRCODES + 1];
	uint64_t rrq_retx, ack_retx, gaps, dups, stray_tid, stray_ip, enobufs;
	uint64_t recv_err, send_err, rearm, data_pkts, acks_sent, submits;
	uint64_t timeout_no_reply; /* timed out without any answer to the RRQ */
	uint64_t neg_window[2]; /* [0] windowsize not granted, [1] granted */
	unsigned min_blksize, max_blksize;
	int last_errno;
} st = { .min_blksize = UINT32_MAX };

static struct io_uring ring;
static struct xfer *xf;
static struct xfer *thead, *ttail;
static uint32_t gen = 1;
static uint64_t now;
static unsigned active;
static struct io_uring_buf_ring *br;
static uint8_t *bufbase;
static unsigned nbufs, bufsz;
static struct msghdr rmsg;         /* shape for multishot recvmsg: name only */
static uint8_t rrq[1024];
static size_t rrq_len;
static struct iovec rrq_iov;
static struct msghdr rrq_msg;      /* shared: constant payload and destination */
static const uint8_t err5[] = "\0\5\0\5Unknown transfer ID";

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "tftp-load: %s: %s\n", what, strerror(err));
	exit(2);
}

/* ---- timers: all share one timeout, so appending keeps the list sorted ---- */
static void timer_del(struct xfer *x)
{
	if (!x->tprev && thead != x)
		return;
	if (x->tprev) x->tprev->tnext = x->tnext; else thead = x->tnext;
	if (x->tnext) x->tnext->tprev = x->tprev; else ttail = x->tprev;
	x->tprev = x->tnext = NULL;
}

static void timer_arm(struct xfer *x)
{
	timer_del(x);
	x->deadline = now + (uint64_t)cfg.timeout_ms * 1000000ull;
	x->tprev = ttail;
	x->tnext = NULL;
	if (ttail) ttail->tnext = x; else thead = x;
	ttail = x;
}

/* ---- submission helpers ---- */
static struct io_uring_sqe *sqe_get(void)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);
	if (!s) {
		int r = io_uring_submit(&ring);
		if (r < 0)
			die("io_uring_submit", -r);
		st.submits++;
		gen++;
		s = io_uring_get_sqe(&ring);
		if (!s)
			die("io_uring_get_sqe", EBUSY);
	}
	return s;
}

static unsigned xidx(const struct xfer *x) { return (unsigned)(x - xf); }

static void arm_recv(struct xfer *x)
{
	struct io_uring_sqe *s = sqe_get();
	io_uring_prep_recvmsg_multishot(s, (int)xidx(x), &rmsg, 0);
	s->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	s->buf_group = BGID;
	io_uring_sqe_set_data64(s, ((uint64_t)xidx(x) << U_SHIFT) | U_RECV);
	x->recv_armed = 1;
}

static void send_rrq(struct xfer *x)
{
	struct io_uring_sqe *s = sqe_get();
	io_uring_prep_sendmsg(s, (int)xidx(x), &rrq_msg, MSG_DONTWAIT);
	s->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
	io_uring_sqe_set_data64(s, ((uint64_t)xidx(x) << U_SHIFT) | U_RRQ);
}

/* The ACK buffer is read when the SQE is issued, i.e. inline in the next
 * io_uring_enter() (MSG_DONTWAIT: never deferred to a poll retry). A second
 * ACK for the same transfer within one batch just rewrites the buffer: only
 * the newest block number is worth sending. */
static void send_ack(struct xfer *x, uint16_t blk)
{
	x->ack[0] = 0;
	x->ack[1] = OP_ACK;
	x->ack[2] = (uint8_t)(blk >> 8);
	x->ack[3] = (uint8_t)blk;
	if (x->ack_gen == gen)
		return;
	struct io_uring_sqe *s = sqe_get();
	io_uring_prep_send(s, (int)xidx(x), x->ack, 4, MSG_DONTWAIT);
	s->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
	io_uring_sqe_set_data64(s, ((uint64_t)xidx(x) << U_SHIFT) | U_SEND);
	x->ack_gen = gen;
	st.acks_sent++;
}

static void send_err5(struct xfer *x, const struct sockaddr_in *to)
{
	x->errdst = *to;
	if (x->err_gen == gen)
		return;
	x->erriov.iov_base = (void *)err5;
	x->erriov.iov_len = sizeof(err5); /* includes the terminating NUL */
	x->errmsg = (struct msghdr){ .msg_name = &x->errdst, .msg_namelen = sizeof(x->errdst),
				     .msg_iov = &x->erriov, .msg_iovlen = 1 };
	struct io_uring_sqe *s = sqe_get();
	io_uring_prep_sendmsg(s, (int)xidx(x), &x->errmsg, MSG_DONTWAIT);
	s->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
	io_uring_sqe_set_data64(s, ((uint64_t)xidx(x) << U_SHIFT) | U_ERRSEND);
	x->err_gen = gen;
}

/* ---- transfer state changes ---- */
static void xfer_fail(struct xfer *x, int reason)
{
	if (x->state == XS_DONE || x->state == XS_FAILED)
		return;
	x->state = XS_FAILED;
	x->fail_reason = (uint8_t)reason;
	x->t_end = now;
	timer_del(x);
	active--;
	st.failed++;
	st.reasons[reason]++;
}

static void xfer_done(struct xfer *x)
{
	x->state = XS_DONE;
	x->t_end = now;
	timer_del(x);
	active--;
	if (cfg.expect_size >= 0 && x->bytes != (uint64_t)cfg.expect_size) {
		x->state = XS_FAILED;
		x->fail_reason = FR_SIZE;
		st.failed++;
		st.reasons[FR_SIZE]++;
		return;
	}
	st.ok++;
	st.neg_window[x->window > 1]++;
	if (x->blksize < st.min_blksize) st.min_blksize = x->blksize;
	if (x->blksize > st.max_blksize) st.max_blksize = x->blksize;
}

/* OACK: NUL-terminated name/value pairs, names case-insensitive. */
static int parse_oack(struct xfer *x, const uint8_t *p, size_t len)
{
	size_t i = 0;
	unsigned blk = 512, win = 1;
	while (i < len) {
		const char *name = (const char *)p + i;
		size_t nl = strnlen(name, len - i);
		if (i + nl >= len) return -1;
		i += nl + 1;
		const char *val = (const char *)p + i;
		size_t vl = strnlen(val, len - i);
		if (i + vl >= len) return -1;
		i += vl + 1;
		char *end;
		unsigned long v = strtoul(val, &end, 10);
		if (end == val) return -1;
		if (!strcasecmp(name, "blksize")) {
			if (v < 8 || v > cfg.blksize) return -1;
			blk = (unsigned)v;
		} else if (!strcasecmp(name, "windowsize")) {
			if (v < 1 || v > cfg.window) return -1;
			win = (unsigned)v;
		} else if (!strcasecmp(name, "tsize")) {
			if (cfg.expect_size >= 0 && v != (unsigned long)cfg.expect_size)
				return -2;
		}
		/* unknown options in an OACK are ignored */
	}
	x->blksize = (uint16_t)blk;
	x->window = (uint16_t)win;
	return 0;
}

static void on_data(struct xfer *x, uint16_t blk16, const uint8_t *data, size_t len)
{
	uint16_t d = (uint16_t)(blk16 - (uint16_t)x->next);
	st.data_pkts++;
	if (d == 0) {
		if (len > x->blksize) {
			xfer_fail(x, FR_PROTO);
			return;
		}
		if (cfg.exp) {
			uint64_t off = (x->next - 1) * x->blksize;
			if (off + len > cfg.exp_len || memcmp(cfg.exp + off, data, len)) {
				xfer_fail(x, FR_MISMATCH);
				return;
			}
		}
		x->bytes += len;
		x->next++;
		x->win_count++;
		x->retries = 0;
		x->rearms_idle = 0;
		if (len < x->blksize) {
			send_ack(x, blk16);
			xfer_done(x);
			return;
		}
		if (x->win_count >= x->window) {
			send_ack(x, blk16);
			x->win_count = 0;
		}
		timer_arm(x);
	} else if (d < 0x8000) {
		/* a block beyond the next expected: something was lost. RFC 7440:
		 * ACK the last block received in order, once per gap. */
		st.gaps++;
		if (x->gap_acked_for != x->next) {
			send_ack(x, (uint16_t)(x->next - 1));
			x->gap_acked_for = x->next;
			x->win_count = 0;
		}
	} else {
		/* an old block: the server did not see our ACK and retransmitted. */
		st.dups++;
		if (x->window == 1 || x->dup_acked_for != x->next) {
			send_ack(x, (uint16_t)(x->next - 1));
			x->dup_acked_for = x->next;
			x->win_count = 0;
		}
	}
}

static void on_packet(struct xfer *x, const struct sockaddr_in *src, const uint8_t *p, size_t len)
{
	if (x->state == XS_FAILED)
		return;
	if (src->sin_family != AF_INET || src->sin_addr.s_addr != cfg.server.sin_addr.s_addr) {
		st.stray_ip++;
		return;
	}
	if (x->connected && src->sin_port != x->peer.sin_port) {
		st.stray_tid++;
		send_err5(x, src);
		return;
	}
	if (len < 4) {
		if (x->state != XS_DONE)
			xfer_fail(x, FR_PROTO);
		return;
	}
	unsigned op = (unsigned)p[0] << 8 | p[1];
	if (x->state == XS_DONE) {
		/* dally: our final ACK was lost and the server repeats its last block */
		if (op == OP_DATA && (uint16_t)((unsigned)p[2] << 8 | p[3]) == (uint16_t)(x->next - 1))
			send_ack(x, (uint16_t)(x->next - 1));
		return;
	}
	if (!x->connected) {
		/* RFC 1350: the server's reply comes from its transfer ID; from now
		 * on talk to that port only (the kernel filters other sources). */
		if (connect(x->fd, (const struct sockaddr *)src, sizeof(*src)) < 0) {
			st.last_errno = errno;
			xfer_fail(x, FR_SOCKET);
			return;
		}
		x->peer = *src;
		x->connected = 1;
	}
	switch (op) {
	case OP_ERROR: {
		unsigned code = (unsigned)p[2] << 8 | p[3];
		st.errcodes[code < ERRCODES ? code : ERRCODES]++;
		xfer_fail(x, FR_ERRPKT);
		return;
	}
	case OP_OACK:
		if (x->got_oack || x->state != XS_RRQ) {
			/* repeated OACK: our ACK 0 was lost */
			if (x->got_oack && x->next == 1)
				send_ack(x, 0);
			return;
		}
		switch (parse_oack(x, p + 2, len - 2)) {
		case 0: break;
		case -2: xfer_fail(x, FR_SIZE); return;
		default: xfer_fail(x, FR_PROTO); return;
		}
		x->got_oack = 1;
		x->state = XS_DATA;
		x->retries = 0;
		send_ack(x, 0);
		timer_arm(x);
		return;
	case OP_DATA:
		if (x->state == XS_RRQ) {
			/* no OACK: the server ignored our options (RFC 2347) */
			x->blksize = 512;
			x->window = 1;
			x->state = XS_DATA;
		}
		on_data(x, (uint16_t)((unsigned)p[2] << 8 | p[3]), p + 4, len - 4);
		return;
	default:
		xfer_fail(x, FR_PROTO);
		return;
	}
}

static void return_buf(unsigned bid)
{
	io_uring_buf_ring_add(br, bufbase + (size_t)bid * bufsz, bufsz, (unsigned short)bid,
			      io_uring_buf_ring_mask(nbufs), 0);
	io_uring_buf_ring_advance(br, 1);
}

static void on_cqe(const struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	unsigned kind = ud & ((1u << U_SHIFT) - 1);
	struct xfer *x = &xf[ud >> U_SHIFT];

	if (kind != U_RECV) {
		/* sends only complete here on failure (CQE_SKIP_SUCCESS) */
		if (cqe->res < 0) {
			st.send_err++;
			st.last_errno = -cqe->res;
		}
		return;
	}
	bool more = cqe->flags & IORING_CQE_F_MORE;
	if (!more)
		x->recv_armed = 0;
	if (cqe->res < 0) {
		if (cqe->res == -ENOBUFS) {
			st.enobufs++;
		} else {
			st.recv_err++;
			st.last_errno = -cqe->res;
		}
	} else if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		uint8_t *buf = bufbase + (size_t)bid * bufsz;
		struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, cqe->res, &rmsg);
		if (o) {
			struct sockaddr_in src = { 0 };
			memcpy(&src, io_uring_recvmsg_name(o),
			       o->namelen < sizeof(src) ? o->namelen : sizeof(src));
			const uint8_t *pl = io_uring_recvmsg_payload(o, &rmsg);
			size_t plen = io_uring_recvmsg_payload_length(o, cqe->res, &rmsg);
			if ((o->flags & MSG_TRUNC) || o->payloadlen > plen) {
				if (x->state != XS_DONE)
					xfer_fail(x, FR_PROTO);
			} else {
				on_packet(x, &src, pl, plen);
			}
		}
		return_buf(bid);
	}
	if (!x->recv_armed && (x->state == XS_RRQ || x->state == XS_DATA)) {
		/* multishot ended (buffer ring empty, ICMP error, ...): re-arm, but
		 * give up on a socket that keeps failing without any progress. */
		st.rearm++;
		if (++x->rearms_idle > 1000)
			xfer_fail(x, FR_SOCKET);
		else
			arm_recv(x);
	}
}

static void on_timeout(struct xfer *x)
{
	if (++x->retries > cfg.retries) {
		if (x->state == XS_RRQ)
			st.timeout_no_reply++;
		xfer_fail(x, FR_TIMEOUT);
		return;
	}
	if (x->state == XS_RRQ) {
		st.rrq_retx++;
		send_rrq(x);
	} else {
		st.ack_retx++;
		send_ack(x, (uint16_t)(x->next - 1));
		x->win_count = 0;
		x->gap_acked_for = x->dup_acked_for = 0;
	}
	timer_arm(x);
}

/* ---- setup ---- */
static void build_rrq(void)
{
	char opt[128];
	size_t n = 0, fl = strlen(cfg.file);
	if (fl > 512)
		die("filename too long", ENAMETOOLONG);
	rrq[n++] = 0;
	rrq[n++] = OP_RRQ;
	memcpy(rrq + n, cfg.file, fl + 1);
	n += fl + 1;
	memcpy(rrq + n, "octet", 6);
	n += 6;
#define ADDOPT(name, fmt, val)                                        \
	do {                                                          \
		int l = snprintf(opt, sizeof(opt), "%s%c" fmt, name, 0, val); \
		memcpy(rrq + n, opt, (size_t)l + 1);                  \
		n += (size_t)l + 1;                                   \
	} while (0)
	if (cfg.blksize != 512)
		ADDOPT("blksize", "%u", cfg.blksize);
	if (cfg.window > 1)
		ADDOPT("windowsize", "%u", cfg.window);
	if (cfg.tsize)
		ADDOPT("tsize", "%u", 0u);
#undef ADDOPT
	rrq_len = n;
	rrq_iov = (struct iovec){ .iov_base = rrq, .iov_len = rrq_len };
	rrq_msg = (struct msghdr){ .msg_name = &cfg.server, .msg_namelen = sizeof(cfg.server),
				   .msg_iov = &rrq_iov, .msg_iovlen = 1 };
}

static void raise_nofile(unsigned need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit", errno);
	if (rl.rlim_cur >= need)
		return;
	if (rl.rlim_max < need)
		rl.rlim_max = need; /* needs CAP_SYS_RESOURCE */
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit(RLIMIT_NOFILE) (run as root or raise ulimit -n)", errno);
}

static void setup_ring(void)
{
	struct io_uring_params p = { 0 };
	unsigned sq = 4096;
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SINGLE_ISSUER |
		  IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL;
	p.cq_entries = 65536;
	int r = io_uring_queue_init_params(sq, &ring, &p);
	if (r == -EINVAL) { /* older kernel: no DEFER_TASKRUN */
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
		p.cq_entries = 65536;
		r = io_uring_queue_init_params(sq, &ring, &p);
	}
	if (r < 0)
		die("io_uring_queue_init", -r);
	if (!(p.features & IORING_FEAT_CQE_SKIP) || !(p.features & IORING_FEAT_NODROP))
		die("kernel io_uring lacks CQE_SKIP/NODROP (need Linux >= 5.17)", ENOSYS);

	/* provided buffers: header + source address + one datagram (with slack
	 * to notice an oversize one) each; power-of-two count, at most 64 MiB. Exhaustion is
	 * harmless: the multishot receive ends with ENOBUFS and is re-armed. */
	bufsz = (unsigned)(sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_in) +
			   cfg.blksize + 4 + 64);
	bufsz = (bufsz + 63) & ~63u;
	/* enough for every transfer to have a couple of windows in flight */
	nbufs = 256;
	while (nbufs < 32768 && nbufs < 2ull * cfg.n * cfg.window)
		nbufs <<= 1;
	while (nbufs > 64 && (size_t)nbufs * bufsz > (64u << 20))
		nbufs >>= 1;
	bufbase = mmap(NULL, (size_t)nbufs * bufsz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	br = mmap(NULL, (size_t)nbufs * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bufbase == MAP_FAILED || br == MAP_FAILED)
		die("mmap", errno);
	struct io_uring_buf_reg reg = { .ring_addr = (uint64_t)(uintptr_t)br,
					.ring_entries = nbufs, .bgid = BGID };
	r = io_uring_register_buf_ring(&ring, &reg, 0);
	if (r < 0)
		die("io_uring_register_buf_ring (need Linux >= 5.19)", -r);
	io_uring_buf_ring_init(br);
	for (unsigned i = 0; i < nbufs; i++)
		io_uring_buf_ring_add(br, bufbase + (size_t)i * bufsz, bufsz, (unsigned short)i,
				      io_uring_buf_ring_mask(nbufs), (int)i);
	io_uring_buf_ring_advance(br, (int)nbufs);
	rmsg.msg_namelen = sizeof(struct sockaddr_in);
}

static void load_expect_file(void)
{
	int fd = open(cfg.expect_file, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0)
		die(cfg.expect_file, errno);
	cfg.exp_len = (size_t)sb.st_size;
	if (cfg.exp_len) {
		cfg.exp = mmap(NULL, cfg.exp_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (cfg.exp == MAP_FAILED)
			die("mmap expect-file", errno);
	}
	close(fd);
	if (cfg.expect_size >= 0 && (uint64_t)cfg.expect_size != cfg.exp_len) {
		fprintf(stderr, "tftp-load: --expect-size %" PRId64 " != size of %s (%zu)\n",
			cfg.expect_size, cfg.expect_file, cfg.exp_len);
		exit(2);
	}
	cfg.expect_size = (int64_t)cfg.exp_len;
}

/* ---- reporting ---- */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t k, double q)
{
	if (!k)
		return 0;
	size_t r = (size_t)ceil(q * (double)k);
	if (r < 1) r = 1;
	if (r > k) r = k;
	return (double)v[r - 1] / 1e6;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') printf("\\%c", c);
		else if (c < 0x20) printf("\\u%04x", c);
		else putchar(c);
	}
	putchar('"');
}

static void report(uint64_t t_first, uint64_t t_last, double ucpu, double scpu)
{
	uint64_t *d = calloc(cfg.n ? cfg.n : 1, sizeof(*d));
	uint64_t bytes = 0;
	size_t k = 0;
	if (!d)
		die("calloc", ENOMEM);
	for (unsigned i = 0; i < cfg.n; i++) {
		if (xf[i].state != XS_DONE)
			continue;
		d[k++] = xf[i].t_end - xf[i].t_start;
		bytes += xf[i].bytes;
	}
	qsort(d, k, sizeof(*d), cmp_u64);
	double wall = (double)(t_last - t_first) / 1e9;
	double mbs = wall > 0 ? (double)bytes / wall / 1e6 : 0;
	double p50 = pct(d, k, 0.50), p99 = pct(d, k, 0.99), mx = pct(d, k, 1.0);
	unsigned minb = st.ok ? st.min_blksize : 0, maxb = st.max_blksize;

	if (cfg.json) {
		printf("{\"server\":");
		json_str(cfg.server_str);
		printf(",\"port\":%u,\"file\":", ntohs(cfg.server.sin_port));
		json_str(cfg.file);
		printf(",\"n\":%u,\"blksize\":%u,\"windowsize\":%u,\"tsize\":%s,\"timeout_ms\":%u,"
		       "\"ok\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"fail_reasons\":{",
		       cfg.n, cfg.blksize, cfg.window, cfg.tsize ? "true" : "false", cfg.timeout_ms,
		       st.ok, st.failed);
		for (int r = 0; r < FR__N; r++)
			printf("%s\"%s\":%" PRIu64, r ? "," : "", fr_name[r], st.reasons[r]);
		printf("},\"error_codes\":{");
		bool first = true;
		for (int c = 0; c <= ERRCODES; c++) {
			if (!st.errcodes[c])
				continue;
			if (c < ERRCODES)
				printf("%s\"%d\":%" PRIu64, first ? "" : ",", c, st.errcodes[c]);
			else
				printf("%s\"other\":%" PRIu64, first ? "" : ",", st.errcodes[c]);
			first = false;
		}
		printf("},\"wall_s\":%.6f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		       "\"bytes\":%" PRIu64 ",\"mb_per_s\":%.3f,"
		       "\"client_cpu_s\":%.6f,\"client_user_s\":%.6f,\"client_sys_s\":%.6f,"
		       "\"neg_blksize_min\":%u,\"neg_blksize_max\":%u,"
		       "\"windowsize_granted\":%" PRIu64 ",\"windowsize_not_granted\":%" PRIu64 ","
		       "\"timeouts_without_reply\":%" PRIu64 ","
		       "\"rrq_retransmits\":%" PRIu64 ",\"ack_retransmits\":%" PRIu64 ","
		       "\"gaps\":%" PRIu64 ",\"dups\":%" PRIu64 ",\"stray_tid\":%" PRIu64 ","
		       "\"data_pkts\":%" PRIu64 ",\"acks_sent\":%" PRIu64 ",\"submits\":%" PRIu64 ","
		       "\"recv_errors\":%" PRIu64 ",\"send_errors\":%" PRIu64 ",\"enobufs\":%" PRIu64 ","
		       "\"recv_rearms\":%" PRIu64 ",\"stray_source_ip\":%" PRIu64 "}\n",
		       wall, p50, p99, mx, bytes, mbs, ucpu + scpu, ucpu, scpu, minb, maxb,
		       st.neg_window[1], st.neg_window[0], st.timeout_no_reply, st.rrq_retx, st.ack_retx, st.gaps, st.dups,
		       st.stray_tid, st.data_pkts, st.acks_sent, st.submits, st.recv_err,
		       st.send_err, st.enobufs, st.rearm, st.stray_ip);
	} else {
		printf("tftp-load: %s:%u %s  n=%u blksize=%u windowsize=%u%s\n", cfg.server_str,
		       ntohs(cfg.server.sin_port), cfg.file, cfg.n, cfg.blksize, cfg.window,
		       cfg.tsize ? " tsize" : "");
		printf("  transfers: %" PRIu64 " ok, %" PRIu64 " failed", st.ok, st.failed);
		for (int r = 0; r < FR__N; r++)
			if (st.reasons[r])
				printf(" [%s: %" PRIu64 "]", fr_name[r], st.reasons[r]);
		if (st.timeout_no_reply)
			printf(" [of the timeouts, RRQ never answered: %" PRIu64 "]", st.timeout_no_reply);
		for (int c = 0; c <= ERRCODES; c++)
			if (st.errcodes[c]) {
				if (c < ERRCODES)
					printf(" [error code %d: %" PRIu64 "]", c, st.errcodes[c]);
				else
					printf(" [error code >8: %" PRIu64 "]", st.errcodes[c]);
			}
		printf("\n");
		printf("  wall %.3f s (first RRQ to last completion), per transfer p50 %.1f ms, "
		       "p99 %.1f ms, max %.1f ms\n", wall, p50, p99, mx);
		printf("  %" PRIu64 " bytes, %.1f MB/s aggregate (MB = 10^6 B)\n", bytes, mbs);
		printf("  negotiated blksize %u..%u, windowsize granted to %" PRIu64 " of %" PRIu64
		       " ok transfers\n", minb, maxb, st.neg_window[1], st.ok);
		printf("  client CPU %.3f s (user %.3f, sys %.3f); %" PRIu64 " DATA, %" PRIu64
		       " ACKs, %" PRIu64 " io_uring_enter\n", ucpu + scpu, ucpu, scpu, st.data_pkts,
		       st.acks_sent, st.submits);
		printf("  retransmits: RRQ %" PRIu64 ", ACK %" PRIu64 "; gaps %" PRIu64 ", dups %" PRIu64
		       ", stray TID %" PRIu64 ", recv errors %" PRIu64 ", send errors %" PRIu64
		       ", ENOBUFS %" PRIu64 "%s%s\n", st.rrq_retx, st.ack_retx, st.gaps, st.dups,
		       st.stray_tid, st.recv_err, st.send_err, st.enobufs,
		       st.last_errno ? ", last errno: " : "", st.last_errno ? strerror(st.last_errno) : "");
	}
	free(d);
}

static int parse_num(const char *s, unsigned long long lo, unsigned long long hi,
		     unsigned long long *out)
{
	char *e;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno || *e || e == s || *s == '-' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tftp-load -s SERVER_IP -f FILENAME [options]\n"
		"  -s, --server IP          server IPv4 address\n"
		"  -p, --port PORT          server port (default 69)\n"
		"  -f, --file NAME          file to request (RRQ, octet mode)\n"
		"  -n, --count N            concurrent transfers, all started at once (default 1)\n"
		"  -b, --blksize B          blksize option (default 1468; 512 = send no option)\n"
		"  -w, --windowsize W       windowsize option, RFC 7440 (default 1 = not sent)\n"
		"      --tsize              send tsize=0 and check the size the server reports\n"
		"  -t, --timeout MS         retransmit timeout in ms (default 1000)\n"
		"  -r, --retries K          retransmissions before a transfer fails (default 5)\n"
		"      --expect-file PATH   compare every block with this local file\n"
		"      --expect-size BYTES  check each transfer's length\n"
		"      --deadline SECONDS   overall bound for the whole run (default 120)\n"
		"      --json               one JSON object on stdout instead of text\n"
		"exit status: 0 all transfers ok, 1 some failed, 2 usage/setup error\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", required_argument, 0, 's' },
		{ "port", required_argument, 0, 'p' },
		{ "file", required_argument, 0, 'f' },
		{ "count", required_argument, 0, 'n' },
		{ "blksize", required_argument, 0, 'b' },
		{ "windowsize", required_argument, 0, 'w' },
		{ "timeout", required_argument, 0, 't' },
		{ "retries", required_argument, 0, 'r' },
		{ "tsize", no_argument, 0, 'T' },
		{ "expect-size", required_argument, 0, 'S' },
		{ "expect-file", required_argument, 0, 'E' },
		{ "deadline", required_argument, 0, 'D' },
		{ "json", no_argument, 0, 'J' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	unsigned long port = 69;
	cfg.n = 1;
	int c;
	char *end;
#define NUM(var, lo_, hi_)                                                   \
	do {                                                                 \
		unsigned long long v_;                                       \
		if (parse_num(optarg, (lo_), (hi_), &v_) < 0) {              \
			fprintf(stderr, "tftp-load: bad value for -%c: %s\n", c, optarg); \
			return 2;                                            \
		}                                                            \
		var = v_;                                                    \
	} while (0)
	while ((c = getopt_long(argc, argv, "s:p:f:n:b:w:t:r:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': cfg.server_str = optarg; break;
		case 'p': NUM(port, 1, 65535); break;
		case 'f': cfg.file = optarg; break;
		case 'n': NUM(cfg.n, 1, MAX_XFERS); break;
		case 'b': NUM(cfg.blksize, 8, 65464); break;
		case 'w': NUM(cfg.window, 1, 65535); break;
		case 't': NUM(cfg.timeout_ms, 1, 600000); break;
		case 'r': NUM(cfg.retries, 0, 100); break;
		case 'T': cfg.tsize = true; break;
		case 'S': NUM(cfg.expect_size, 0, INT64_MAX); break;
		case 'E': cfg.expect_file = optarg; break;
		case 'D': {
			cfg.deadline_s = strtod(optarg, &end);
			if (*end || end == optarg || !(cfg.deadline_s > 0) || cfg.deadline_s > 86400) {
				fprintf(stderr, "tftp-load: bad --deadline: %s\n", optarg);
				return 2;
			}
			break;
		}
		case 'J': cfg.json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
#undef NUM
	if (!cfg.server_str || !cfg.file || optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg.server.sin_family = AF_INET;
	cfg.server.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, cfg.server_str, &cfg.server.sin_addr) != 1) {
		fprintf(stderr, "tftp-load: -s wants an IPv4 address: %s\n", cfg.server_str);
		return 2;
	}
	if (cfg.expect_file)
		load_expect_file();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(cfg.n + 64);
	build_rrq();
	setup_ring();

	xf = calloc(cfg.n, sizeof(*xf));
	int *fds = calloc(cfg.n, sizeof(int));
	if (!xf || !fds)
		die("calloc", ENOMEM);
	for (unsigned i = 0; i < cfg.n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			die("socket", errno);
		struct sockaddr_in any = { .sin_family = AF_INET };
		if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0) /* ephemeral port now */
			die("bind", errno);
		xf[i].fd = fds[i] = fd;
		xf[i].blksize = (uint16_t)cfg.blksize;
		xf[i].window = (uint16_t)cfg.window;
		xf[i].next = 1;
	}
	int r = io_uring_register_files(&ring, fds, cfg.n);
	if (r < 0)
		die("io_uring_register_files", -r);
	free(fds);

	/* start everything at once: arm all receives, then all RRQs */
	for (unsigned i = 0; i < cfg.n; i++)
		arm_recv(&xf[i]);
	now = mono_ns();
	uint64_t t_first = now;
	uint64_t hard_deadline = now + (uint64_t)(cfg.deadline_s * 1e9);
	for (unsigned i = 0; i < cfg.n; i++) {
		xf[i].t_start = now;
		send_rrq(&xf[i]);
		timer_arm(&xf[i]);
	}
	active = cfg.n;

	struct io_uring_cqe *cqes[512];
	while (active) {
		now = mono_ns();
		if (now >= hard_deadline) {
			for (unsigned i = 0; i < cfg.n; i++)
				xfer_fail(&xf[i], FR_DEADLINE);
			break;
		}
		uint64_t wake = hard_deadline;
		if (thead && thead->deadline < wake)
			wake = thead->deadline;
		uint64_t wait = wake > now ? wake - now : 0;
		struct __kernel_timespec ts = { .tv_sec = (long long)(wait / 1000000000ull),
						.tv_nsec = (long long)(wait % 1000000000ull) };
		struct io_uring_cqe *cqe;
		r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
		st.submits++;
		gen++;
		if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN)
			die("io_uring_submit_and_wait_timeout", -r);
		now = mono_ns();
		unsigned got;
		while ((got = io_uring_peek_batch_cqe(&ring, cqes, 512)) > 0) {
			for (unsigned i = 0; i < got; i++)
				on_cqe(cqes[i]);
			io_uring_cq_advance(&ring, got);
		}
		while (thead && thead->deadline <= now)
			on_timeout(thead);
	}
	/* flush the last ACKs queued by the final batch */
	io_uring_submit(&ring);
	st.submits++;

	uint64_t t_last = t_first;
	for (unsigned i = 0; i < cfg.n; i++)
		if (xf[i].t_end > t_last)
			t_last = xf[i].t_end;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double ucpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	double scpu = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	report(t_first, t_last, ucpu, scpu);
	return st.failed || st.ok != cfg.n ? 1 : 0;
}
