/* Unit tests for the TFTP wire format (user/tftp_proto.c).
 *
 * Table driven: one row per case, each with a short "why" printed when the
 * row fails; all rows run and every failing row is reported. Every parsed
 * input is copied flush against a PROT_NONE guard page, so a parser that
 * reads one byte past `len` faults instead of passing by luck. Builders
 * write into buffers that end at the guard page too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proto/tftp_proto.h"

/* ------------------------------------------------------------------ */
/* Guard page                                                          */

#include "guard_page.h"

/* A pointer lies inside [buf, buf+len) and its string ends inside too. */
static int str_inside(const char *s, const uint8_t *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;

	if (p < buf || p >= buf + len)
		return 0;
	return memchr(p, 0, (size_t)(buf + len - p)) != NULL;
}

/* Rows hold byte strings with embedded NULs: the length comes from sizeof. */
#define IN(s) .in = (s), .len = sizeof(s) - 1

/* ------------------------------------------------------------------ */
/* Requests                                                            */

#define MAX_ROW_OPTS 8

struct req_row {
	const char *why;
	const char *in;
	size_t len;
	int rc;                   /* 0 or -EBADMSG */
	const char *err;          /* *why on error */
	uint16_t opcode;
	const char *filename;
	const char *mode;
	unsigned n_opts;
	const char *opts[MAX_ROW_OPTS][2];
};

#define BAD(msg) .rc = -EBADMSG, .err = (msg)

static const struct req_row req_rows[] = {
	{"RRQ octet, no options", IN("\0\1pxelinux.0\0octet\0"),
	 .opcode = 1, .filename = "pxelinux.0", .mode = "octet"},
	{"WRQ netascii", IN("\0\2up/file.txt\0netascii\0"),
	 .opcode = 2, .filename = "up/file.txt", .mode = "netascii"},
	{"mode kept as sent (case)", IN("\0\1f\0OcTeT\0"),
	 .opcode = 1, .filename = "f", .mode = "OcTeT"},
	{"unknown mode still parses (the server rejects it)", IN("\0\1f\0mail\0"),
	 .opcode = 1, .filename = "f", .mode = "mail"},
	{"one option", IN("\0\1f\0octet\0blksize\0" "1468\0"),
	 .opcode = 1, .filename = "f", .mode = "octet", .n_opts = 1,
	 .opts = {{"blksize", "1468"}}},
	{"several options, order kept", IN("\0\1f\0octet\0tsize\0" "0\0blksize\0" "1428\0windowsize\0" "8\0"),
	 .opcode = 1, .filename = "f", .mode = "octet", .n_opts = 3,
	 .opts = {{"tsize", "0"}, {"blksize", "1428"}, {"windowsize", "8"}}},
	{"unknown option names are kept for the negotiator", IN("\0\1f\0octet\0foo\0bar\0"),
	 .opcode = 1, .filename = "f", .mode = "octet", .n_opts = 1, .opts = {{"foo", "bar"}}},
	{"empty option value", IN("\0\1f\0octet\0tsize\0\0"),
	 .opcode = 1, .filename = "f", .mode = "octet", .n_opts = 1, .opts = {{"tsize", ""}}},
	{"option name without value at the end is ignored", IN("\0\1f\0octet\0blksize\0"),
	 .opcode = 1, .filename = "f", .mode = "octet", .n_opts = 0},
	{"name without value after a full pair", IN("\0\1f\0octet\0tsize\0" "0\0blksize\0"),
	 .opcode = 1, .filename = "f", .mode = "octet", .n_opts = 1, .opts = {{"tsize", "0"}}},
	{"trailing NUL padding after mode", IN("\0\1f\0octet\0\0\0\0\0"),
	 .opcode = 1, .filename = "f", .mode = "octet"},
	{"trailing NUL padding after options", IN("\0\1f\0octet\0blksize\0" "512\0\0\0\0"),
	 .opcode = 1, .filename = "f", .mode = "octet", .n_opts = 1, .opts = {{"blksize", "512"}}},
	{"padding ends the option list (later bytes ignored)",
	 IN("\0\1f\0octet\0\0blksize\0" "512\0"),
	 .opcode = 1, .filename = "f", .mode = "octet"},
	{"single NUL after a pair ends the list", IN("\0\1f\0octet\0a\0b\0\0"),
	 .opcode = 1, .filename = "f", .mode = "octet", .n_opts = 1, .opts = {{"a", "b"}}},
	{"high bytes in filename", IN("\0\1\xff\xfe\x80\0octet\0"),
	 .opcode = 1, .filename = "\xff\xfe\x80", .mode = "octet"},

	{"empty datagram", IN(""), BAD("Packet too short")},
	{"one byte", IN("\0"), BAD("Packet too short")},
	{"wrong opcode DATA", IN("\0\3f\0octet\0"), BAD("Not a request")},
	{"wrong opcode 0", IN("\0\0f\0octet\0"), BAD("Not a request")},
	{"opcode in low byte only is not RRQ", IN("\1\0f\0octet\0"), BAD("Not a request")},
	{"opcode 0x0101 is not RRQ", IN("\1\1f\0octet\0"), BAD("Not a request")},
	{"unterminated filename", IN("\0\1pxelinux.0"), BAD("Request not null-terminated")},
	{"unterminated mode", IN("\0\1f\0oct"), BAD("Request not null-terminated")},
	{"unterminated option name", IN("\0\1f\0octet\0blks"), BAD("Request not null-terminated")},
	{"unterminated option value", IN("\0\1f\0octet\0blksize\0" "14"),
	 BAD("Request not null-terminated")},
	{"unterminated second option name", IN("\0\1f\0octet\0tsize\0" "0\0x"),
	 BAD("Request not null-terminated")},
	{"empty filename", IN("\0\1\0octet\0"), BAD("Missing mode")},
	{"filename only, no mode", IN("\0\1f\0"), BAD("Missing mode")},
	/* tftpd-hpa (tftp() in tftpd.c) stops its string loop at an empty
	 * string or at the end of the packet, then answers "Missing mode". */
	{"empty mode: tftpd-hpa answers Missing mode", IN("\0\1f\0\0"), BAD("Missing mode")},
	{"opcode only: tftpd-hpa answers Missing mode", IN("\0\1"), BAD("Missing mode")},
};

/* Compare a parser's return code and error text with a row's. Returns the
 * row's failure count (0 or 1) when it is settled here (a mismatch, or an
 * expected error), or -1 when the parse succeeded and fields need checks. */
static int check_outcome(const char *row, int rc, const char *why, int want_rc, const char *want_err)
{
	if (rc != want_rc) {
		print_error("row \"%s\": rc %d (%s), want %d\n", row, rc, rc ? why : "ok", want_rc);
		return 1;
	}
	if (!rc)
		return -1;
	if (!why || strcmp(why, want_err)) {
		print_error("row \"%s\": why \"%s\", want \"%s\"\n", row, why ? why : "(null)", want_err);
		return 1;
	}
	return 0;
}

static int check_req_row(const struct req_row *t)
{
	struct tftp_request req;
	const char *why = "(unset)";
	const uint8_t *buf = guard_flush(t->in, t->len);
	int rc = tftp_parse_request(buf, t->len, &req, &why);
	int bad = check_outcome(t->why, rc, why, t->rc, t->err);

	if (bad >= 0)
		return bad;
	bad = 0;
	if (req.opcode != t->opcode) {
		print_error("row \"%s\": opcode %u, want %u\n", t->why, req.opcode, t->opcode);
		bad = 1;
	}
	if (!str_inside(req.filename, buf, t->len) || strcmp(req.filename, t->filename)) {
		print_error("row \"%s\": filename \"%s\", want \"%s\"\n", t->why,
			    req.filename ? req.filename : "(null)", t->filename);
		bad = 1;
	}
	if (!str_inside(req.mode, buf, t->len) || strcmp(req.mode, t->mode)) {
		print_error("row \"%s\": mode \"%s\", want \"%s\"\n", t->why,
			    req.mode ? req.mode : "(null)", t->mode);
		bad = 1;
	}
	if (req.n_opts != t->n_opts) {
		print_error("row \"%s\": %u options, want %u\n", t->why, req.n_opts, t->n_opts);
		return 1;
	}
	for (unsigned i = 0; i < req.n_opts && i < MAX_ROW_OPTS; i++) {
		const struct tftp_option *o = &req.opts[i];
		if (!str_inside(o->name, buf, t->len) || !str_inside(o->value, buf, t->len) ||
		    strcmp(o->name, t->opts[i][0]) || strcmp(o->value, t->opts[i][1])) {
			print_error("row \"%s\": option %u \"%s\"=\"%s\", want \"%s\"=\"%s\"\n", t->why,
				    i, o->name, o->value, t->opts[i][0], t->opts[i][1]);
			bad = 1;
		}
	}
	return bad;
}

static void test_request_table(void **state)
{
	(void)state;
	RUN_TABLE(req_rows, check_req_row, "request rows");
}

/* Build "\0\1f\0octet\0" followed by n pairs "oK\0vK\0". */
static size_t build_many_options(uint8_t *out, size_t cap, unsigned n)
{
	size_t len = 0;

	len += (size_t)snprintf((char *)out, cap, "%c%cf%coctet%c", 0, 1, 0, 0);
	for (unsigned i = 0; i < n; i++) {
		int k = snprintf((char *)out + len, cap - len, "o%u%cv%u%c", i, 0, i, 0);
		len += (size_t)k;
	}
	return len;
}

/* More options than TFTP_MAX_OPTIONS: the first ones are kept, the rest
 * ignored, and an unterminated tail beyond the limit is still an error. */
static void test_request_too_many_options(void **state)
{
	static const unsigned counts[] = {TFTP_MAX_OPTIONS - 1, TFTP_MAX_OPTIONS,
					  TFTP_MAX_OPTIONS + 1, TFTP_MAX_OPTIONS + 20};
	uint8_t tmp[2048];
	int failed = 0;

	(void)state;
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned n = counts[c];
		size_t len = build_many_options(tmp, sizeof(tmp), n);
		const uint8_t *buf = guard_flush(tmp, len);
		struct tftp_request req;
		const char *why = NULL;
		unsigned want = n < TFTP_MAX_OPTIONS ? n : TFTP_MAX_OPTIONS;
		int rc = tftp_parse_request(buf, len, &req, &why);

		if (rc != 0 || req.n_opts != want) {
			print_error("%u options: rc %d, n_opts %u, want 0 and %u\n", n, rc,
				    req.n_opts, want);
			failed++;
			continue;
		}
		for (unsigned i = 0; i < want; i++) {
			char name[16], value[16];
			snprintf(name, sizeof(name), "o%u", i);
			snprintf(value, sizeof(value), "v%u", i);
			if (strcmp(req.opts[i].name, name) || strcmp(req.opts[i].value, value)) {
				print_error("%u options: opt %u = %s/%s\n", n, i, req.opts[i].name,
					    req.opts[i].value);
				failed++;
			}
		}
		/* Cut the last value's NUL: must be rejected, even past the limit. */
		buf = guard_flush(tmp, len - 1);
		rc = tftp_parse_request(buf, len - 1, &req, &why);
		if (rc != -EBADMSG || strcmp(why, "Request not null-terminated")) {
			print_error("%u options, last unterminated: rc %d\n", n, rc);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Every prefix of a valid request parses or fails cleanly (the guard page
 * catches an over-read at each cut). */
static void test_request_every_prefix(void **state)
{
	static const char full[] = "\0\1dir/file\0octet\0blksize\0" "1468\0tsize\0" "0\0";
	size_t n = sizeof(full) - 1;

	(void)state;
	for (size_t len = 0; len <= n; len++) {
		struct tftp_request req;
		const char *why = NULL;
		const uint8_t *buf = guard_flush(full, len);
		int rc = tftp_parse_request(buf, len, &req, &why);

		if (rc == 0) {
			assert_true(str_inside(req.filename, buf, len));
			assert_true(str_inside(req.mode, buf, len));
			assert_true(req.n_opts <= 2);
		} else {
			assert_int_equal(rc, -EBADMSG);
			assert_non_null(why);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Other packets                                                       */

struct pkt_row {
	const char *why;
	const char *in;
	size_t len;
	int rc;
	const char *err;
	uint16_t opcode;
	uint16_t block;
	size_t data_off;          /* DATA/OACK payload offset in the input */
	size_t data_len;
	uint16_t errcode;
	const char *errmsg;       /* ERROR */
};

static const struct pkt_row pkt_rows[] = {
	{"DATA, empty payload (final block of a multiple)", IN("\0\3\0\1"),
	 .opcode = 3, .block = 1, .data_off = 4, .data_len = 0},
	{"DATA, one byte", IN("\0\3\0\2x"), .opcode = 3, .block = 2, .data_off = 4, .data_len = 1},
	{"DATA, block 65535, NULs in payload", IN("\0\3\xff\xff\0\0\0"),
	 .opcode = 3, .block = 65535, .data_off = 4, .data_len = 3},
	{"DATA block 0", IN("\0\3\0\0abc"), .opcode = 3, .block = 0, .data_off = 4, .data_len = 3},
	{"DATA block is big-endian", IN("\0\3\x12\x34z"),
	 .opcode = 3, .block = 0x1234, .data_off = 4, .data_len = 1},
	{"ACK", IN("\0\4\0\7"), .opcode = 4, .block = 7},
	{"ACK 0", IN("\0\4\0\0"), .opcode = 4, .block = 0},
	{"ACK with trailing garbage: payload ignored", IN("\0\4\1\0junk"), .opcode = 4, .block = 256},
	{"ERROR with message", IN("\0\5\0\1File not found\0"),
	 .opcode = 5, .errcode = 1, .errmsg = "File not found"},
	{"ERROR 8 (EDK2 tsize probe)", IN("\0\5\0\x08" "User aborted the transfer\0"),
	 .opcode = 5, .errcode = 8, .errmsg = "User aborted the transfer"},
	{"ERROR without message", IN("\0\5\0\2"), .opcode = 5, .errcode = 2, .errmsg = ""},
	{"ERROR with empty message", IN("\0\5\0\3\0"), .opcode = 5, .errcode = 3, .errmsg = ""},
	{"ERROR with unterminated message: accepted, message dropped", IN("\0\5\0\4oops"),
	 .opcode = 5, .errcode = 4, .errmsg = ""},
	{"ERROR with bytes after the terminator", IN("\0\5\0\0msg\0xyz"),
	 .opcode = 5, .errcode = 0, .errmsg = "msg"},
	{"OACK", IN("\0\6blksize\0" "1468\0"), .opcode = 6, .data_off = 2, .data_len = 13},
	{"OACK empty", IN("\0\6"), .opcode = 6, .data_off = 2, .data_len = 0},

	{"empty", IN(""), BAD("Packet too short")},
	{"one byte", IN("\0"), BAD("Packet too short")},
	{"DATA header cut", IN("\0\3\0"), BAD("Packet too short")},
	{"DATA opcode only", IN("\0\3"), BAD("Packet too short")},
	{"ACK cut", IN("\0\4\0"), BAD("Packet too short")},
	{"ERROR cut", IN("\0\5\0"), BAD("Packet too short")},
	{"ERROR opcode only", IN("\0\5"), BAD("Packet too short")},
	{"RRQ on a transfer port", IN("\0\1f\0octet\0"), BAD("Illegal TFTP operation")},
	{"WRQ on a transfer port", IN("\0\2f\0octet\0"), BAD("Illegal TFTP operation")},
	{"opcode 0", IN("\0\0\0\1"), BAD("Illegal TFTP operation")},
	{"opcode 7", IN("\0\7\0\1"), BAD("Illegal TFTP operation")},
	{"opcode 0x0403 (byte order)", IN("\4\3\0\1"), BAD("Illegal TFTP operation")},
	{"opcode 0xffff", IN("\xff\xff"), BAD("Illegal TFTP operation")},
};

static int check_pkt_row(const struct pkt_row *t)
{
	struct tftp_packet p;
	const char *why = "(unset)";
	const uint8_t *buf = guard_flush(t->in, t->len);
	int rc = tftp_parse_packet(buf, t->len, &p, &why);
	int bad = check_outcome(t->why, rc, why, t->rc, t->err);

	if (bad >= 0)
		return bad;
	bad = 0;
	if (p.opcode != t->opcode) {
		print_error("row \"%s\": opcode %u, want %u\n", t->why, p.opcode, t->opcode);
		bad = 1;
	}
	if ((t->opcode == TFTP_DATA || t->opcode == TFTP_ACK) && p.block != t->block) {
		print_error("row \"%s\": block %u, want %u\n", t->why, p.block, t->block);
		bad = 1;
	}
	if (p.data_len != t->data_len) {
		print_error("row \"%s\": data_len %zu, want %zu\n", t->why, p.data_len, t->data_len);
		bad = 1;
	}
	if ((t->opcode == TFTP_DATA || t->opcode == TFTP_OACK) && p.data != buf + t->data_off) {
		print_error("row \"%s\": data at offset %td, want %zu\n", t->why, p.data - buf,
			    t->data_off);
		bad = 1;
	}
	if (t->opcode == TFTP_ERROR) {
		if (p.errcode != t->errcode) {
			print_error("row \"%s\": errcode %u, want %u\n", t->why, p.errcode, t->errcode);
			bad = 1;
		}
		/* A message is either the static "" or a string inside the packet. */
		if (!p.errmsg || strcmp(p.errmsg, t->errmsg) ||
		    (*p.errmsg && !str_inside(p.errmsg, buf, t->len))) {
			print_error("row \"%s\": errmsg \"%s\", want \"%s\"\n", t->why,
				    p.errmsg ? p.errmsg : "(null)", t->errmsg);
			bad = 1;
		}
	} else if (!p.errmsg || *p.errmsg) {
		print_error("row \"%s\": errmsg must be \"\" for opcode %u\n", t->why, p.opcode);
		bad = 1;
	}
	return bad;
}

static void test_packet_table(void **state)
{
	(void)state;
	RUN_TABLE(pkt_rows, check_pkt_row, "packet rows");
}

/* A full-size DATA packet (65464 bytes of payload) parses in place. */
static void test_packet_max_data(void **state)
{
	size_t len = TFTP_MAX_PACKET;
	uint8_t *mem = mmap(NULL, len + page_size * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t span = (len + page_size - 1) / page_size * page_size;
	struct tftp_packet p;
	const char *why;
	uint8_t *buf;

	(void)state;
	assert_true(mem != MAP_FAILED);
	assert_int_equal(mprotect(mem + span, page_size, PROT_NONE), 0);
	buf = mem + span - len;
	memset(buf, 'd', len);
	tftp_put_data_header(buf, 0xbeef);
	assert_int_equal(tftp_parse_packet(buf, len, &p, &why), 0);
	assert_int_equal(p.opcode, TFTP_DATA);
	assert_int_equal(p.block, 0xbeef);
	assert_int_equal(p.data_len, TFTP_MAX_BLKSIZE);
	assert_ptr_equal(p.data, buf + 4);
	munmap(mem, len + page_size * 2);
}

/* ------------------------------------------------------------------ */
/* Builders                                                            */

struct err_row {
	const char *why;
	size_t cap;
	uint16_t code;
	const char *msg;          /* NULL: the standard text */
	size_t want_len;          /* 0: does not fit */
	const char *want;         /* the expected bytes (want_len of them) */
};

static const struct err_row err_rows[] = {
	{"message fits", 64, 1, "nope", 9, "\0\5\0\1nope\0"},
	{"standard text for code 1", 64, 1, NULL, 19, "\0\5\0\1File not found\0"},
	{"standard text for code 8", 64, 8, NULL, 41,
	 "\0\5\0\x08" "Failure to negotiate RFC2347 options\0"},
	{"standard text for an unknown code", 64, 99, NULL, 25,
	 "\0\5\0\x63Undefined error code\0"},
	{"code 0 standard text", 64, 0, NULL, 25, "\0\5\0\0Undefined error code\0"},
	{"empty message", 64, 2, "", 5, "\0\5\0\2\0"},
	{"exact fit", 9, 3, "full", 9, "\0\5\0\3full\0"},
	{"one byte short: truncated by one", 8, 3, "full", 8, "\0\5\0\3ful\0"},
	{"cap 5: message truncated to nothing", 5, 3, "full", 5, "\0\5\0\3\0"},
	{"cap 4: does not fit", 4, 3, "full", 0, NULL},
	{"cap 0: does not fit", 0, 3, "full", 0, NULL},
	{"code is big-endian", 16, 0x0102, "x", 6, "\0\5\1\2x\0"},
};

static void test_build_error_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++) {
		const struct err_row *t = &err_rows[i];
		uint8_t *buf = guard_out(t->cap);
		size_t n = tftp_build_error(buf, t->cap, t->code, t->msg);

		if (n != t->want_len || (n && memcmp(buf, t->want, n))) {
			print_error("row \"%s\": length %zu, want %zu\n", t->why, n, t->want_len);
			failed++;
		}
		if (n == 0 && t->cap && buf[0] != 0xA5) {
			print_error("row \"%s\": wrote into the buffer when not fitting\n", t->why);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_errstr(void **state)
{
	(void)state;
	assert_string_equal(tftp_errstr(TFTP_ENOTFOUND), "File not found");
	assert_string_equal(tftp_errstr(TFTP_EACCESS), "Access violation");
	assert_string_equal(tftp_errstr(TFTP_ENOSPACE), "Disk full or allocation exceeded");
	assert_string_equal(tftp_errstr(TFTP_EBADOP), "Illegal TFTP operation");
	assert_string_equal(tftp_errstr(TFTP_EBADID), "Unknown transfer ID");
	assert_string_equal(tftp_errstr(TFTP_EEXISTS), "File already exists");
	assert_string_equal(tftp_errstr(TFTP_ENOUSER), "No such user");
	assert_string_equal(tftp_errstr(TFTP_EOPTNEG), "Failure to negotiate RFC2347 options");
	assert_string_equal(tftp_errstr(9), "Undefined error code");
	assert_string_equal(tftp_errstr(0xffff), "Undefined error code");
}

static void test_build_ack_and_data(void **state)
{
	uint8_t *buf;
	uint8_t hdr[TFTP_HDR_LEN];
	struct tftp_packet p;
	const char *why;

	(void)state;
	buf = guard_out(4);
	assert_int_equal(tftp_build_ack(buf, 4, 0xabcd), 4);
	assert_memory_equal(buf, "\0\4\xab\xcd", 4);
	assert_int_equal(tftp_parse_packet(buf, 4, &p, &why), 0);
	assert_int_equal(p.opcode, TFTP_ACK);
	assert_int_equal(p.block, 0xabcd);

	buf = guard_out(3);
	assert_int_equal(tftp_build_ack(buf, 3, 1), 0);
	assert_int_equal(buf[0], 0xA5);
	assert_int_equal(tftp_build_ack(buf, 0, 1), 0);

	tftp_put_data_header(hdr, 65535);
	assert_memory_equal(hdr, "\0\3\xff\xff", 4);
	tftp_put_data_header(hdr, 0);
	assert_memory_equal(hdr, "\0\3\0\0", 4);
}

/* OACK under construction: each step either appends exactly or returns
 * -ENOSPC without writing past cap. */
struct oack_step {
	const char *name, *value;
	int rc;
	size_t len_after;         /* only checked when rc == 0 */
};

struct oack_row {
	const char *why;
	size_t cap;
	struct oack_step steps[4];
	const char *want;         /* final bytes (when the last step succeeded) */
	size_t want_len;
};

static const struct oack_row oack_rows[] = {
	{"two options", 64, {{"blksize", "1468", 0, 15}, {"tsize", "42", 0, 24}},
	 "\0\6blksize\0" "1468\0tsize\0" "42\0", 24},
	{"exact fit", 15, {{"blksize", "1468", 0, 15}}, "\0\6blksize\0" "1468\0", 15},
	{"one byte short", 14, {{"blksize", "1468", -ENOSPC, 0}}, NULL, 0},
	{"second does not fit", 20, {{"blksize", "1468", 0, 15}, {"tsize", "42", -ENOSPC, 0}},
	 "\0\6blksize\0" "1468\0", 15},
	{"cap 1: not even the opcode", 1, {{"a", "b", -ENOSPC, 0}}, NULL, 0},
	{"cap 2: opcode only", 2, {{"a", "b", -ENOSPC, 0}}, NULL, 0},
	{"empty value", 16, {{"tsize", "", 0, 9}}, "\0\6tsize\0\0", 9},
	{"client spelling kept", 32, {{"BlkSize", "8", 0, 12}}, "\0\6BlkSize\0" "8\0", 12},
};

static void test_oack_append_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(oack_rows) / sizeof(oack_rows[0]); i++) {
		const struct oack_row *t = &oack_rows[i];
		uint8_t *buf = guard_out(t->cap);
		size_t len = 0, good_len = 0;
		int bad = 0;

		for (int k = 0; k < 4 && t->steps[k].name; k++) {
			const struct oack_step *s = &t->steps[k];
			int rc = tftp_oack_append(buf, t->cap, &len, s->name, s->value);
			if (rc != s->rc) {
				print_error("row \"%s\" step %d: rc %d, want %d\n", t->why, k, rc, s->rc);
				bad = 1;
				break;
			}
			if (rc == 0) {
				if (len != s->len_after) {
					print_error("row \"%s\" step %d: len %zu, want %zu\n", t->why, k,
						    len, s->len_after);
					bad = 1;
				}
				good_len = len;
			} else if (len > t->cap) {
				print_error("row \"%s\" step %d: len %zu past cap\n", t->why, k, len);
				bad = 1;
			}
		}
		if (!bad && t->want && (good_len != t->want_len || memcmp(buf, t->want, t->want_len))) {
			print_error("row \"%s\": bytes differ\n", t->why);
			bad = 1;
		}
		failed += bad;
	}
	assert_int_equal(failed, 0);
}

/* What the builders make, the parsers read back. */
static void test_build_parse_round_trip(void **state)
{
	uint8_t tmp[128];
	struct tftp_packet p;
	const char *why;
	size_t n, len = 0;
	const uint8_t *buf;

	(void)state;
	n = tftp_build_error(tmp, sizeof(tmp), TFTP_EACCESS, "denied");
	buf = guard_flush(tmp, n);
	assert_int_equal(tftp_parse_packet(buf, n, &p, &why), 0);
	assert_int_equal(p.opcode, TFTP_ERROR);
	assert_int_equal(p.errcode, TFTP_EACCESS);
	assert_string_equal(p.errmsg, "denied");

	assert_int_equal(tftp_oack_append(tmp, sizeof(tmp), &len, "blksize", "1024"), 0);
	buf = guard_flush(tmp, len);
	assert_int_equal(tftp_parse_packet(buf, len, &p, &why), 0);
	assert_int_equal(p.opcode, TFTP_OACK);
	assert_int_equal(p.data_len, len - 2);
	assert_memory_equal(p.data, "blksize\0" "1024\0", len - 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_table),
		cmocka_unit_test(test_request_too_many_options),
		cmocka_unit_test(test_request_every_prefix),
		cmocka_unit_test(test_packet_table),
		cmocka_unit_test(test_packet_max_data),
		cmocka_unit_test(test_build_error_table),
		cmocka_unit_test(test_errstr),
		cmocka_unit_test(test_build_ack_and_data),
		cmocka_unit_test(test_oack_append_table),
		cmocka_unit_test(test_build_parse_round_trip),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
