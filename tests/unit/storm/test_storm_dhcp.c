/* Unit tests for rackboot-storm's DHCP client side (user/storm_dhcp.c).
 *
 * Requests are checked with the server's own parser (dhcp_parse), so what
 * the simulated firmware sends is what rackbootd will read; replies are
 * built with the server's own builder (dhcp_reply_*) and read back with
 * sdhcp_parse_reply. Hand-made replies cover option overload, the file
 * field, first-instance-wins and malformed option areas; every prefix of
 * a reply is parsed flush against a guard page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"
#include "guard_page.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "proto/dhcp_proto.h"
#include "storm/storm_dhcp.h"

static const uint8_t MAC[6] = { 0x02, 0x53, 0, 0, 0x01, 0x2a };

static struct sdhcp_req req_of(uint8_t type, uint8_t style, uint16_t arch)
{
	struct sdhcp_req r = { .type = type, .style = style, .arch = arch, .xid = 0xdeadbeef, .secs = 3 };
	memcpy(r.mac, MAC, 6);
	sdhcp_uuid_from_mac(MAC, r.uuid);
	return r;
}

static void parse_req(const struct sdhcp_req *r, struct dhcp_msg *m, uint8_t *buf)
{
	size_t len = sdhcp_build(buf, DHCP_MAX_MSG, r);
	assert_true(len >= 300);
	assert_int_equal(dhcp_parse(buf, len, m), DHCP_OK);
}

static bool opt_is(const struct dhcp_msg *m, uint8_t code, const char *s)
{
	return m->opt[code].present && m->opt[code].len == strlen(s) &&
	       !memcmp(m->opt[code].data, s, strlen(s));
}

static void test_discover_pxe_bios(void **state)
{
	struct sdhcp_req r = req_of(DHCPDISCOVER, SDHCP_PXE_BIOS, 0);
	uint8_t buf[DHCP_MAX_MSG];
	struct dhcp_msg m;
	uint16_t v;

	parse_req(&r, &m, buf);
	assert_int_equal(m.op, BOOTREQUEST);
	assert_int_equal(m.msg_type, DHCPDISCOVER);
	assert_int_equal(m.xid, 0xdeadbeef);
	assert_int_equal(m.secs, 3);
	assert_int_equal(m.flags, DHCP_FLAG_BROADCAST);      /* replies broadcast: no ARP needed */
	assert_memory_equal(m.chaddr, MAC, 6);
	assert_int_equal(m.ciaddr, 0);
	assert_true(opt_is(&m, DHO_VENDOR_CLASS, "PXEClient:Arch:00000:UNDI:002001"));
	assert_true(dhcp_opt_u16(&m, DHO_CLIENT_ARCH, &v));
	assert_int_equal(v, 0);
	assert_true(m.opt[DHO_CLIENT_NDI].present);
	assert_int_equal(m.opt[DHO_CLIENT_NDI].len, 3);
	assert_int_equal(m.opt[DHO_UUID].len, 17);
	assert_int_equal(m.opt[DHO_UUID].data[0], 0);
	assert_true(m.opt[DHO_PARAM_LIST].present);
	assert_true(memchr(m.opt[DHO_PARAM_LIST].data, DHO_BOOTFILE, m.opt[DHO_PARAM_LIST].len) != NULL);
	assert_false(m.opt[DHO_REQUESTED_IP].present);
	assert_false(m.opt[DHO_SERVER_ID].present);
	assert_false(m.opt[DHO_USER_CLASS].present);
	assert_false(m.opt[DHO_IPXE_ENCAP].present);
}

static void test_request_uefi(void **state)
{
	struct sdhcp_req r = req_of(DHCPREQUEST, SDHCP_PXE_UEFI, 7);
	uint8_t buf[DHCP_MAX_MSG];
	struct dhcp_msg m;
	uint32_t ip;
	uint16_t v;

	r.requested_ip = htonl(0xc6120064);
	r.server_id = htonl(0xc6120001);
	parse_req(&r, &m, buf);
	assert_int_equal(m.msg_type, DHCPREQUEST);
	assert_true(opt_is(&m, DHO_VENDOR_CLASS, "PXEClient:Arch:00007:UNDI:003016"));
	assert_true(dhcp_opt_u16(&m, DHO_CLIENT_ARCH, &v));
	assert_int_equal(v, 7);
	assert_true(dhcp_opt_ip(&m, DHO_REQUESTED_IP, &ip));
	assert_int_equal(ntohl(ip), 0xc6120064);
	assert_true(dhcp_opt_ip(&m, DHO_SERVER_ID, &ip));
	assert_int_equal(ntohl(ip), 0xc6120001);
	assert_int_equal(m.ciaddr, 0);                      /* SELECTING: no ciaddr */
}

static void test_ipxe_identifies_itself(void **state)
{
	struct sdhcp_req r = req_of(DHCPDISCOVER, SDHCP_IPXE, 0);
	uint8_t buf[DHCP_MAX_MSG];
	struct dhcp_msg m;

	parse_req(&r, &m, buf);
	/* what boot_policy.c keys on: user class "iPXE" and option 175 */
	assert_true(dhcp_user_class_has(&m, "iPXE"));
	assert_true(m.opt[DHO_IPXE_ENCAP].present);
	assert_true(dhcp_opt_prefix(&m, DHO_VENDOR_CLASS, "PXEClient"));
	assert_int_equal(m.opt[DHO_CLIENT_ID].len, 7);
	assert_int_equal(m.opt[DHO_CLIENT_ID].data[0], 1);
	assert_memory_equal(m.opt[DHO_CLIENT_ID].data + 1, MAC, 6);
}

static void test_build_small_buffer(void **state)
{
	struct sdhcp_req r = req_of(DHCPDISCOVER, SDHCP_IPXE, 7);
	uint8_t buf[DHCP_MAX_MSG];
	assert_int_equal(sdhcp_build(buf, 100, &r), 0);
}

static void test_uuid_from_mac(void **state)
{
	uint8_t a[16], b[16], c[16];
	uint8_t other[6] = { 0x02, 0x53, 0, 0, 0x01, 0x2b };
	sdhcp_uuid_from_mac(MAC, a);
	sdhcp_uuid_from_mac(MAC, b);
	sdhcp_uuid_from_mac(other, c);
	assert_memory_equal(a, b, 16);                      /* stable per node */
	assert_memory_not_equal(a, c, 16);                  /* distinct across nodes */
	assert_int_equal(a[6] >> 4, 4);                     /* version 4 */
	assert_int_equal(a[8] & 0xc0, 0x80);                /* RFC 4122 variant */
}

/* A reply the way rackbootd builds one: to the request `r`. */
static size_t server_reply(const struct sdhcp_req *r, uint8_t type, uint8_t *out, bool with_boot)
{
	uint8_t rb[DHCP_MAX_MSG];
	struct dhcp_msg m;
	struct dhcp_builder b;

	parse_req(r, &m, rb);
	dhcp_reply_init(&b, out, DHCP_MAX_MSG, &m, type);
	dhcp_reply_set_addrs(&b, type == DHCPNAK ? 0 : htonl(0xc6120064), htonl(0xc6120001));
	dhcp_put_ip(&b, DHO_SERVER_ID, htonl(0xc6120001));
	if (type != DHCPNAK) {
		dhcp_put_ip(&b, DHO_SUBNET_MASK, htonl(0xffffff00));
		dhcp_put_u32(&b, DHO_LEASE_TIME, 3600);
	}
	if (with_boot) {
		dhcp_reply_set_file(&b, "undionly.kpxe");
		dhcp_put_str(&b, DHO_VENDOR_CLASS, "PXEClient");
	}
	size_t len = dhcp_reply_finish(&b);
	assert_true(len > 0);
	return len;
}

static void test_reply_from_server_builder(void **state)
{
	struct sdhcp_req r = req_of(DHCPDISCOVER, SDHCP_PXE_BIOS, 0);
	uint8_t buf[DHCP_MAX_MSG];
	struct sdhcp_reply p;

	size_t len = server_reply(&r, DHCPOFFER, buf, true);
	assert_int_equal(sdhcp_parse_reply(guard_flush(buf, len), len, &p), SDHCP_OK);
	assert_int_equal(p.type, DHCPOFFER);
	assert_int_equal(p.xid, 0xdeadbeef);
	assert_memory_equal(p.chaddr, MAC, 6);
	assert_int_equal(ntohl(p.yiaddr), 0xc6120064);
	assert_int_equal(ntohl(p.siaddr), 0xc6120001);
	assert_true(p.has_server_id);
	assert_int_equal(ntohl(p.server_id), 0xc6120001);
	assert_true(p.has_mask);
	assert_int_equal(sdhcp_mask_prefix(p.subnet_mask), 24);
	assert_int_equal(p.lease_time, 3600);
	assert_string_equal(p.bootfile, "undionly.kpxe");
	assert_true(p.pxe_vendor);
	assert_string_equal(p.vendor_class, "PXEClient");

	len = server_reply(&r, DHCPNAK, buf, false);
	assert_int_equal(sdhcp_parse_reply(buf, len, &p), SDHCP_OK);
	assert_int_equal(p.type, DHCPNAK);
	assert_int_equal(p.yiaddr, 0);
	assert_string_equal(p.bootfile, "");
	assert_false(p.pxe_vendor);
}

/* A hand-made BOOTREPLY: header fields, then `opts` (n bytes) after the cookie. */
static size_t mk(uint8_t *b, const char *opts, size_t n, const char *file, const char *sname)
{
	memset(b, 0, 240);
	b[0] = BOOTREPLY;
	b[1] = 1;
	b[2] = 6;
	b[4] = 0x11; b[5] = 0x22; b[6] = 0x33; b[7] = 0x44;
	memcpy(b + 28, MAC, 6);
	b[16] = 198; b[17] = 18; b[18] = 0; b[19] = 100;
	if (file)
		memcpy(b + 108, file, strlen(file) < 128 ? strlen(file) : 128);
	if (sname)
		memcpy(b + 44, sname, strlen(sname) < 64 ? strlen(sname) : 64);
	b[236] = 0x63; b[237] = 0x82; b[238] = 0x53; b[239] = 0x63;
	memcpy(b + 240, opts, n);
	return 240 + n;
}
#define OPTS(s) s, sizeof(s) - 1

struct reply_row {
	const char *why;
	const char *opts;
	size_t n;
	const char *file, *sname;       /* raw field contents (may hold options) */
	enum sdhcp_err rc;
	uint8_t type;
	const char *bootfile, *tftp_server;
	bool pxe;
};

static const struct reply_row reply_rows[] = {
	{ "option 67 beats the file field", OPTS("\x35\x01\x02\x43\x05opt67\xff"), "field", NULL,
	  SDHCP_OK, 2, "opt67", "", false },
	{ "the file field when option 67 is absent", OPTS("\x35\x01\x05\xff"), "pxelinux.0", NULL,
	  SDHCP_OK, 5, "pxelinux.0", "", false },
	{ "first instance of an option wins", OPTS("\x35\x01\x02\x35\x01\x05\xff"), NULL, NULL,
	  SDHCP_OK, 2, "", "", false },
	{ "overload 1: options in the file field, which is then no name",
	  OPTS("\x35\x01\x05\x34\x01\x01\xff"), "\x43\x04" "boot" "\xff", NULL,
	  SDHCP_OK, 5, "boot", "", false },
	{ "overload 2: options in sname, file field still the name",
	  OPTS("\x35\x01\x05\x34\x01\x02\xff"), "named", "\x42\x08" "10.0.0.9" "\xff",
	  SDHCP_OK, 5, "named", "10.0.0.9", false },
	{ "overload 3: options area first, then file, then sname",
	  OPTS("\x35\x01\x02\x34\x01\x03\xff"), "\x3c\x09PXEClient\xff", "\x43\x01x\xff",
	  SDHCP_OK, 2, "x", "", true },
	{ "pads are skipped, no END is accepted", OPTS("\x00\x00\x35\x01\x02\x00"), NULL, NULL,
	  SDHCP_OK, 2, "", "", false },
	{ "option length past the end", OPTS("\x35\x01\x02\x43\x09" "abc"), NULL, NULL,
	  SDHCP_E_OPTLEN, 0, NULL, NULL, false },
	{ "a code without its length byte", OPTS("\x35\x01\x02\x43"), NULL, NULL,
	  SDHCP_E_OPTLEN, 0, NULL, NULL, false },
	{ "bad option inside an overloaded file field", OPTS("\x34\x01\x01\xff"), "\x43\x7f", NULL,
	  SDHCP_E_OPTLEN, 0, NULL, NULL, false },
	{ "vendor class not PXE", OPTS("\x3c\x0aHTTPClient\xff"), NULL, NULL,
	  SDHCP_OK, 0, "", "", false },
	{ "option 66 and a long 67", OPTS("\x42\x0a" "198.18.0.9" "\x43\x20http://198.18.0.1:8080/boot.ipxe\xff"),
	  NULL, NULL, SDHCP_OK, 0, "http://198.18.0.1:8080/boot.ipxe", "198.18.0.9", false },
};

static int check_reply(const struct reply_row *t)
{
	uint8_t b[600];
	struct sdhcp_reply r;
	size_t len = mk(b, t->opts, t->n, t->file, t->sname);
	enum sdhcp_err rc = sdhcp_parse_reply(guard_flush(b, len), len, &r);

	if (rc != t->rc) {
		print_error("row \"%s\": rc %d, want %d\n", t->why, rc, t->rc);
		return 1;
	}
	if (rc != SDHCP_OK)
		return 0;
	if (r.type != t->type || strcmp(r.bootfile, t->bootfile) || strcmp(r.tftp_server, t->tftp_server) ||
	    r.pxe_vendor != t->pxe || r.xid != 0x11223344 || memcmp(r.chaddr, MAC, 6) ||
	    ntohl(r.yiaddr) != 0xc6120064) {
		print_error("row \"%s\": type %u file '%s' tftp '%s' pxe %d\n", t->why, r.type,
			    r.bootfile, r.tftp_server, r.pxe_vendor);
		return 1;
	}
	return 0;
}

static void test_reply_table(void **state)
{
	RUN_TABLE(reply_rows, check_reply, "reply rows");
}

static void test_reply_rejects(void **state)
{
	uint8_t b[600];
	struct sdhcp_reply r;
	size_t len = mk(b, OPTS("\x35\x01\x02\xff"), NULL, NULL);

	b[0] = BOOTREQUEST;                                   /* our own broadcast, echoed */
	assert_int_equal(sdhcp_parse_reply(b, len, &r), SDHCP_E_OP);
	b[0] = BOOTREPLY;
	b[2] = 16;                                            /* not Ethernet */
	assert_int_equal(sdhcp_parse_reply(b, len, &r), SDHCP_E_OP);
	b[2] = 6;
	b[239] = 0;
	assert_int_equal(sdhcp_parse_reply(b, len, &r), SDHCP_E_COOKIE);
	b[239] = 0x63;
	assert_int_equal(sdhcp_parse_reply(b, len, &r), SDHCP_OK);
}

static void test_reply_every_prefix(void **state)
{
	struct sdhcp_req q = req_of(DHCPREQUEST, SDHCP_IPXE, 7);
	uint8_t buf[DHCP_MAX_MSG];
	struct sdhcp_reply r;
	size_t len = server_reply(&q, DHCPACK, buf, true);

	/* no prefix may read past its end (the guard page faults if it does) */
	for (size_t cut = 0; cut <= len; cut++) {
		enum sdhcp_err e = sdhcp_parse_reply(guard_flush(buf, cut), cut, &r);
		if (cut < 240)
			assert_int_equal(e, SDHCP_E_SHORT);
	}
}

/* The ProxyDHCPREQUEST to port 4011: ciaddr, unicast, no 50/54, and the
 * DISCOVER's PXE options (iPXE: its own too), read by the server's parser. */
struct proxy_req_row {
	const char *why;
	uint8_t style;
	uint16_t arch;
	const char *vendor_class;
	bool ipxe;
};

static const struct proxy_req_row proxy_req_rows[] = {
	{ "BIOS PXE ROM", SDHCP_PXE_BIOS, 0, "PXEClient:Arch:00000:UNDI:002001", false },
	{ "EDK2", SDHCP_PXE_UEFI, 7, "PXEClient:Arch:00007:UNDI:003016", false },
	{ "iPXE (UEFI build)", SDHCP_IPXE, 7, "PXEClient:Arch:00007:UNDI:002001", true },
	{ "iPXE (BIOS build)", SDHCP_IPXE, 0, "PXEClient:Arch:00000:UNDI:002001", true },
};

static int check_proxy_req(const struct proxy_req_row *t)
{
	struct sdhcp_req r = req_of(DHCPREQUEST, t->style, t->arch);
	uint8_t buf[DHCP_MAX_MSG];
	struct dhcp_msg m;
	uint16_t arch = 0xffff;

	r.ciaddr = htonl(0xc6120064);
	size_t len = sdhcp_build(buf, sizeof(buf), &r);
	if (len < 300 || len > SDHCP_REQ_LEN || dhcp_parse(buf, len, &m) != DHCP_OK) {
		print_error("row \"%s\": %zu bytes, not parsed\n", t->why, len);
		return 1;
	}
	dhcp_opt_u16(&m, DHO_CLIENT_ARCH, &arch);
	if (m.msg_type != DHCPREQUEST || ntohl(m.ciaddr) != 0xc6120064 || m.flags != 0 ||
	    m.xid != 0xdeadbeef || memcmp(m.chaddr, MAC, 6) || m.yiaddr ||
	    m.opt[DHO_REQUESTED_IP].present || m.opt[DHO_SERVER_ID].present ||
	    !opt_is(&m, DHO_VENDOR_CLASS, t->vendor_class) || arch != t->arch ||
	    m.opt[DHO_CLIENT_NDI].len != 3 || m.opt[DHO_UUID].len != 17 ||
	    !m.opt[DHO_PARAM_LIST].present ||
	    dhcp_user_class_has(&m, "iPXE") != t->ipxe || m.opt[DHO_IPXE_ENCAP].present != t->ipxe) {
		print_error("row \"%s\": type %u ciaddr %08x flags %04x arch %u\n", t->why, m.msg_type,
			    ntohl(m.ciaddr), m.flags, arch);
		return 1;
	}
	return 0;
}

static void test_proxy_request_table(void **state)
{
	RUN_TABLE(proxy_req_rows, check_proxy_req, "ProxyDHCPREQUEST rows");
}

/* Option 43 (PXE vendor options) and whether a proxy offer sends the
 * firmware to port 4011 (hand-made offers; their yiaddr does not matter:
 * the engine decides proxy or not before asking). */
struct proxy_offer_row {
	const char *why;
	const char *opts;
	size_t n;
	const char *file;
	bool has_dc;
	uint8_t dc;
	bool bios, uefi, ipxe;          /* does each ask port 4011 */
};

static const struct proxy_offer_row proxy_offer_rows[] = {
	{ "rackbootd to a BIOS ROM: discovery control 8 and a file",
	  OPTS("\x35\x01\x02\x3c\x09PXEClient\x2b\x04\x06\x01\x08\xff\xff"), "undionly.kpxe",
	  true, 8, false, true, true },
	{ "rackbootd to EDK2 and iPXE: no option 43",
	  OPTS("\x35\x01\x02\x3c\x09PXEClient\xff"), "ipxe.efi", false, 0, true, true, true },
	{ "bit 3 but no file: ask", OPTS("\x35\x01\x02\x3c\x09PXEClient\x2b\x03\x06\x01\x08\xff"), NULL,
	  true, 8, true, true, true },
	{ "other bits only (no broadcast/multicast discovery): ask",
	  OPTS("\x35\x01\x02\x3c\x09PXEClient\x2b\x03\x06\x01\x03\xff"), "f", true, 3, true, true, true },
	{ "bit 3 among others", OPTS("\x35\x01\x02\x3c\x09PXEClient\x2b\x03\x06\x01\x0b\xff"), "f",
	  true, 11, false, true, true },
	{ "sub-option 6 after a menu, pads skipped",
	  OPTS("\x35\x01\x02\x3c\x09PXEClient\x2b\x08\x09\x02" "ab" "\x00\x06\x01\x08\xff"), "f",
	  true, 8, false, true, true },
	{ "43 without PXEClient is not PXE's: ask",
	  OPTS("\x35\x01\x02\x2b\x03\x06\x01\x08\xff"), "f", true, 8, true, true, true },
	{ "sub-option 6 of the wrong length is ignored",
	  OPTS("\x35\x01\x02\x3c\x09PXEClient\x2b\x04\x06\x02\x08\x00\xff"), "f",
	  false, 0, true, true, true },
	{ "a truncated sub-option is ignored, the reply still parses",
	  OPTS("\x35\x01\x02\x3c\x09PXEClient\x2b\x02\x06\x05\xff"), "f", false, 0, true, true, true },
};

static int check_proxy_offer(const struct proxy_offer_row *t)
{
	uint8_t b[600];
	struct sdhcp_reply r;
	size_t len = mk(b, t->opts, t->n, t->file, NULL);

	if (sdhcp_parse_reply(guard_flush(b, len), len, &r) != SDHCP_OK) {
		print_error("row \"%s\": not parsed\n", t->why);
		return 1;
	}
	bool bios = sdhcp_proxy_needs_4011(SDHCP_PXE_BIOS, &r);
	bool uefi = sdhcp_proxy_needs_4011(SDHCP_PXE_UEFI, &r);
	bool ipxe = sdhcp_proxy_needs_4011(SDHCP_IPXE, &r);
	if (r.has_discovery_ctl != t->has_dc || (t->has_dc && r.discovery_ctl != t->dc) ||
	    bios != t->bios || uefi != t->uefi || ipxe != t->ipxe) {
		print_error("row \"%s\": dc %d/%u, 4011 bios %d uefi %d ipxe %d\n", t->why,
			    r.has_discovery_ctl, r.discovery_ctl, bios, uefi, ipxe);
		return 1;
	}
	return 0;
}

static void test_proxy_offer_table(void **state)
{
	RUN_TABLE(proxy_offer_rows, check_proxy_offer, "proxy offer rows");
}

/* Which port-4011 answers a node takes. */
struct proxy_ack_row {
	const char *why;
	const char *opts;
	size_t n;
	const char *file;
	uint32_t xid;                   /* the node's */
	uint8_t mac_last;               /* the node's MAC's last byte */
	bool ok;
};

static const struct proxy_ack_row proxy_ack_rows[] = {
	{ "the ACK, file in the field", OPTS("\x35\x01\x05\xff"), "ipxe.efi", 0x11223344, 0x2a, true },
	{ "the ACK, file in option 67", OPTS("\x35\x01\x05\x43\x04" "boot" "\xff"), NULL, 0x11223344, 0x2a,
	  true },
	{ "another xid", OPTS("\x35\x01\x05\xff"), "ipxe.efi", 0x11223345, 0x2a, false },
	{ "another node's MAC", OPTS("\x35\x01\x05\xff"), "ipxe.efi", 0x11223344, 0x2b, false },
	{ "no boot file: dropped, as iPXE and EDK2 do", OPTS("\x35\x01\x05\xff"), NULL, 0x11223344, 0x2a,
	  false },
	{ "a NAK", OPTS("\x35\x01\x06\xff"), "ipxe.efi", 0x11223344, 0x2a, false },
	{ "an OFFER", OPTS("\x35\x01\x02\xff"), "ipxe.efi", 0x11223344, 0x2a, false },
	{ "BOOTP (no type)", OPTS("\xff"), "ipxe.efi", 0x11223344, 0x2a, false },
};

static int check_proxy_ack(const struct proxy_ack_row *t)
{
	uint8_t b[600], mac[6];
	struct sdhcp_reply r;
	size_t len = mk(b, t->opts, t->n, t->file, NULL);

	memcpy(mac, MAC, 6);
	mac[5] = t->mac_last;
	if (sdhcp_parse_reply(b, len, &r) != SDHCP_OK || sdhcp_proxy_ack_ok(&r, t->xid, mac) != t->ok) {
		print_error("row \"%s\": want %d\n", t->why, t->ok);
		return 1;
	}
	return 0;
}

static void test_proxy_ack_table(void **state)
{
	RUN_TABLE(proxy_ack_rows, check_proxy_ack, "ProxyDHCPACK rows");
}

static void test_mask_prefix(void **state)
{
	assert_int_equal(sdhcp_mask_prefix(htonl(0xffffff00)), 24);
	assert_int_equal(sdhcp_mask_prefix(htonl(0xffffffff)), 32);
	assert_int_equal(sdhcp_mask_prefix(htonl(0)), 0);
	assert_int_equal(sdhcp_mask_prefix(htonl(0xffff0000)), 16);
	assert_int_equal(sdhcp_mask_prefix(htonl(0xfffffffe)), 31);
	assert_int_equal(sdhcp_mask_prefix(htonl(0xff00ff00)), -1);
	assert_int_equal(sdhcp_mask_prefix(htonl(0x00ffffff)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_pxe_bios),
		cmocka_unit_test(test_request_uefi),
		cmocka_unit_test(test_ipxe_identifies_itself),
		cmocka_unit_test(test_build_small_buffer),
		cmocka_unit_test(test_uuid_from_mac),
		cmocka_unit_test(test_reply_from_server_builder),
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_reply_rejects),
		cmocka_unit_test(test_reply_every_prefix),
		cmocka_unit_test(test_mask_prefix),
		cmocka_unit_test(test_proxy_request_table),
		cmocka_unit_test(test_proxy_offer_table),
		cmocka_unit_test(test_proxy_ack_table),
	};
	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
