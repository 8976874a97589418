/* The TFTP fast path on a real veth pair, with a real UDP client: what
 * BPF_PROG_TEST_RUN cannot show.
 *
 * The server's end of the pair lives in the test's own network namespace
 * and runs the production TC program (clsact ingress), with or without
 * the XDP program beside it; the client's end is in a second namespace,
 * held by a child process that only sleeps, and the test's client socket
 * is made there. A handed-over session is driven by ACKs from a connected
 * UDP socket, as a client would; every DATA must arrive in order, whole
 * and once, and the session end FINISHED.
 *
 * What this proves beyond the test runs: on veth, XDP cannot grow the ACK
 * and leaves it to TC (counted); TC's bpf_clone_redirect windows arrive
 * complete and in order; and the UDP checksum is right in both forms the
 * receiving kernel may hold it in: whole, or (an skb that came from a
 * local sender is CHECKSUM_PARTIAL, and so is the reply made of it) the
 * pseudo header's sum for offload or skb_checksum_help to finish. An
 * AF_PACKET socket on the client's end with PACKET_AUXDATA tells which. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"
#include "test_bpf_tftp.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <linux/if_link.h>

#define SRV_IF    "rbtftps0"
#define CLI_IF    "rbtftpc0"
#define SRV_ADDR  "10.77.0.1"
#define CLI_ADDR  "10.77.0.2"
#define FILE_SIZE (300 * 1000 + 77)
#define FRAME_MAX_VETH 2048

static struct {
	pid_t holder;                /* sleeps in the client's namespace */
	int srv_ns, cli_ns;
	int ifindex;                 /* SRV_IF */
	struct bpf_tc_hook hook;
	uint8_t *file;
	struct tftp_hot_file hot;
	uint16_t next_port;
} v = { .holder = -1, .srv_ns = -1, .cli_ns = -1 };

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	if (r)
		fprintf(stderr, "# '%s' failed (%d)\n", cmd, r);
	return r;
}

static int to_ns(int fd)
{
	return setns(fd, CLONE_NEWNET);
}

static int veth_setup(void **state)
{
	(void)state;
	if (bpf_env_setup())
		return -1;
	if (!g.ok)
		return 0;
	int p[2];
	char c, path[64];
	if (pipe(p))
		return -1;
	v.holder = fork();
	if (v.holder == 0) {
		if (unshare(CLONE_NEWNET) || write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (v.holder < 0 || read(p[0], &c, 1) != 1)
		return -1;
	close(p[0]);
	close(p[1]);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)v.holder);
	v.cli_ns = open(path, O_RDONLY | O_CLOEXEC);
	v.srv_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (v.cli_ns < 0 || v.srv_ns < 0 ||
	    sh("ip link add " SRV_IF " type veth peer name " CLI_IF " netns %d", (int)v.holder) ||
	    sh("ip addr add " SRV_ADDR "/24 dev " SRV_IF " && ip link set " SRV_IF " up") ||
	    to_ns(v.cli_ns) ||
	    sh("ip addr add " CLI_ADDR "/24 dev " CLI_IF " && ip link set " CLI_IF " up && "
	       "ip link set lo up") ||
	    to_ns(v.srv_ns))
		return -1;
	v.ifindex = (int)if_nametoindex(SRV_IF);
	v.hook = (struct bpf_tc_hook){ .sz = sizeof(v.hook), .ifindex = v.ifindex,
				       .attach_point = BPF_TC_INGRESS };
	LIBBPF_OPTS(bpf_tc_opts, tco, .prog_fd = g.prog_fd[P_TC]);
	if (bpf_tc_hook_create(&v.hook) || bpf_tc_attach(&v.hook, &tco)) {
		fprintf(stderr, "# attaching TC: %s\n", strerror(errno));
		return -1;
	}
	v.file = malloc(FILE_SIZE);
	if (!v.file)
		return -1;
	for (uint32_t i = 0, x = 88172645u; i < FILE_SIZE; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		v.file[i] = (uint8_t)x;
	}
	v.next_port = 30000;
	return tftp_hot_load(g.files_fd, g.meta_fd, v.file, FILE_SIZE, &v.hot) ? -1 : 0;
}

static int veth_teardown(void **state)
{
	(void)state;
	if (v.ifindex) {
		bpf_xdp_detach(v.ifindex, XDP_FLAGS_DRV_MODE, NULL);
		v.hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&v.hook);
		sh("ip link del " SRV_IF);           /* takes its peer with it */
	}
	if (v.holder > 0) {
		kill(v.holder, SIGKILL);
		waitpid(v.holder, NULL, 0);
	}
	if (v.cli_ns >= 0)
		close(v.cli_ns);
	if (v.srv_ns >= 0)
		close(v.srv_ns);
	free(v.file);
	bpf_env_teardown();
	return 0;
}

/* The client's sockets, made in its namespace: a UDP socket bound to its
 * port and connected to the server's, and a packet socket on its end of
 * the pair that reports each frame's checksum state. */
struct client {
	int udp, pkt;
	uint16_t port, server_port;
};

static int client_open(struct client *cl)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(cl->port) };
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(cl->server_port) };
	struct timeval tv = { .tv_sec = 2 };
	int one = 1, rcvbuf = 8 << 20, r = -1;

	inet_pton(AF_INET, CLI_ADDR, &me.sin_addr);
	inet_pton(AF_INET, SRV_ADDR, &srv.sin_addr);
	if (to_ns(v.cli_ns))
		return -1;
	cl->udp = socket(AF_INET, SOCK_DGRAM, 0);
	cl->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_IP));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				   .sll_ifindex = (int)if_nametoindex(CLI_IF) };
	if (cl->udp >= 0 && cl->pkt >= 0 &&
	    !setsockopt(cl->udp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) &&
	    !setsockopt(cl->udp, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	    !bind(cl->udp, (struct sockaddr *)&me, sizeof(me)) &&
	    !connect(cl->udp, (struct sockaddr *)&srv, sizeof(srv)) &&
	    !setsockopt(cl->pkt, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) &&
	    !setsockopt(cl->pkt, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	    !bind(cl->pkt, (struct sockaddr *)&sll, sizeof(sll)))
		r = 0;
	if (to_ns(v.srv_ns))
		return -1;
	return r;
}

static void client_close(struct client *cl)
{
	close(cl->udp);
	close(cl->pkt);
}

/* The frames the client's end received from the server, checked the way
 * its kernel holds them: a CHECKSUM_PARTIAL frame must carry the pseudo
 * header's sum (what offload or skb_checksum_help completes), any other
 * the whole checksum. Returns the number of DATA frames, or -1. */
static int check_wire(const char *why, struct client *cl, unsigned *partial)
{
	uint8_t f[FRAME_MAX_VETH];
	int n = 0;

	*partial = 0;
	for (;;) {
		struct sockaddr_ll from;
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		} cm;
		struct iovec iov = { f, sizeof(f) };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = &cm, .msg_controllen = sizeof(cm) };
		ssize_t len = recvmsg(cl->pkt, &mh, 0);
		if (len <= 0)
			return n;
		/* SOCK_RAW on an Ethernet device: the frame with its header */
		if (from.sll_pkttype != PACKET_HOST || len < 46 || f[23] != 17 ||
		    get16(f + 34) != cl->server_port || get16(f + 42) != 3)
			continue;
		const struct tpacket_auxdata *aux = NULL;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA)
				aux = (const void *)CMSG_DATA(c);
		n++;
		if (aux && (aux->tp_status & TP_STATUS_CSUMNOTREADY)) {
			uint16_t ulen = get16(f + 38);
			uint16_t want = fold(sum16(f + 26, 8) + 17 + ulen);
			(*partial)++;
			if (fold(sum16(f + 14, 20)) != 0xffff || get16(f + 40) != want) {
				print_error("%s: a CHECKSUM_PARTIAL frame holds 0x%04x, not the pseudo "
					    "header's sum 0x%04x\n", why, get16(f + 40), want);
				return -1;
			}
		} else {
			const char *bad = bad_checksums(f, (size_t)len);
			if (bad) {
				print_error("%s: bad %s\n", why, bad);
				return -1;
			}
		}
	}
}

struct veth_row {
	const char *why;
	unsigned blksize, window;
	bool xdp;                    /* the XDP program attached too */
};

static const struct veth_row veth_rows[] = {
	{ "lockstep, XDP attached (it cannot grow the frame on veth: TC answers)", 1468, 1, true },
	{ "lockstep, TC alone, 512-byte blocks", 512, 1, false },
	{ "window 4 (EDK2's), 1432-byte blocks (iPXE's)", 1432, 4, false },
	{ "window 8, XDP attached", 1468, 8, true },
	{ "window 16, 1468-byte blocks", 1468, 16, false },
};

static int check_veth(const struct veth_row *row)
{
	struct client cl = { .port = v.next_port++, .server_port = v.next_port++ };
	uint64_t last = FILE_SIZE / row->blksize + 1, acked = 0;
	uint64_t to_tc0 = counter(RB_CNT_TFTP_TO_TC), sent0 = counter(RB_CNT_TFTP_DATA_SENT);
	uint8_t buf[2048];
	int bad = 0;

	if (row->xdp ? bpf_xdp_attach(v.ifindex, g.prog_fd[P_XDP], XDP_FLAGS_DRV_MODE, NULL)
		     : bpf_xdp_detach(v.ifindex, XDP_FLAGS_DRV_MODE, NULL)) {
		print_error("%s: XDP attach/detach: %s\n", row->why, strerror(errno));
		return 1;
	}
	if (client_open(&cl)) {
		print_error("%s: client sockets: %s\n", row->why, strerror(errno));
		return 1;
	}
	struct rb_tftp_key key = { .client_port_be = htons(cl.port),
				   .server_port_be = htons(cl.server_port) };
	inet_pton(AF_INET, CLI_ADDR, &key.client_ip_be);
	inet_pton(AF_INET, SRV_ADDR, &key.server_ip_be);
	struct rb_tftp_session s;
	tftp_hot_session_init(&s, &v.hot, row->blksize, row->window, 0, 10ull * 1000000000ull);
	if (tftp_hot_session_insert(g.sessions_fd, &key, &s)) {
		print_error("%s: insert: %s\n", row->why, strerror(errno));
		client_close(&cl);
		return 1;
	}

	/* ACK 0 (the OACK's), then the last block of each window */
	while (!bad) {
		uint8_t ack[4] = { 0, 4, (uint8_t)(acked >> 8), (uint8_t)acked };
		if (send(cl.udp, ack, sizeof(ack), 0) != sizeof(ack)) {
			print_error("%s: send: %s\n", row->why, strerror(errno));
			bad = 1;
			break;
		}
		if (acked == last)
			break;
		uint64_t n = last - acked < row->window ? last - acked : row->window;
		for (uint64_t b = acked + 1; b <= acked + n && !bad; b++) {
			ssize_t got = recv(cl.udp, buf, sizeof(buf), 0);
			uint64_t off = (b - 1) * row->blksize;
			size_t want = FILE_SIZE - off < row->blksize ? FILE_SIZE - off : row->blksize;
			if (got != (ssize_t)(4 + want) || get16(buf) != 3 || get16(buf + 2) != (uint16_t)b ||
			    memcmp(buf + 4, v.file + off, want)) {
				print_error("%s: block %" PRIu64 ": got %zd bytes (%s), block %u\n",
					    row->why, b, got, got < 0 ? strerror(errno) : "",
					    got >= 4 ? get16(buf + 2) : 0);
				bad = 1;
			}
		}
		acked += n;
	}
	/* nothing more may come (no duplicate, no stray) */
	if (!bad && recv(cl.udp, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
		print_error("%s: a datagram after the last block\n", row->why);
		bad = 1;
	}
	for (int i = 0; i < 100 && !bad; i++) {       /* the final ACK is on its way */
		if (tftp_hot_session_get(g.sessions_fd, &key, &s) == 0 && s.state != RB_TFTP_ACTIVE)
			break;
		usleep(10000);
	}
	if (!bad && (s.state != RB_TFTP_FINISHED || s.acked != last || s.frames != last)) {
		print_error("%s: session state %u acked %" PRIu64 " frames %" PRIu64 " of %" PRIu64
			    "\n", row->why, s.state, (uint64_t)s.acked, (uint64_t)s.frames, last);
		bad = 1;
	}
	unsigned partial = 0;
	int frames = bad ? 0 : check_wire(row->why, &cl, &partial);
	if (!bad && (uint64_t)frames != last) {
		print_error("%s: %d DATA frames on the client's wire, %" PRIu64 " expected\n",
			    row->why, frames, last);
		bad = 1;
	}
	if (!bad && counter(RB_CNT_TFTP_DATA_SENT) - sent0 != last) {
		print_error("%s: DATA_SENT counted %" PRIu64 "\n", row->why,
			    counter(RB_CNT_TFTP_DATA_SENT) - sent0);
		bad = 1;
	}
	if (!bad && row->xdp && counter(RB_CNT_TFTP_TO_TC) == to_tc0) {
		print_error("%s: XDP never left an ACK to TC\n", row->why);
		bad = 1;
	}
	if (!bad)
		fprintf(stderr, "# %s: %" PRIu64 " blocks, %u of them CHECKSUM_PARTIAL at the client\n",
			row->why, last, partial);
	tftp_hot_session_delete(g.sessions_fd, &key);
	client_close(&cl);
	return bad;
}

static void test_veth_transfers(void **state)
{
	(void)state;
	NEED_BPF();
	RUN_TABLE(veth_rows, check_veth, "veth transfers");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_veth_transfers),
	};

	return cmocka_run_group_tests(tests, veth_setup, veth_teardown);
}
