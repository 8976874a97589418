/* The TFTP fast path (bpf/lib/tftp.h) through BPF_PROG_TEST_RUN of the
 * production objects, XDP and TC both, with the maps filled by
 * user/fastpath/tftp_hot.c exactly as the daemon fills them.
 *
 *  - scripts: one row per scenario (hand-over state, then ACKs, ERRORs and
 *    changes to the session, each with the verdict, the window of DATA and
 *    the session it must leave); every row runs through XDP and TC. XDP
 *    answers only windows of one frame and passes the rest untouched;
 *  - malformed input: a valid ACK cut at every length, and mutated header
 *    by header: passed on, unchanged, the session untouched;
 *  - whole transfers: lockstep through XDP and windows of 4 and 16 through
 *    TC, past block 65535 with rollover 0 and 1, every block checked;
 *  - tftp_hot itself: slots, generations, chunk overlap, sessions.
 *
 * A DATA frame must be byte-exact: the test builds the expected frame
 * itself and also checks its IP and UDP checksums by summing them anew.
 * TC windows leave as bpf_clone_redirect copies out of the device (here
 * lo, in a private network namespace) plus the frame of the verdict: an
 * AF_PACKET socket on lo captures the copies. Needs root (BPF, unshare). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include "test_bpf_tftp.h"

#define FRAME_MAX   2048
#define MAX_CLONES  64
#define GAP_NS      (10ull * 1000000000ull)    /* duplicates stay "within the gap" */
#define IP_ID0      0x1234

/* ------------------------------------------------------------------ */
/* Files                                                                */

enum { F_SHORT, F_EXACT, F_EMPTY, F_ODD, F_BIG, F_ROLL, F__N };
static const uint64_t file_size[F__N] = {
	[F_SHORT] = 512 * 5 + 100,           /* blksize 512: last block 6, 100 bytes */
	[F_EXACT] = 512 * 4,                 /* last block 5, empty */
	[F_EMPTY] = 0,                       /* block 1, empty */
	[F_ODD] = 1001 * 3 + 7,              /* blksize 1001: odd full blocks, last 7 bytes */
	[F_BIG] = 200000,                    /* blksize 1468: blocks straddle chunk ends */
	[F_ROLL] = 8 * 65540 + 3,            /* blksize 8: last block 65541, 3 bytes */
};
static uint8_t *file_data[F__N];
static struct tftp_hot_file hot[F__N];

static int load_files(void)
{
	uint32_t x = 2463534242u;

	for (int f = 0; f < F__N; f++) {
		file_data[f] = malloc(file_size[f] + 1);
		for (uint64_t i = 0; i < file_size[f]; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			file_data[f][i] = (uint8_t)x;
		}
		if (tftp_hot_load(g.files_fd, g.meta_fd, file_data[f], file_size[f], &hot[f]))
			return -1;
	}
	return 0;
}

static int pkt_fd = -1;              /* AF_PACKET on lo: TC's window copies */
static uint16_t next_port = 20000;

static int group_setup(void **state)
{
	(void)state;
	if (bpf_env_setup())
		return -1;
	if (!g.ok)
		return 0;
	pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex("lo") };
	int rcvbuf = 8 << 20;
	if (pkt_fd < 0 || bind(pkt_fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(pkt_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		return -1;
	return load_files();
}

static int group_teardown(void **state)
{
	(void)state;
	for (int f = 0; f < F__N; f++)
		free(file_data[f]);
	if (pkt_fd >= 0)
		close(pkt_fd);
	bpf_env_teardown();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Frames, built and checked by the test's own code                     */

static const uint8_t client_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t server_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
#define CLIENT_IP "10.9.0.2"
#define SERVER_IP "10.9.0.1"

/* An IPv4/UDP frame from `src` to `dst` with `payload`; checksums right. */
struct ends {
	uint32_t src_ip, dst_ip;     /* network order */
	uint16_t sport, dport;       /* host order */
	const uint8_t *src_mac, *dst_mac;
};

static size_t udp_frame(uint8_t *f, const struct ends *e, const uint8_t *payload, size_t plen)
{
	size_t ulen = 8 + plen;

	memcpy(f, e->dst_mac, 6);
	memcpy(f + 6, e->src_mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + ulen));
	put16(ip + 4, 0x4242);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &e->src_ip, 4);
	memcpy(ip + 16, &e->dst_ip, 4);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, 20)));
	uint8_t *udp = ip + 20;
	put16(udp, e->sport);
	put16(udp + 2, e->dport);
	put16(udp + 4, (uint16_t)ulen);
	put16(udp + 6, 0);
	memcpy(udp + 8, payload, plen);
	uint32_t s = sum16(ip + 12, 8) + 17 + (uint32_t)ulen + sum16(udp, ulen);
	uint16_t c = (uint16_t)~fold(s);
	put16(udp + 6, c ? c : 0xffff);
	return 14 + 20 + ulen;
}

/* A session of the test: its key, file and what the test expects. */
struct tsess {
	struct rb_tftp_key key;
	struct ends to_server;       /* the client's packets */
	int file;
	unsigned blksize, window;
	uint16_t rollover;
	uint16_t ip_id;              /* of the next DATA frame */
};

static uint16_t wire_of(uint64_t abs, uint16_t rollover)
{
	if (abs <= 65535)
		return (uint16_t)abs;
	return (uint16_t)(rollover + (abs - 65536) % (65536u - rollover));
}

static uint64_t last_block(const struct tsess *t)
{
	return file_size[t->file] / t->blksize + 1;
}

/* DATA `block` as the server would send it: headers mirrored, DF, TTL 64. */
static size_t expect_data(uint8_t *f, const struct tsess *t, uint64_t block, uint16_t ip_id)
{
	uint64_t off = (block - 1) * t->blksize;
	size_t len = file_size[t->file] - off < t->blksize ? file_size[t->file] - off : t->blksize;
	uint8_t payload[4 + 1500];
	struct ends back = {
		.src_ip = t->to_server.dst_ip, .dst_ip = t->to_server.src_ip,
		.sport = t->to_server.dport, .dport = t->to_server.sport,
		.src_mac = server_mac, .dst_mac = client_mac,
	};

	put16(payload, 3);
	put16(payload + 2, wire_of(block, t->rollover));
	memcpy(payload + 4, file_data[t->file] + off, len);
	size_t n = udp_frame(f, &back, payload, 4 + len);
	put16(f + 18, ip_id);                          /* the id, and the sum again */
	put16(f + 24, 0);
	put16(f + 24, (uint16_t)~fold(sum16(f + 14, 20)));
	return n;
}

static size_t tftp_frame(uint8_t *f, const struct ends *e, uint16_t op, uint16_t arg,
			 const char *msg)
{
	uint8_t p[64];
	size_t n = 4;

	put16(p, op);
	put16(p + 2, arg);
	if (msg) {
		size_t m = strlen(msg) + 1;
		memcpy(p + 4, msg, m);
		n += m;
	}
	return udp_frame(f, e, p, n);
}

static size_t ack_frame(uint8_t *f, const struct tsess *t, uint16_t wire)
{
	return tftp_frame(f, &t->to_server, 4, wire, NULL);
}

/* ------------------------------------------------------------------ */
/* Running a frame through a program                                    */

struct run {
	enum verdict v;
	uint8_t out[FRAME_MAX];
	uint32_t out_len;
	unsigned nclones;
	uint8_t clone[MAX_CLONES][FRAME_MAX];
	uint32_t clone_len[MAX_CLONES];
};

static void drain_packets(void)
{
	uint8_t buf[FRAME_MAX];

	while (recv(pkt_fd, buf, sizeof(buf), 0) > 0)
		;
}

static enum verdict verdict_of(enum prog p, uint32_t ret)
{
	if (p == P_XDP)
		return ret == XDP_PASS ? V_PASS : ret == XDP_DROP ? V_DROP : ret == XDP_TX ? V_TX : V_END;
	return ret == 0 ? V_PASS : ret == 2 ? V_DROP : ret == 7 ? V_TX : V_END; /* TC_ACT_* */
}

static int run_prog(enum prog p, const uint8_t *in, size_t len, struct run *r)
{
	drain_packets();
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .repeat = 1);
	int err = bpf_prog_test_run_opts(g.prog_fd[p], &o);
	if (err)
		return err;
	r->v = verdict_of(p, o.retval);
	r->out_len = o.data_size_out;
	r->nclones = 0;
	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		uint8_t buf[FRAME_MAX];
		ssize_t n = recvfrom(pkt_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			break;
		if (from.sll_pkttype != PACKET_OUTGOING || r->nclones >= MAX_CLONES)
			continue;
		memcpy(r->clone[r->nclones], buf, (size_t)n);
		r->clone_len[r->nclones++] = (uint32_t)n;
	}
	ring_buffer__consume(g.events);
	return 0;
}

static void hexdiff(const char *what, const uint8_t *got, size_t glen, const uint8_t *want,
		    size_t wlen)
{
	size_t i = 0;

	while (i < glen && i < wlen && got[i] == want[i])
		i++;
	print_error("  %s: %zu bytes, expected %zu; first difference at byte %zu", what, glen,
		    wlen, i);
	if (i < glen && i < wlen)
		print_error(" (0x%02x, expected 0x%02x)", got[i], want[i]);
	print_error("\n");
}

/* The frames of a window, in order: TC's copies, then the verdict's frame. */
static int check_window(const char *why, enum prog p, const struct run *r,
			const struct tsess *t, uint64_t from, unsigned count, uint16_t ip_id)
{
	uint8_t want[FRAME_MAX];
	int bad = 0;

	if (r->nclones + 1 != count) {
		print_error("%s [%s]: %u frames, expected a window of %u\n", why, prog_name[p],
			    r->nclones + 1, count);
		return 1;
	}
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *got = i + 1 < count ? r->clone[i] : r->out;
		size_t glen = i + 1 < count ? r->clone_len[i] : r->out_len;
		size_t wlen = expect_data(want, t, from + i, (uint16_t)(ip_id + i));
		const char *ck = bad_checksums(got, glen);
		if (ck) {
			print_error("%s [%s]: block %" PRIu64 ": bad %s\n", why, prog_name[p],
				    from + i, ck);
			bad = 1;
		}
		if (glen != wlen || memcmp(got, want, wlen)) {
			print_error("%s [%s]: block %" PRIu64 " differs\n", why, prog_name[p],
				    from + i);
			hexdiff("DATA", got, glen, want, wlen);
			bad = 1;
		}
	}
	return bad;
}

static struct tsess new_session(int file, unsigned blksize, unsigned window, uint16_t rollover,
				uint64_t acked, uint64_t sent)
{
	struct tsess t = { .file = file, .blksize = blksize, .window = window,
			   .rollover = rollover, .ip_id = IP_ID0 };
	uint16_t cport = next_port++, sport = next_port++;

	inet_pton(AF_INET, CLIENT_IP, &t.to_server.src_ip);
	inet_pton(AF_INET, SERVER_IP, &t.to_server.dst_ip);
	t.to_server.sport = cport;
	t.to_server.dport = sport;
	t.to_server.src_mac = client_mac;
	t.to_server.dst_mac = server_mac;
	t.key = (struct rb_tftp_key){
		.client_ip_be = t.to_server.src_ip, .server_ip_be = t.to_server.dst_ip,
		.client_port_be = htons(cport), .server_port_be = htons(sport),
	};
	struct rb_tftp_session s;
	tftp_hot_session_init(&s, &hot[file], blksize, window, rollover, GAP_NS);
	s.acked = acked;
	s.sent = sent;
	s.ip_id = IP_ID0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s.last_send_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	int r = tftp_hot_session_insert(g.sessions_fd, &t.key, &s);
	if (r)
		fail_msg("inserting a session: %s", strerror(-r));
	return t;
}

/* Change the session behind the program's back (BPF_F_LOCK: under its lock). */
static void edit_session(const struct tsess *t, void (*fn)(struct rb_tftp_session *))
{
	struct rb_tftp_session s;

	assert_int_equal(tftp_hot_session_get(g.sessions_fd, &t->key, &s), 0);
	fn(&s);
	assert_int_equal(bpf_map_update_elem(g.sessions_fd, &t->key, &s, BPF_EXIST | BPF_F_LOCK), 0);
}

static void age(struct rb_tftp_session *s) { s->last_send_ns = 0; }
static void stale_gen(struct rb_tftp_session *s) { s->file_gen += 1000; }
static void wrong_size(struct rb_tftp_session *s) { s->size += 1; }
static void other_dev(struct rb_tftp_session *s) { s->ifindex = 999; }
static void any_dev(struct rb_tftp_session *s) { s->ifindex = 0; }
static void restore_file(struct rb_tftp_session *s)
{
	for (int f = 0; f < F__N; f++)
		if (s->slot == hot[f].slot) {
			s->file_gen = hot[f].gen;
			s->size = hot[f].size;
		}
}

/* ------------------------------------------------------------------ */
/* Scripts                                                              */

enum step_kind {
	S_ACK = 1,      /* ACK `arg` from the client */
	S_ERROR,        /* ERROR `arg` from the client */
	S_OP,           /* a 4-byte packet with opcode `arg` (RRQ, DATA, OACK...) */
	S_ACK_LONG,     /* an ACK with one byte too many */
	S_ACK_PADDED,   /* ACK `arg` in a frame padded to Ethernet's 60 bytes */
	S_WRONG_TID,    /* ACK `arg` from another client port */
	S_WRONG_SPORT,  /* ACK `arg` to another server port */
	S_EDIT,         /* apply `edit` to the session; no packet */
};

struct step {
	enum step_kind kind;
	uint16_t arg;
	enum verdict v;              /* V_END ends the script */
	uint64_t from;               /* V_TX: the window sent */
	unsigned count;
	uint64_t acked, sent;        /* the session after */
	uint8_t state;
	void (*edit)(struct rb_tftp_session *);
	int cnt;                     /* counter that must rise by one (-1: none) */
};

#define ACK(w, v_, f, c, a, s, st, k) { S_ACK, w, v_, f, c, a, s, st, NULL, k }
#define EDIT(fn) { S_EDIT, 0, V_PASS, 0, 0, 0, 0, 0, fn, -1 }
#define A RB_TFTP_ACTIVE
#define FIN RB_TFTP_FINISHED
#define FAILED RB_TFTP_FAILED

struct script {
	const char *why;
	int file;
	unsigned blksize, window;
	uint16_t rollover;
	uint64_t acked, sent;        /* at hand-over */
	struct step steps[16];
};

static const struct script scripts[] = {
	{ "OACK, then lockstep to the short last block", F_SHORT, 512, 1, 0, 0, 0, {
		ACK(0, V_TX, 1, 1, 0, 1, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(1, V_TX, 2, 1, 1, 2, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(2, V_TX, 3, 1, 2, 3, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(3, V_TX, 4, 1, 3, 4, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(4, V_TX, 5, 1, 4, 5, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(5, V_TX, 6, 1, 5, 6, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(6, V_PASS, 0, 0, 6, 6, FIN, RB_CNT_TFTP_DONE),
		ACK(6, V_PASS, 0, 0, 6, 6, FIN, RB_CNT_TFTP_PASS),
	} },
	{ "duplicate ACK: dropped within the gap, resent after it", F_SHORT, 512, 1, 0, 0, 0, {
		ACK(0, V_TX, 1, 1, 0, 1, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(1, V_TX, 2, 1, 1, 2, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(1, V_DROP, 0, 0, 1, 2, A, RB_CNT_TFTP_ACK_DUP),
		ACK(1, V_DROP, 0, 0, 1, 2, A, RB_CNT_TFTP_ACK_DUP),
		EDIT(age),
		ACK(1, V_TX, 2, 1, 1, 2, A, RB_CNT_TFTP_ACK_RESENT),
		ACK(1, V_DROP, 0, 0, 1, 2, A, RB_CNT_TFTP_ACK_DUP),
		ACK(0, V_DROP, 0, 0, 1, 2, A, RB_CNT_TFTP_ACK_STRAY),
		ACK(3, V_DROP, 0, 0, 1, 2, A, RB_CNT_TFTP_ACK_STRAY),
		ACK(2, V_TX, 3, 1, 2, 3, A, RB_CNT_TFTP_ACK_ANSWERED),
	} },
	{ "no options: the daemon sent DATA 1", F_SHORT, 512, 1, 0, 0, 1, {
		ACK(0, V_DROP, 0, 0, 0, 1, A, RB_CNT_TFTP_ACK_DUP),
		ACK(1, V_TX, 2, 1, 1, 2, A, RB_CNT_TFTP_ACK_ANSWERED),
	} },
	{ "OACK pending: only ACK 0 starts the transfer", F_SHORT, 512, 1, 0, 0, 0, {
		ACK(1, V_DROP, 0, 0, 0, 0, A, RB_CNT_TFTP_ACK_STRAY),
		ACK(0, V_TX, 1, 1, 0, 1, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(0, V_DROP, 0, 0, 0, 1, A, RB_CNT_TFTP_ACK_DUP),
	} },
	{ "size a multiple of blksize: an empty last DATA", F_EXACT, 512, 1, 0, 3, 4, {
		ACK(4, V_TX, 5, 1, 4, 5, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(5, V_PASS, 0, 0, 5, 5, FIN, RB_CNT_TFTP_DONE),
	} },
	{ "empty file: DATA 1 is empty", F_EMPTY, 512, 1, 0, 0, 0, {
		ACK(0, V_TX, 1, 1, 0, 1, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(1, V_PASS, 0, 0, 1, 1, FIN, RB_CNT_TFTP_DONE),
	} },
	{ "odd blksize: checksums of odd-length blocks", F_ODD, 1001, 1, 0, 0, 0, {
		ACK(0, V_TX, 1, 1, 0, 1, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(1, V_TX, 2, 1, 1, 2, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(2, V_TX, 3, 1, 2, 3, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(3, V_TX, 4, 1, 3, 4, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(4, V_PASS, 0, 0, 4, 4, FIN, RB_CNT_TFTP_DONE),
	} },
	{ "window 4, the last one cut at the last block", F_SHORT, 512, 4, 0, 0, 0, {
		ACK(0, V_TX, 1, 4, 0, 4, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(4, V_TX, 5, 2, 4, 6, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(6, V_PASS, 0, 0, 6, 6, FIN, RB_CNT_TFTP_DONE),
	} },
	{ "window 4: partial ACK goes back to the gap; old and duplicate ACKs", F_SHORT, 512, 4, 0,
	  0, 0, {
		ACK(0, V_TX, 1, 4, 0, 4, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(2, V_TX, 3, 4, 2, 6, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(1, V_DROP, 0, 0, 2, 6, A, RB_CNT_TFTP_ACK_STRAY),
		ACK(2, V_DROP, 0, 0, 2, 6, A, RB_CNT_TFTP_ACK_DUP),
		EDIT(age),
		ACK(2, V_TX, 3, 4, 2, 6, A, RB_CNT_TFTP_ACK_RESENT),
		ACK(5, V_TX, 6, 1, 5, 6, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(6, V_PASS, 0, 0, 6, 6, FIN, RB_CNT_TFTP_DONE),
	} },
	{ "window 16 of 1468-byte blocks, across chunk ends", F_BIG, 1468, 16, 0, 0, 0, {
		ACK(0, V_TX, 1, 16, 0, 16, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(16, V_TX, 17, 16, 16, 32, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(32, V_TX, 33, 16, 32, 48, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(48, V_TX, 49, 16, 48, 64, A, RB_CNT_TFTP_ACK_ANSWERED),
	} },
	{ "window 16, the end of the file", F_BIG, 1468, 16, 0, 112, 128, {
		ACK(128, V_TX, 129, 9, 128, 137, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(137, V_PASS, 0, 0, 137, 137, FIN, RB_CNT_TFTP_DONE),
	} },
	{ "lockstep 1468-byte blocks around the first chunk end", F_BIG, 1468, 1, 0, 43, 44, {
		ACK(44, V_TX, 45, 1, 44, 45, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(45, V_TX, 46, 1, 45, 46, A, RB_CNT_TFTP_ACK_ANSWERED),
	} },
	{ "rollover 0: 65535, then 0", F_ROLL, 8, 1, 0, 65534, 65535, {
		ACK(65535, V_TX, 65536, 1, 65535, 65536, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(0, V_TX, 65537, 1, 65536, 65537, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(1, V_TX, 65538, 1, 65537, 65538, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(1, V_DROP, 0, 0, 65537, 65538, A, RB_CNT_TFTP_ACK_DUP),
	} },
	{ "rollover 1: 65535, then 1", F_ROLL, 8, 1, 1, 65534, 65535, {
		ACK(65535, V_TX, 65536, 1, 65535, 65536, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(0, V_DROP, 0, 0, 65535, 65536, A, RB_CNT_TFTP_ACK_STRAY),
		ACK(1, V_TX, 65537, 1, 65536, 65537, A, RB_CNT_TFTP_ACK_ANSWERED),
	} },
	{ "rollover 0, window 16 over the wrap to the last block", F_ROLL, 8, 16, 0, 65520, 65530, {
		ACK(65530, V_TX, 65531, 11, 65530, 65541, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(2, V_TX, 65539, 3, 65538, 65541, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(5, V_PASS, 0, 0, 65541, 65541, FIN, RB_CNT_TFTP_DONE),
	} },
	{ "rollover 1, window 4 over the wrap", F_ROLL, 8, 4, 1, 65530, 65534, {
		ACK(65534, V_TX, 65535, 4, 65534, 65538, A, RB_CNT_TFTP_ACK_ANSWERED),
		ACK(3, V_TX, 65539, 3, 65538, 65541, A, RB_CNT_TFTP_ACK_ANSWERED),
	} },
	{ "client ERROR ends the session and goes up", F_SHORT, 512, 1, 0, 0, 0, {
		ACK(0, V_TX, 1, 1, 0, 1, A, RB_CNT_TFTP_ACK_ANSWERED),
		{ S_ERROR, 8, V_PASS, 0, 0, 0, 1, FAILED, NULL, RB_CNT_TFTP_ERROR },
		ACK(1, V_PASS, 0, 0, 0, 1, FAILED, RB_CNT_TFTP_PASS),
		{ S_ERROR, 8, V_PASS, 0, 0, 0, 1, FAILED, NULL, RB_CNT_TFTP_PASS },
	} },
	{ "ERROR during a windowed transfer", F_BIG, 1468, 8, 0, 0, 0, {
		{ S_ERROR, 0, V_PASS, 0, 0, 0, 0, FAILED, NULL, RB_CNT_TFTP_ERROR },
	} },
	{ "wrong TID: another client port, another server port", F_SHORT, 512, 1, 0, 0, 0, {
		{ S_WRONG_TID, 0, V_PASS, 0, 0, 0, 0, A, NULL, RB_CNT_PASS_NOT_OURS },
		{ S_WRONG_SPORT, 0, V_PASS, 0, 0, 0, 0, A, NULL, RB_CNT_PASS_NOT_OURS },
		ACK(0, V_TX, 1, 1, 0, 1, A, RB_CNT_TFTP_ACK_ANSWERED),
		{ S_WRONG_TID, 1, V_PASS, 0, 0, 0, 1, A, NULL, RB_CNT_PASS_NOT_OURS },
	} },
	{ "stale generation, changed size, other device: userspace takes it back", F_SHORT, 512, 1,
	  0, 0, 0, {
		ACK(0, V_TX, 1, 1, 0, 1, A, RB_CNT_TFTP_ACK_ANSWERED),
		EDIT(stale_gen),
		ACK(1, V_PASS, 0, 0, 0, 1, A, RB_CNT_TFTP_PASS),
		EDIT(restore_file),
		EDIT(wrong_size),
		ACK(1, V_PASS, 0, 0, 0, 1, A, RB_CNT_TFTP_PASS),
		EDIT(restore_file),
		EDIT(other_dev),
		ACK(1, V_PASS, 0, 0, 0, 1, A, RB_CNT_TFTP_PASS),
		EDIT(any_dev),
		ACK(1, V_TX, 2, 1, 1, 2, A, RB_CNT_TFTP_ACK_ANSWERED),
	} },
	{ "other opcodes and an ACK one byte long pass", F_SHORT, 512, 1, 0, 0, 0, {
		{ S_OP, 1, V_PASS, 0, 0, 0, 0, A, NULL, RB_CNT_TFTP_PASS },
		{ S_OP, 2, V_PASS, 0, 0, 0, 0, A, NULL, RB_CNT_TFTP_PASS },
		{ S_OP, 3, V_PASS, 0, 0, 0, 0, A, NULL, RB_CNT_TFTP_PASS },
		{ S_OP, 6, V_PASS, 0, 0, 0, 0, A, NULL, RB_CNT_TFTP_PASS },
		{ S_OP, 0, V_PASS, 0, 0, 0, 0, A, NULL, RB_CNT_TFTP_PASS },
		{ S_ACK_LONG, 0, V_PASS, 0, 0, 0, 0, A, NULL, RB_CNT_TFTP_PASS },
		{ S_ACK_PADDED, 0, V_TX, 1, 1, 0, 1, A, NULL, RB_CNT_TFTP_ACK_ANSWERED },
	} },
};

static size_t step_frame(uint8_t *f, const struct tsess *t, const struct step *st)
{
	struct ends e = t->to_server;

	switch (st->kind) {
	case S_ACK:
		return ack_frame(f, t, st->arg);
	case S_ERROR:
		return tftp_frame(f, &e, 5, st->arg, "aborted");
	case S_OP:
		return tftp_frame(f, &e, st->arg, 1, NULL);
	case S_ACK_LONG: {
		uint8_t p[5] = { 0, 4, (uint8_t)(st->arg >> 8), (uint8_t)st->arg, 0 };
		return udp_frame(f, &e, p, sizeof(p));
	}
	case S_ACK_PADDED: {
		size_t n = ack_frame(f, t, st->arg);
		memset(f + n, 0, 60 - n);
		return 60;
	}
	case S_WRONG_TID:
		e.sport++;
		return tftp_frame(f, &e, 4, st->arg, NULL);
	case S_WRONG_SPORT:
		e.dport += 10000;             /* no session's port */
		return tftp_frame(f, &e, 4, st->arg, NULL);
	case S_EDIT:
		break;
	}
	return 0;
}

static int check_event(const char *why, enum prog p, const struct tsess *t, uint32_t kind,
		       const struct rb_tftp_session *s, uint16_t code)
{
	if (evlog.n != 1) {
		print_error("%s [%s]: %u events, expected 1\n", why, prog_name[p], evlog.n);
		return 1;
	}
	const struct rb_ev_tftp *e = &evlog.ev[0];
	if (e->h.kind != kind || e->h.len != sizeof(*e) || memcmp(&e->key, &t->key, sizeof(t->key)) ||
	    e->blocks != s->acked || e->frames != s->frames || e->error_code != code) {
		print_error("%s [%s]: event kind %u blocks %" PRIu64 " frames %" PRIu64
			    " code %u, expected kind %u blocks %" PRIu64 " frames %" PRIu64
			    " code %u\n", why, prog_name[p], e->h.kind, (uint64_t)e->blocks,
			    (uint64_t)e->frames, e->error_code, kind, (uint64_t)s->acked,
			    (uint64_t)s->frames, code);
		return 1;
	}
	return 0;
}

/* One script through one program. XDP answers only windows of one: for a
 * windowed session every ACK must pass untouched and change nothing. */
static int run_script(const struct script *sc, enum prog p)
{
	struct tsess t = new_session(sc->file, sc->blksize, sc->window, sc->rollover, sc->acked,
				     sc->sent);
	uint64_t frames = 0;
	int bad = 0;

	for (unsigned i = 0; i < ARRAY_LEN(sc->steps) && sc->steps[i].v != V_END && !bad; i++) {
		const struct step *st = &sc->steps[i];
		if (st->kind == S_EDIT) {
			edit_session(&t, st->edit);
			continue;
		}
		static uint8_t in[FRAME_MAX];
		static struct run r;
		struct rb_tftp_session before, after;
		char why[160];
		snprintf(why, sizeof(why), "\"%s\" step %u", sc->why, i + 1);

		size_t len = step_frame(in, &t, st);
		bool to_tc = p == P_XDP && sc->window > 1 && st->kind != S_ERROR &&
			     (st->kind == S_ACK || st->kind == S_ACK_PADDED);
		enum verdict want = to_tc ? V_PASS : st->v;
		int cnt = to_tc ? RB_CNT_TFTP_TO_TC : st->cnt;
		uint64_t c0 = cnt >= 0 ? counter((enum rb_counter)cnt) : 0;
		uint64_t sent0 = counter(RB_CNT_TFTP_DATA_SENT);
		assert_int_equal(tftp_hot_session_get(g.sessions_fd, &t.key, &before), 0);
		evlog.n = 0;
		if (run_prog(p, in, len, &r)) {
			print_error("%s [%s]: test run failed: %s\n", why, prog_name[p], strerror(errno));
			bad = 1;
			break;
		}
		assert_int_equal(tftp_hot_session_get(g.sessions_fd, &t.key, &after), 0);

		if (r.v != want) {
			print_error("%s [%s]: %s, expected %s\n", why, prog_name[p], verdict_name[r.v],
				    verdict_name[want]);
			bad = 1;
			break;
		}
		if (cnt >= 0 && counter((enum rb_counter)cnt) != c0 + 1) {
			print_error("%s [%s]: counter %d did not count it\n", why, prog_name[p], cnt);
			bad = 1;
		}
		if (want == V_PASS && (r.out_len != len || memcmp(r.out, in, len) || r.nclones)) {
			print_error("%s [%s]: passed, but not unchanged\n", why, prog_name[p]);
			hexdiff("frame", r.out, r.out_len, in, len);
			bad = 1;
		}
		if (want == V_TX) {
			bad |= check_window(why, p, &r, &t, st->from, st->count, t.ip_id);
			t.ip_id = (uint16_t)(t.ip_id + st->count);
			frames += st->count;
			if (counter(RB_CNT_TFTP_DATA_SENT) != sent0 + st->count) {
				print_error("%s [%s]: DATA_SENT off\n", why, prog_name[p]);
				bad = 1;
			}
		} else if (r.nclones) {
			print_error("%s [%s]: %u frames sent on a %s\n", why, prog_name[p], r.nclones,
				    verdict_name[r.v]);
			bad = 1;
		}

		/* the session afterwards */
		uint64_t want_acked = to_tc ? before.acked : st->acked;
		uint64_t want_sent = to_tc ? before.sent : st->sent;
		uint8_t want_state = to_tc ? before.state : st->state;
		if (after.acked != want_acked || after.sent != want_sent || after.state != want_state ||
		    after.frames != frames || after.ip_id != t.ip_id) {
			print_error("%s [%s]: session acked %" PRIu64 " sent %" PRIu64 " state %u frames %"
				    PRIu64 " ip_id %u, expected %" PRIu64 "/%" PRIu64 "/%u/%" PRIu64
				    "/%u\n", why, prog_name[p], (uint64_t)after.acked,
				    (uint64_t)after.sent, after.state, (uint64_t)after.frames, after.ip_id, want_acked, want_sent, want_state,
				    frames, t.ip_id);
			bad = 1;
		}
		if (want == V_TX && after.last_send_ns <= before.last_send_ns) {
			print_error("%s [%s]: last_send_ns not moved\n", why, prog_name[p]);
			bad = 1;
		}
		if (want == V_DROP && st->cnt == RB_CNT_TFTP_ACK_DUP &&
		    after.last_send_ns != before.last_send_ns) {
			print_error("%s [%s]: a dropped duplicate moved last_send_ns\n", why, prog_name[p]);
			bad = 1;
		}
		if (after.acked > before.acked && after.last_ack_ns <= before.last_ack_ns) {
			print_error("%s [%s]: last_ack_ns not moved\n", why, prog_name[p]);
			bad = 1;
		}

		/* events: exactly one when the session ends, none otherwise */
		bool ends = before.state == RB_TFTP_ACTIVE && after.state != RB_TFTP_ACTIVE;
		if (ends)
			bad |= check_event(why, p, &t,
					   after.state == RB_TFTP_FINISHED ? RB_EV_TFTP_DONE
									   : RB_EV_TFTP_ERROR,
					   &after, st->kind == S_ERROR ? st->arg : 0);
		else if (evlog.n) {
			print_error("%s [%s]: %u unexpected events\n", why, prog_name[p], evlog.n);
			bad = 1;
		}
	}
	tftp_hot_session_delete(g.sessions_fd, &t.key);
	return bad;
}

static int check_script(const struct script *sc)
{
	return (run_script(sc, P_XDP) | run_script(sc, P_TC)) != 0;
}

static void test_scripts(void **state)
{
	(void)state;
	NEED_BPF();
	RUN_TABLE(scripts, check_script, "scripts");
}

/* ------------------------------------------------------------------ */
/* Malformed input: passed on, unchanged, the session untouched         */

enum mut {
	M_CUT = 1,       /* the valid ACK cut at `arg` bytes */
	M_IP_OPTIONS,    /* ihl 6 with a 4-byte NOP option */
	M_MF,            /* more-fragments */
	M_FRAG_OFF,      /* a fragment offset */
	M_VLAN,          /* an 802.1Q tag */
	M_TCP,           /* protocol 6 */
	M_ICMP,          /* protocol 1 */
	M_IPV6_TYPE,     /* ethertype 0x86dd */
	M_ARP_TYPE,      /* ethertype 0x0806 */
	M_VERSION,       /* version 6 in an IPv4 ethertype */
	M_UDP_LEN,       /* UDP length + arg */
	M_TOT_LEN,       /* IP total length + arg (more than the frame, or less than UDP's) */
	M_UDP_LEN_SHORT, /* UDP length 7 */
};

struct bad_row {
	const char *why;
	enum mut m;
	int arg;
};

static const struct bad_row bad_rows[] = {
	{ "IP options", M_IP_OPTIONS, 0 },
	{ "more fragments", M_MF, 0 },
	{ "a fragment offset", M_FRAG_OFF, 0 },
	{ "VLAN tag", M_VLAN, 0 },
	{ "TCP", M_TCP, 0 },
	{ "ICMP", M_ICMP, 0 },
	{ "IPv6 ethertype", M_IPV6_TYPE, 0 },
	{ "ARP ethertype", M_ARP_TYPE, 0 },
	{ "IP version 6", M_VERSION, 0 },
	{ "UDP length one more than IP's", M_UDP_LEN, 1 },
	{ "UDP length one less than IP's", M_UDP_LEN, -1 },
	{ "UDP length below its header", M_UDP_LEN_SHORT, 0 },
	{ "IP total length past the frame", M_TOT_LEN, 1 },
	{ "IP total length short of UDP's", M_TOT_LEN, -1 },
	{ "IP total length below two headers", M_TOT_LEN, -20 },
};

static void fix_ip_sum(uint8_t *f)
{
	put16(f + 24, 0);
	put16(f + 24, (uint16_t)~fold(sum16(f + 14, (size_t)(f[14] & 15) * 4)));
}

static size_t mutate(uint8_t *f, size_t len, enum mut m, int arg)
{
	switch (m) {
	case M_CUT:
		return (size_t)arg;
	case M_IP_OPTIONS:
		memmove(f + 38, f + 34, len - 34);
		memset(f + 34, 1, 4);
		f[14] = 0x46;
		put16(f + 16, (uint16_t)(get16(f + 16) + 4));
		fix_ip_sum(f);
		return len + 4;
	case M_MF:
		put16(f + 20, 0x2000);
		fix_ip_sum(f);
		return len;
	case M_FRAG_OFF:
		put16(f + 20, 0x0001);
		fix_ip_sum(f);
		return len;
	case M_VLAN:
		memmove(f + 16, f + 12, len - 12);
		put16(f + 12, 0x8100);
		put16(f + 14, 7);
		return len + 4;
	case M_TCP:
		f[23] = 6;
		fix_ip_sum(f);
		return len;
	case M_ICMP:
		f[23] = 1;
		fix_ip_sum(f);
		return len;
	case M_IPV6_TYPE:                    /* padded: skb test runs want an IPv6 header */
		put16(f + 12, 0x86dd);
		memset(f + len, 0, 60 - len);
		return 60;
	case M_ARP_TYPE:
		put16(f + 12, 0x0806);
		return len;
	case M_VERSION:
		f[14] = 0x65;
		return len;
	case M_UDP_LEN:
		put16(f + 38, (uint16_t)(get16(f + 38) + arg));
		return len;
	case M_UDP_LEN_SHORT:
		put16(f + 38, 7);
		return len;
	case M_TOT_LEN:
		put16(f + 16, (uint16_t)(get16(f + 16) + arg));
		fix_ip_sum(f);
		return len;
	}
	return len;
}

static struct tsess bad_sess;

static int check_bad_on(const char *why, enum mut m, int arg, enum prog p)
{
	static uint8_t in[FRAME_MAX];
	static struct run r;
	struct rb_tftp_session before, after;

	size_t len = mutate(in, ack_frame(in, &bad_sess, 0), m, arg);
	assert_int_equal(tftp_hot_session_get(g.sessions_fd, &bad_sess.key, &before), 0);
	if (run_prog(p, in, len, &r)) {
		/* Test runs refuse frames below an Ethernet header, and skb test
		 * runs (6.18) IPv4 frames below an IP header: the XDP runs cover
		 * those cuts (the parser is the same code). */
		if (errno == EINVAL && (len < 14 || (p == P_TC && len < 34)))
			return 0;
		print_error("%s [%s]: test run failed: %s\n", why, prog_name[p], strerror(errno));
		return 1;
	}
	assert_int_equal(tftp_hot_session_get(g.sessions_fd, &bad_sess.key, &after), 0);
	if (r.v != V_PASS || r.out_len != len || memcmp(r.out, in, len) || r.nclones ||
	    memcmp(&before, &after, sizeof(before))) {
		print_error("%s [%s]: %s, %u bytes of %zu, %u copies%s\n", why, prog_name[p],
			    verdict_name[r.v], r.out_len, len, r.nclones,
			    memcmp(&before, &after, sizeof(before)) ? ", session changed" : "");
		return 1;
	}
	return 0;
}

static int check_bad(const struct bad_row *row)
{
	return (check_bad_on(row->why, row->m, row->arg, P_XDP) |
		check_bad_on(row->why, row->m, row->arg, P_TC)) != 0;
}

static void test_malformed(void **state)
{
	(void)state;
	NEED_BPF();
	bad_sess = new_session(F_SHORT, 512, 1, 0, 0, 0);
	uint8_t f[FRAME_MAX];
	size_t full = ack_frame(f, &bad_sess, 0);
	int failed = 0;
	uint64_t m0 = counter(RB_CNT_PASS_MALFORMED);

	for (size_t cut = 0; cut < full; cut++) {
		char why[64];
		snprintf(why, sizeof(why), "ACK cut at %zu bytes", cut);
		failed += check_bad_on(why, M_CUT, (int)cut, P_XDP) +
			  check_bad_on(why, M_CUT, (int)cut, P_TC);
	}
	if (failed)
		fail_msg("%d cut frames not passed untouched", failed);
	if (counter(RB_CNT_PASS_MALFORMED) == m0)
		fail_msg("cut frames not counted as malformed");
	RUN_TABLE(bad_rows, check_bad, "malformed frames");
	/* and the untouched session still answers */
	static struct run r;
	uint8_t in[FRAME_MAX];
	assert_int_equal(run_prog(P_TC, in, ack_frame(in, &bad_sess, 0), &r), 0);
	assert_int_equal(r.v, V_TX);
	tftp_hot_session_delete(g.sessions_fd, &bad_sess.key);
}

/* ------------------------------------------------------------------ */
/* Whole transfers                                                      */

struct xfer_row {
	const char *why;
	enum prog p;
	int file;
	unsigned blksize, window;
	uint16_t rollover;
};

static const struct xfer_row xfers[] = {
	{ "XDP lockstep, 1468-byte blocks", P_XDP, F_BIG, 1468, 1, 0 },
	{ "TC lockstep, 1468-byte blocks", P_TC, F_BIG, 1468, 1, 0 },
	{ "TC window 4, 1468-byte blocks", P_TC, F_BIG, 1468, 4, 0 },
	{ "TC window 16, 1468-byte blocks", P_TC, F_BIG, 1468, 16, 0 },
	{ "TC window 16, 512-byte blocks", P_TC, F_BIG, 512, 16, 0 },
	{ "XDP lockstep past 65535, rollover 0", P_XDP, F_ROLL, 8, 1, 0 },
	{ "XDP lockstep past 65535, rollover 1", P_XDP, F_ROLL, 8, 1, 1 },
	{ "TC window 16 past 65535, rollover 0", P_TC, F_ROLL, 8, 16, 0 },
	{ "TC window 4 past 65535, rollover 1", P_TC, F_ROLL, 8, 4, 1 },
};

/* Like a client: ACK the last block of each window, with the wire number
 * from its own 16-bit counter, until the last block; then the final ACK
 * must end the session with one DONE event. */
static int check_xfer(const struct xfer_row *x)
{
	struct tsess t = new_session(x->file, x->blksize, x->window, x->rollover, 0, 0);
	uint64_t last = last_block(&t), acked = 0;
	uint16_t wire = 0;
	static uint8_t in[FRAME_MAX];
	static struct run r;
	int bad = 0;

	while (!bad) {
		evlog.n = 0;
		if (run_prog(x->p, in, ack_frame(in, &t, wire), &r)) {
			print_error("%s: test run failed\n", x->why);
			bad = 1;
			break;
		}
		if (acked == last) {
			if (r.v != V_PASS || evlog.n != 1 || evlog.ev[0].h.kind != RB_EV_TFTP_DONE ||
			    evlog.ev[0].blocks != last) {
				print_error("%s: final ACK: %s, %u events\n", x->why, verdict_name[r.v],
					    evlog.n);
				bad = 1;
			}
			break;
		}
		uint64_t n = last - acked < x->window ? last - acked : x->window;
		if (r.v != V_TX) {
			print_error("%s: ACK of %" PRIu64 ": %s\n", x->why, acked, verdict_name[r.v]);
			bad = 1;
			break;
		}
		bad |= check_window(x->why, x->p, &r, &t, acked + 1, (unsigned)n, t.ip_id);
		t.ip_id = (uint16_t)(t.ip_id + n);
		for (uint64_t i = 0; i < n; i++)      /* the client's counter */
			wire = wire == 65535 ? x->rollover : (uint16_t)(wire + 1);
		acked += n;
	}
	struct rb_tftp_session s;
	if (!bad && (tftp_hot_session_get(g.sessions_fd, &t.key, &s) || s.state != RB_TFTP_FINISHED ||
		     s.acked != last || s.sent != last || s.frames != last)) {
		print_error("%s: session at the end: state %u acked %" PRIu64 " frames %" PRIu64 "\n",
			    x->why, s.state, (uint64_t)s.acked, (uint64_t)s.frames);
		bad = 1;
	}
	tftp_hot_session_delete(g.sessions_fd, &t.key);
	return bad;
}

static void test_transfers(void **state)
{
	(void)state;
	NEED_BPF();
	RUN_TABLE(xfers, check_xfer, "transfers");
}

/* A file reloaded into another slot: sessions on the old one finish on the
 * old contents; released, its sessions pass up; a reused slot never gets
 * an old generation back. */
static void test_reload(void **state)
{
	(void)state;
	NEED_BPF();
	struct tftp_hot_file v1, v2, v3;
	uint8_t a[700], b[700];
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	assert_int_equal(tftp_hot_load(g.files_fd, g.meta_fd, a, sizeof(a), &v1), 0);
	assert_int_equal(tftp_hot_load(g.files_fd, g.meta_fd, b, sizeof(b), &v2), 0);
	assert_int_not_equal(v1.slot, v2.slot);

	/* a session on v1 gets v1's bytes although v2 is loaded */
	struct tsess t = new_session(F_SHORT, 512, 1, 0, 0, 0);
	struct rb_tftp_session s;
	assert_int_equal(tftp_hot_session_take(g.sessions_fd, &t.key, &s), 0);
	tftp_hot_session_init(&s, &v1, 512, 1, 0, GAP_NS);
	s.ip_id = IP_ID0;
	assert_int_equal(tftp_hot_session_insert(g.sessions_fd, &t.key, &s), 0);
	static struct run r;
	uint8_t in[FRAME_MAX];
	assert_int_equal(run_prog(P_TC, in, ack_frame(in, &t, 0), &r), 0);
	assert_int_equal(r.v, V_TX);
	assert_int_equal(r.out_len, 46 + 512);
	assert_memory_equal(r.out + 46, a, 512);
	assert_null(bad_checksums(r.out, r.out_len));

	/* released: the session passes up, untouched */
	assert_int_equal(tftp_hot_release(g.files_fd, g.meta_fd, v1.slot), 0);
	assert_int_equal(tftp_hot_release(g.files_fd, g.meta_fd, v1.slot), -ENOENT);
	size_t len = ack_frame(in, &t, 1);
	assert_int_equal(run_prog(P_XDP, in, len, &r), 0);
	assert_int_equal(r.v, V_PASS);
	assert_memory_equal(r.out, in, len);
	assert_int_equal(run_prog(P_TC, in, len, &r), 0);
	assert_int_equal(r.v, V_PASS);

	/* the slot comes back with a new generation: the old session still passes */
	assert_int_equal(tftp_hot_load(g.files_fd, g.meta_fd, b, sizeof(b), &v3), 0);
	assert_int_equal(v3.slot, v1.slot);
	assert_true(v3.gen > v1.gen);
	assert_int_equal(run_prog(P_TC, in, len, &r), 0);
	assert_int_equal(r.v, V_PASS);
	tftp_hot_session_delete(g.sessions_fd, &t.key);
	assert_int_equal(tftp_hot_release(g.files_fd, g.meta_fd, v2.slot), 0);
	assert_int_equal(tftp_hot_release(g.files_fd, g.meta_fd, v3.slot), 0);
}

/* ------------------------------------------------------------------ */
/* tftp_hot                                                             */

static void test_hot_chunks(void **state)
{
	(void)state;
	NEED_BPF();
	/* F_BIG's chunks: the file's bytes with the overlap, zeros past its end */
	struct rb_tftp_file_meta m;
	assert_int_equal(tftp_hot_meta(g.meta_fd, hot[F_BIG].slot, &m), 0);
	assert_int_equal(m.size, file_size[F_BIG]);
	assert_int_equal(m.gen, hot[F_BIG].gen);
	assert_int_equal(m.nchunks, 4);
	uint32_t slot = hot[F_BIG].slot, inner_id;
	assert_int_equal(bpf_map_lookup_elem(g.files_fd, &slot, &inner_id), 0);
	int fd = bpf_map_get_fd_by_id(inner_id);
	assert_true(fd >= 0);
	struct bpf_map_info info = { 0 };
	uint32_t il = sizeof(info);
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &il), 0);
	assert_int_equal(info.max_entries, 4);
	assert_int_equal(info.value_size, sizeof(struct rb_tftp_chunk));
	struct rb_tftp_chunk *c = malloc(sizeof(*c));
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(bpf_map_lookup_elem(fd, &i, c), 0);
		uint64_t off = (uint64_t)i * RB_TFTP_CHUNK;
		uint64_t n = file_size[F_BIG] - off < sizeof(c->data) ? file_size[F_BIG] - off
								    : sizeof(c->data);
		assert_memory_equal(c->data, file_data[F_BIG] + off, n);
		for (uint64_t j = n; j < sizeof(c->data); j++)
			if (c->data[j])
				fail_msg("chunk %u byte %" PRIu64 " past the end is not zero", i, j);
	}
	free(c);
	close(fd);

	assert_int_equal(tftp_hot_meta(g.meta_fd, RB_TFTP_FILE_SLOTS, &m), -EINVAL);
	assert_int_equal(tftp_hot_release(g.files_fd, g.meta_fd, RB_TFTP_FILE_SLOTS), -EINVAL);
	struct tftp_hot_file f;
	uint8_t byte = 0;
	assert_int_equal(tftp_hot_load(g.files_fd, g.meta_fd, &byte,
				       (uint64_t)RB_TFTP_MAX_CHUNKS * RB_TFTP_CHUNK + 1, &f), -EFBIG);
	assert_int_equal(errno, EFBIG);

	/* every slot taken: -ENOSPC; then all given back */
	struct tftp_hot_file many[RB_TFTP_FILE_SLOTS];
	int n = 0;
	while (n < RB_TFTP_FILE_SLOTS && tftp_hot_load(g.files_fd, g.meta_fd, &byte, 1, &many[n]) == 0)
		n++;
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(n, RB_TFTP_FILE_SLOTS - F__N);
	for (int i = 0; i < n; i++)
		assert_int_equal(tftp_hot_release(g.files_fd, g.meta_fd, many[i].slot), 0);
}

static int count_cb(const struct rb_tftp_key *k, const struct rb_tftp_session *s, void *arg)
{
	int *n = arg;
	(*n)++;
	if (s->blksize == 9)            /* the walk's own deletion */
		tftp_hot_session_delete(g.sessions_fd, k);
	return 0;
}

static int stop_cb(const struct rb_tftp_key *k, const struct rb_tftp_session *s, void *arg)
{
	(void)k, (void)s, (void)arg;
	return 42;
}

static void test_hot_sessions(void **state)
{
	(void)state;
	NEED_BPF();
	struct rb_tftp_session s, got;
	struct rb_tftp_key k = { .client_ip_be = 1, .server_ip_be = 2, .client_port_be = 3,
				 .server_port_be = 4 };
	static const char *const invalid[] = {
		"blksize 7", "blksize 1469", "window 0", "window 17", "not ACTIVE", "slot 64",
		"acked past sent", "more than a window out", "sent past the last block",
		"generation 0",
	};
	for (size_t i = 0; i < ARRAY_LEN(invalid); i++) {
		tftp_hot_session_init(&s, &hot[F_SHORT], 512, 4, 0, GAP_NS);
		switch (i) {
		case 0: s.blksize = 7; break;
		case 1: s.blksize = 1469; break;
		case 2: s.windowsize = 0; break;
		case 3: s.windowsize = 17; break;
		case 4: s.state = RB_TFTP_FINISHED; break;
		case 5: s.slot = RB_TFTP_FILE_SLOTS; break;
		case 6: s.acked = 3, s.sent = 2; break;
		case 7: s.acked = 0, s.sent = 5; break;
		case 8: s.acked = 6, s.sent = 7; break;
		case 9: s.file_gen = 0; break;
		}
		if (tftp_hot_session_insert(g.sessions_fd, &k, &s) != -EINVAL)
			fail_msg("a session with %s was accepted", invalid[i]);
	}
	tftp_hot_session_init(&s, &hot[F_SHORT], 512, 4, 0, GAP_NS);
	s.sent = 4;
	assert_int_equal(tftp_hot_session_insert(g.sessions_fd, &k, &s), 0);
	assert_int_equal(tftp_hot_session_insert(g.sessions_fd, &k, &s), -EEXIST);
	assert_int_equal(tftp_hot_session_get(g.sessions_fd, &k, &got), 0);
	assert_int_equal(got.sent, 4);
	assert_int_equal(got.slot, hot[F_SHORT].slot);

	/* walking: every session once; fn may delete the one it is given */
	struct rb_tftp_key k2 = k;
	k2.client_port_be = 5;
	s.blksize = 9;
	assert_int_equal(tftp_hot_session_insert(g.sessions_fd, &k2, &s), 0);
	int n = 0;
	assert_int_equal(tftp_hot_session_foreach(g.sessions_fd, count_cb, &n), 2);
	assert_int_equal(n, 2);
	assert_int_equal(tftp_hot_session_get(g.sessions_fd, &k2, &got), -ENOENT);
	assert_int_equal(tftp_hot_session_foreach(g.sessions_fd, stop_cb, NULL), 42);

	assert_int_equal(tftp_hot_session_take(g.sessions_fd, &k, &got), 0);
	assert_int_equal(got.sent, 4);
	assert_int_equal(tftp_hot_session_take(g.sessions_fd, &k, &got), -ENOENT);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(tftp_hot_session_delete(g.sessions_fd, &k), -ENOENT);
	assert_int_equal(tftp_hot_session_foreach(g.sessions_fd, count_cb, &n), 0);
	assert_int_equal(tftp_hot_last_block(1024, 512), 3);
	assert_int_equal(tftp_hot_last_block(1023, 512), 2);
	assert_int_equal(tftp_hot_last_block(0, 512), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hot_chunks),
		cmocka_unit_test(test_hot_sessions),
		cmocka_unit_test(test_scripts),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_transfers),
		cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
