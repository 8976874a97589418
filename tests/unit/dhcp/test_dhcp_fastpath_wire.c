/* The DHCP fast path on the wire: a veth pair between this test's own
 * network namespace (the server: the TC program attached to its end, a
 * DHCP server with real sockets on ports 67 and 4011) and a client
 * namespace, where a packet socket sends each request and captures what
 * comes back. For every request the kernel's reply and the reply the
 * server's own socket sends (dhcp_server_input() on the same bytes, its
 * send path untouched) are captured and compared whole: Ethernet, IP and
 * UDP headers and the DHCP payload. What may differ, and only that:
 *  - the IP id (the program writes 0; this kernel's socket a hashed one);
 *  - the IP checksum, which covers the id;
 *  - the UDP checksum: the socket's leaves veth unfinished
 *    (CHECKSUM_PARTIAL: the pseudo-header's sum), the program's is
 *    complete. Both are checked for what they are.
 * dhcp_fastpath_probe() runs for real here: the interface's MAC, the
 * on-link subnet, the route's source address, the TTL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"
#include "test_dhcp_fastpath.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#define SRV_IF "rbfw0"
#define CLI_IF "rbfw1"

static char dir[64], cli_ns[32];
static int home_fd = -1, cap = -1, cli_ifindex;
static struct bpf_tc_hook hook;
static struct dhcp_server *srv;

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The client's end: a packet socket in its namespace. */
static int client_socket(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/var/run/netns/%s", cli_ns);
	int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET))
		return -1;
	cli_ifindex = (int)if_nametoindex(CLI_IF);
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = cli_ifindex };
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	close(ns);
	return setns(home_fd, CLONE_NEWNET) ? -1 : s;
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "# not root: skipped\n");
		return 0;
	}
	libbpf_set_print(NULL);
	log_init("test_dhcp_fastpath_wire", true);
	snprintf(dir, sizeof(dir), "/tmp/rb-dhcp-wire.XXXXXX");
	snprintf(cli_ns, sizeof(cli_ns), "rbdhcpw%d", (int)getpid());
	if (!mkdtemp(dir) || unshare(CLONE_NEWNET))
		return -1;
	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_fd < 0 ||
	    sh("ip netns add %s", cli_ns) ||
	    sh("ip link set lo up && ip link add %s type veth peer name %s && "
	       "ip link set %s netns %s", SRV_IF, CLI_IF, CLI_IF, cli_ns) ||
	    sh("ip link set %s address 02:5e:00:00:00:01 && ip addr add " SRV "/16 dev %s && "
	       "ip link set %s up", SRV_IF, SRV_IF, SRV_IF) ||
	    sh("ip -n %s link set %s address 02:00:00:00:00:01 && "
	       "ip -n %s addr add 10.1.7.12/16 dev %s && ip -n %s link set %s up && "
	       "ip -n %s link set lo up", cli_ns, CLI_IF, cli_ns, CLI_IF, cli_ns, CLI_IF, cli_ns))
		return -1;
	if (env_setup() || !g.ok)
		return -1;
	cap = client_socket();
	if (cap < 0)
		return -1;
	hook = (struct bpf_tc_hook){ .sz = sizeof(hook), .ifindex = (int)if_nametoindex(SRV_IF),
				     .attach_point = BPF_TC_INGRESS };
	LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = g.prog_fd[P_TC]);
	if (bpf_tc_hook_create(&hook) || bpf_tc_attach(&hook, &to))
		return -1;
	usleep(200000);                         /* the link settles (no carrier before) */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	bpf_tc_hook_destroy(&hook);
	if (cap >= 0)
		close(cap);
	rb_xdp__destroy(g.xdp);
	rb_tc__destroy(g.tc);
	sh("ip netns del %s", cli_ns);
	return sh("rm -rf %s", dir);
}

static struct rb_config *load(bool proxy)
{
	char text[512];
	snprintf(text, sizeof(text), "interface " SRV_IF "\naddress " SRV "/16\nroot /\n%s",
		 proxy ? "proxy-dhcp yes\n" :
		 "subnet 10.1.0.0/16 {\n range 10.1.1.1 10.1.1.200\n router 10.1.0.254\n}\n");
	return config_from(dir, text);
}

/* A server with real sockets, and the fast path as the daemon sets it up. */
static void start(bool proxy)
{
	char err[256];
	struct rb_config *probe_cfg = load(proxy);
	struct dhcp_fastpath_opts o = { .stock = 8 };
	if (dhcp_fastpath_probe(probe_cfg, &o.link, err, sizeof(err)))
		fail_msg("probe: %s", err);
	rb_config_free(probe_cfg);
	free(probe_cfg);
	assert_memory_equal(o.link.mac, srv_mac, 6);
	assert_int_equal(o.link.ttl, 64);
	assert_true(o.link.binl_unicast);
	assert_int_equal(o.link.onlink_net, htonl(0x0a010000));
	assert_int_equal(o.link.onlink_mask, htonl(0xffff0000));

	struct dhcp_server_opts so = { .cfg = load(proxy) };
	srv = dhcp_server_new(&so, err, sizeof(err));
	if (!srv)
		fail_msg("server: %s", err);
	fp_start(srv, &o);
}

static void stop(void)
{
	fp_stop(srv);
	dhcp_server_free(srv);
	srv = NULL;
}

/* The next DHCP reply the client sees (from port 67 or 4011), or 0. */
static size_t reply(uint8_t *f)
{
	struct pollfd p = { .fd = cap, .events = POLLIN };
	while (poll(&p, 1, 1000) > 0) {
		ssize_t n = recv(cap, f, 2048, 0);
		if (n < 42 || f[12] != 8 || f[13] != 0 || f[23] != 17)
			continue;
		unsigned sport = (unsigned)(f[34] << 8 | f[35]);
		if (sport == DHCP_SERVER_PORT || sport == PXE_BINL_PORT)
			return (size_t)n;
	}
	return 0;
}

static void drain(void)
{
	uint8_t f[2048];
	while (recv(cap, f, sizeof(f), MSG_DONTWAIT) > 0)
		;
}

struct wire_row {
	const char *why;
	struct req r;
};

static int check_row(const struct wire_row *row)
{
	uint8_t in[2048], k[2048], d[2048];
	size_t n = frame(&row->r, in), kn, dn;
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = cli_ifindex, .sll_halen = 6 };

	drain();
	if (sendto(cap, in, n, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)n)
		fail_msg("send: %s", strerror(errno));
	if (!(kn = reply(k))) {
		printf("# %s: the kernel did not answer\n", row->why);
		return 1;
	}
	ring_buffer__consume(g.events);         /* the server now holds what the kernel offered */
	drain();
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_port = htons(row->r.sport ? row->r.sport : 68),
				   .sin_addr.s_addr = a4(row->r.src) };
	dhcp_server_input(srv, in + 42, n - 42, &src, row->r.dport == PXE_BINL_PORT);
	if (!(dn = reply(d))) {
		printf("# %s: the server's socket sent nothing\n", row->why);
		return 1;
	}
	/* what may differ: the id and what covers it, the UDP checksum */
	uint16_t dsum = (uint16_t)(d[40] << 8 | d[41]);
	d[40] = d[41] = 0;
	uint16_t dcheck = (uint16_t)~udp_sum(d);  /* the complete sum of the socket's datagram */
	uint32_t ps = 17u + (uint32_t)(d[38] << 8 | d[39]);
	uint16_t partial = csum16(d + 26, 8, ps); /* the pseudo-header's alone */
	bool dsum_ok = dsum == (dcheck ? dcheck : 0xffff) || dsum == partial;
	d[40] = (uint8_t)(dsum >> 8), d[41] = (uint8_t)dsum;
	int failed = 0;
	if (kn != dn || memcmp(k, d, 18) || memcmp(k + 20, d + 20, 4) || memcmp(k + 26, d + 26, 14) ||
	    memcmp(k + 42, d + 42, kn - 42)) {
		printf("# %s: the kernel's frame differs from the socket's\n", row->why);
		for (size_t i = 0; i < kn && i < dn; i++)
			if (k[i] != d[i] && i != 18 && i != 19 && i != 24 && i != 25 && i != 40 && i != 41) {
				printf("#   first at byte %zu: kernel %02x, socket %02x\n", i, k[i], d[i]);
				break;
			}
		failed++;
	}
	if (k[18] || k[19] || csum16(k + 14, 20, 0) != 0xffff || udp_sum(k) != 0xffff) {
		printf("# %s: the kernel's id or checksums\n", row->why);
		failed++;
	}
	if (csum16(d + 14, 20, 0) != 0xffff || !dsum_ok) {
		printf("# %s: the socket's checksums (%04x)\n", row->why, dsum);
		failed++;
	}
	return failed;
}

static const struct wire_row proxy_rows[] = {
	{ "proxy OFFER, broadcast", { FW(edk2_x64), .client = 1, .bcast = true } },
	{ "proxy OFFER to iPXE", { FW(seabios_ipxe), .client = 1 } },
	{ "4011 ACK, unicast back to an on-link client",
	  { FW(edk2_binl), .client = 1, .dport = 4011, .sport = 4011, .src = "10.1.7.12",
	    .dst = SRV, .ciaddr = "10.1.7.12" } },
	{ "4011 ACK to a client without an address: broadcast",
	  { FW(edk2_binl), .client = 1, .dport = 4011, .dst = SRV } },
};

static const struct wire_row full_rows[] = {
	{ "OFFER, broadcast flag", { FW(edk2_x64), .client = 1, .bcast = true } },
	{ "OFFER to yiaddr at chaddr", { FW(intel_bios), .client = 1, .pad = true } },
	{ "OFFER to iPXE", { FW(seabios_ipxe), .client = 1 } },
	{ "4011 ACK in full mode",
	  { FW(ipxe_binl), .client = 1, .dport = 4011, .src = "10.1.7.12", .dst = SRV,
	    .ciaddr = "10.1.7.12" } },
};

static void test_on_the_wire(void **state)
{
	(void)state;
	NEED_BPF();
	start(true);
	RUN_TABLE(proxy_rows, check_row, "proxy frames");
	stop();
	start(false);
	RUN_TABLE(full_rows, check_row, "full-server frames");
	stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_the_wire),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
