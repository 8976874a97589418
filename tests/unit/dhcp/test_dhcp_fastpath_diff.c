/* The DHCP fast path against the DHCP server it stands in for: requests as
 * each kind of firmware sends them go through BPF_PROG_TEST_RUN of both
 * production programs (build/bpf/xdp.skel.h and tc.skel.h, sharing their
 * maps as the loader's pinning makes them) and through
 * dhcp_server_input(); the DHCP payloads must be equal byte for byte, and
 * the frame around the kernel's must be what the server's socket sends:
 * Ethernet and IP destination as its dhcp_send says (broadcast, chaddr,
 * or back to the requester), source MAC, address and port (67 or 4011),
 * TTL 64, DF, valid IP and UDP checksums.
 *
 * What must differ, and why (also in docs/ARCHITECTURE.md):
 *  - the IP id: the program writes 0, what Linux 6.1 writes for DF
 *    datagrams of an unconnected socket; newer kernels (this machine's)
 *    write a hashed per-destination counter no program can reproduce.
 *    Meaningless for a datagram that is never fragmented (RFC 6864).
 *  - the address offered to a new client (full server) is the first one
 *    of the stock the server set aside by its own pool_choose(), so it is
 *    the address the server would have chosen at the moment it set it
 *    aside, not at the moment of the DISCOVER. Here the reference server
 *    (a second one, same configuration and leases, no fast path) is
 *    offered the same new clients in the same order, so even those bytes
 *    agree.
 * Everything the program does not answer exactly it passes untouched:
 * the second half of this file checks every such class, and malformed
 * frames cut at every header, for both programs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"
#include "test_dhcp_fastpath.h"

static char dir[64];

/* ------------------------------------------------------------------ */
/* Servers: the one with the fast path, and a plain reference           */

struct sent { uint8_t pkt[DHCP_MAX_MSG]; size_t len; struct dhcp_send how; };
static struct sent last;
static size_t nsent;

static void capture(void *arg, const uint8_t *pkt, size_t len, const struct dhcp_send *how)
{
	(void)arg;
	memcpy(last.pkt, pkt, len);
	last.len = len;
	last.how = *how;
	nsent++;
}

static const char *conf_text =
	"interface lo\naddress " SRV "/16\nroot /\n"
	"subnet 10.1.0.0/16 {\n range 10.1.1.1 10.1.1.200\n router 10.1.0.254\n dns 10.1.0.53\n"
	" domain rack.example\n lease-time 600\n}\n"
	"subnet 10.2.0.0/24 {\n range 10.2.0.10 10.2.0.20\n}\n"
	"host fixed {\n mac 02:00:00:00:07:77\n address 10.1.0.77\n}\n"
	"host dyn-named {\n mac 02:00:00:00:07:78\n}\n"
	"host special {\n mac 02:00:00:00:07:7a\n router 10.1.0.2\n lease-time 120\n}\n"
	"inventory hosts.txt\n";

static struct rb_config *load(bool proxy)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/hosts.txt", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("02:00:00:00:07:79\n", f);         /* a host without a name */
	fclose(f);
	return config_from(dir, proxy ? "interface lo\naddress " SRV "/16\nroot /\nproxy-dhcp yes\n"
				       "host fixed {\n mac 02:00:00:00:07:77\n}\n" : conf_text);
}

static struct dhcp_server *srv, *ref;    /* with the fast path; plain */
static struct lease_store *stores[2];

/* A full server keeps its leases in a store of its own (the fast path
 * mirrors them from there when it starts). */
static struct dhcp_server *new_server(bool proxy)
{
	char err[256], sub[128];
	struct lease_store **st = &stores[srv ? 1 : 0];
	struct dhcp_server_opts o = { .cfg = load(proxy), .no_sockets = true };
	if (!proxy) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, srv ? "ref" : "srv");
		if (mkdir(sub, 0700) && errno != EEXIST)
			fail_msg("mkdir %s", sub);
		snprintf(err, sizeof(err), "rm -f %s/leases*", sub);
		assert_int_equal(system(err), 0);
		*st = lease_store_open(sub, err, sizeof(err));
		assert_non_null(*st);
		o.store = *st;
	}
	struct dhcp_server *s = dhcp_server_new(&o, err, sizeof(err));
	assert_non_null(s);
	dhcp_server_set_sender(s, capture, NULL);
	return s;
}
static void attach(bool xdp, unsigned stock)
{
	struct dhcp_fastpath_opts o = { .xdp = xdp, .stock = stock };
	memcpy(o.link.mac, srv_mac, 6);
	o.link.ttl = 64;
	o.link.binl_unicast = true;
	o.link.onlink_net = htonl(0x0a010000);
	o.link.onlink_mask = htonl(0xffff0000);
	fp_start(srv, &o);
}

static void detach(void)
{
	fp_stop(srv);
	dhcp_server_free(srv);
	srv = NULL;
	if (ref)
		dhcp_server_free(ref);
	ref = NULL;
	for (int i = 0; i < 2; i++)
		if (stores[i])
			lease_store_close(stores[i]);
	stores[0] = stores[1] = NULL;
}

/* The server's reply to r (and how it sends it), or false for none. */
static bool server_answer(struct dhcp_server *s, const struct req *r, struct sent *out)
{
	uint8_t f[2048];
	size_t n = frame(r, f);
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(r->sport ? r->sport : 68),
				   .sin_addr.s_addr = a4(r->src) };
	size_t before = nsent;
	dhcp_server_input(s, f + 42, n - 42, &src, r->dport == PXE_BINL_PORT);
	dhcp_server_flush(s);
	if (nsent == before)
		return false;
	*out = last;
	return true;
}

/* ------------------------------------------------------------------ */
/* The comparison                                                       */

static int bad(const char *why, enum prog p, const char *fmt, ...)
{
	va_list ap;
	printf("# %s (%s): ", why, prog_name[p]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 1;
}

static void hexdiff(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i]) {
			printf("#   first difference at DHCP byte %zu: kernel %02x, server %02x\n", i,
			       a[i], b[i]);
			return;
		}
}

/* The kernel's frame `out` against the server's reply d to request `in`. */
static int same_as_server(const char *why, enum prog p, const uint8_t *in, const uint8_t *out,
			  size_t outlen, const struct sent *d)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t *dmac = d->how.broadcast ? bcast : d->how.arp ? d->how.chaddr : in + 6;
	uint32_t dst = d->how.broadcast ? 0xffffffff : d->how.dst.sin_addr.s_addr, srv_ip = a4(SRV);
	uint16_t sport = d->how.from_binl ? PXE_BINL_PORT : DHCP_SERVER_PORT;

	if (outlen != 42 + d->len)
		return bad(why, p, "frame of %zu bytes, the server's datagram is %zu", outlen, d->len);
	if (memcmp(out, dmac, 6) || memcmp(out + 6, srv_mac, 6) || out[12] != 8 || out[13] != 0)
		return bad(why, p, "Ethernet header");
	if (out[14] != 0x45 || out[15] || (size_t)(out[16] << 8 | out[17]) != outlen - 14 ||
	    out[18] || out[19] || out[20] != 0x40 || out[21] || out[22] != 64 || out[23] != 17 ||
	    csum16(out + 14, 20, 0) != 0xffff)
		return bad(why, p, "IP header");
	if (memcmp(out + 26, &srv_ip, 4) || memcmp(out + 30, &dst, 4))
		return bad(why, p, "IP addresses");
	if ((out[34] << 8 | out[35]) != sport || memcmp(out + 36, &d->how.dst.sin_port, 2) ||
	    (size_t)(out[38] << 8 | out[39]) != outlen - 34 || udp_sum(out) != 0xffff)
		return bad(why, p, "UDP header or checksum");
	if (memcmp(out + 42, d->pkt, d->len)) {
		hexdiff(out + 42, d->pkt, d->len);
		return bad(why, p, "DHCP payload differs");
	}
	return 0;
}

/* Both programs answer r, each exactly as server s does. */
static int kernel_like(const char *why, const struct req *r, struct dhcp_server *s)
{
	uint8_t in[2048], out[2048];
	uint32_t outlen;
	size_t n = frame(r, in);
	struct sent d;
	int failed = 0;

	for (enum prog p = 0; p < P__N; p++) {
		int v = run(p, in, n, out, &outlen);
		if (v != (p == P_XDP ? XDP_TX_ : TC_REDIR_)) {
			failed += bad(why, p, "verdict %d: not answered", v);
			continue;
		}
		ring_buffer__consume(g.events);
		if (p == P_XDP && !server_answer(s, r, &d)) {
			failed += bad(why, p, "the server does not answer");
			break;
		}
		failed += same_as_server(why, p, in, out, outlen, &d);
	}
	return failed;
}

/* ------------------------------------------------------------------ */
/* proxyDHCP and the boot server                                        */

struct answer_row {
	const char *why;
	struct req r;
};

static const struct answer_row proxy_rows[] = {
	{ "SeaBIOS iPXE ROM", { FW(seabios_ipxe), .client = 1, .bcast = true } },
	{ "SeaBIOS iPXE ROM, no UUID", { FW(seabios_ipxe_nouuid), .client = 2, .bcast = true } },
	{ "Intel PXE BIOS ROM, padded", { FW(intel_bios), .client = 3, .bcast = true, .pad = true } },
	{ "EDK2 x64 PXE (arch 7)", { FW(edk2_x64), .client = 4, .bcast = true } },
	{ "arch 9, no maximum size", { FW(efi9), .client = 5 } },
	{ "EDK2 HTTP boot (arch 16)", { FW(edk2_http), .client = 6, .bcast = true } },
	{ "EDK2 arm64 PXE (arch 11)", { FW(edk2_arm64), .client = 7, .bcast = true } },
	{ "EDK2 arm64 HTTP boot (arch 19)", { FW(edk2_arm64_http), .client = 8 } },
	{ "ipxe.efi with option 175 only", { FW(ipxe_efi_175), .client = 9, .bcast = true } },
	{ "iPXE, RFC 3004 user class", { FW(ipxe_rfc3004), .client = 10 } },
	{ "a host of the configuration", { FW(edk2_x64), .client = 0x777, .bcast = true } },
	{ "DISCOVER unicast to the server", { FW(edk2_x64), .client = 11, .dst = SRV } },
	{ "4011: EDK2 from its address, port 4011",
	  { FW(edk2_binl), .client = 12, .dport = 4011, .sport = 4011, .src = "10.1.7.12",
	    .dst = SRV, .ciaddr = "10.1.7.12" } },
	{ "4011: iPXE from port 68",
	  { FW(ipxe_binl), .client = 13, .dport = 4011, .src = "10.1.7.13", .dst = SRV,
	    .ciaddr = "10.1.7.13" } },
	{ "4011: HTTP boot client",
	  { FW(http_binl), .client = 14, .dport = 4011, .sport = 4011, .src = "10.1.7.14",
	    .dst = SRV, .ciaddr = "10.1.7.14" } },
	{ "4011: no address yet: broadcast back",
	  { FW(edk2_binl), .client = 15, .dport = 4011, .dst = SRV } },
	{ "4011: broadcast REQUEST", { FW(edk2_binl), .client = 16, .dport = 4011 } },
};

static int check_proxy_row(const struct answer_row *row)
{
	return kernel_like(row->why, &row->r, srv);
}

static void test_proxy_answers(void **state)
{
	(void)state;
	NEED_BPF();
	srv = new_server(true);
	attach(true, 0);
	struct dhcp_server_stats st;
	RUN_TABLE(proxy_rows, check_proxy_row, "proxy answers");
	/* every kernel answer reached the server as an event */
	dhcp_server_stats(srv, &st);
	assert_int_equal(st.kernel, 2 * ARRAY_LEN(proxy_rows));
	detach();
}

/* ------------------------------------------------------------------ */
/* Full server                                                          */

static const struct answer_row full_rows[] = {
	{ "lease holder, EDK2 x64", { FW(edk2_x64), .client = 0x100, .bcast = true } },
	{ "lease holder, no broadcast flag: to yiaddr at chaddr", { FW(edk2_x64), .client = 0x101 } },
	{ "reservation with a host name", { FW(seabios_ipxe), .client = 0x777, .bcast = true } },
	{ "host without an address: from the stock, its name",
	  { FW(edk2_http), .client = 0x778, .bcast = true } },
	{ "host with options of its own", { FW(intel_bios), .client = 0x77a, .pad = true } },
	{ "nameless host, no option 12", { FW(edk2_arm64), .client = 0x779, .bcast = true } },
	{ "new: SeaBIOS iPXE ROM", { FW(seabios_ipxe), .client = 0x200, .bcast = true } },
	{ "new: SeaBIOS iPXE ROM, no UUID", { FW(seabios_ipxe_nouuid), .client = 0x201 } },
	{ "new: Intel PXE BIOS ROM", { FW(intel_bios), .client = 0x202, .pad = true } },
	{ "new: EDK2 x64 PXE", { FW(edk2_x64), .client = 0x203, .bcast = true } },
	{ "new: arch 9, no maximum size", { FW(efi9), .client = 0x204, .bcast = true } },
	{ "new: EDK2 HTTP boot", { FW(edk2_http), .client = 0x205, .bcast = true } },
	{ "new: EDK2 arm64", { FW(edk2_arm64), .client = 0x206 } },
	{ "new: EDK2 arm64 HTTP boot", { FW(edk2_arm64_http), .client = 0x207, .bcast = true } },
	{ "new: ipxe.efi, option 175", { FW(ipxe_efi_175), .client = 0x208, .bcast = true } },
	{ "new: iPXE, RFC 3004 user class", { FW(ipxe_rfc3004), .client = 0x209 } },
	{ "new: udhcpc", { FW(udhcpc), .client = 0x20a } },
	{ "new: dhclient", { FW(dhclient), .client = 0x20b, .bcast = true } },
	{ "4011 in full mode", { FW(edk2_binl), .client = 0x20c, .dport = 4011, .sport = 4011,
				 .src = "10.1.7.12", .dst = SRV, .ciaddr = "10.1.7.12" } },
};

/* DISCOVER, REQUEST and ACK through a server's own path. */
static uint32_t dora(struct dhcp_server *s, unsigned client)
{
	struct req r = { FW(edk2_x64), .client = client, .bcast = true };
	static const struct opt req_opts[] = { REQ, O(54, "\x0a\x01\x00\x01"), O(50, "\x00\x00\x00\x00") };
	struct opt o[3];
	struct sent d;
	uint32_t yi;

	assert_true(server_answer(s, &r, &d));
	memcpy(&yi, d.pkt + 16, 4);
	memcpy(o, req_opts, sizeof(o));
	o[2].data = (const char *)&yi;
	struct req q = { o, 3, .client = client, .bcast = true };
	assert_true(server_answer(s, &q, &d));
	assert_int_equal(d.pkt[242], DHCPACK);
	return yi;
}

static int check_full_row(const struct answer_row *row)
{
	int failed = kernel_like(row->why, &row->r, ref);
	struct sent d;
	uint8_t f[2048], out[2048];
	uint32_t outlen;
	size_t n = frame(&row->r, f);
	/* the server with the fast path now holds what the kernel offered:
	 * its own answer to the same DISCOVER is the same datagram */
	if (!failed && run(P_TC, f, n, out, &outlen) == TC_REDIR_) {
		ring_buffer__consume(g.events);
		if (!server_answer(srv, &row->r, &d) || d.len != outlen - 42 ||
		    memcmp(d.pkt, out + 42, d.len))
			failed += bad(row->why, P_TC, "the server itself now offers otherwise");
	}
	return failed;
}

static void test_full_offers(void **state)
{
	(void)state;
	NEED_BPF();
	srv = new_server(false);
	ref = new_server(false);
	/* leases made the ordinary way, on both servers alike */
	for (unsigned c = 0x100; c < 0x103; c++)
		assert_int_equal(dora(srv, c), dora(ref, c));
	attach(true, 64);
	RUN_TABLE(full_rows, check_full_row, "full-server offers");
	/* every kernel offer was held by the server: a REQUEST is ACKed */
	struct sent d;
	uint32_t yi;
	struct req r = { FW(edk2_x64), .client = 0x203, .bcast = true };
	assert_true(server_answer(srv, &r, &d));
	memcpy(&yi, d.pkt + 16, 4);
	struct opt o[3] = { REQ, O(54, "\x0a\x01\x00\x01"), { 50, (const char *)&yi, 4 } };
	struct req q = { o, 3, .client = 0x203, .bcast = true };
	assert_true(server_answer(srv, &q, &d));
	assert_int_equal(d.pkt[242], DHCPACK);
	assert_memory_equal(d.pkt + 16, &yi, 4);
	detach();
}

/* The kernel's offer reaches a REQUEST before its event does. */
static void test_request_before_event(void **state)
{
	(void)state;
	NEED_BPF();
	srv = new_server(false);
	attach(false, 8);
	struct req r = { FW(edk2_x64), .client = 0x300, .bcast = true };
	uint8_t f[2048], out[2048];
	uint32_t outlen, yi;
	size_t n = frame(&r, f);
	assert_int_equal(run(P_TC, f, n, out, &outlen), TC_REDIR_);
	memcpy(&yi, out + 42 + 16, 4);
	/* a retransmitted DISCOVER gets the same address from the kernel */
	assert_int_equal(run(P_TC, f, n, out, &outlen), TC_REDIR_);
	assert_memory_equal(out + 42 + 16, &yi, 4);
	/* the REQUEST is read first: still ACKed, with that address */
	struct opt o[3] = { REQ, O(54, "\x0a\x01\x00\x01"), { 50, (const char *)&yi, 4 } };
	struct req q = { o, 3, .client = 0x300, .bcast = true };
	struct sent d;
	assert_true(server_answer(srv, &q, &d));
	assert_int_equal(d.pkt[242], DHCPACK);
	assert_memory_equal(d.pkt + 16, &yi, 4);
	/* and nobody else is offered it, by the server or the kernel */
	for (unsigned c = 0x301; c < 0x30c; c++) {
		struct req o2 = { FW(edk2_x64), .client = c, .bcast = true };
		assert_true(server_answer(srv, &o2, &d));
		assert_memory_not_equal(d.pkt + 16, &yi, 4);
		n = frame(&o2, f);
		assert_int_equal(run(P_TC, f, n, out, &outlen), TC_REDIR_);
		assert_memory_not_equal(out + 42 + 16, &yi, 4);
	}
	detach();
}

/* The stock runs dry: DISCOVERs pass, the server takes addresses back
 * from it before it has none, and events refill it. */
static void test_stock(void **state)
{
	(void)state;
	NEED_BPF();
	srv = new_server(false);
	attach(false, 4);
	uint8_t f[2048], out[2048];
	uint32_t outlen, seen[16];
	unsigned nseen = 0;
	/* XDP leaves DHCP to TC unless told it may answer (not on veth) */
	struct req x = { FW(edk2_x64), .client = 0x4ff, .bcast = true };
	size_t xn = frame(&x, f);
	assert_int_equal(run(P_XDP, f, xn, out, &outlen), XDP_PASS_);
	/* without events read, 4 are taken and the fifth passes */
	for (unsigned c = 0; c < 5; c++) {
		struct req r = { FW(edk2_x64), .client = 0x400 + c, .bcast = true };
		size_t n = frame(&r, f);
		int v = run(P_TC, f, n, out, &outlen);
		if (c < 4) {
			assert_int_equal(v, TC_REDIR_);
			memcpy(&seen[nseen++], out + 58, 4);
		} else {
			assert_int_equal(v, TC_OK_);
			assert_memory_equal(out, f, n);
		}
	}
	/* the events hold them and top the stock up again */
	ring_buffer__consume(g.events);
	struct dhcp_fastpath_stats st;
	dhcp_fastpath_stats(fp, &st);
	assert_int_equal(st.kernel_offers, 4);
	assert_int_equal(st.stock, 4);
	for (unsigned c = 5; c < 9; c++) {
		struct req r = { FW(edk2_x64), .client = 0x400 + c, .bcast = true };
		size_t n = frame(&r, f);
		assert_int_equal(run(P_TC, f, n, out, &outlen), TC_REDIR_);
		memcpy(&seen[nseen++], out + 58, 4);
	}
	for (unsigned i = 0; i < nseen; i++)
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(seen[i], seen[j]);
	detach();
}

static int drop_event(void *ctx, void *data, size_t len)
{
	(void)ctx, (void)data, (void)len;
	return 0;
}

/* The yiaddr of the kernel's answer to a DISCOVER from `client`. */
static uint32_t kernel_offer(unsigned client)
{
	struct req r = { FW(edk2_x64), .client = client, .bcast = true };
	uint8_t f[2048], out[2048];
	uint32_t outlen, yi;
	size_t n = frame(&r, f);
	assert_int_equal(run(P_TC, f, n, out, &outlen), TC_REDIR_);
	memcpy(&yi, out + 42 + 16, 4);
	return yi;
}

/* REQUEST of yi (network order) by client, to the server: its ACK? */
static bool acked(unsigned client, uint32_t yi)
{
	struct opt o[3] = { REQ, O(54, "\x0a\x01\x00\x01"), { 50, (const char *)&yi, 4 } };
	struct req q = { o, 3, .client = client, .bcast = true };
	struct sent d;
	return server_answer(srv, &q, &d) && d.pkt[242] == DHCPACK && !memcmp(d.pkt + 16, &yi, 4);
}

/* A daemon that dies leaves the maps; the next one adopts them: offers
 * the kernel made meanwhile (their events lost) are held, the stock is
 * taken over, leases go on being offered, nothing is offered twice. */
static void test_restart(void **state)
{
	(void)state;
	NEED_BPF();
	srv = new_server(false);
	attach(false, 8);
	uint32_t seen[32];
	unsigned n = 0;
	seen[n++] = htonl(0);
	uint32_t leased = htonl(0);
	{
		struct req r = { FW(edk2_x64), .client = 0x600, .bcast = true };
		struct sent d;
		assert_true(server_answer(srv, &r, &d));
		memcpy(&leased, d.pkt + 16, 4);
		assert_true(acked(0x600, leased));
	}
	seen[n++] = leased;
	/* two kernel offers the daemon took up (offers live in its memory
	 * only), one whose event it never read */
	uint32_t koffer[3];
	for (unsigned i = 0; i < 3; i++) {
		seen[n++] = koffer[i] = kernel_offer(0x601 + i);
		if (i < 2)
			ring_buffer__consume(g.events);
	}
	/* the daemon dies */
	struct ring_buffer *lost = ring_buffer__new(bpf_map__fd(g.tc->maps.rb_events), drop_event,
						    NULL, NULL);
	ring_buffer__free(g.events);
	g.events = NULL;
	ring_buffer__consume(lost);
	ring_buffer__free(lost);
	dhcp_server_set_fastpath(srv, NULL);
	dhcp_fastpath_free(fp);
	dhcp_server_free(srv);
	lease_store_close(stores[0]);
	/* the next one, on the same lease store and maps */
	char err[256], sub[128];
	snprintf(sub, sizeof(sub), "%s/srv", dir);
	stores[0] = lease_store_open(sub, err, sizeof(err));
	assert_non_null(stores[0]);
	struct dhcp_server_opts o = { .cfg = load(false), .no_sockets = true, .store = stores[0] };
	srv = dhcp_server_new(&o, err, sizeof(err));
	assert_non_null(srv);
	dhcp_server_set_sender(srv, capture, NULL);
	attach(false, 8);
	for (unsigned i = 0; i < 3; i++)
		assert_true(acked(0x601 + i, koffer[i]));
	assert_int_equal(kernel_offer(0x600), leased);
	for (unsigned c = 0x610; c < 0x620; c++) {
		uint32_t yi = kernel_offer(c);
		ring_buffer__consume(g.events);
		for (unsigned j = 0; j < n; j++)
			assert_int_not_equal(yi, seen[j]);
		seen[n++] = yi;
	}
	detach();
}

/* A reload keeps the kernel answering and takes up the new configuration. */
static void test_reload(void **state)
{
	(void)state;
	NEED_BPF();
	srv = new_server(false);
	ref = new_server(false);
	attach(true, 8);
	struct req r = { FW(edk2_x64), .client = 0x777, .bcast = true };
	struct req special = { FW(edk2_x64), .client = 0x77a, .bcast = true };
	assert_int_equal(kernel_like("before the reload", &r, ref), 0);
	assert_int_equal(kernel_like("its own options, before", &special, ref), 0);
	/* every reload changes the options of one host and of the subnet:
	 * parameter sets come and go, the kernel follows each time */
	for (int i = 0; i < 4; i++) {
		char text[2048];
		snprintf(text, sizeof(text), "%s", conf_text);
		char *router = strstr(text, "router 10.1.0.2\n");
		char *lease = strstr(text, "lease-time 600");
		assert_true(router && lease);
		router[14] = (char)('3' + i);
		lease[12] = (char)('1' + i);
		dhcp_server_offer_config(srv, config_from(dir, text));   /* syncs the fast path */
		dhcp_server_offer_config(ref, config_from(dir, text));
		assert_int_equal(kernel_like("after a reload", &r, ref), 0);
		assert_int_equal(kernel_like("its own options, after", &special, ref), 0);
		struct dhcp_fastpath_stats st;
		dhcp_fastpath_stats(fp, &st);
		assert_int_equal(st.psets, 2);
	}
	detach();
}

/* ------------------------------------------------------------------ */
/* Passed untouched                                                     */

typedef void (*mutate_fn)(uint8_t *f, size_t *n);

struct pass_row {
	const char *why;
	struct req r;
	mutate_fn mut;                /* applied to the built frame; NULL: none */
};

static void m_giaddr(uint8_t *f, size_t *n) { (void)n; f[42 + 24] = 10, f[42 + 25] = 2; fix_udp(f); }
static void m_hops(uint8_t *f, size_t *n) { m_giaddr(f, n); f[42 + 3] = 1; fix_udp(f); }
static void m_htype(uint8_t *f, size_t *n) { (void)n; f[42 + 1] = 6; fix_udp(f); }
static void m_hlen16(uint8_t *f, size_t *n) { (void)n; f[42 + 1] = 32, f[42 + 2] = 16; fix_udp(f); }
static void m_op(uint8_t *f, size_t *n) { (void)n; f[42] = 2; fix_udp(f); }
static void m_cookie(uint8_t *f, size_t *n) { (void)n; f[42 + 239] ^= 1; fix_udp(f); }
static void m_udpsum(uint8_t *f, size_t *n) { (void)n; f[41] ^= 0x55; }
static void m_noend(uint8_t *f, size_t *n)
{
	size_t i = 42 + 240;
	while (f[i] != 255)
		i += 2 + f[i + 1];
	*n = i;                                 /* the frame ends where END was */
	f[16] = (uint8_t)((*n - 14) >> 8), f[17] = (uint8_t)(*n - 14);
	f[38] = (uint8_t)((*n - 34) >> 8), f[39] = (uint8_t)(*n - 34);
	fix_ip(f);
	fix_udp(f);
}
static void m_ipopt(uint8_t *f, size_t *n)
{
	memmove(f + 38, f + 34, *n - 34);
	f[34] = 1, f[35] = 1, f[36] = 1, f[37] = 0;   /* NOPs, then EOL */
	f[14] = 0x46;
	*n += 4;
	uint16_t tot = (uint16_t)(*n - 14);
	f[16] = (uint8_t)(tot >> 8), f[17] = (uint8_t)tot;
	fix_ip(f);
}
static void m_mf(uint8_t *f, size_t *n) { (void)n; f[20] = 0x20; fix_ip(f); }
static void m_fragoff(uint8_t *f, size_t *n) { (void)n; f[21] = 0x10; fix_ip(f); }
static void m_vlan(uint8_t *f, size_t *n)
{
	memmove(f + 16, f + 12, *n - 12);
	f[12] = 0x81, f[13] = 0x00, f[14] = 0x00, f[15] = 0x07;
	*n += 4;
}
static void m_tcp(uint8_t *f, size_t *n) { (void)n; f[23] = 6; fix_ip(f); }
static void m_ipv6(uint8_t *f, size_t *n) { (void)n; f[12] = 0x86, f[13] = 0xdd; }
static void m_ulen_long(uint8_t *f, size_t *n) { (void)n; f[39] += 4; fix_udp(f); }
static void m_ulen_short(uint8_t *f, size_t *n) { (void)n; f[39] -= 4; fix_udp(f); }
static void m_iplen(uint8_t *f, size_t *n) { (void)n; f[17] += 8; fix_ip(f); }
static void m_other_mac(uint8_t *f, size_t *n) { (void)n; f[0] = 0x02, f[5] = 0x99; }
static void m_other_ip(uint8_t *f, size_t *n) { (void)n; f[33] = 99; fix_ip(f); fix_udp(f); }
static void m_opt_past_end(uint8_t *f, size_t *n) { (void)n; f[42 + 241] = 200; fix_udp(f); }
static void m_53_len2(uint8_t *f, size_t *n)
{
	(void)n;
	f[42 + 241] = 2;                        /* 53 of length 2 swallows the next code */
	fix_udp(f);
}
/* a frame long enough to be a request the program does not read whole */
static void m_huge(uint8_t *f, size_t *n)
{
	size_t i = 42 + 240;
	while (f[i] != 255)
		i += 2 + f[i + 1];
	while (i < 42 + 1100) {
		f[i] = 250, f[i + 1] = 200;
		memset(f + i + 2, 'x', 200);
		i += 202;
	}
	f[i++] = 255;
	*n = i;
	f[16] = (uint8_t)((*n - 14) >> 8), f[17] = (uint8_t)(*n - 14);
	f[38] = (uint8_t)((*n - 34) >> 8), f[39] = (uint8_t)(*n - 34);
	fix_ip(f);
	fix_udp(f);
}

static const struct opt with_82[] = { DISC, O(60, "PXEClient"), O(93, "\x00\x07"), O(82, "\x01\x04port") };
static const struct opt with_52[] = { DISC, O(52, "\x01"), O(60, "PXEClient"), O(93, "\x00\x07") };
static const struct opt dup_60[] = { DISC, O(60, "PXEClient"), O(93, "\x00\x07"), O(60, ":more") };
static const struct opt bootp[] = { O(60, "PXEClient"), O(93, "\x00\x07") };
static const struct opt req67[] = { REQ, O(60, "PXEClient"), O(93, "\x00\x07"), O(50, "\x0a\x01\x01\x05") };
static const struct opt decline[] = { O(53, "\x04"), O(50, "\x0a\x01\x01\x05"), O(54, "\x0a\x01\x00\x01") };
static const struct opt release[] = { O(53, "\x07"), O(54, "\x0a\x01\x00\x01") };
static const struct opt inform[] = { O(53, "\x08"), O(60, "PXEClient"), O(93, "\x00\x07") };
static const struct opt binl_inform[] = { O(53, "\x08"), O(60, "PXEClient"), O(93, "\x00\x07") };
static const struct opt arch_unknown[] = { DISC, O(60, "PXEClient"), O(93, "\x00\x30") };
static const struct opt arch_big[] = { DISC, O(60, "PXEClient"), O(93, "\x01\x07") };
static const struct opt opt50_new[] = { DISC, O(60, "PXEClient"), O(93, "\x00\x07"), O(50, "\x0a\x01\x01\x63") };
#define S16 "0123456789abcdef"
#define S64 S16 S16 S16 S16
static const struct opt too_long[] = {   /* 97 and 61 echoed: 626 bytes */
	DISC, O(60, "PXEClient"), O(93, "\x00\x07"),
	O(97, "\x00" S64 S64 S64 S16 S16 S16 "0123456789abcd"),
	O(61, "\x00" S64 S16 S16 "012"),
};

/* Proxy mode: each row is passed by both programs, frame untouched. */
static const struct pass_row pass_proxy[] = {
	{ "relayed (giaddr)", { FW(edk2_x64), .client = 1, .bcast = true }, m_giaddr },
	{ "relayed, hops", { FW(edk2_x64), .client = 1, .bcast = true }, m_hops },
	{ "relay agent information (82)", { FW(with_82), .client = 1 }, NULL },
	{ "option overload (52)", { FW(with_52), .client = 1 }, NULL },
	{ "an option twice (the server concatenates)", { FW(dup_60), .client = 1 }, NULL },
	{ "BOOTP: no option 53", { FW(bootp), .client = 1, .pad = true }, NULL },
	{ "REQUEST on 67", { FW(req67), .client = 1 }, NULL },
	{ "DECLINE", { FW(decline), .client = 1 }, NULL },
	{ "RELEASE", { FW(release), .client = 1, .ciaddr = "10.1.1.5", .src = "10.1.1.5", .dst = SRV }, NULL },
	{ "INFORM", { FW(inform), .client = 1, .ciaddr = "10.1.1.5", .src = "10.1.1.5", .dst = SRV }, NULL },
	{ "4011 INFORM", { FW(binl_inform), .client = 1, .dport = 4011, .ciaddr = "10.1.1.5",
			   .src = "10.1.1.5", .dst = SRV }, NULL },
	{ "4011 DISCOVER", { FW(edk2_x64), .client = 1, .dport = 4011, .src = "10.1.1.5", .dst = SRV }, NULL },
	{ "4011 from off-link", { FW(edk2_binl), .client = 1, .dport = 4011, .src = "192.168.7.7",
				  .ciaddr = "192.168.7.7", .dst = SRV }, NULL },
	{ "4011: ciaddr but no source address", { FW(edk2_binl), .client = 1, .dport = 4011,
						  .ciaddr = "10.1.7.7", .dst = SRV }, NULL },
	{ "DISCOVER with ciaddr", { FW(edk2_x64), .client = 1, .ciaddr = "10.1.7.7" }, NULL },
	{ "not a network-boot client", { FW(udhcpc), .client = 1 }, NULL },
	{ "unknown architecture", { FW(arch_unknown), .client = 1 }, NULL },
	{ "architecture above 47", { FW(arch_big), .client = 1 }, NULL },
	{ "reply longer than 548 bytes", { FW(too_long), .client = 1, .bcast = true }, NULL },
	{ "request longer than 1024 bytes", { FW(edk2_x64), .client = 1 }, m_huge },
	{ "non-Ethernet htype", { FW(edk2_x64), .client = 1 }, m_htype },
	{ "hlen 16", { FW(edk2_x64), .client = 1 }, m_hlen16 },
	{ "BOOTREPLY", { FW(edk2_x64), .client = 1 }, m_op },
	{ "no magic cookie", { FW(edk2_x64), .client = 1 }, m_cookie },
	{ "bad UDP checksum", { FW(edk2_x64), .client = 1 }, m_udpsum },
	{ "no END", { FW(edk2_x64), .client = 1 }, m_noend },
	{ "option length past the end", { FW(edk2_x64), .client = 1 }, m_opt_past_end },
	{ "option 53 of length 2", { FW(edk2_x64), .client = 1 }, m_53_len2 },
	{ "IP options", { FW(edk2_x64), .client = 1 }, m_ipopt },
	{ "first fragment (MF)", { FW(edk2_x64), .client = 1 }, m_mf },
	{ "later fragment (offset)", { FW(edk2_x64), .client = 1 }, m_fragoff },
	{ "VLAN tag", { FW(edk2_x64), .client = 1 }, m_vlan },
	{ "TCP", { FW(edk2_x64), .client = 1 }, m_tcp },
	{ "IPv6 ethertype", { FW(edk2_x64), .client = 1 }, m_ipv6 },
	{ "UDP length past the datagram", { FW(edk2_x64), .client = 1 }, m_ulen_long },
	{ "UDP length short of it", { FW(edk2_x64), .client = 1 }, m_ulen_short },
	{ "IP length past the frame", { FW(edk2_x64), .client = 1 }, m_iplen },
	{ "to another MAC", { FW(edk2_x64), .client = 1 }, m_other_mac },
	{ "to another address", { FW(edk2_x64), .client = 1, .dst = SRV }, m_other_ip },
	{ "to port 69", { FW(edk2_x64), .client = 1, .dport = 69 }, NULL },
	{ "to port 68", { FW(edk2_x64), .client = 1, .dport = 68 }, NULL },
};

/* Full server: what it leaves to the daemon. */
static const struct pass_row pass_full[] = {
	{ "a new client asking for an address (50)", { FW(opt50_new), .client = 0x500 }, NULL },
	{ "nameless host sending a name (12)", { FW(ipxe_rfc3004), .client = 0x779 }, NULL },
	{ "relayed", { FW(edk2_x64), .client = 0x501, .bcast = true }, m_giaddr },
	{ "INFORM", { FW(inform), .client = 0x502, .ciaddr = "10.1.1.5", .src = "10.1.1.5", .dst = SRV }, NULL },
	{ "REQUEST", { FW(req67), .client = 0x503 }, NULL },
};

static int check_pass(const struct pass_row *row)
{
	uint8_t in[2048], out[2048];
	uint32_t outlen;
	size_t n = frame(&row->r, in);
	int failed = 0;
	if (row->mut)
		row->mut(in, &n);
	for (enum prog p = 0; p < P__N; p++) {
		int v = run(p, in, n, out, &outlen);
		if (v != (p == P_XDP ? XDP_PASS_ : TC_OK_))
			failed += bad(row->why, p, "verdict %d, not passed", v);
		else if (outlen != n || memcmp(in, out, n))
			failed += bad(row->why, p, "passed, but changed");
	}
	return failed;
}

static void test_passes(void **state)
{
	(void)state;
	NEED_BPF();
	srv = new_server(true);
	attach(true, 0);
	RUN_TABLE(pass_proxy, check_pass, "proxy passes");
	detach();
	srv = new_server(false);
	attach(true, 8);
	RUN_TABLE(pass_full, check_pass, "full-server passes");
	detach();
}

/* Every prefix of a good request: cut at every header and inside each. */
static void test_cut_everywhere(void **state)
{
	(void)state;
	NEED_BPF();
	srv = new_server(true);
	attach(true, 0);
	uint8_t in[2048], out[2048];
	uint32_t outlen;
	struct req r = { FW(seabios_ipxe), .client = 1, .bcast = true };
	size_t n = frame(&r, in);
	unsigned failed = 0;
	for (size_t cut = 0; cut < n; cut++) {
		for (enum prog p = 0; p < P__N; p++) {
			int v = run(p, in, cut, out, &outlen);
			/* test-run itself refuses frames shorter than an Ethernet
			 * header, and TC ones shorter than an IPv4 header too
			 * (XDP's runs cover those cuts) */
			if (v == -1 && cut < (p == P_TC ? 34u : 14u))
				continue;
			if (v != (p == P_XDP ? XDP_PASS_ : TC_OK_) || outlen != cut || memcmp(in, out, cut)) {
				printf("# cut at %zu (%s): verdict %d\n", cut, prog_name[p], v);
				failed++;
			}
		}
	}
	/* the whole frame is answered */
	assert_int_equal(run(P_XDP, in, n, out, &outlen), XDP_TX_);
	assert_int_equal(run(P_TC, in, n, out, &outlen), TC_REDIR_);
	assert_int_equal(failed, 0);
	detach();
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rb-dhcp-fp.XXXXXX");
	assert_non_null(mkdtemp(dir));
	libbpf_set_print(NULL);
	log_init("test_dhcp_fastpath_diff", true);
	return env_setup();
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	rb_xdp__destroy(g.xdp);
	rb_tc__destroy(g.tc);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proxy_answers),
		cmocka_unit_test(test_full_offers),
		cmocka_unit_test(test_request_before_event),
		cmocka_unit_test(test_stock),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_passes),
		cmocka_unit_test(test_cut_everywhere),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
