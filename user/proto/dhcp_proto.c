/* DHCPv4 parsing and reply building; see dhcp_proto.h for the contract.
 *
 * The parser makes two passes over the option areas (options field, then
 * file, then sname when option 52 says so: RFC 2131 4.1, RFC 3396 5). The
 * first checks the structure and counts each code's instances and bytes;
 * the second fills the index, copying codes seen more than once into
 * m->concat at offsets sized by the first pass. Each area is walked at
 * most once per pass, so overload cannot loop. */
#include "proto/dhcp_proto.h"

#include <string.h>

/* Offsets in the fixed header. */
#define OFF_OP      0
#define OFF_HTYPE   1
#define OFF_HLEN    2
#define OFF_HOPS    3
#define OFF_XID     4
#define OFF_SECS    8
#define OFF_FLAGS   10
#define OFF_CIADDR  12
#define OFF_YIADDR  16
#define OFF_SIADDR  20
#define OFF_GIADDR  24
#define OFF_CHADDR  28
#define OFF_SNAME   44
#define OFF_FILE    108
#define OFF_COOKIE  236
#define SNAME_LEN   64
#define FILE_LEN    128
#define CHADDR_LEN  16

#define IPUDP_HDR_LEN   28      /* IPv4 (no options) + UDP */
#define MIN_REPLY_CAP   (576 - IPUDP_HDR_LEN)
#define BOOTP_MIN_LEN   300

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (v >> 16) & 0xff; p[2] = (v >> 8) & 0xff; p[3] = v & 0xff;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

struct tally {
	uint32_t count[256];    /* instances of each code */
	uint32_t total[256];    /* their data bytes */
	uint16_t off[256];      /* offset in m->concat, for count > 1 */
	uint8_t overload;       /* option 52's value, 0 if absent */
};

/* Walk one option area of n bytes. Without m (first pass): check the
 * structure and option 52, fill the tally. With m (second pass, over an
 * area the first pass accepted): fill the option index. */
static enum dhcp_parse_err walk(const uint8_t *p, size_t n, bool main_area,
				struct tally *t, struct dhcp_msg *m)
{
	size_t i = 0;

	while (i < n) {
		uint8_t code = p[i];
		const uint8_t *d;
		uint8_t l;

		if (code == DHO_PAD) {
			i++;
			continue;
		}
		if (code == DHO_END) {
			/* What follows END should be padding (RFC 2132 3.2); some
			 * clients leave stale bytes there. They are not options,
			 * so they are ignored rather than a reason to refuse. */
			return DHCP_OK;
		}
		if (n - i < 2 || p[i + 1] > n - i - 2)
			return DHCP_E_OPTLEN;
		l = p[i + 1];
		d = p + i + 2;
		if (!m) {
			if (code == DHO_OVERLOAD) {
				if (!main_area || t->count[code] || l != 1 || d[0] < 1 || d[0] > 3)
					return DHCP_E_OVERLOAD;
				t->overload = d[0];
			}
			t->count[code]++;
			t->total[code] += l;
		} else {
			struct dhcp_opt_ref *o = &m->opt[code];

			if (t->count[code] == 1) {
				o->data = d;
				o->len = l;
			} else {
				uint8_t *dst = m->concat + t->off[code];

				memcpy(dst + o->len, d, l);
				o->data = dst;
				o->len += l;
			}
			o->present = true;
		}
		i += 2 + (size_t)l;
	}
	return DHCP_E_NO_END;
}

enum dhcp_parse_err dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m)
{
	struct area { const uint8_t *p; size_t n; } area[3];
	unsigned n_area = 0;
	struct tally t;
	enum dhcp_parse_err rc;
	size_t used = 0;

	memset(m, 0, sizeof(*m));
	if (len < DHCP_MIN_LEN)
		return DHCP_E_SHORT;
	m->op = buf[OFF_OP];
	m->htype = buf[OFF_HTYPE];
	m->hlen = buf[OFF_HLEN];
	m->hops = buf[OFF_HOPS];
	m->xid = get32(buf + OFF_XID);
	m->secs = get16(buf + OFF_SECS);
	m->flags = get16(buf + OFF_FLAGS);
	memcpy(&m->ciaddr, buf + OFF_CIADDR, 4);
	memcpy(&m->yiaddr, buf + OFF_YIADDR, 4);
	memcpy(&m->siaddr, buf + OFF_SIADDR, 4);
	memcpy(&m->giaddr, buf + OFF_GIADDR, 4);
	memcpy(m->chaddr, buf + OFF_CHADDR, CHADDR_LEN);
	m->sname = buf + OFF_SNAME;
	m->file = buf + OFF_FILE;

	if (m->op != BOOTREQUEST)
		return DHCP_E_OP;
	if (m->hlen > CHADDR_LEN || (m->htype == 1 && m->hlen != 6))
		return DHCP_E_HLEN;
	if (get32(buf + OFF_COOKIE) != DHCP_MAGIC)
		return DHCP_E_COOKIE;

	memset(&t, 0, sizeof(t));
	area[n_area++] = (struct area){ buf + DHCP_MIN_LEN, len - DHCP_MIN_LEN };
	rc = walk(area[0].p, area[0].n, true, &t, NULL);
	if (rc)
		return rc;
	/* Only the options field may set t.overload, so this runs once. */
	if (t.overload & 1)
		area[n_area++] = (struct area){ buf + OFF_FILE, FILE_LEN };
	if (t.overload & 2)
		area[n_area++] = (struct area){ buf + OFF_SNAME, SNAME_LEN };
	for (unsigned a = 1; a < n_area; a++)
		if ((rc = walk(area[a].p, area[a].n, false, &t, NULL)))
			return rc;

	for (unsigned c = 0; c < 256; c++) {
		if (t.count[c] < 2)
			continue;
		if (t.total[c] > sizeof(m->concat) - used)
			return DHCP_E_TOOBIG;
		t.off[c] = (uint16_t)used;
		used += t.total[c];
	}
	m->concat_used = used;
	for (unsigned a = 0; a < n_area; a++)
		walk(area[a].p, area[a].n, a == 0, &t, m);

	if (m->opt[DHO_MSG_TYPE].present) {
		const struct dhcp_opt_ref *o = &m->opt[DHO_MSG_TYPE];

		if (o->len != 1 || o->data[0] < DHCPDISCOVER || o->data[0] > DHCPINFORM)
			return DHCP_E_MSGTYPE;
		m->msg_type = o->data[0];
	}
	return DHCP_OK;
}

const char *dhcp_parse_strerror(enum dhcp_parse_err e)
{
	switch (e) {
	case DHCP_OK:         return "ok";
	case DHCP_E_SHORT:    return "truncated datagram";
	case DHCP_E_OP:       return "not a BOOTREQUEST";
	case DHCP_E_HLEN:     return "bad hardware address length";
	case DHCP_E_COOKIE:   return "no DHCP magic cookie";
	case DHCP_E_OPTLEN:   return "option length past end of area";
	case DHCP_E_NO_END:   return "option area not terminated by END";
	case DHCP_E_OVERLOAD: return "bad option overload (52)";
	case DHCP_E_MSGTYPE:  return "bad DHCP message type (53)";
	case DHCP_E_TOOBIG:   return "concatenated options too long";
	}
	return "unknown error";
}

const char *dhcp_msg_type_name(uint8_t t)
{
	static const char *const names[] = {
		"BOOTP", "DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPDECLINE",
		"DHCPACK", "DHCPNAK", "DHCPRELEASE", "DHCPINFORM",
	};
	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "UNKNOWN";
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */

static const struct dhcp_opt_ref *opt_of_len(const struct dhcp_msg *m, uint8_t code,
					     size_t len)
{
	const struct dhcp_opt_ref *o = &m->opt[code];

	return o->present && o->len == len ? o : NULL;
}

bool dhcp_opt_u8(const struct dhcp_msg *m, uint8_t code, uint8_t *v)
{
	const struct dhcp_opt_ref *o = opt_of_len(m, code, 1);

	if (o)
		*v = o->data[0];
	return o != NULL;
}

bool dhcp_opt_u16(const struct dhcp_msg *m, uint8_t code, uint16_t *v)
{
	const struct dhcp_opt_ref *o = opt_of_len(m, code, 2);

	if (o)
		*v = get16(o->data);
	return o != NULL;
}

bool dhcp_opt_u32(const struct dhcp_msg *m, uint8_t code, uint32_t *v)
{
	const struct dhcp_opt_ref *o = opt_of_len(m, code, 4);

	if (o)
		*v = get32(o->data);
	return o != NULL;
}

bool dhcp_opt_ip(const struct dhcp_msg *m, uint8_t code, uint32_t *ip)
{
	const struct dhcp_opt_ref *o = opt_of_len(m, code, 4);

	if (o)
		memcpy(ip, o->data, 4);
	return o != NULL;
}

bool dhcp_opt_prefix(const struct dhcp_msg *m, uint8_t code, const char *prefix)
{
	const struct dhcp_opt_ref *o = &m->opt[code];
	size_t n = strlen(prefix);

	return o->present && o->len >= n && !memcmp(o->data, prefix, n);
}

bool dhcp_user_class_has(const struct dhcp_msg *m, const char *s)
{
	const struct dhcp_opt_ref *o = &m->opt[DHO_USER_CLASS];
	size_t n = strlen(s), i = 0;

	if (!o->present)
		return false;
	/* The bare string iPXE sends, not RFC 3004 encoded. */
	if (o->len == n && !memcmp(o->data, s, n))
		return true;
	/* RFC 3004: (len, bytes) entries. A malformed tail ends the walk. */
	while (i < o->len) {
		size_t l = o->data[i];

		if (l > o->len - i - 1u)
			break;
		if (l == n && !memcmp(o->data + i + 1, s, n))
			return true;
		i += 1 + l;
	}
	return false;
}

void dhcp_format_hw(const struct dhcp_msg *m, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = m->hlen < CHADDR_LEN ? m->hlen : CHADDR_LEN, o = 0;

	if (!len)
		return;
	for (size_t i = 0; i < n; i++) {
		char part[3] = { hex[m->chaddr[i] >> 4], hex[m->chaddr[i] & 15], ':' };
		size_t k = i + 1 < n ? 3 : 2;

		if (k > len - 1 - o)
			k = len - 1 - o;
		memcpy(buf + o, part, k);
		o += k;
	}
	buf[o] = 0;
}

/* ------------------------------------------------------------------ */
/* Building                                                            */

size_t dhcp_reply_cap(const struct dhcp_msg *req)
{
	uint16_t max;
	size_t cap;

	if (!dhcp_opt_u16(req, DHO_MAX_SIZE, &max) || max < MIN_REPLY_CAP + IPUDP_HDR_LEN)
		return MIN_REPLY_CAP;
	cap = (size_t)max - IPUDP_HDR_LEN;
	/* Never more than one Ethernet frame: PXE ROMs handle IP fragments
	 * badly, whatever option 57 says. */
	return cap < DHCP_MAX_REPLY ? cap : DHCP_MAX_REPLY;
}

void dhcp_reply_init(struct dhcp_builder *b, uint8_t *buf, size_t cap,
		     const struct dhcp_msg *req, uint8_t msg_type)
{
	if (cap < MIN_REPLY_CAP)
		cap = MIN_REPLY_CAP;
	if (cap > DHCP_MAX_MSG)
		cap = DHCP_MAX_MSG;
	memset(buf, 0, cap);
	b->buf = buf;
	b->cap = cap;
	b->overflow = false;
	buf[OFF_OP] = BOOTREPLY;
	buf[OFF_HTYPE] = req->htype;
	buf[OFF_HLEN] = req->hlen;
	buf[OFF_HOPS] = 0;
	put32(buf + OFF_XID, req->xid);
	put16(buf + OFF_FLAGS, req->flags);
	memcpy(buf + OFF_GIADDR, &req->giaddr, 4);
	memcpy(buf + OFF_CHADDR, req->chaddr, CHADDR_LEN);
	put32(buf + OFF_COOKIE, DHCP_MAGIC);
	b->len = DHCP_MIN_LEN;
	if (msg_type)
		dhcp_put_u8(b, DHO_MSG_TYPE, msg_type);
}

void dhcp_reply_set_addrs(struct dhcp_builder *b, uint32_t yiaddr, uint32_t siaddr)
{
	memcpy(b->buf + OFF_YIADDR, &yiaddr, 4);
	memcpy(b->buf + OFF_SIADDR, &siaddr, 4);
}

void dhcp_reply_set_ciaddr(struct dhcp_builder *b, uint32_t ciaddr)
{
	memcpy(b->buf + OFF_CIADDR, &ciaddr, 4);
}

static bool set_field(uint8_t *field, size_t size, const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > size)
		return false;
	memset(field, 0, size);
	memcpy(field, s, n);
	return true;
}

bool dhcp_reply_set_sname(struct dhcp_builder *b, const char *s)
{
	return set_field(b->buf + OFF_SNAME, SNAME_LEN, s);
}

bool dhcp_reply_set_file(struct dhcp_builder *b, const char *s)
{
	return set_field(b->buf + OFF_FILE, FILE_LEN, s);
}

void dhcp_put(struct dhcp_builder *b, uint8_t code, const void *data, size_t len)
{
	const uint8_t *src = data;
	size_t pieces = len ? (len + 254) / 255 : 1;

	if (b->overflow)
		return;
	if (code == DHO_PAD || code == DHO_END) {
		b->overflow = true;
		return;
	}
	/* All or nothing, keeping one byte for END. */
	if (b->len > b->cap || len > b->cap || len + 2 * pieces + 1 > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	do {
		size_t k = len < 255 ? len : 255;

		b->buf[b->len] = code;
		b->buf[b->len + 1] = (uint8_t)k;
		if (k)
			memcpy(b->buf + b->len + 2, src, k);
		b->len += 2 + k;
		src += k;
		len -= k;
	} while (len);
}

void dhcp_put_u8(struct dhcp_builder *b, uint8_t code, uint8_t v)
{
	dhcp_put(b, code, &v, 1);
}

void dhcp_put_u16(struct dhcp_builder *b, uint8_t code, uint16_t v)
{
	uint8_t d[2];

	put16(d, v);
	dhcp_put(b, code, d, 2);
}

void dhcp_put_u32(struct dhcp_builder *b, uint8_t code, uint32_t v)
{
	uint8_t d[4];

	put32(d, v);
	dhcp_put(b, code, d, 4);
}

void dhcp_put_ip(struct dhcp_builder *b, uint8_t code, uint32_t ip)
{
	dhcp_put(b, code, &ip, 4);
}

void dhcp_put_str(struct dhcp_builder *b, uint8_t code, const char *s)
{
	dhcp_put(b, code, s, strlen(s));
}

size_t dhcp_reply_finish(struct dhcp_builder *b)
{
	if (b->overflow || b->len >= b->cap)
		return 0;
	b->buf[b->len++] = DHO_END;
	if (b->len < BOOTP_MIN_LEN) {
		memset(b->buf + b->len, 0, BOOTP_MIN_LEN - b->len);
		b->len = BOOTP_MIN_LEN;
	}
	return b->len;
}
