/* Unit tests for the DHCP server's protocol decisions (user/dhcp_server.c),
 * driven through dhcp_server_input() with crafted requests and a capturing
 * sender: RFC 2131 exchanges, reply routing, relays, proxyDHCP, and the
 * durable-before-ACK rule with a real lease store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "proto/dhcp_proto.h"
#include "dhcp/dhcp_server.h"
#include "dhcp/lease_store.h"

#define SRV "10.1.0.1"
static char dir[64];

/* ---- replies captured from the server */
struct sent { uint8_t pkt[DHCP_MAX_MSG]; size_t len; struct dhcp_send how; };
static struct sent *sent;
static size_t nsent, capsent;

static void capture(void *arg, const uint8_t *pkt, size_t len, const struct dhcp_send *how)
{
	(void)arg;
	if (nsent == capsent) {
		capsent = capsent ? capsent * 2 : 64;
		sent = realloc(sent, capsent * sizeof(*sent));
		assert_non_null(sent);
	}
	memcpy(sent[nsent].pkt, pkt, len);
	sent[nsent].len = len;
	sent[nsent].how = *how;
	nsent++;
}

/* Option `code` of a reply: pointer to its data and its length, or NULL. */
static const uint8_t *ropt(const struct sent *s, uint8_t code, uint8_t *len)
{
	for (size_t i = 240; i < s->len && s->pkt[i] != 255;) {
		if (s->pkt[i] == 0) { i++; continue; }
		if (s->pkt[i] == code) { *len = s->pkt[i + 1]; return s->pkt + i + 2; }
		i += 2 + s->pkt[i + 1];
	}
	return NULL;
}
static int rtype(const struct sent *s) { uint8_t l; const uint8_t *p = ropt(s, 53, &l); return p ? *p : -1; }
static uint32_t ryi(const struct sent *s) { uint32_t v; memcpy(&v, s->pkt + 16, 4); return ntohl(v); }
static const char *rfile(const struct sent *s) { return (const char *)s->pkt + 108; }
static uint32_t ip(const char *s) { struct in_addr a; inet_pton(AF_INET, s, &a); return ntohl(a.s_addr); }

/* ---- requests */
struct req {
	uint8_t type;
	unsigned client;         /* MAC 02:00:00:00:HI:LO */
	const char *requested, *server_id, *ciaddr, *giaddr;
	bool broadcast;
	const char *vendor_class;
	int arch;                /* -1 none */
	bool relay82;
};

static size_t build(const struct req *r, uint8_t *b)
{
	size_t n = 240;
	uint32_t v;
	memset(b, 0, 600);
	b[0] = 1, b[1] = 1, b[2] = 6;
	v = htonl(0x1000 + r->client); memcpy(b + 4, &v, 4);
	if (r->broadcast) b[10] = 0x80;
	if (r->ciaddr) { v = htonl(ip(r->ciaddr)); memcpy(b + 12, &v, 4); }
	if (r->giaddr) { v = htonl(ip(r->giaddr)); memcpy(b + 24, &v, 4); }
	b[28] = 2, b[32] = (uint8_t)(r->client >> 8), b[33] = (uint8_t)r->client;
	b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
	b[n++] = 53, b[n++] = 1, b[n++] = r->type;
	if (r->requested) { b[n++] = 50, b[n++] = 4; v = htonl(ip(r->requested)); memcpy(b + n, &v, 4); n += 4; }
	if (r->server_id) { b[n++] = 54, b[n++] = 4; v = htonl(ip(r->server_id)); memcpy(b + n, &v, 4); n += 4; }
	if (r->vendor_class) {
		size_t l = strlen(r->vendor_class);
		b[n++] = 60, b[n++] = (uint8_t)l; memcpy(b + n, r->vendor_class, l); n += l;
	}
	if (r->arch >= 0) { b[n++] = 93, b[n++] = 2, b[n++] = 0, b[n++] = (uint8_t)r->arch; }
	if (r->relay82) { static const uint8_t o82[] = { 82, 6, 1, 4, 'p', 'o', 'r', 't' }; memcpy(b + n, o82, 8); n += 8; }
	b[n++] = 255;
	return n < 300 ? 300 : n;
}

static struct dhcp_server *srv;

static void send_req(const struct req *r)
{
	uint8_t b[600];
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(68) };
	dhcp_server_input(srv, b, build(r, b), &src, false);
	dhcp_server_flush(srv);
}

/* The last reply, after sending r. */
static struct sent *ask(struct req r)
{
	size_t before = nsent;
	if (!r.arch) r.arch = -1;
	send_req(&r);
	return nsent > before ? &sent[nsent - 1] : NULL;
}

static const char *conf =
	"interface lo\naddress " SRV "/16\nroot /\n"
	"subnet 10.1.0.0/16 {\n range 10.1.1.1 10.1.1.200\n router 10.1.0.1\n lease-time 600\n}\n"
	"subnet 10.2.0.0/24 {\n range 10.2.0.10 10.2.0.20\n}\n"
	"host fixed {\n mac 02:00:00:00:07:77\n address 10.1.0.77\n}\n";

static struct rb_config *load(const char *text, bool proxy)
{
	char path[128];
	char err[512];
	snprintf(path, sizeof(path), "%s/rackbootd.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	struct rb_config *c = calloc(1, sizeof(*c));
	rb_config_init(c);
	if (rb_config_load(c, path, err, sizeof(err)) || rb_config_check(c, err, sizeof(err)))
		fail_msg("config: %s", err);
	c->proxy_dhcp = proxy;
	return c;
}

static struct lease_store *store;

static void start(bool proxy, bool durable)
{
	char err[512];
	nsent = 0;
	store = NULL;
	if (durable) {
		store = lease_store_open(dir, err, sizeof(err));
		assert_non_null(store);
	}
	struct dhcp_server_opts o = { .cfg = load(conf, proxy), .store = store, .no_sockets = true };
	srv = dhcp_server_new(&o, err, sizeof(err));
	assert_non_null(srv);
	dhcp_server_set_sender(srv, capture, NULL);
}

static void stop(void)
{
	dhcp_server_free(srv);
	if (store)
		lease_store_close(store);
	srv = NULL;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rb-dhcp-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* DORA for many clients at once: every DISCOVER is answered before any
 * REQUEST, so a held offer is what keeps the addresses apart. */
static void test_simultaneous_discovers(void **state)
{
	(void)state;
	start(false, true);
	enum { N = 200 };
	uint32_t offered[N];
	char a[N][16], sid[] = SRV;
	for (unsigned i = 0; i < N; i++) {
		struct sent *s = ask((struct req){ .type = DHCPDISCOVER, .client = i, .broadcast = true });
		assert_non_null(s);
		assert_int_equal(rtype(s), DHCPOFFER);
		offered[i] = ryi(s);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(offered[i], offered[j]);
	}
	/* the range holds 200: a 201st client gets nothing */
	assert_null(ask((struct req){ .type = DHCPDISCOVER, .client = N, .broadcast = true }));
	for (unsigned i = 0; i < N; i++) {
		struct in_addr x = { htonl(offered[i]) };
		inet_ntop(AF_INET, &x, a[i], 16);
		struct sent *s = ask((struct req){ .type = DHCPREQUEST, .client = i, .broadcast = true,
						   .requested = a[i], .server_id = sid });
		assert_non_null(s);
		assert_int_equal(rtype(s), DHCPACK);
		assert_int_equal(ryi(s), offered[i]);
		uint8_t l;
		const uint8_t *lt = ropt(s, 51, &l);
		assert_true(lt && l == 4 && lt[2] == 600 >> 8 && lt[3] == (600 & 255));
		const uint8_t *rt = ropt(s, 3, &l);          /* router 10.1.0.1, wire order */
		assert_true(rt && l == 4);
		assert_memory_equal(rt, "\x0a\x01\x00\x01", 4);
		const uint8_t *mk = ropt(s, 1, &l);
		assert_true(mk && l == 4);
		assert_memory_equal(mk, "\xff\xff\x00\x00", 4);
	}
	stop();
	/* restart from the store: every client keeps its address */
	start(false, true);
	for (unsigned i = 0; i < N; i += 17) {
		struct sent *s = ask((struct req){ .type = DHCPDISCOVER, .client = i, .broadcast = true });
		assert_int_equal(ryi(s), offered[i]);
	}
	assert_null(ask((struct req){ .type = DHCPDISCOVER, .client = N + 1, .broadcast = true }));
	stop();
}

struct route_row {
	const char *why;
	struct req r;
	int type;
	const char *dst;
	unsigned port;
	bool broadcast, arp;
};

static const struct route_row routes[] = {
	{"broadcast flag: broadcast", {.type = DHCPDISCOVER, .client = 1, .broadcast = true}, DHCPOFFER, "255.255.255.255", 68, true, false},
	{"no flag, no ciaddr: unicast to yiaddr with an ARP entry", {.type = DHCPDISCOVER, .client = 2}, DHCPOFFER, "10.1.1.2", 68, false, true},
	{"relayed: to the relay's port 67", {.type = DHCPDISCOVER, .client = 3, .giaddr = "10.2.0.1"}, DHCPOFFER, "10.2.0.1", 67, false, false},
	{"renewal (ciaddr): unicast to ciaddr", {.type = DHCPREQUEST, .client = 4, .ciaddr = "10.1.1.50"}, DHCPACK, "10.1.1.50", 68, false, false},
	{"INIT-REBOOT on the wrong network: NAK broadcast", {.type = DHCPREQUEST, .client = 5, .requested = "192.168.9.9"}, DHCPNAK, "255.255.255.255", 68, true, false},
	{"relayed NAK goes to the relay", {.type = DHCPREQUEST, .client = 6, .requested = "10.1.1.9", .giaddr = "10.2.0.1"}, DHCPNAK, "10.2.0.1", 67, false, false},
	{"INFORM: to ciaddr, no address", {.type = DHCPINFORM, .client = 7, .ciaddr = "10.1.9.9"}, DHCPACK, "10.1.9.9", 68, false, false},
};

static int check_route(const struct route_row *row)
{
	struct req r = row->r;
	struct sent *s = ask(r);
	char got[16] = "";
	if (!s) {
		printf("# %s: no reply\n", row->why);
		return 1;
	}
	inet_ntop(AF_INET, &s->how.dst.sin_addr, got, sizeof(got));
	if (rtype(s) == row->type && !strcmp(got, row->dst) && ntohs(s->how.dst.sin_port) == row->port &&
	    s->how.broadcast == row->broadcast && s->how.arp == row->arp)
		return 0;
	printf("# %s: got type %d to %s:%u bcast=%d arp=%d\n", row->why, rtype(s), got,
	       ntohs(s->how.dst.sin_port), s->how.broadcast, s->how.arp);
	return 1;
}

static void test_reply_routing(void **state)
{
	(void)state;
	start(false, false);
	RUN_TABLE(routes, check_route, "routes");
	/* the relayed offer comes from the relay's subnet */
	struct sent *s = ask((struct req){ .type = DHCPDISCOVER, .client = 30, .giaddr = "10.2.0.1" });
	assert_true(ryi(s) >= ip("10.2.0.10") && ryi(s) <= ip("10.2.0.20"));
	stop();
}

static void test_relay_agent_info_echoed(void **state)
{
	(void)state;
	start(false, false);
	struct sent *s = ask((struct req){ .type = DHCPDISCOVER, .client = 1, .giaddr = "10.2.0.1",
					   .relay82 = true });
	uint8_t l;
	const uint8_t *o = ropt(s, 82, &l);
	assert_non_null(o);
	assert_int_equal(l, 6);
	assert_memory_equal(o, "\x01\x04port", 6);
	stop();
}

static void test_naks_and_conflicts(void **state)
{
	(void)state;
	start(false, false);
	char sid[] = SRV;
	struct sent *s = ask((struct req){ .type = DHCPDISCOVER, .client = 1, .broadcast = true });
	char a[16];
	struct in_addr x = { htonl(ryi(s)) };
	inet_ntop(AF_INET, &x, a, sizeof(a));
	/* another client asking for client 1's offered address: NAK */
	s = ask((struct req){ .type = DHCPREQUEST, .client = 2, .requested = a, .server_id = sid });
	assert_int_equal(rtype(s), DHCPNAK);
	/* client 1 choosing another server: silence, and its offer lapses */
	assert_null(ask((struct req){ .type = DHCPREQUEST, .client = 1, .requested = a,
				      .server_id = "10.1.0.99" }));
	/* a reserved address is not for others; its owner gets it */
	s = ask((struct req){ .type = DHCPREQUEST, .client = 3, .requested = "10.1.0.77" });
	assert_int_equal(rtype(s), DHCPNAK);
	s = ask((struct req){ .type = DHCPDISCOVER, .client = 0x777, .broadcast = true });
	assert_int_equal(ryi(s), ip("10.1.0.77"));
	s = ask((struct req){ .type = DHCPREQUEST, .client = 0x777, .requested = "10.1.1.3" });
	assert_int_equal(rtype(s), DHCPNAK);
	/* DECLINE takes the address out of use */
	s = ask((struct req){ .type = DHCPDISCOVER, .client = 4, .broadcast = true });
	uint32_t declined = ryi(s);
	x.s_addr = htonl(declined);
	inet_ntop(AF_INET, &x, a, sizeof(a));
	ask((struct req){ .type = DHCPREQUEST, .client = 4, .requested = a, .server_id = sid });
	assert_null(ask((struct req){ .type = DHCPDECLINE, .client = 4, .requested = a, .server_id = sid }));
	s = ask((struct req){ .type = DHCPDISCOVER, .client = 4, .broadcast = true });
	assert_int_not_equal(ryi(s), declined);
	s = ask((struct req){ .type = DHCPREQUEST, .client = 5, .requested = a });
	assert_int_equal(rtype(s), DHCPNAK);
	/* RELEASE frees; the same client gets the same address back */
	s = ask((struct req){ .type = DHCPDISCOVER, .client = 6, .broadcast = true });
	uint32_t six = ryi(s);
	x.s_addr = htonl(six);
	inet_ntop(AF_INET, &x, a, sizeof(a));
	ask((struct req){ .type = DHCPREQUEST, .client = 6, .requested = a, .server_id = sid });
	assert_null(ask((struct req){ .type = DHCPRELEASE, .client = 6, .ciaddr = a }));
	s = ask((struct req){ .type = DHCPDISCOVER, .client = 6, .broadcast = true });
	assert_int_equal(ryi(s), six);
	stop();
}

static void test_proxy_never_leases(void **state)
{
	(void)state;
	start(true, false);
	struct sent *s = ask((struct req){ .type = DHCPDISCOVER, .client = 1, .broadcast = true,
					   .vendor_class = "PXEClient:Arch:00000:UNDI:002001", .arch = 0 });
	assert_non_null(s);
	assert_int_equal(rtype(s), DHCPOFFER);
	assert_int_equal(ryi(s), 0);
	assert_string_equal(rfile(s), "undionly.kpxe");
	uint32_t si;
	memcpy(&si, s->pkt + 20, 4);
	assert_int_equal(ntohl(si), ip(SRV));
	/* not a PXE client, or a REQUEST on 67: silence */
	assert_null(ask((struct req){ .type = DHCPDISCOVER, .client = 2, .broadcast = true }));
	assert_null(ask((struct req){ .type = DHCPREQUEST, .client = 1, .requested = "10.1.1.1",
				      .vendor_class = "PXEClient", .arch = 0 }));
	stop();
}

static void test_malformed_dropped(void **state)
{
	(void)state;
	start(false, false);
	uint8_t b[600];
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct req r = { .type = DHCPDISCOVER, .client = 1, .broadcast = true, .arch = -1 };
	size_t n = build(&r, b);
	dhcp_server_input(srv, b, 100, &src, false);          /* truncated */
	b[2] = 17;
	dhcp_server_input(srv, b, n, &src, false);            /* bogus hlen */
	b[2] = 6;
	b[241] = 200;                                          /* option 53 length past the end */
	dhcp_server_input(srv, b, n, &src, false);
	struct dhcp_server_stats st;
	dhcp_server_stats(srv, &st);
	assert_int_equal(st.malformed, 3);
	assert_int_equal(nsent, 0);
	stop();
}

/* A reload takes up a new reservation at once; leases stay. */
static void test_reload(void **state)
{
	(void)state;
	start(false, false);
	struct sent *s = ask((struct req){ .type = DHCPDISCOVER, .client = 0x55, .broadcast = true });
	assert_int_not_equal(ryi(s), ip("10.1.0.55"));
	char text[1024];
	snprintf(text, sizeof(text), "%shost new {\n mac 02:00:00:00:00:55\n address 10.1.0.55\n}\n", conf);
	dhcp_server_offer_config(srv, load(text, false));
	s = ask((struct req){ .type = DHCPDISCOVER, .client = 0x55, .broadcast = true });
	assert_int_equal(ryi(s), ip("10.1.0.55"));
	stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simultaneous_discovers),
		cmocka_unit_test(test_reply_routing),
		cmocka_unit_test(test_relay_agent_info_echoed),
		cmocka_unit_test(test_naks_and_conflicts),
		cmocka_unit_test(test_proxy_never_leases),
		cmocka_unit_test(test_malformed_dropped),
		cmocka_unit_test(test_reload),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	free(sent);
	return rc;
}
