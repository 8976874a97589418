/* Unit tests for the DHCPv4 wire format (user/dhcp_proto.c).
 *
 * Table driven: a parse row is a crafted BOOTREQUEST (header tweaks, the
 * options field, the file/sname fields) and the expected verdict, message
 * type and exactly which options come out. Every datagram is copied flush
 * against a PROT_NONE guard page, so reading one byte past `len` faults;
 * replies are built into buffers that end at the guard page too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "proto/dhcp_proto.h"
#include "guard_page.h"

/* ------------------------------------------------------------------ */
/* Crafting requests                                                   */

#define MAX_WANT 8

struct hdr { uint8_t op, htype, hlen; };
struct want { uint8_t code; const char *val; size_t len; };

struct parse_row {
	const char *why;
	const struct hdr *hdr;           /* NULL: BOOTREQUEST, Ethernet, hlen 6 */
	const char *cookie;              /* NULL: the magic cookie */
	const char *opts; size_t opts_len;    /* the options field */
	const char *file; size_t file_len;    /* start of the 128-byte file field */
	const char *sname; size_t sname_len;  /* start of the 64-byte sname field */
	size_t cut;                      /* nonzero: datagram cut to this length */
	enum dhcp_parse_err rc;
	uint8_t msg_type;
	size_t concat_used;
	struct want want[MAX_WANT];      /* exactly the options present */
};

#define HDR(o, t, l) (&(const struct hdr){ (o), (t), (l) })
#define OPTS(s)  .opts = (s), .opts_len = sizeof(s) - 1
#define FILE_(s) .file = (s), .file_len = sizeof(s) - 1
#define SNAME(s) .sname = (s), .sname_len = sizeof(s) - 1
#define W(c, s)  { (c), (s), sizeof(s) - 1 }

/* Option bytes. */
#define END       "\xff"
#define DISCOVER  "\x35\x01\x01"
#define REQUEST   "\x35\x01\x03"
#define PXE_VC    "PXEClient:Arch:00007:UNDI:003016"
#define D10       "0123456789"
#define D125      D10 D10 D10 D10 D10 D10 D10 D10 D10 D10 D10 D10 "01234"
#define UUID16    "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"

static const uint8_t CHADDR[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* A datagram of 240 + opts_len bytes (or `cut`), into out. */
static size_t craft(uint8_t *out, size_t cap, const struct parse_row *t)
{
	static const uint8_t cookie[4] = { 0x63, 0x82, 0x53, 0x63 };
	size_t len = DHCP_MIN_LEN + t->opts_len;

	assert_true(len <= cap && t->file_len <= 128 && t->sname_len <= 64);
	memset(out, 0, len);
	out[0] = t->hdr ? t->hdr->op : BOOTREQUEST;
	out[1] = t->hdr ? t->hdr->htype : 1;
	out[2] = t->hdr ? t->hdr->hlen : 6;
	memcpy(out + 4, "\x12\x34\x56\x78", 4);          /* xid */
	memcpy(out + 8, "\x00\x03", 2);                  /* secs */
	memcpy(out + 10, "\x80\x00", 2);                 /* flags: broadcast */
	memcpy(out + 24, "\x0a\x00\x00\x01", 4);         /* giaddr 10.0.0.1 */
	memcpy(out + 28, CHADDR, sizeof(CHADDR));
	if (t->sname_len)
		memcpy(out + 44, t->sname, t->sname_len);
	if (t->file_len)
		memcpy(out + 108, t->file, t->file_len);
	memcpy(out + 236, t->cookie ? (const void *)t->cookie : cookie, 4);
	if (t->opts_len)
		memcpy(out + DHCP_MIN_LEN, t->opts, t->opts_len);
	return t->cut ? t->cut : len;
}

/* Parse `opts` as the options field of an otherwise ordinary request. */
static enum dhcp_parse_err parse_opts(const char *opts, size_t opts_len, struct dhcp_msg *m)
{
	const struct parse_row row = { .opts = opts, .opts_len = opts_len };
	uint8_t pkt[1600];
	size_t len = craft(pkt, sizeof(pkt), &row);

	return dhcp_parse(guard_flush(pkt, len), len, m);
}
#define PARSE_OPTS(s, m) parse_opts((s), sizeof(s) - 1, (m))

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

static const struct parse_row parse_rows[] = {
	/* Accepted. */
	{"DISCOVER with common options",
	 OPTS(DISCOVER "\x3d\x07\x01\x52\x54\x00\x12\x34\x56" "\x37\x04\x01\x03\x06\x0f"
	      "\x39\x02\x05\xdc" "\x0c\x04" "node" END),
	 .msg_type = DHCPDISCOVER,
	 .want = {W(53, "\x01"), W(61, "\x01\x52\x54\x00\x12\x34\x56"), W(55, "\x01\x03\x06\x0f"),
		  W(57, "\x05\xdc"), W(12, "node")}},
	{"PXE DISCOVER: arch, NDI, vendor class, UUID, zero padding after END",
	 OPTS(DISCOVER "\x5d\x02\x00\x07" "\x5e\x03\x01\x03\x10" "\x3c\x20" PXE_VC
	      "\x61\x11\x00" UUID16 END "\0\0\0\0\0\0\0\0"),
	 .msg_type = DHCPDISCOVER,
	 .want = {W(53, "\x01"), W(93, "\x00\x07"), W(94, "\x01\x03\x10"), W(60, PXE_VC),
		  W(97, "\x00" UUID16)}},
	{"iPXE REQUEST: user class \"iPXE\", encapsulated options 175",
	 OPTS(REQUEST "\x32\x04\x0a\x00\x00\x64" "\x36\x04\x0a\x00\x00\x01" "\x4d\x04" "iPXE"
	      "\xaf\x09\x13\x01\x01\x17\x01\x01\x15\x01\x01" END),
	 .msg_type = DHCPREQUEST,
	 .want = {W(53, "\x03"), W(50, "\x0a\x00\x00\x64"), W(54, "\x0a\x00\x00\x01"),
		  W(77, "iPXE"), W(175, "\x13\x01\x01\x17\x01\x01\x15\x01\x01")}},
	{"BOOTP: no option 53 gives msg_type 0", OPTS("\x0c\x02" "pc" END),
	 .want = {W(12, "pc")}},
	{"BOOTP: only END", OPTS(END)},
	{"DHCPINFORM is the highest type", OPTS("\x35\x01\x08" END), .msg_type = DHCPINFORM,
	 .want = {W(53, "\x08")}},
	{"PAD before, between and after options", OPTS("\0\0" DISCOVER "\0" "\x0c\x01" "x" "\0" END),
	 .msg_type = DHCPDISCOVER, .want = {W(53, "\x01"), W(12, "x")}},
	{"zero-length option", OPTS(DISCOVER "\x4d\x00" END), .msg_type = DHCPDISCOVER,
	 .want = {W(53, "\x01"), W(77, "")}},
	{"option ending exactly before END at the end of the datagram",
	 OPTS(DISCOVER "\x0c\x03" "abc" END), .msg_type = DHCPDISCOVER,
	 .want = {W(53, "\x01"), W(12, "abc")}},
	{"RFC 3396: split option is concatenated",
	 OPTS("\x2b\x03" "abc" DISCOVER "\x2b\x02" "de" END), .msg_type = DHCPDISCOVER,
	 .concat_used = 5, .want = {W(53, "\x01"), W(43, "abcde")}},
	{"RFC 3396: two codes interleaved, each concatenated in order",
	 OPTS("\x2b\x02" "ab" "\x3c\x01" "P" "\x2b\x02" "cd" "\x3c\x01" "Q" "\x2b\x02" "ef" END),
	 .concat_used = 8, .want = {W(43, "abcdef"), W(60, "PQ")}},
	{"RFC 3396: empty instances concatenate too",
	 OPTS("\x2b\x00" "\x2b\x01" "z" "\x2b\x00" END), .concat_used = 1, .want = {W(43, "z")}},
	{"file and sname are not options without option 52",
	 OPTS(DISCOVER END), FILE_("\x0c\x02hi" END), SNAME("\x35\x01\x09"),
	 .msg_type = DHCPDISCOVER, .want = {W(53, "\x01")}},
	{"overload 1: options in file",
	 OPTS(DISCOVER "\x34\x01\x01" END), FILE_("\x0c\x08" "filehost" END),
	 .msg_type = DHCPDISCOVER, .want = {W(53, "\x01"), W(52, "\x01"), W(12, "filehost")}},
	{"overload 2: options in sname",
	 OPTS("\x34\x01\x02" END), SNAME("\x0f\x03" "lab" END "\0\0"),
	 .want = {W(52, "\x02"), W(15, "lab")}},
	{"overload 2: file is left alone", OPTS("\x34\x01\x02" END),
	 FILE_("pxelinux.0"), SNAME(END), .want = {W(52, "\x02")}},
	{"overload 3: message type in sname",
	 OPTS("\x34\x01\x03" END), FILE_(END), SNAME(REQUEST END),
	 .msg_type = DHCPREQUEST, .want = {W(52, "\x03"), W(53, "\x03")}},
	{"overload 3: concatenated in order options, file, sname",
	 OPTS("\x2b\x01" "A" "\x34\x01\x03" END), FILE_("\x2b\x01" "B" END), SNAME("\x2b\x01" "C" END),
	 .concat_used = 3, .want = {W(52, "\x03"), W(43, "ABC")}},
	{"an option filling the whole file field but END",
	 OPTS("\x34\x01\x01" END),
	 FILE_("\x2b\x7d" D125 END), .want = {W(52, "\x01"), W(43, D125)}},
	{"InfiniBand: htype 32, hlen 0", .hdr = HDR(1, 32, 0), OPTS(END)},
	{"htype 6 with a 16-byte address", .hdr = HDR(1, 6, 16), OPTS(END)},

	/* Rejected. */
	{"1 byte", OPTS(END), .cut = 1, .rc = DHCP_E_SHORT},
	{"100 bytes", OPTS(END), .cut = 100, .rc = DHCP_E_SHORT},
	{"cut inside the file field", OPTS(END), .cut = 200, .rc = DHCP_E_SHORT},
	{"fixed header only, no cookie", OPTS(END), .cut = 236, .rc = DHCP_E_SHORT},
	{"cut inside the cookie", OPTS(END), .cut = 239, .rc = DHCP_E_SHORT},
	{"op BOOTREPLY", .hdr = HDR(2, 1, 6), OPTS(DISCOVER END), .rc = DHCP_E_OP},
	{"op 0", .hdr = HDR(0, 1, 6), OPTS(DISCOVER END), .rc = DHCP_E_OP},
	{"Ethernet with hlen 0", .hdr = HDR(1, 1, 0), OPTS(DISCOVER END), .rc = DHCP_E_HLEN},
	{"Ethernet with hlen 7", .hdr = HDR(1, 1, 7), OPTS(DISCOVER END), .rc = DHCP_E_HLEN},
	{"Ethernet with hlen 17", .hdr = HDR(1, 1, 17), OPTS(DISCOVER END), .rc = DHCP_E_HLEN},
	{"hlen 17 on another htype", .hdr = HDR(1, 6, 17), OPTS(DISCOVER END), .rc = DHCP_E_HLEN},
	{"cookie off by one", .cookie = "\x63\x82\x53\x64", OPTS(DISCOVER END), .rc = DHCP_E_COOKIE},
	{"cookie byte-swapped", .cookie = "\x63\x53\x82\x63", OPTS(DISCOVER END), .rc = DHCP_E_COOKIE},
	{"plain BOOTP: zero vendor area", .cookie = "\0\0\0\0", OPTS("\0\0\0\0"), .rc = DHCP_E_COOKIE},
	{"option length past the end of the datagram", OPTS(DISCOVER "\x0c\xc8" "abc"),
	 .rc = DHCP_E_OPTLEN},
	{"option length one past the end", OPTS(DISCOVER "\x0c\x04" "abc"), .rc = DHCP_E_OPTLEN},
	{"option code as the last byte, no length", OPTS(DISCOVER "\x0c"), .rc = DHCP_E_OPTLEN},
	{"empty options field", OPTS(""), .rc = DHCP_E_NO_END},
	{"no END", OPTS(DISCOVER), .rc = DHCP_E_NO_END},
	{"no END, zero padding instead", OPTS(DISCOVER "\0\0\0\0"), .rc = DHCP_E_NO_END},
	{"bytes after END are not options: ignored", OPTS(END DISCOVER), .rc = DHCP_OK, .msg_type = 0},
	{"stale byte in the padding after END: ignored", OPTS(DISCOVER END "\0\0\x01\0"),
	 .msg_type = DHCPDISCOVER, .want = {W(53, "\x01")}},
	{"overload 4", OPTS("\x34\x01\x04" END), .rc = DHCP_E_OVERLOAD},
	{"overload 0", OPTS("\x34\x01\x00" END), .rc = DHCP_E_OVERLOAD},
	{"overload of length 2", OPTS("\x34\x02\x01\x01" END), .rc = DHCP_E_OVERLOAD},
	{"overload of length 0", OPTS("\x34\x00" END), .rc = DHCP_E_OVERLOAD},
	{"overload given twice", OPTS("\x34\x01\x01\x34\x01\x01" END), FILE_(END),
	 .rc = DHCP_E_OVERLOAD},
	{"overload inside file", OPTS("\x34\x01\x01" END), FILE_("\x34\x01\x02" END), SNAME(END),
	 .rc = DHCP_E_OVERLOAD},
	{"overload inside sname", OPTS("\x34\x01\x03" END), FILE_(END), SNAME("\x34\x01\x01" END),
	 .rc = DHCP_E_OVERLOAD},
	{"overloaded file without END", OPTS("\x34\x01\x01" END), FILE_("\x0c\x01x"),
	 .rc = DHCP_E_NO_END},
	{"overloaded sname without END", OPTS("\x34\x01\x02" END), SNAME("\x0c\x01x"),
	 .rc = DHCP_E_NO_END},
	{"option in file running into sname (the datagram goes on)", OPTS("\x34\x01\x01" END),
	 FILE_("\x2b\x7f" D125), SNAME("abcd" END), .rc = DHCP_E_OPTLEN},
	{"option in the options field error comes before file", OPTS("\x34\x01\x01" "\x0c\x09"),
	 FILE_("\x34"), .rc = DHCP_E_OPTLEN},
	{"message type of length 2", OPTS("\x35\x02\x01\x01" END), .rc = DHCP_E_MSGTYPE},
	{"message type of length 0", OPTS("\x35\x00" END), .rc = DHCP_E_MSGTYPE},
	{"message type 9", OPTS("\x35\x01\x09" END), .rc = DHCP_E_MSGTYPE},
	{"message type 0", OPTS("\x35\x01\x00" END), .rc = DHCP_E_MSGTYPE},
	{"message type twice concatenates to length 2", OPTS(DISCOVER DISCOVER END),
	 .rc = DHCP_E_MSGTYPE},
	{"bad message type in the overloaded file", OPTS("\x34\x01\x01" END),
	 FILE_("\x35\x01\x0a" END), .rc = DHCP_E_MSGTYPE},
};

static bool inside(const uint8_t *p, size_t n, const void *lo, size_t size)
{
	const uint8_t *b = lo;

	return p >= b && p + n <= b + size;
}

static int check_parse_row(const struct parse_row *t)
{
	static struct dhcp_msg m;
	uint8_t pkt[1600];
	size_t len = craft(pkt, sizeof(pkt), t), n_want = 0, n_present = 0;
	const uint8_t *buf = guard_flush(pkt, len);
	enum dhcp_parse_err rc = dhcp_parse(buf, len, &m);
	int bad = 0;

	if (rc != t->rc) {
		print_error("row \"%s\": %s, want %s\n", t->why, dhcp_parse_strerror(rc),
			    dhcp_parse_strerror(t->rc));
		return 1;
	}
	if (rc != DHCP_OK)
		return 0;
	if (m.msg_type != t->msg_type || m.concat_used != t->concat_used) {
		print_error("row \"%s\": msg_type %u concat_used %zu, want %u %zu\n", t->why,
			    m.msg_type, m.concat_used, t->msg_type, t->concat_used);
		bad = 1;
	}
	if (m.xid != 0x12345678 || m.flags != DHCP_FLAG_BROADCAST || m.secs != 3 ||
	    memcmp(&m.giaddr, "\x0a\x00\x00\x01", 4) || memcmp(m.chaddr, CHADDR, 6) ||
	    m.sname != buf + 44 || m.file != buf + 108) {
		print_error("row \"%s\": header fields differ\n", t->why);
		bad = 1;
	}
	for (const struct want *w = t->want; w < t->want + MAX_WANT && w->code; w++) {
		const struct dhcp_opt_ref *o = &m.opt[w->code];

		n_want++;
		if (!o->present || o->len != w->len || memcmp(o->data, w->val, w->len)) {
			print_error("row \"%s\": option %u %s or differs\n", t->why, w->code,
				    o->present ? "present" : "absent");
			bad = 1;
		}
	}
	for (unsigned c = 0; c < 256; c++) {
		const struct dhcp_opt_ref *o = &m.opt[c];

		if (!o->present)
			continue;
		n_present++;
		if (!inside(o->data, o->len, buf, len) && !inside(o->data, o->len, m.concat, m.concat_used)) {
			print_error("row \"%s\": option %u points outside datagram and concat\n", t->why, c);
			bad = 1;
		}
	}
	if (n_present != n_want) {
		print_error("row \"%s\": %zu options present, want %zu\n", t->why, n_present, n_want);
		bad = 1;
	}
	return bad;
}

static void test_parse_table(void **state)
{
	(void)state;
	RUN_TABLE(parse_rows, check_parse_row, "parse rows");
}

/* Every cut of a valid request: too short, then broken, then (from the
 * END on) valid. */
static void test_parse_every_prefix(void **state)
{
	static const struct parse_row full = {
		OPTS(DISCOVER "\x3c\x20" PXE_VC "\x61\x11\x00" UUID16 END "\0\0"),
	};
	static struct dhcp_msg m;
	uint8_t pkt[1600];
	size_t len = craft(pkt, sizeof(pkt), &full), end = len - 2;

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		enum dhcp_parse_err rc = dhcp_parse(guard_flush(pkt, cut), cut, &m);

		if (cut < DHCP_MIN_LEN)
			assert_int_equal(rc, DHCP_E_SHORT);
		else if (cut < end)
			assert_true(rc == DHCP_E_OPTLEN || rc == DHCP_E_NO_END);
		else
			assert_int_equal(rc, DHCP_OK);
	}
}

/* Concatenated options share 1024 bytes; single instances use none. */
struct concat_row {
	const char *why;
	struct { uint8_t code; uint8_t len; } inst[8];
	enum dhcp_parse_err rc;
	size_t concat_used;
};

static const struct concat_row concat_rows[] = {
	{"4 x 255 + 4 fills the storage exactly",
	 {{43, 255}, {43, 255}, {43, 255}, {43, 255}, {43, 4}}, DHCP_OK, 1024},
	{"one byte more", {{43, 255}, {43, 255}, {43, 255}, {43, 255}, {43, 5}}, DHCP_E_TOOBIG, 0},
	{"two codes sharing the storage", {{43, 255}, {60, 255}, {43, 255}, {60, 255}}, DHCP_OK, 1020},
	{"two codes past it", {{43, 255}, {60, 255}, {43, 255}, {60, 255}, {60, 5}}, DHCP_E_TOOBIG, 0},
	{"big single instances need no storage",
	 {{43, 255}, {60, 255}, {77, 255}, {97, 255}, {175, 255}}, DHCP_OK, 0},
};

static int check_concat_row(const struct concat_row *t)
{
	static struct dhcp_msg m;
	uint8_t opts[1400];
	size_t n = 0, total[256] = { 0 };
	enum dhcp_parse_err rc;

	for (unsigned i = 0; i < 8 && t->inst[i].code; i++) {
		opts[n++] = t->inst[i].code;
		opts[n++] = t->inst[i].len;
		for (unsigned k = 0; k < t->inst[i].len; k++)
			opts[n++] = (uint8_t)(total[t->inst[i].code]++ * 7);
	}
	opts[n++] = DHO_END;
	rc = parse_opts((const char *)opts, n, &m);
	if (rc != t->rc || (rc == DHCP_OK && m.concat_used != t->concat_used)) {
		print_error("row \"%s\": %s, concat_used %zu\n", t->why, dhcp_parse_strerror(rc),
			    m.concat_used);
		return 1;
	}
	for (unsigned c = 0; rc == DHCP_OK && c < 256; c++) {
		if (m.opt[c].len != total[c]) {
			print_error("row \"%s\": option %u len %u, want %zu\n", t->why, c, m.opt[c].len,
				    total[c]);
			return 1;
		}
		for (size_t k = 0; k < total[c]; k++)
			if (m.opt[c].data[k] != (uint8_t)(k * 7)) {
				print_error("row \"%s\": option %u byte %zu differs\n", t->why, c, k);
				return 1;
			}
	}
	return 0;
}

static void test_concat_limit(void **state)
{
	(void)state;
	RUN_TABLE(concat_rows, check_concat_row, "concat rows");
}

/* The parser reads multi-byte fields with byte loads: an odd address works. */
static void test_parse_unaligned(void **state)
{
	static struct dhcp_msg m;
	static const struct parse_row row = { OPTS("\x39\x02\x05\xdc\x33\x04\0\0\x0e\x10" END) };
	uint8_t pkt[400], shifted[401];
	size_t len = craft(pkt, sizeof(pkt), &row);
	uint16_t v16;
	uint32_t v32;

	(void)state;
	memcpy(shifted + 1, pkt, len);
	assert_int_equal(dhcp_parse(shifted + 1, len, &m), DHCP_OK);
	assert_int_equal(m.xid, 0x12345678);
	assert_true(dhcp_opt_u16(&m, DHO_MAX_SIZE, &v16) && v16 == 1500);
	assert_true(dhcp_opt_u32(&m, DHO_LEASE_TIME, &v32) && v32 == 3600);
}

static void test_strings(void **state)
{
	(void)state;
	assert_string_equal(dhcp_msg_type_name(0), "BOOTP");
	assert_string_equal(dhcp_msg_type_name(DHCPDISCOVER), "DHCPDISCOVER");
	assert_string_equal(dhcp_msg_type_name(DHCPOFFER), "DHCPOFFER");
	assert_string_equal(dhcp_msg_type_name(DHCPREQUEST), "DHCPREQUEST");
	assert_string_equal(dhcp_msg_type_name(DHCPINFORM), "DHCPINFORM");
	assert_string_equal(dhcp_msg_type_name(9), "UNKNOWN");
	assert_string_equal(dhcp_msg_type_name(255), "UNKNOWN");
	assert_string_equal(dhcp_parse_strerror(DHCP_E_SHORT), "truncated datagram");
	assert_string_equal(dhcp_parse_strerror(DHCP_E_OPTLEN), "option length past end of area");
	/* Every error has its own text. */
	for (int a = DHCP_OK; a <= DHCP_E_TOOBIG; a++)
		for (int b = a + 1; b <= DHCP_E_TOOBIG; b++)
			assert_string_not_equal(dhcp_parse_strerror(a), dhcp_parse_strerror(b));
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */

struct class_row {
	const char *why;
	const char *opt; size_t opt_len;   /* option 77's data; NULL: absent */
	const char *s;
	bool want;
};

#define UC(s) .opt = (s), .opt_len = sizeof(s) - 1

static const struct class_row class_rows[] = {
	{"iPXE's bare string", UC("iPXE"), "iPXE", true},
	{"RFC 3004, one entry", UC("\x04iPXE"), "iPXE", true},
	{"RFC 3004, second entry", UC("\x03" "abc" "\x04iPXE"), "iPXE", true},
	{"RFC 3004, first of two", UC("\x04iPXE\x03" "abc"), "iPXE", true},
	{"entry length runs past the end", UC("\x03" "abc" "\x05iPXE"), "iPXE", false},
	/* The byte after the option is END (0xff): reading it would match. */
	{"entry length runs one past the end", UC("\x02" "ab" "\x03" "iP"), "iP\xff", false},
	{"bare string with a suffix", UC("iPXE2"), "iPXE", false},
	{"entry is a prefix only", UC("\x04iPXE"), "iPX", false},
	{"bare string is a prefix only", UC("iPX"), "iPXE", false},
	{"empty option", UC(""), "iPXE", false},
	{"absent", .s = "iPXE", .want = false},
};

static int check_class_row(const struct class_row *t)
{
	static struct dhcp_msg m;
	uint8_t opts[300];
	size_t n = 0;

	if (t->opt) {
		opts[n++] = DHO_USER_CLASS;
		opts[n++] = (uint8_t)t->opt_len;
		memcpy(opts + n, t->opt, t->opt_len);
		n += t->opt_len;
	}
	opts[n++] = DHO_END;
	assert_int_equal(parse_opts((const char *)opts, n, &m), DHCP_OK);
	if (dhcp_user_class_has(&m, t->s) != t->want) {
		print_error("row \"%s\": got %d\n", t->why, !t->want);
		return 1;
	}
	return 0;
}

static void test_user_class_table(void **state)
{
	(void)state;
	RUN_TABLE(class_rows, check_class_row, "user class rows");
}

static void test_typed_accessors(void **state)
{
	static struct dhcp_msg m;
	uint8_t v8 = 0;
	uint16_t v16 = 0;
	uint32_t v32 = 0, ip = 0;

	(void)state;
	assert_int_equal(PARSE_OPTS(DISCOVER "\x3c\x21" "HTTPClient:Arch:00016:UNDI:003001"
				    "\x39\x02\x05\xc0" "\x32\x04\x0a\x00\x00\x64" "\x5d\x03\0\0\x07"
				    "\x33\x04\x00\x01\x51\x80" END, &m), DHCP_OK);
	assert_true(dhcp_opt_u8(&m, DHO_MSG_TYPE, &v8) && v8 == DHCPDISCOVER);
	assert_true(dhcp_opt_u16(&m, DHO_MAX_SIZE, &v16) && v16 == 1472);
	assert_true(dhcp_opt_u32(&m, DHO_LEASE_TIME, &v32) && v32 == 86400);
	assert_true(dhcp_opt_ip(&m, DHO_REQUESTED_IP, &ip));
	assert_memory_equal(&ip, "\x0a\x00\x00\x64", 4);
	/* Wrong sizes and absent options leave the output alone. */
	v16 = 7;
	assert_false(dhcp_opt_u16(&m, DHO_CLIENT_ARCH, &v16));
	assert_false(dhcp_opt_u16(&m, DHO_MSG_TYPE, &v16));
	assert_false(dhcp_opt_u16(&m, DHO_ROUTERS, &v16));
	assert_int_equal(v16, 7);
	assert_false(dhcp_opt_u8(&m, DHO_MAX_SIZE, &v8));
	assert_false(dhcp_opt_u32(&m, DHO_MAX_SIZE, &v32));
	assert_false(dhcp_opt_ip(&m, DHO_SERVER_ID, &ip));

	assert_true(dhcp_opt_prefix(&m, DHO_VENDOR_CLASS, "HTTPClient"));
	assert_false(dhcp_opt_prefix(&m, DHO_VENDOR_CLASS, "PXEClient"));
	assert_false(dhcp_opt_prefix(&m, DHO_VENDOR_CLASS,
				     "HTTPClient:Arch:00016:UNDI:003001 and more"));
	assert_false(dhcp_opt_prefix(&m, DHO_USER_CLASS, ""));
	assert_true(dhcp_opt_prefix(&m, DHO_MSG_TYPE, ""));

	assert_int_equal(PARSE_OPTS("\x3c\x20" PXE_VC END, &m), DHCP_OK);
	assert_true(dhcp_opt_prefix(&m, DHO_VENDOR_CLASS, "PXEClient"));
	assert_false(dhcp_opt_prefix(&m, DHO_VENDOR_CLASS, "HTTPClient"));
	/* A prefix longer than the option: END follows, which would match. */
	assert_false(dhcp_opt_prefix(&m, DHO_VENDOR_CLASS, PXE_VC "\xff"));
}

static void test_format_hw(void **state)
{
	static struct dhcp_msg m;
	char s[48];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.hlen = 6;
	memcpy(m.chaddr, "\x52\x54\x00\xab\xcd\xef", 6);
	dhcp_format_hw(&m, s, sizeof(s));
	assert_string_equal(s, "52:54:00:ab:cd:ef");
	dhcp_format_hw(&m, s, 9);                    /* truncated, terminated */
	assert_string_equal(s, "52:54:00");
	dhcp_format_hw(&m, s, 1);
	assert_string_equal(s, "");
	m.hlen = 0;
	dhcp_format_hw(&m, s, sizeof(s));
	assert_string_equal(s, "");
	m.hlen = 16;
	memset(m.chaddr, 0xff, 16);
	dhcp_format_hw(&m, s, sizeof(s));
	assert_int_equal(strlen(s), 47);
	m.hlen = 200;                                /* never more than chaddr */
	dhcp_format_hw(&m, s, sizeof(s));
	assert_int_equal(strlen(s), 47);
}

/* ------------------------------------------------------------------ */
/* Building                                                            */

/* A parsed PXE DISCOVER to reply to. */
static void pxe_request(struct dhcp_msg *m)
{
	assert_int_equal(PARSE_OPTS(DISCOVER "\x39\x02\x05\xc0" "\x3c\x20" PXE_VC END, m), DHCP_OK);
}

/* A built reply, op turned into BOOTREQUEST so dhcp_parse reads it back. */
static void reparse(const uint8_t *reply, size_t len, struct dhcp_msg *m)
{
	static uint8_t copy[DHCP_MAX_MSG];

	memcpy(copy, reply, len);
	copy[0] = BOOTREQUEST;
	assert_int_equal(dhcp_parse(guard_flush(copy, len), len, m), DHCP_OK);
}

static void test_reply_round_trip(void **state)
{
	static struct dhcp_msg req, back;
	static const uint8_t want_opts[] =
		"\x35\x01\x02" "\x36\x04\x0a\x00\x00\x01" "\x33\x04\x00\x00\x0e\x10"
		"\x3c\x09" "PXEClient" "\x43\x0d" "undionly.kpxe" END;
	struct dhcp_builder b;
	uint8_t *out;
	size_t cap, len, opt_end = DHCP_MIN_LEN + sizeof(want_opts) - 1;
	uint32_t v32;

	(void)state;
	pxe_request(&req);
	cap = dhcp_reply_cap(&req);
	assert_int_equal(cap, 1472 - 28);
	out = guard_out(cap);
	dhcp_reply_init(&b, out, cap, &req, DHCPOFFER);
	dhcp_reply_set_addrs(&b, htonl(0x0a000064), htonl(0x0a000001));
	assert_true(dhcp_reply_set_sname(&b, "boot1"));
	assert_true(dhcp_reply_set_file(&b, "undionly.kpxe"));
	dhcp_put_ip(&b, DHO_SERVER_ID, htonl(0x0a000001));
	dhcp_put_u32(&b, DHO_LEASE_TIME, 3600);
	dhcp_put_str(&b, DHO_VENDOR_CLASS, "PXEClient");
	dhcp_put_str(&b, DHO_BOOTFILE, "undionly.kpxe");
	len = dhcp_reply_finish(&b);
	assert_int_equal(len, 300);

	assert_int_equal(out[0], BOOTREPLY);
	assert_int_equal(out[1], 1);                          /* htype */
	assert_int_equal(out[2], 6);                          /* hlen */
	assert_int_equal(out[3], 0);                          /* hops */
	assert_memory_equal(out + 4, "\x12\x34\x56\x78", 4);  /* xid */
	assert_memory_equal(out + 8, "\x00\x00\x80\x00", 4);  /* secs, flags */
	assert_memory_equal(out + 12, "\0\0\0\0" "\x0a\x00\x00\x64" "\x0a\x00\x00\x01"
			    "\x0a\x00\x00\x01", 16);           /* ciaddr yiaddr siaddr giaddr */
	assert_memory_equal(out + 28, CHADDR, 6);
	assert_memory_equal(out + 34, "\0\0\0\0\0\0\0\0\0\0", 10);
	assert_memory_equal(out + 44, "boot1", 6);
	assert_memory_equal(out + 108, "undionly.kpxe", 14);
	assert_memory_equal(out + 236, "\x63\x82\x53\x63", 4);
	assert_memory_equal(out + 240, want_opts, sizeof(want_opts) - 1);
	for (size_t i = opt_end; i < len; i++)
		assert_int_equal(out[i], 0);

	reparse(out, len, &back);
	assert_int_equal(back.msg_type, DHCPOFFER);
	assert_int_equal(back.yiaddr, htonl(0x0a000064));
	assert_true(dhcp_opt_u32(&back, DHO_LEASE_TIME, &v32) && v32 == 3600);
	assert_true(dhcp_opt_prefix(&back, DHO_VENDOR_CLASS, "PXEClient"));

	/* ciaddr for an ACK to a renewing client; a BOOTP reply has no 53. */
	dhcp_reply_init(&b, out, cap, &req, 0);
	dhcp_reply_set_ciaddr(&b, htonl(0x0a000063));
	assert_int_equal(dhcp_reply_finish(&b), 300);
	assert_memory_equal(out + 12, "\x0a\x00\x00\x63", 4);
	assert_int_equal(out[240], DHO_END);
	reparse(out, 300, &back);
	assert_int_equal(back.msg_type, 0);
}

/* Options longer than 255 bytes go out as several instances. */
struct split_row { size_t len; unsigned pieces; };

static const struct split_row split_rows[] = {
	{0, 1}, {1, 1}, {255, 1}, {256, 2}, {510, 2}, {511, 3}, {1000, 4},
};

static int check_split_row(const struct split_row *t)
{
	static struct dhcp_msg req, back;
	struct dhcp_builder b;
	uint8_t data[1000], *out = guard_out(DHCP_MAX_MSG);
	size_t len, pos = DHCP_MIN_LEN + 3, got = 0;
	unsigned pieces = 0;

	for (size_t i = 0; i < t->len; i++)
		data[i] = (uint8_t)(i * 13 + 1);
	pxe_request(&req);
	dhcp_reply_init(&b, out, DHCP_MAX_MSG, &req, DHCPACK);
	dhcp_put(&b, DHO_VENDOR, data, t->len);
	len = dhcp_reply_finish(&b);
	if (!len) {
		print_error("split row %zu: overflow\n", t->len);
		return 1;
	}
	while (out[pos] == DHO_VENDOR) {
		size_t k = out[pos + 1];

		if ((got + k < t->len && k != 255) || memcmp(out + pos + 2, data + got, k)) {
			print_error("split row %zu: piece %u wrong\n", t->len, pieces);
			return 1;
		}
		got += k;
		pos += 2 + k;
		pieces++;
	}
	if (pieces != t->pieces || got != t->len || out[pos] != DHO_END) {
		print_error("split row %zu: %u pieces of %zu bytes\n", t->len, pieces, got);
		return 1;
	}
	reparse(out, len, &back);
	if (back.opt[DHO_VENDOR].len != t->len || memcmp(back.opt[DHO_VENDOR].data, data, t->len)) {
		print_error("split row %zu: not concatenated back\n", t->len);
		return 1;
	}
	return 0;
}

static void test_reply_split_table(void **state)
{
	(void)state;
	RUN_TABLE(split_rows, check_split_row, "split rows");
}

/* With cap 548 the options after 53 have 548 - 243 - 1 (END) = 304 bytes. */
struct overflow_row {
	const char *why;
	size_t first, second;      /* data lengths of two options */
	size_t want;               /* finish(); 0: overflow */
};

static const struct overflow_row overflow_rows[] = {
	{"small options", 100, 100, 448},
	{"one option fills the message exactly", 300, SIZE_MAX, 548},
	{"one byte more", 301, SIZE_MAX, 0},
	{"exact fill with two options", 298, 0, 548},
	{"the second does not fit", 300, 0, 0},
	{"a later option that fits does not clear overflow", 301, 0, 0},
	{"a split option costs two headers: exact fill", 256, 42, 548},
	{"a split option costs two headers: one byte more", 256, 43, 0},
};

static int check_overflow_row(const struct overflow_row *t)
{
	static struct dhcp_msg req;
	static const uint8_t data[400];
	struct dhcp_builder b;
	uint8_t *out = guard_out(548);
	size_t got;

	pxe_request(&req);
	dhcp_reply_init(&b, out, 548, &req, DHCPOFFER);
	dhcp_put(&b, DHO_VENDOR, data, t->first);
	if (t->second != SIZE_MAX)
		dhcp_put(&b, DHO_MESSAGE, data, t->second);
	got = dhcp_reply_finish(&b);
	if (got != t->want || b.overflow != !t->want || b.len > b.cap) {
		print_error("row \"%s\": finish %zu overflow %d len %zu, want %zu\n", t->why, got,
			    b.overflow, b.len, t->want);
		return 1;
	}
	return 0;
}

static void test_reply_overflow_table(void **state)
{
	(void)state;
	RUN_TABLE(overflow_rows, check_overflow_row, "overflow rows");
}

/* Many small options until the message is full. */
static void test_reply_fill_up(void **state)
{
	static struct dhcp_msg req;
	struct dhcp_builder b;
	uint8_t *out = guard_out(548);
	unsigned n = 0;

	(void)state;
	pxe_request(&req);
	dhcp_reply_init(&b, out, 548, &req, DHCPOFFER);
	while (!b.overflow) {
		dhcp_put_u32(&b, DHO_LEASE_TIME, n++);
		assert_true(b.len < b.cap);
	}
	assert_int_equal(n, (548 - 243 - 1) / 6 + 1);
	assert_int_equal(dhcp_reply_finish(&b), 0);
	/* PAD and END are not options to put. */
	dhcp_reply_init(&b, out, 548, &req, DHCPOFFER);
	dhcp_put(&b, DHO_END, NULL, 0);
	assert_true(b.overflow);
}

struct cap_row { const char *why; const char *opts; size_t opts_len; size_t want; };
#define CAP_OPTS(s) .opts = (s), .opts_len = sizeof(s) - 1

static const struct cap_row cap_rows[] = {
	{"no option 57", CAP_OPTS(END), 548},
	{"576, the minimum", CAP_OPTS("\x39\x02\x02\x40" END), 548},
	{"below the minimum", CAP_OPTS("\x39\x02\x02\x3f" END), 548},
	{"zero", CAP_OPTS("\x39\x02\x00\x00" END), 548},
	{"1000", CAP_OPTS("\x39\x02\x03\xe8" END), 972},
	{"iPXE's 1472", CAP_OPTS("\x39\x02\x05\xc0" END), 1444},
	{"1500", CAP_OPTS("\x39\x02\x05\xdc" END), 1472},
	{"1528 is capped at one Ethernet frame", CAP_OPTS("\x39\x02\x05\xf8" END), DHCP_MAX_REPLY},
	{"65535 too", CAP_OPTS("\x39\x02\xff\xff" END), DHCP_MAX_REPLY},
	{"wrong length", CAP_OPTS("\x39\x03\x05\xdc\x00" END), 548},
};

static int check_cap_row(const struct cap_row *t)
{
	static struct dhcp_msg m;
	size_t cap;

	assert_int_equal(parse_opts(t->opts, t->opts_len, &m), DHCP_OK);
	cap = dhcp_reply_cap(&m);
	if (cap != t->want) {
		print_error("row \"%s\": cap %zu, want %zu\n", t->why, cap, t->want);
		return 1;
	}
	return 0;
}

static void test_reply_cap_table(void **state)
{
	(void)state;
	RUN_TABLE(cap_rows, check_cap_row, "cap rows");
}

static void test_reply_init_clamps_and_fields(void **state)
{
	static struct dhcp_msg req;
	static uint8_t buf[DHCP_MAX_MSG];
	char name[200];
	struct dhcp_builder b;

	(void)state;
	pxe_request(&req);
	dhcp_reply_init(&b, buf, 100, &req, DHCPOFFER);
	assert_int_equal(b.cap, 548);
	dhcp_reply_init(&b, buf, 100000, &req, DHCPOFFER);
	assert_int_equal(b.cap, DHCP_MAX_MSG);
	assert_int_equal(b.len, DHCP_MIN_LEN + 3);

	memset(name, 'f', sizeof(name));
	name[127] = 0;                               /* 127 chars + NUL fit */
	assert_true(dhcp_reply_set_file(&b, name));
	assert_int_equal(buf[108 + 126], 'f');
	assert_int_equal(buf[108 + 127], 0);
	name[127] = 'f';
	name[128] = 0;                               /* 128 do not */
	assert_false(dhcp_reply_set_file(&b, name));
	assert_int_equal(buf[108 + 127], 0);
	assert_true(dhcp_reply_set_file(&b, "short"));    /* a shorter one clears the rest */
	assert_memory_equal(buf + 108, "short\0\0\0", 8);
	assert_int_equal(buf[108 + 126], 0);

	name[63] = 0;
	assert_true(dhcp_reply_set_sname(&b, name));
	name[63] = 'f';
	name[64] = 0;
	assert_false(dhcp_reply_set_sname(&b, name));
	assert_int_equal(buf[44 + 63], 0);
	assert_int_equal(buf[108], 's');             /* sname never spills into file */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_every_prefix),
		cmocka_unit_test(test_concat_limit),
		cmocka_unit_test(test_parse_unaligned),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_user_class_table),
		cmocka_unit_test(test_typed_accessors),
		cmocka_unit_test(test_format_hw),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_reply_split_table),
		cmocka_unit_test(test_reply_overflow_table),
		cmocka_unit_test(test_reply_fill_up),
		cmocka_unit_test(test_reply_cap_table),
		cmocka_unit_test(test_reply_init_clamps_and_fields),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
