/* libFuzzer target for DHCP parsing and reply building (user/dhcp_proto.c).
 *
 * Input: a datagram as received on port 67. It is copied into an exact-size
 * heap buffer so ASan catches any over-read.
 *
 * Checks:
 *  - dhcp_parse returns a known code with a non-empty strerror; on success
 *    op is BOOTREQUEST, hlen <= 16, PAD/END are never present, every
 *    option's data lies in the datagram or in concat[0, concat_used), and
 *    msg_type agrees with option 53; deterministic.
 *  - the typed accessors succeed exactly when the length fits; the
 *    user-class and prefix helpers and dhcp_format_hw stay in bounds.
 *  - a reply echoing some of the request's options, built into a buffer of
 *    exactly dhcp_reply_cap() bytes: finish() is 0 exactly on overflow,
 *    otherwise the reply is 300..cap bytes, reads back with dhcp_parse (op
 *    set to BOOTREQUEST) and every echoed option comes back unchanged. */
#include <stdbool.h>
#include <stdint.h>

#include "fuzz_copy.h"
#include <stdlib.h>
#include <string.h>

#include "proto/dhcp_proto.h"

#define LONG_NAME "0123456789012345678901234567890123456789012345678901234567890123"
#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static bool inside(const uint8_t *p, size_t n, const void *lo, size_t size)
{
	const uint8_t *b = lo;

	return p >= b && p + n <= b + size;
}

static void check_msg(const struct dhcp_msg *m, const uint8_t *buf, size_t len)
{
	CHECK(m->op == BOOTREQUEST && m->hlen <= 16);
	CHECK(m->concat_used <= sizeof(m->concat));
	CHECK(!m->opt[DHO_PAD].present && !m->opt[DHO_END].present);
	for (unsigned c = 0; c < 256; c++) {
		const struct dhcp_opt_ref *o = &m->opt[c];

		if (!o->present) {
			CHECK(o->len == 0 && o->data == NULL);
			continue;
		}
		CHECK(o->data);
		CHECK(inside(o->data, o->len, buf, len) ||
		      inside(o->data, o->len, m->concat, m->concat_used));
	}
	if (m->opt[DHO_MSG_TYPE].present)
		CHECK(m->msg_type >= DHCPDISCOVER && m->msg_type <= DHCPINFORM &&
		      m->opt[DHO_MSG_TYPE].len == 1 && m->opt[DHO_MSG_TYPE].data[0] == m->msg_type);
	else
		CHECK(m->msg_type == 0);
	if (m->opt[DHO_OVERLOAD].present)
		CHECK(m->opt[DHO_OVERLOAD].len == 1 &&
		      m->opt[DHO_OVERLOAD].data[0] >= 1 && m->opt[DHO_OVERLOAD].data[0] <= 3);
}

static void check_accessors(const struct dhcp_msg *m)
{
	static const uint8_t codes[] = {
		DHO_MSG_TYPE, DHO_MAX_SIZE, DHO_LEASE_TIME, DHO_REQUESTED_IP, DHO_SERVER_ID,
		DHO_CLIENT_ARCH, DHO_VENDOR_CLASS, DHO_USER_CLASS, DHO_UUID, DHO_IPXE_ENCAP,
	};
	char hw[48];

	for (size_t i = 0; i < sizeof(codes); i++) {
		const struct dhcp_opt_ref *o = &m->opt[codes[i]];
		uint8_t v8;
		uint16_t v16;
		uint32_t v32, ip;

		CHECK(dhcp_opt_u8(m, codes[i], &v8) == (o->present && o->len == 1));
		CHECK(dhcp_opt_u16(m, codes[i], &v16) == (o->present && o->len == 2));
		CHECK(dhcp_opt_u32(m, codes[i], &v32) == (o->present && o->len == 4));
		CHECK(dhcp_opt_ip(m, codes[i], &ip) == (o->present && o->len == 4));
		CHECK(dhcp_opt_prefix(m, codes[i], "") == o->present);
	}
	(void)dhcp_opt_prefix(m, DHO_VENDOR_CLASS, "PXEClient");
	(void)dhcp_opt_prefix(m, DHO_VENDOR_CLASS, "HTTPClient");
	(void)dhcp_user_class_has(m, "iPXE");
	(void)dhcp_user_class_has(m, "gPXE");
	if (m->opt[DHO_USER_CLASS].present && m->opt[DHO_USER_CLASS].len >= 1 &&
	    m->opt[DHO_USER_CLASS].len <= 64) {
		/* Its own bytes (as a string) must match when they hold no NUL. */
		char s[65];

		memcpy(s, m->opt[DHO_USER_CLASS].data, m->opt[DHO_USER_CLASS].len);
		s[m->opt[DHO_USER_CLASS].len] = 0;
		if (strlen(s) == m->opt[DHO_USER_CLASS].len)
			CHECK(dhcp_user_class_has(m, s));
	}
	dhcp_format_hw(m, hw, sizeof(hw));
	CHECK(strlen(hw) == (m->hlen ? 3u * m->hlen - 1 : 0));
	dhcp_format_hw(m, hw, 5);
	CHECK(strlen(hw) <= 4);
	CHECK(dhcp_msg_type_name(m->msg_type)[0]);
}

static void build_reply(const struct dhcp_msg *req)
{
	/* Options echoed back, as a server does with 82 and might with others. */
	static const uint8_t echo[] = {
		DHO_RELAY_AGENT, DHO_CLIENT_ID, DHO_VENDOR_CLASS, DHO_UUID, DHO_USER_CLASS,
		DHO_IPXE_ENCAP, DHO_VENDOR, DHO_HOSTNAME, DHO_PARAM_LIST,
	};
	static struct dhcp_msg back;
	struct dhcp_builder b;
	size_t cap = dhcp_reply_cap(req), len;
	uint8_t type = req->msg_type == DHCPDISCOVER ? DHCPOFFER : DHCPACK;
	uint8_t *out, *copy;
	bool file_ok;

	CHECK(cap >= 548 && cap <= DHCP_MAX_MSG);
	out = malloc(cap);
	copy = malloc(cap);
	if (!out || !copy)
		goto done;
	dhcp_reply_init(&b, out, cap, req, type);
	CHECK(b.cap == cap && !b.overflow);
	dhcp_reply_set_addrs(&b, req->ciaddr, req->giaddr);
	(void)dhcp_reply_set_sname(&b, "rackboot");
	/* The request's file field as a name: it fits when terminated inside. */
	file_ok = memchr(req->file, 0, 128) != NULL;
	CHECK(dhcp_reply_set_file(&b, file_ok ? (const char *)req->file : "x"));
	CHECK(!dhcp_reply_set_sname(&b, file_ok && strlen((const char *)req->file) >= 64 ?
				    (const char *)req->file : LONG_NAME));
	dhcp_put_ip(&b, DHO_SERVER_ID, req->giaddr);
	dhcp_put_u32(&b, DHO_LEASE_TIME, req->xid);
	for (size_t i = 0; i < sizeof(echo); i++)
		if (req->opt[echo[i]].present)
			dhcp_put(&b, echo[i], req->opt[echo[i]].data, req->opt[echo[i]].len);
	CHECK(b.len <= b.cap);
	len = dhcp_reply_finish(&b);
	CHECK((len == 0) == b.overflow);
	if (!len)
		goto done;
	CHECK(len >= 300 && len <= cap);

	memcpy(copy, out, len);
	copy[0] = BOOTREQUEST;
	CHECK(dhcp_parse(copy, len, &back) == DHCP_OK);
	CHECK(back.msg_type == type && back.xid == req->xid && back.flags == req->flags &&
	      back.giaddr == req->giaddr && !memcmp(back.chaddr, req->chaddr, 16));
	for (size_t i = 0; i < sizeof(echo); i++) {
		const struct dhcp_opt_ref *o = &req->opt[echo[i]], *r = &back.opt[echo[i]];

		CHECK(o->present == r->present);
		if (o->present)
			CHECK(o->len == r->len && !memcmp(o->data, r->data, o->len));
	}
done:
	free(out);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_msg m, m2;
	enum dhcp_parse_err rc;
	uint8_t *buf;

	buf = fuzz_copy(data, size, 4096);
	if (!buf)
		return 0;
	rc = dhcp_parse(buf, size, &m);
	CHECK(rc >= DHCP_OK && rc <= DHCP_E_TOOBIG);
	CHECK(dhcp_parse_strerror(rc)[0]);
	CHECK(dhcp_parse(buf, size, &m2) == rc);
	if (rc == DHCP_OK) {
		check_msg(&m, buf, size);
		check_accessors(&m);
		build_reply(&m);
	}
	free(buf);
	return 0;
}
